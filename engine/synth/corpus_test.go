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
					if d := smoothDiff(m, r); d > 2.5 {
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
