package synth

import (
	"bytes"
	"image"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"gocv.io/x/gocv"
)

// TestCorpusScenes checks every corpus scene at test size and at 1080p:
// valid, 60–130 frames, the item inside the frame on every frame, the
// still poses it promises.
func TestCorpusScenes(t *testing.T) {
	for _, size := range [][2]int{{320, 240}, {1920, 1080}} {
		names := map[string]bool{}
		for _, e := range CorpusAt(size[0], size[1]) {
			s := e.Scene
			if err := s.Validate(); err != nil {
				t.Errorf("%s: %v", e.Name, err)
				continue
			}
			if names[e.Name] {
				t.Errorf("duplicate name %s", e.Name)
			}
			names[e.Name] = true
			n := s.NumFrames()
			if n < 60 || n > 130 {
				t.Errorf("%s: %d frames, want 60–130", e.Name, n)
			}
			tr := TruthOf(s)
			minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
			for _, f := range tr.Frames {
				for _, c := range f.Corners {
					minX, maxX = math.Min(minX, c[0]), math.Max(maxX, c[0])
					minY, maxY = math.Min(minY, c[1]), math.Max(maxY, c[1])
				}
			}
			margin := 0.01 * float64(s.Height)
			if minX < margin || minY < margin || maxX > float64(s.Width)-1-margin || maxY > float64(s.Height)-1-margin {
				t.Errorf("%s at %dx%d: item reaches x %.1f..%.1f y %.1f..%.1f of %dx%d", e.Name, s.Width, s.Height, minX, maxX, minY, maxY, s.Width, s.Height)
			}
			if size[0] == 320 {
				t.Logf("%-17s %3dx%-3d %3d frames, %d holds, %d sweeps, %d focus, item y %.0f..%.0f",
					e.Name, s.Width, s.Height, n, len(tr.Holds), len(tr.Sweeps), len(tr.Focus), minY, maxY)
			}
		}
	}
}

// corpusVideos writes each corpus entry once per test binary.
var corpusVideos = struct {
	sync.Mutex
	dir string
	m   map[string]*corpusVideo
}{m: map[string]*corpusVideo{}}

type corpusVideo struct {
	once  sync.Once
	path  string
	truth *Truth
	cpu   time.Duration
	err   error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if corpusVideos.dir != "" {
		os.RemoveAll(corpusVideos.dir)
	}
	os.Exit(code)
}

// writeCorpus returns the path and truth of the test-size corpus entry.
func writeCorpus(t *testing.T, e CorpusEntry) (string, *Truth) {
	t.Helper()
	needFFmpeg(t)
	corpusVideos.Lock()
	if corpusVideos.dir == "" {
		d, err := os.MkdirTemp("", "gv-synth-corpus-")
		if err != nil {
			corpusVideos.Unlock()
			t.Fatal(err)
		}
		corpusVideos.dir = d
	}
	v := corpusVideos.m[e.Name]
	if v == nil {
		v = &corpusVideo{path: filepath.Join(corpusVideos.dir, e.File)}
		corpusVideos.m[e.Name] = v
	}
	corpusVideos.Unlock()
	v.once.Do(func() { v.truth, v.err = Write(v.path, e.Scene) })
	if v.err != nil {
		t.Fatalf("%s: %v", e.Name, v.err)
	}
	return v.path, v.truth
}

func corpusEntry(t *testing.T, name string) CorpusEntry {
	t.Helper()
	e, ok := CorpusEntryNamed(name, 320, 240)
	if !ok {
		t.Fatalf("no corpus entry %q", name)
	}
	return e
}

// readUpright decodes every frame of path sequentially with gocv, upright:
// OpenCV 4.6 auto-rotates ±90° files the wrong way (see synth_test.go), so
// auto-rotation is turned off and the frame rotated clockwise by the
// scene's Rotation.
func readUpright(t *testing.T, path string, rotation int, fn func(n int, m gocv.Mat)) int {
	t.Helper()
	vc, err := gocv.VideoCaptureFile(path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer vc.Close()
	vc.Set(gocv.VideoCaptureProperties(49), 0) // CAP_PROP_ORIENTATION_AUTO
	m, r := gocv.NewMat(), gocv.NewMat()
	defer m.Close()
	defer r.Close()
	n := 0
	for vc.Read(&m) && !m.Empty() {
		src := m
		if rotation != 0 {
			flag := map[int]gocv.RotateFlag{90: gocv.Rotate90Clockwise, 180: gocv.Rotate180Clockwise, 270: gocv.Rotate90CounterClockwise}[rotation]
			gocv.Rotate(m, &r, flag)
			src = r
		}
		if fn != nil {
			fn(n, src)
		}
		n++
	}
	return n
}

// smoothDiff returns the mean absolute difference of two BGR frames after a
// Gaussian blur of sigma 2 (which removes the sensor noise, so only codec
// error and content differences remain).
func smoothDiff(a, b gocv.Mat) float64 {
	sa, sb := gocv.NewMat(), gocv.NewMat()
	defer sa.Close()
	defer sb.Close()
	gocv.GaussianBlur(a, &sa, image.Pt(0, 0), 2, 2, gocv.BorderReflect101)
	gocv.GaussianBlur(b, &sb, image.Pt(0, 0), 2, 2, gocv.BorderReflect101)
	return meanAbsDiff(sa, sb)
}

// TestCorpusWriteDecode writes every corpus entry and decodes it
// sequentially: the frame count equals len(truth.Frames); upright decoded
// frames match Render (a hold, a sweep and the last frame); frame codes
// match truth's Source.
func TestCorpusWriteDecode(t *testing.T) {
	needFFmpeg(t)
	for _, e := range Corpus() {
		t.Run(e.Name, func(t *testing.T) {
			start := time.Now()
			path, tr := writeCorpus(t, e)
			s := e.Scene
			check := map[int]bool{len(tr.Frames) - 1: true}
			if len(tr.Holds) > 0 {
				check[(tr.Holds[0][0]+tr.Holds[0][1])/2] = true
			}
			if len(tr.Sweeps) > 0 {
				check[tr.Sweeps[0][0]+2] = true
			}
			codes := 0
			n := readUpright(t, path, s.Rotation, func(n int, m gocv.Mat) {
				if m.Cols() != s.Width || m.Rows() != s.Height {
					t.Fatalf("frame %d is %dx%d upright, want %dx%d", n, m.Cols(), m.Rows(), s.Width, s.Height)
				}
				if n >= len(tr.Frames) {
					return
				}
				if s.FrameCode {
					src, ok := ReadFrameCode(s, m)
					if !ok || src != tr.Frames[n].Source {
						t.Errorf("frame %d: frame code %d (ok %v), truth source %d", n, src, ok, tr.Frames[n].Source)
					}
					codes++
				}
				if check[n] {
					r := Render(s, n)
					d := smoothDiff(m, r)
					t.Logf("frame %d (%s): smoothed mean abs difference from Render %.2f", n, tr.Frames[n].Phase, d)
					if d > 2.5 {
						t.Errorf("frame %d: decoded upright frame differs from Render by %.2f (smoothed mean abs)", n, d)
					}
					r.Close()
				}
			})
			if n != len(tr.Frames) {
				t.Errorf("decoded %d frames, truth has %d", n, len(tr.Frames))
			}
			if s.FrameCode && codes != len(tr.Frames) {
				t.Errorf("read %d frame codes", codes)
			}
			t.Logf("%d frames, %d holds: written and decoded in %v", n, len(tr.Holds), time.Since(start).Round(time.Millisecond))
		})
	}
}

func ffprobeTimes(t *testing.T, path string) []float64 {
	t.Helper()
	if _, err := exec.LookPath("ffprobe"); err != nil {
		t.Skip("ffprobe not installed")
	}
	out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "v:0",
		"-show_entries", "frame=pts_time", "-of", "csv=p=0", path).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", path, err)
	}
	var ts []float64
	for _, l := range strings.Fields(string(out)) {
		l = strings.Trim(l, ",")
		if l == "" {
			continue
		}
		v, err := strconv.ParseFloat(l, 64)
		if err != nil {
			t.Fatalf("ffprobe time %q: %v", l, err)
		}
		ts = append(ts, v)
	}
	return ts
}

// TestVFRPhone checks the phone timing pattern: the written timestamps (MP4
// and Matroska) are truth's, the frame rate changes, gaps and duplicates
// are where truth says, duplicates show the previous picture.
func TestVFRPhone(t *testing.T) {
	needFFmpeg(t)
	e := corpusEntry(t, "vfr-phone")
	s := e.Scene
	tr := TruthOf(s)
	sl := s.timeline()
	for n := range sl {
		if got := evalTicks(sl, n); got != sl[n].ticks {
			t.Fatalf("frame %d: timestamp expression gives %d ticks, want %d", n, got, sl[n].ticks)
		}
	}
	gaps, dups := 0, 0
	var ivs []float64
	for n, f := range tr.Frames {
		if f.Gap {
			gaps++
		}
		if f.Dup {
			dups++
			if f.Source != tr.Frames[n-1].Source || f.Motion != 0 {
				t.Errorf("dup frame %d: source %d (previous %d), motion %v", n, f.Source, tr.Frames[n-1].Source, f.Motion)
			}
			a, b := Render(s, n), Render(s, n-1)
			if !matsEqual(t, a, b) {
				t.Errorf("dup frame %d does not render like frame %d", n, n-1)
			}
			a.Close()
			b.Close()
		} else if f.Source != n {
			t.Errorf("frame %d: source %d", n, f.Source)
		}
		if n > 0 {
			ivs = append(ivs, f.Time-tr.Frames[n-1].Time)
		}
	}
	if dups != 2 || gaps < 3 {
		t.Errorf("%d duplicates and %d gaps, want 2 and ≥ 3", dups, gaps)
	}
	var holdDup, sweepDup bool
	for _, f := range tr.Frames {
		holdDup = holdDup || f.Dup && f.Phase == Hold
		sweepDup = sweepDup || f.Dup && f.Phase == Sweep
	}
	if !holdDup || !sweepDup {
		t.Errorf("want a duplicate in a hold (%v) and in a sweep (%v)", holdDup, sweepDup)
	}
	has := map[string]bool{}
	for _, iv := range ivs {
		switch {
		case math.Abs(iv-1.0/30) < 1e-9:
			has["30"] = true
		case math.Abs(iv-1.0/20) < 1e-9:
			has["20"] = true
		case math.Abs(iv-2.0/30) < 1e-9:
			has["gap"] = true
		default:
			t.Errorf("unexpected frame interval %.6f s", iv)
		}
	}
	if len(has) != 3 {
		t.Errorf("intervals seen: %v", has)
	}
	for _, ext := range []string{".mp4", ".mkv"} {
		path, _ := writeCorpus(t, e)
		tol := 1e-4
		if ext == ".mkv" {
			path = filepath.Join(t.TempDir(), "vfr.mkv")
			if _, err := Write(path, s); err != nil {
				t.Fatal(err)
			}
			tol = 0.0006 // Matroska stores milliseconds
		}
		ts := ffprobeTimes(t, path)
		if len(ts) != len(tr.Frames) {
			t.Fatalf("%s: ffprobe sees %d frames, truth %d", ext, len(ts), len(tr.Frames))
		}
		for n, v := range ts {
			if math.Abs(v-ts[0]-tr.Frames[n].Time) > tol {
				t.Errorf("%s frame %d at %.5f s, truth %.5f s", ext, n, v-ts[0], tr.Frames[n].Time)
			}
		}
		if ext == ".mkv" {
			codes := 0
			n := readUpright(t, path, 0, func(n int, m gocv.Mat) {
				if src, ok := ReadFrameCode(s, m); ok && n < len(tr.Frames) && src == tr.Frames[n].Source {
					codes++
				}
			})
			if n != len(tr.Frames) || codes != n {
				t.Errorf("mkv: decoded %d frames (truth %d), %d frame codes match", n, len(tr.Frames), codes)
			}
		}
	}
}

// TestHEVC checks the HEVC entry: codec, B-frames, and two writes are
// byte-identical.
func TestHEVC(t *testing.T) {
	needFFmpeg(t)
	if _, err := exec.LookPath("ffprobe"); err != nil {
		t.Skip("ffprobe not installed")
	}
	e := corpusEntry(t, "hevc")
	path, _ := writeCorpus(t, e)
	out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "v:0",
		"-show_entries", "stream=codec_name,codec_tag_string:frame=pict_type", "-of", "csv=p=0", path).Output()
	if err != nil {
		t.Fatal(err)
	}
	o := string(out)
	if !strings.Contains(o, "hevc,hvc1") || !strings.Contains(o, "B") {
		t.Errorf("want an hvc1-tagged HEVC stream with B-frames, ffprobe says:\n%.300s", o)
	}
	p2 := filepath.Join(t.TempDir(), e.File)
	if _, err := Write(p2, e.Scene); err != nil {
		t.Fatal(err)
	}
	b1, _ := os.ReadFile(path)
	b2, _ := os.ReadFile(p2)
	if !bytes.Equal(b1, b2) {
		t.Errorf("two HEVC writes differ (%d and %d bytes)", len(b1), len(b2))
	}
}

// TestCorpusTruthPoses checks the still-pose truth of every entry: Pose k
// exactly on Holds[k], Sharp on hold frames only, the number of still
// poses each entry promises.
func TestCorpusTruthPoses(t *testing.T) {
	wantPoses := map[string]int{"few-stills": 2, "no-still": 0, "vfr-phone": 6, "busy-clean": 6, "busy-damaged": 6}
	for _, e := range Corpus() {
		tr := TruthOf(e.Scene)
		want, ok := wantPoses[e.Name]
		if !ok {
			want = 5
		}
		if len(tr.Holds) != want {
			t.Errorf("%s: %d still poses, want %d", e.Name, len(tr.Holds), want)
		}
		for _, f := range tr.Frames {
			in := -1
			for k, h := range tr.Holds {
				if f.Index >= h[0] && f.Index < h[1] {
					in = k
				}
			}
			if f.Pose != in {
				t.Errorf("%s frame %d: pose %d, in hold %d", e.Name, f.Index, f.Pose, in)
			}
			// Frame 0 has no previous pose, so no motion blur even in a sweep.
			if f.Sharp != f.Hold && f.Index > 0 {
				t.Errorf("%s frame %d (%s): sharp %v", e.Name, f.Index, f.Phase, f.Sharp)
			}
			if f.Hold && f.Index > 0 && f.Motion > 0.3 {
				t.Errorf("%s frame %d: hold frame moves %.2f px", e.Name, f.Index, f.Motion)
			}
		}
	}
}

// patchStats returns, per channel, the mean level of a and b over the
// rectangle and the temporal noise sigma std(a−b)/√2, plus the lag-1
// horizontal correlation of the grey difference.
func patchStats(a, b gocv.Mat, r image.Rectangle) (level, sigma [3]float64, corr float64) {
	var sum, sd, sdd [3]float64
	n := 0.0
	var cxy, cxx float64
	for y := r.Min.Y; y < r.Max.Y; y++ {
		prev := math.NaN()
		for x := r.Min.X; x < r.Max.X; x++ {
			va, vb := a.GetVecbAt(y, x), b.GetVecbAt(y, x)
			g := 0.0
			for c := range 3 {
				d := float64(va[c]) - float64(vb[c])
				sum[c] += (float64(va[c]) + float64(vb[c])) / 2
				sd[c] += d
				sdd[c] += d * d
				g += d / 3
			}
			if !math.IsNaN(prev) {
				cxy += g * prev
			}
			cxx += g * g
			prev = g
			n++
		}
	}
	for c := range 3 {
		level[c] = sum[c] / n
		m := sd[c] / n
		sigma[c] = math.Sqrt((sdd[c]/n - m*m) / 2)
	}
	return level, sigma, cxy / cxx
}

// bgPatch returns a background rectangle of the frame away from the item
// and the frame code in both frames.
func bgPatch(t *testing.T, tr *Truth, n int) image.Rectangle {
	t.Helper()
	s := tr.Scene
	r := image.Rect(s.Width-6-s.Width/6, s.Height/3, s.Width-6, s.Height/3+s.Height/4)
	for _, k := range []int{n, n + 1} {
		for _, c := range tr.Frames[k].Corners {
			if c[0] > float64(r.Min.X-3) {
				t.Fatalf("frame %d: item corner %v inside the background patch %v", k, c, r)
			}
		}
	}
	return r
}

// TestNoiseStatistics renders two frames of a hold and measures the
// temporal noise on the background: within ±30 % of the requested sigma at
// the measured level; grain shows as correlation between neighbours.
func TestNoiseStatistics(t *testing.T) {
	for _, name := range []string{"card-dark-mat", "low-light", "comic-clean"} {
		e := corpusEntry(t, name)
		s := e.Scene
		tr := TruthOf(s)
		n := tr.Holds[1][0] + 3
		a, b := Render(s, n), Render(s, n+1)
		level, sigma, corr := patchStats(a, b, bgPatch(t, tr, n))
		a.Close()
		b.Close()
		for c := range 3 {
			want := s.NoiseSigma(level[c])
			if math.Abs(sigma[c]/want-1) > 0.3 {
				t.Errorf("%s channel %d: level %.1f, temporal sigma %.2f, requested %.2f", name, c, level[c], sigma[c], want)
			}
		}
		t.Logf("%-14s background level %.1f %.1f %.1f, sigma %.2f %.2f %.2f (requested %.2f), lag-1 correlation %.2f",
			name, level[0], level[1], level[2], sigma[0], sigma[1], sigma[2], s.NoiseSigma(level[1]), corr)
		if s.Grain >= 1 && corr < 0.4 {
			t.Errorf("%s: grain %.1f px but neighbour correlation only %.2f", name, s.Grain, corr)
		}
		if s.Grain == 0 && corr > 0.25 {
			t.Errorf("%s: no grain but neighbour correlation %.2f", name, corr)
		}
		if name == "card-dark-mat" && (level[1] < 18 || level[1] > 42) {
			t.Errorf("dark mat level %.1f, want 20–40", level[1])
		}
	}
}

// meanBelow returns the per-channel mean of m over the pixels where ref's
// channel is below lim (to avoid clipped highlights), and that of ref.
func meanBelow(m, ref gocv.Mat, lim byte) (mm, mr [3]float64) {
	pm, _ := m.DataPtrUint8()
	pr, _ := ref.DataPtrUint8()
	var n [3]float64
	for j := range pr {
		c := j % 3
		if pr[j] < lim {
			mm[c] += float64(pm[j])
			mr[c] += float64(pr[j])
			n[c]++
		}
	}
	for c := range 3 {
		mm[c] /= n[c]
		mr[c] /= n[c]
	}
	return mm, mr
}

// TestExposureFlicker checks that the global brightness of each frame is
// the truth's gain times that of the same scene without exposure change,
// flicker or drift (per channel, within 2 %), that flicker moves the gain
// by about its amplitude, and that low light is that dark.
func TestExposureFlicker(t *testing.T) {
	for _, name := range []string{"flicker-drift", "low-light"} {
		e := corpusEntry(t, name)
		s := e.Scene
		ref := s
		ref.Exposure, ref.Flicker, ref.WBDrift, ref.Noise, ref.ShotNoise, ref.Grain = 0, 0, 0, 0, 0, 0
		tr := TruthOf(s)
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, n := range []int{0, 1, 2, 3, 30, 60, 87} {
			a, b := Render(s, n), Render(ref, n)
			mm, mr := meanBelow(a, b, 215)
			a.Close()
			b.Close()
			g := tr.Frames[n].Gain
			for c := range 3 {
				if r := mm[c] / mr[c]; math.Abs(r/g[c]-1) > 0.02 {
					t.Errorf("%s frame %d channel %d: brightness ratio %.3f, truth gain %.3f", name, n, c, r, g[c])
				}
			}
			lo, hi = math.Min(lo, g[1]), math.Max(hi, g[1])
		}
		t.Logf("%s: green gain %.3f..%.3f", name, lo, hi)
		if name == "flicker-drift" && hi-lo < s.Flicker {
			t.Errorf("flicker %.2f: gain only varies %.3f..%.3f", s.Flicker, lo, hi)
		}
		if name == "low-light" && (hi > 0.31 || lo < 0.29) {
			t.Errorf("low light gain %.3f..%.3f, want 0.3", lo, hi)
		}
	}
	// Consecutive still frames of the flicker scene: 100 Hz at 30 fps makes
	// a 3-frame cycle, so neighbours differ in brightness by several %.
	tr := TruthOf(corpusEntry(t, "flicker-drift").Scene)
	h := tr.Holds[0]
	maxStep := 0.0
	for n := h[0] + 1; n < h[1]; n++ {
		maxStep = math.Max(maxStep, math.Abs(tr.Frames[n].Gain[1]/tr.Frames[n-1].Gain[1]-1))
	}
	if maxStep < 0.05 {
		t.Errorf("flicker: largest frame-to-frame gain step in a hold %.3f, want ≥ 0.05", maxStep)
	}
}

// TestCardBorder measures the printed border of the card-centering entry on
// the flat item and compares it with the truth.
func TestCardBorder(t *testing.T) {
	e := corpusEntry(t, "card-centering")
	s := e.Scene
	tr := TruthOf(s)
	b := tr.CardBorder
	if math.Abs(tr.CenteringLR[0]-60) > 1e-9 || math.Abs(tr.CenteringLR[1]-40) > 1e-9 ||
		tr.CenteringTB != [2]float64{50, 50} {
		t.Errorf("centering LR %v TB %v, want 60/40 and 50/50", tr.CenteringLR, tr.CenteringTB)
	}
	const w, h = 500, 700
	m := RenderFlatItem(s, w, h)
	defer m.Close()
	bc := m.GetVecbAt(h/2, 3)
	differs := func(x, y int) bool {
		v := m.GetVecbAt(y, x)
		d := 0
		for c := range 3 {
			d += int(math.Abs(float64(v[c]) - float64(bc[c])))
		}
		return d > 60
	}
	for _, f := range []float64{0.3, 0.5, 0.7} {
		y, x := int(f*h), int(f*w)
		left, right, top, bottom := 0, 0, 0, 0
		for left < w && !differs(left, y) {
			left++
		}
		for right < w && !differs(w-1-right, y) {
			right++
		}
		for top < h && !differs(x, top) {
			top++
		}
		for bottom < h && !differs(x, h-1-bottom) {
			bottom++
		}
		got := [4]float64{float64(left) / w, float64(right) / w, float64(top) / h, float64(bottom) / h}
		want := [4]float64{b.Left, b.Right, b.Top, b.Bottom}
		for k := range got {
			if math.Abs(got[k]-want[k])*w > 1.5 {
				t.Errorf("at %.1f: border side %d measured %.4f, truth %.4f", f, k, got[k], want[k])
			}
		}
	}
	// The plain card keeps its look: no border field, no centering.
	if tr := TruthOf(corpusEntry(t, "card-clean").Scene); tr.CenteringLR != [2]float64{} {
		t.Errorf("card-clean centering %v", tr.CenteringLR)
	}
}

// TestGlintSweep checks the glint-sweep entry: during every hold the camera
// is still while the saturated highlight travels across the item.
func TestGlintSweep(t *testing.T) {
	e := corpusEntry(t, "glint-sweep")
	s := e.Scene
	tr := TruthOf(s)
	for k, h := range tr.Holds {
		a, b := tr.Frames[h[0]].Glint, tr.Frames[h[1]-1].Glint
		if d := math.Hypot(b[0]-a[0], b[1]-a[1]); d < 0.2*tr.ItemSize[0] {
			t.Errorf("hold %d: the glint moves only %.1f px (item %.0f px wide)", k, d, tr.ItemSize[0])
		}
	}
	n := (tr.Holds[2][0] + tr.Holds[2][1]) / 2
	m := Render(s, n)
	defer m.Close()
	g := tr.Frames[n].Glint
	sat := 0
	for y := max(0, int(g[1])-15); y < min(s.Height, int(g[1])+15); y++ {
		for x := max(0, int(g[0])-15); x < min(s.Width, int(g[0])+15); x++ {
			v := m.GetVecbAt(y, x)
			if v[0] >= 245 && v[1] >= 245 && v[2] >= 245 {
				sat++
			}
		}
	}
	if sat < 40 {
		t.Errorf("frame %d: only %d saturated pixels around the glint at %.0f,%.0f", n, sat, g[0], g[1])
	}
}

// TestFramingRange checks items filling 25–90 % of the frame height, in
// landscape and portrait frames: the item stays inside the frame, its
// height is as asked, and the edges are where the truth says.
func TestFramingRange(t *testing.T) {
	for _, sz := range [][2]int{{320, 240}, {240, 320}} {
		for _, scale := range []float64{0.25, 0.4, 0.6, 0.75, 0.9} {
			s := Scene{Width: sz[0], Height: sz[1], FPS: 30, Item: Comic, Seed: 5, ItemScale: scale, Tilt: 6, Rot0: -2, Noise: 1}
			c := newScript(s, 0.006)
			c.hold(4)
			c.sweep(5)
			c.hold(4)
			c.sweep(5)
			c.hold(4)
			s.Phases = c.ph
			if err := s.Validate(); err != nil {
				t.Fatal(err)
			}
			tr := TruthOf(s)
			for _, f := range tr.Frames {
				minY, maxY := math.Inf(1), math.Inf(-1)
				for _, p := range f.Corners {
					if p[0] < 1 || p[1] < 1 || p[0] > float64(s.Width-2) || p[1] > float64(s.Height-2) {
						t.Fatalf("%dx%d scale %.2f frame %d: corner %v outside the frame", s.Width, s.Height, scale, f.Index, p)
					}
					minY, maxY = math.Min(minY, p[1]), math.Max(maxY, p[1])
				}
				if cov := (maxY - minY) / float64(s.Height); cov < 0.9*scale || cov > 1.05*scale {
					t.Errorf("%dx%d scale %.2f frame %d: item covers %.3f of the height", s.Width, s.Height, scale, f.Index, cov)
				}
			}
			if scale < 0.4 {
				continue // the paper border is under 3 px wide
			}
			// Just inside each edge's midpoint is the bright paper border,
			// just outside the dark table.
			m := Render(s, 2)
			cs := tr.Frames[2].Corners
			for e := range 4 {
				a, b := cs[e], cs[(e+1)%4]
				px, py := (a[0]+b[0])/2, (a[1]+b[1])/2
				nx, ny := b[1]-a[1], -(b[0] - a[0]) // outward for clockwise corners
				l := math.Hypot(nx, ny)
				nx, ny = nx/l, ny/l
				in, out := grey(m, px-1.6*nx, py-1.6*ny), grey(m, px+2*nx, py+2*ny)
				if in-out < 60 {
					t.Errorf("%dx%d scale %.2f edge %d: inside %.0f outside %.0f", s.Width, s.Height, scale, e, in, out)
				}
			}
			m.Close()
		}
	}
}
