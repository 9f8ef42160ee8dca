package synth

// Findings about rotation metadata (Debian's ffmpeg 5.1 and OpenCV 4.6 with
// its FFmpeg backend, gocv v0.31.0), checked by TestRotationMetadata:
//
//   - A phone file of Rotation=90 (display rotated 90° clockwise) stores the
//     pixels rotated 90° counter-clockwise (H×W) with a display matrix that
//     ffprobe prints as "rotation=-90" (ffprobe's counter-clockwise
//     convention; the legacy tag is rotate=90). Write produces exactly that,
//     and ffmpeg, which auto-rotates, decodes upright Width×Height frames.
//   - ffmpeg 5.1 quirk: `-metadata:s:v:0 rotate=N` is ignored when encoding
//     and, when stream copying, is applied with the wrong sign (rotate=90
//     gives ffprobe rotation=+90). Write therefore encodes, then remuxes with
//     rotate=(360−N) mod 360, and the test checks ffprobe and ffmpeg's own
//     decoding.
//   - OpenCV 4.6 reads the orientation with the wrong sign (known regression,
//     opencv/opencv#22088, fixed in later releases): for a Rotation=90 file
//     CAP_PROP_ORIENTATION_META (48) reports 270 (and 90 for 270; 180 is
//     right), CAP_PROP_ORIENTATION_AUTO (49) is 1 by default, so VideoCapture
//     auto-rotates ±90° files the wrong way: frames come out Width×Height but
//     UPSIDE DOWN. CAP_PROP_FRAME_WIDTH/HEIGHT report the auto-rotated
//     (Width×Height) size.
//   - Recipe for the video reader on OpenCV 4.6: set
//     CAP_PROP_ORIENTATION_AUTO to 0 (frames are then the stored pixels,
//     e.g. H×W), take the clockwise display rotation from ffprobe's display
//     matrix (−rotation) or as (360 − ORIENTATION_META) mod 360 on 4.6
//     specifically, and rotate each frame clockwise by it (90 →
//     gocv.Rotate90Clockwise). TestRotationMetadata checks that this recipe
//     gives back exactly the upright frames.

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"gocv.io/x/gocv"
)

func needFFmpeg(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not installed")
	}
}

// smallScene is the default 320×240 scene used by the tests.
func smallScene(it Item) Scene { return DefaultScene(it, 320, 240) }

func TestDefaultSceneScript(t *testing.T) {
	for _, it := range []Item{Comic, Card} {
		s := smallScene(it)
		if err := s.Validate(); err != nil {
			t.Fatal(err)
		}
		n := s.NumFrames()
		if n < 80 || n > 100 {
			t.Errorf("%s: %d frames, want about 90", it, n)
		}
		tr := TruthOf(s)
		if len(tr.Frames) != n {
			t.Fatalf("%d truth frames for %d frames", len(tr.Frames), n)
		}
		if len(tr.Holds) < 5 {
			t.Errorf("%d holds, want ≥ 5", len(tr.Holds))
		}
		if len(tr.Focus) != 1 {
			t.Errorf("%d focus hunts, want 1", len(tr.Focus))
		}
		for k, h := range tr.Holds {
			if h[1]-h[0] < 12 {
				t.Errorf("hold %v shorter than 12 frames", h)
			}
			if k > 0 {
				c0 := float64(tr.Holds[k-1][0]+tr.Holds[k-1][1]) / 2
				c1 := float64(h[0]+h[1]) / 2
				if c1-c0 < 16 {
					t.Errorf("holds %v and %v: centres %.1f apart, want ≥ 16", tr.Holds[k-1], h, c1-c0)
				}
			}
		}
		// The item stays well inside the frame and covers 40–60 % of its height.
		for _, f := range tr.Frames {
			minY, maxY := math.Inf(1), math.Inf(-1)
			for _, c := range f.Corners {
				if c[0] < 4 || c[1] < 4 || c[0] > float64(s.Width-5) || c[1] > float64(s.Height-5) {
					t.Fatalf("frame %d: corner %v outside the frame", f.Index, c)
				}
				minY, maxY = math.Min(minY, c[1]), math.Max(maxY, c[1])
			}
			if cov := (maxY - minY) / float64(s.Height); cov < 0.4 || cov > 0.6 {
				t.Errorf("frame %d: item covers %.2f of the height", f.Index, cov)
			}
		}
	}
}

func TestTruthMotion(t *testing.T) {
	s := smallScene(Comic)
	tr := TruthOf(s)
	for _, f := range tr.Frames[1:] {
		switch f.Phase {
		case Hold, Focus:
			if f.Motion >= 0.3 {
				t.Errorf("frame %d (%s): motion %.3f px, want < 0.3", f.Index, f.Phase, f.Motion)
			}
		case Sweep:
			if f.Motion <= 2 {
				t.Errorf("frame %d (sweep): motion %.3f px, want > 2", f.Index, f.Motion)
			}
			if f.MotionBlur < f.Motion {
				t.Errorf("frame %d: motion blur %.2f < motion %.2f", f.Index, f.MotionBlur, f.Motion)
			}
		}
		if f.Hold != (f.Phase == Hold) {
			t.Errorf("frame %d: Hold %v for phase %s", f.Index, f.Hold, f.Phase)
		}
		if (f.Blur > 0) != (f.Phase == Focus) {
			t.Errorf("frame %d: blur %.2f in phase %s", f.Index, f.Blur, f.Phase)
		}
	}
	if tr.Frames[0].Motion != 0 {
		t.Errorf("frame 0 motion %v", tr.Frames[0].Motion)
	}
}

func matsEqual(t *testing.T, a, b gocv.Mat) bool {
	t.Helper()
	pa, err := a.DataPtrUint8()
	if err != nil {
		t.Fatal(err)
	}
	pb, err := b.DataPtrUint8()
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Equal(pa, pb)
}

func TestRenderDeterministic(t *testing.T) {
	s := smallScene(Card)
	s.Crease, s.Dent = true, true
	for _, i := range []int{0, 15, 50} {
		a, b := Render(s, i), Render(s, i)
		if a.Rows() != s.Height || a.Cols() != s.Width || a.Type() != gocv.MatTypeCV8UC3 {
			t.Errorf("frame %d: %dx%d type %v", i, a.Cols(), a.Rows(), a.Type())
		}
		if !matsEqual(t, a, b) {
			t.Errorf("frame %d: two renders differ", i)
		}
		a.Close()
		b.Close()
	}
}

func TestRenderConcurrent(t *testing.T) {
	s := smallScene(Comic)
	s.Crease = true
	s.Seed = 99 // a fresh texture cache entry, built concurrently
	want := make([]gocv.Mat, 4)
	got := make([]gocv.Mat, 4)
	done := make(chan struct{})
	go func() {
		for i := range got {
			got[i] = Render(s, 20*i+1)
		}
		close(done)
	}()
	for i := range want {
		want[i] = Render(s, 20*i+1)
	}
	<-done
	for i := range want {
		if !matsEqual(t, want[i], got[i]) {
			t.Errorf("frame %d differs between goroutines", 20*i+1)
		}
		want[i].Close()
		got[i].Close()
	}
}

// TestCleanDiffersOnlyAtDefects checks that turning the defects off changes
// only pixels near the crease and the dent.
func TestCleanDiffersOnlyAtDefects(t *testing.T) {
	s := smallScene(Comic)
	s.Crease, s.Dent = true, true
	clean := s
	clean.Crease, clean.Dent = false, false
	tr := TruthOf(s)
	for _, i := range []int{5, 40, 70} {
		a, b := Render(s, i), Render(clean, i)
		pa, _ := a.DataPtrUint8()
		pb, _ := b.DataPtrUint8()
		f := tr.Frames[i]
		dentR := tr.DentRadius*tr.ItemSize[0] + 3
		changed, far := 0, 0
		for y := range s.Height {
			for x := range s.Width {
				j := 3 * (y*s.Width + x)
				if pa[j] == pb[j] && pa[j+1] == pb[j+1] && pa[j+2] == pb[j+2] {
					continue
				}
				changed++
				px, py := float64(x), float64(y)
				if segDist(px, py, f.Crease[0], f.Crease[1]) <= tr.CreaseWidth+2 {
					continue
				}
				if math.Hypot(px-f.Dent[0], py-f.Dent[1]) <= dentR {
					continue
				}
				far++
			}
		}
		a.Close()
		b.Close()
		if changed < 50 {
			t.Errorf("frame %d: only %d pixels show the defects", i, changed)
		}
		if far > 0 {
			t.Errorf("frame %d: %d changed pixels away from the defects", i, far)
		}
	}
}

func segDist(x, y float64, a, b [2]float64) float64 {
	dx, dy := b[0]-a[0], b[1]-a[1]
	t := ((x-a[0])*dx + (y-a[1])*dy) / (dx*dx + dy*dy)
	t = math.Max(0, math.Min(1, t))
	return math.Hypot(x-a[0]-t*dx, y-a[1]-t*dy)
}

// grey returns the grey level of the Mat at the nearest pixel of (x, y).
func grey(m gocv.Mat, x, y float64) float64 {
	v := m.GetVecbAt(int(math.Round(y)), int(math.Round(x)))
	return 0.114*float64(v[0]) + 0.587*float64(v[1]) + 0.299*float64(v[2])
}

// TestCornersMatchRender samples the rendered frames just inside and just
// outside each edge of the item, at the positions given by the truth.
func TestCornersMatchRender(t *testing.T) {
	for _, it := range []Item{Comic, Card} {
		s := smallScene(it)
		tr := TruthOf(s)
		for _, i := range []int{0, 20, 45, 80} {
			m := Render(s, i)
			c := tr.Frames[i].Corners
			cx := (c[0][0] + c[1][0] + c[2][0] + c[3][0]) / 4
			cy := (c[0][1] + c[1][1] + c[2][1] + c[3][1]) / 4
			for e := range 4 {
				a, b := c[e], c[(e+1)%4]
				for _, t0 := range []float64{0.25, 0.5, 0.75} {
					px, py := a[0]+(b[0]-a[0])*t0, a[1]+(b[1]-a[1])*t0
					// Unit normal pointing away from the centre.
					nx, ny := -(b[1] - a[1]), b[0]-a[0]
					l := math.Hypot(nx, ny)
					nx, ny = nx/l, ny/l
					if (px-cx)*nx+(py-cy)*ny < 0 {
						nx, ny = -nx, -ny
					}
					in := grey(m, px-1.6*nx, py-1.6*ny)
					out := grey(m, px+2*nx, py+2*ny)
					if in < 170 || out > 130 || in-out < 70 {
						t.Errorf("%s frame %d edge %d at %.2f: inside %.0f outside %.0f", it, i, e, t0, in, out)
					}
				}
			}
			m.Close()
		}
	}
}

func laplacianVar(m gocv.Mat) float64 {
	g, l := gocv.NewMat(), gocv.NewMat()
	defer g.Close()
	defer l.Close()
	gocv.CvtColor(m, &g, gocv.ColorBGRToGray)
	gocv.Laplacian(g, &l, gocv.MatTypeCV64F, 1, 1, 0, gocv.BorderDefault)
	mean, std := gocv.NewMat(), gocv.NewMat()
	defer mean.Close()
	defer std.Close()
	gocv.MeanStdDev(l, &mean, &std)
	sd := std.GetDoubleAt(0, 0)
	return sd * sd
}

// decodeAll reads every frame of path with gocv, calling fn for each.
func decodeAll(t *testing.T, path string, fn func(i int, m gocv.Mat)) (n int, fps float64) {
	t.Helper()
	vc, err := gocv.VideoCaptureFile(path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer vc.Close()
	fps = vc.Get(gocv.VideoCaptureFPS)
	count := vc.Get(gocv.VideoCaptureFrameCount)
	defer func() {
		if int(count) != n {
			t.Errorf("CAP_PROP_FRAME_COUNT %v, decoded %d frames", count, n)
		}
	}()
	m := gocv.NewMat()
	defer m.Close()
	for vc.Read(&m) && !m.Empty() {
		if fn != nil {
			fn(n, m)
		}
		n++
	}
	return n, fps
}

func TestWriteDecodeAndSharpness(t *testing.T) {
	needFFmpeg(t)
	dir := t.TempDir()
	s := smallScene(Comic)
	s.Crease, s.Dent = true, true
	p1, p2 := filepath.Join(dir, "a.mp4"), filepath.Join(dir, "b.mp4")
	start := time.Now()
	tr, err := Write(p1, s)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %d frames of %dx%d in %v", s.NumFrames(), s.Width, s.Height, time.Since(start))
	if _, err := Write(p2, s); err != nil {
		t.Fatal(err)
	}
	b1, _ := os.ReadFile(p1)
	b2, _ := os.ReadFile(p2)
	if !bytes.Equal(b1, b2) {
		t.Errorf("two writes of the same scene differ (%d and %d bytes)", len(b1), len(b2))
	}
	t.Logf("file size %d bytes", len(b1))
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("temporary files left behind: %v", entries)
	}

	lap := make([]float64, 0, s.NumFrames())
	n, fps := decodeAll(t, p1, func(i int, m gocv.Mat) {
		if m.Cols() != s.Width || m.Rows() != s.Height {
			t.Fatalf("frame %d is %dx%d", i, m.Cols(), m.Rows())
		}
		lap = append(lap, laplacianVar(m))
	})
	if n != s.NumFrames() {
		t.Fatalf("decoded %d frames, want %d", n, s.NumFrames())
	}
	if math.Abs(fps-s.FPS) > 0.01 {
		t.Errorf("fps %v, want %v", fps, s.FPS)
	}
	minHold, maxOther := math.Inf(1), 0.0
	for i, f := range tr.Frames {
		if f.Hold {
			minHold = math.Min(minHold, lap[i])
		} else if f.Phase == Focus || f.Phase == Sweep {
			maxOther = math.Max(maxOther, lap[i])
		}
	}
	t.Logf("Laplacian variance: lowest hold %.1f, highest sweep/focus %.1f (ratio %.2f)", minHold, maxOther, minHold/maxOther)
	if minHold < 2*maxOther {
		t.Errorf("hold frames not clearly sharper: lowest hold %.1f, highest sweep/focus %.1f", minHold, maxOther)
	}
}

func TestLosslessMatchesRender(t *testing.T) {
	needFFmpeg(t)
	s := smallScene(Card)
	s.Phases = []Phase{{Kind: Hold, Frames: 3}, {Kind: Sweep, Frames: 2, DX: 4, DY: 2}}
	s.Codec = CodecLossless
	p := filepath.Join(t.TempDir(), "l.mkv")
	if _, err := Write(p, s); err != nil {
		t.Fatal(err)
	}
	n, _ := decodeAll(t, p, func(i int, m gocv.Mat) {
		r := Render(s, i)
		defer r.Close()
		if !matsEqual(t, m, r) {
			t.Errorf("lossless frame %d differs from Render", i)
		}
	})
	if n != s.NumFrames() {
		t.Errorf("decoded %d frames, want %d", n, s.NumFrames())
	}
}

func meanAbsDiff(a, b gocv.Mat) float64 {
	d := gocv.NewMat()
	defer d.Close()
	gocv.AbsDiff(a, b, &d)
	m := d.Mean()
	return (m.Val1 + m.Val2 + m.Val3) / 3
}

func TestRotationMetadata(t *testing.T) {
	needFFmpeg(t)
	dir := t.TempDir()
	base := smallScene(Comic)
	base.Phases = []Phase{{Kind: Hold, Frames: 4}, {Kind: Sweep, Frames: 2, DX: 3}}
	upside := gocv.NewMat()
	defer upside.Close()
	for _, rot := range []int{90, 180, 270} {
		s := base
		s.Rotation = rot
		p := filepath.Join(dir, "r"+strconv.Itoa(rot)+".mp4")
		tr, err := Write(p, s)
		if err != nil {
			t.Fatal(err)
		}
		if rot != 180 && (tr.StoredWidth != s.Height || tr.StoredHeight != s.Width) {
			t.Errorf("rotation %d: stored %dx%d", rot, tr.StoredWidth, tr.StoredHeight)
		}
		want := Render(s, 0)
		if _, err := exec.LookPath("ffprobe"); err == nil {
			out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "v:0",
				"-show_entries", "stream_side_data=side_data_type,rotation:stream=width,height", p).CombinedOutput()
			if err != nil {
				t.Fatalf("ffprobe: %v %s", err, out)
			}
			o := string(out)
			// ffprobe prints the display matrix angle counter-clockwise.
			wantRot := map[int]string{90: "rotation=-90\n", 180: "rotation=-180\n", 270: "rotation=90\n"}[rot]
			if !strings.Contains(o, "Display Matrix") || !strings.Contains(o, wantRot) {
				t.Errorf("rotation %d: want display matrix with %q:\n%s", rot, strings.TrimSpace(wantRot), o)
			}
			// ffmpeg itself auto-rotates: it must decode the upright frame.
			png := filepath.Join(dir, "r"+strconv.Itoa(rot)+".png")
			if out, err := exec.Command("ffmpeg", "-v", "error", "-y", "-i", p, "-frames:v", "1", png).CombinedOutput(); err != nil {
				t.Fatalf("ffmpeg decode: %v %s", err, out)
			}
			got := gocv.IMRead(png, gocv.IMReadColor)
			if got.Cols() != s.Width || got.Rows() != s.Height || meanAbsDiff(got, want) > 6 {
				t.Errorf("rotation %d: ffmpeg does not decode the upright frame", rot)
			}
			got.Close()
		}

		vc, err := gocv.VideoCaptureFile(p)
		if err != nil {
			t.Fatal(err)
		}
		meta, auto := vc.Get(gocv.VideoCaptureProperties(48)), vc.Get(gocv.VideoCaptureProperties(49))
		pw, ph := vc.Get(gocv.VideoCaptureFrameWidth), vc.Get(gocv.VideoCaptureFrameHeight)
		m := gocv.NewMat()
		ok := vc.Read(&m)
		t.Logf("rotation %d: OpenCV ORIENTATION_META=%v ORIENTATION_AUTO=%v FRAME_WIDTH×HEIGHT=%vx%v, decoded %dx%d",
			rot, meta, auto, pw, ph, m.Cols(), m.Rows())
		if !ok || m.Cols() != s.Width || m.Rows() != s.Height {
			t.Fatalf("rotation %d: decoded frame %dx%d, want %dx%d (auto-rotation)", rot, m.Cols(), m.Rows(), s.Width, s.Height)
		}
		// OpenCV 4.6.0 (opencv/opencv#22088): META has the wrong sign, so
		// ±90° files come out upside down. Later releases (4.10 here) read
		// it right and auto-rotate to the upright frame.
		inverted := gocv.OpenCVVersion() == "4.6.0"
		wantMeta := rot
		if inverted {
			wantMeta = (360 - rot) % 360
		}
		if int(meta) != wantMeta || auto != 1 {
			t.Errorf("rotation %d: ORIENTATION_META %v AUTO %v on OpenCV %s; OpenCV's behaviour changed, update the findings above", rot, meta, auto, gocv.OpenCVVersion())
		}
		ref := want
		if inverted && rot != 180 {
			gocv.Rotate(want, &upside, gocv.Rotate180Clockwise)
			ref = upside
		}
		if d := meanAbsDiff(m, ref); d > 6 {
			t.Errorf("rotation %d: OpenCV %s's auto-rotated frame is not what it is known to return (diff %.1f)", rot, gocv.OpenCVVersion(), d)
		}
		// The recipe: auto-rotation off, stored pixels, rotate clockwise by
		// META, or by (360 − META) mod 360 on OpenCV 4.6.0.
		vc.Set(gocv.VideoCaptureProperties(49), 0)
		vc.Set(gocv.VideoCapturePosFrames, 0)
		if !vc.Read(&m) || m.Cols() != tr.StoredWidth || m.Rows() != tr.StoredHeight {
			t.Errorf("rotation %d, auto off: decoded %dx%d, want stored %dx%d", rot, m.Cols(), m.Rows(), tr.StoredWidth, tr.StoredHeight)
		} else {
			cw := int(meta)
			if inverted {
				cw = (360 - int(meta)) % 360
			}
			flag := map[int]gocv.RotateFlag{90: gocv.Rotate90Clockwise, 180: gocv.Rotate180Clockwise, 270: gocv.Rotate90CounterClockwise}[cw]
			gocv.Rotate(m, &m, flag)
			if d := meanAbsDiff(m, want); d > 6 {
				t.Errorf("rotation %d: the manual recipe gives a frame %.1f away from the upright render", rot, d)
			}
		}
		want.Close()
		m.Close()
		vc.Close()
	}
}

func TestVFRTimestamps(t *testing.T) {
	needFFmpeg(t)
	if _, err := exec.LookPath("ffprobe"); err != nil {
		t.Skip("ffprobe not installed")
	}
	s := smallScene(Card)
	s.Phases = []Phase{{Kind: Hold, Frames: 8}}
	s.VFR = true
	p := filepath.Join(t.TempDir(), "vfr.mp4")
	tr, err := Write(p, s)
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "v:0",
		"-show_entries", "frame=pts_time", "-of", "csv=p=0", p).Output()
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Fields(strings.TrimSpace(string(out)))
	if len(lines) != s.NumFrames() {
		t.Fatalf("%d frames in file, want %d", len(lines), s.NumFrames())
	}
	t0, _ := strconv.ParseFloat(strings.TrimSuffix(lines[0], ","), 64)
	for i, l := range lines {
		v, _ := strconv.ParseFloat(strings.TrimSuffix(l, ","), 64)
		if math.Abs((v-t0)-tr.Frames[i].Time) > 0.001 {
			t.Errorf("frame %d at %.4f s, truth %.4f s", i, v-t0, tr.Frames[i].Time)
		}
	}
	n, _ := decodeAll(t, p, nil)
	if n != s.NumFrames() {
		t.Errorf("gocv decoded %d frames, want %d", n, s.NumFrames())
	}
}

func TestWriteErrors(t *testing.T) {
	dir := t.TempDir()
	bad := smallScene(Comic)
	bad.Width = 321
	if _, err := Write(filepath.Join(dir, "x.mp4"), bad); !errors.Is(err, ErrBadScene) {
		t.Errorf("odd width: %v, want ErrBadScene", err)
	}
	t.Run("no ffmpeg", func(t *testing.T) {
		t.Setenv("PATH", t.TempDir())
		_, err := Write(filepath.Join(dir, "y.mp4"), smallScene(Comic))
		if !errors.Is(err, ErrNoFFmpeg) {
			t.Errorf("got %v, want ErrNoFFmpeg", err)
		}
	})
	t.Run("cancel", func(t *testing.T) {
		needFFmpeg(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := WriteContext(ctx, filepath.Join(dir, "z.mp4"), smallScene(Comic)); !errors.Is(err, context.Canceled) {
			t.Errorf("got %v, want context.Canceled", err)
		}
	})
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("files left behind: %v", entries)
	}
}

func TestWriteTruncated(t *testing.T) {
	needFFmpeg(t)
	dir := t.TempDir()
	s := smallScene(Card)
	s.Phases = []Phase{{Kind: Hold, Frames: 10}}
	p := filepath.Join(dir, "ok.mp4")
	if _, err := Write(p, s); err != nil {
		t.Fatal(err)
	}
	b := filepath.Join(dir, "broken.mp4")
	if err := WriteTruncated(p, b, 1000); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(b); st.Size() != 1000 {
		t.Errorf("truncated size %d", st.Size())
	}
	vc, err := gocv.VideoCaptureFileWithAPI(b, gocv.VideoCaptureFFmpeg)
	if err == nil {
		m := gocv.NewMat()
		if vc.Read(&m) && !m.Empty() {
			t.Errorf("a 1000-byte truncated file decoded a frame")
		}
		m.Close()
		vc.Close()
	}
}

func TestRenderFlatItem(t *testing.T) {
	s := smallScene(Comic)
	s.Dent, s.DentCorner = true, CornerBR
	m := RenderFlatItem(s, 331, 512)
	defer m.Close()
	if m.Cols() != 331 || m.Rows() != 512 || m.Type() != gocv.MatTypeCV8UC3 {
		t.Fatalf("flat item %dx%d type %v", m.Cols(), m.Rows(), m.Type())
	}
	// Bright paper at the intact corners, table colour at the torn tip.
	if g := grey(m, 1, 1); g < 200 {
		t.Errorf("top-left corner grey %.0f, want paper", g)
	}
	if g := grey(m, 330, 511); g > 120 {
		t.Errorf("torn bottom-right tip grey %.0f, want dark", g)
	}
	tr := TruthOf(s)
	if tr.DentCorner != CornerBR || tr.DentItem[0] < 0.9 || tr.DentItem[1] < 0.9 {
		t.Errorf("dent truth %s %v", tr.DentCorner, tr.DentItem)
	}
}

func BenchmarkRender(b *testing.B) {
	for _, sz := range [][2]int{{320, 240}, {960, 540}} {
		s := SampleScene(sz[0], sz[1])
		tr := TruthOf(s)
		for _, kind := range []PhaseKind{Hold, Sweep, Focus} {
			i := 0
			for _, f := range tr.Frames {
				if f.Phase == kind && f.Index > 0 {
					i = f.Index
					break
				}
			}
			b.Run(strconv.Itoa(sz[0])+"x"+strconv.Itoa(sz[1])+"/"+string(kind), func(b *testing.B) {
				for b.Loop() {
					m := Render(s, i)
					m.Close()
				}
			})
		}
	}
}
