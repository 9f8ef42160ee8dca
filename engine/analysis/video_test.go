package analysis

import (
	"context"
	"math"
	"sort"
	"testing"

	"gocv.io/x/gocv"

	"gradevault/engine/synth"
	"gradevault/engine/synth/synthtest"
)

type testVideo struct {
	path  string
	truth *synth.Truth
}

func TestMain(m *testing.M) { synthtest.Main(m) }

// scenes are the project's synthetic test videos: small, with holds,
// sweeps and a focus hunt, a comic and a card, one with rotation metadata
// and a noisier, larger one.
func scenes() map[string]synth.Scene {
	comic := synth.DefaultScene(synth.Comic, 320, 240)
	comic.Crease, comic.Dent = true, true
	card := synth.DefaultScene(synth.Card, 320, 240)
	card.Seed = 7
	card.Tilt = 12
	rotated := synth.DefaultScene(synth.Comic, 320, 240)
	rotated.Seed = 3
	rotated.Rotation = 90
	noisy := synth.DefaultScene(synth.Card, 640, 360)
	noisy.Seed = 11
	noisy.Noise = 2
	noisy.Tilt = -15
	return map[string]synth.Scene{"comic": comic, "card": card, "rotated": rotated, "noisy": noisy}
}

// genVideo returns the named test video, generating it on first use.
func genVideo(t testing.TB, name string) *testVideo {
	t.Helper()
	s, ok := scenes()[name]
	if !ok {
		t.Fatalf("no scene %q", name)
	}
	path, truth := synthtest.Video(t, s)
	return &testVideo{path: path, truth: truth}
}

func naiveSequential(t *testing.T, path string) (sharp, motion []float64) {
	t.Helper()
	vc, err := gocv.VideoCaptureFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer vc.Close()
	img, grey, prev, lap, flow := gocv.NewMat(), gocv.NewMat(), gocv.NewMat(), gocv.NewMat(), gocv.NewMat()
	defer func() {
		for _, m := range []gocv.Mat{img, grey, prev, lap, flow} {
			m.Close()
		}
	}()
	for vc.Read(&img) && !img.Empty() {
		gocv.CvtColor(img, &grey, gocv.ColorBGRToGray)
		gocv.Laplacian(grey, &lap, gocv.MatTypeCV64F, 1, 1, 0, gocv.BorderDefault)
		vals, err := lap.DataPtrFloat64()
		if err != nil {
			t.Fatal(err)
		}
		mean := 0.0
		for _, v := range vals {
			mean += v
		}
		mean /= float64(len(vals))
		ss := 0.0
		for _, v := range vals {
			ss += (v - mean) * (v - mean)
		}
		sharp = append(sharp, ss/float64(len(vals)))

		m := 0.0
		if !prev.Empty() {
			gocv.CalcOpticalFlowFarneback(prev, grey, &flow, 0.5, 3, 15, 3, 5, 1.2, 0)
			fv, err := flow.DataPtrFloat32()
			if err != nil {
				t.Fatal(err)
			}
			sum := 0.0
			for i := 0; i < len(fv); i += 2 {
				sum += math.Hypot(float64(fv[i]), float64(fv[i+1]))
			}
			m = sum / float64(len(fv)/2)
		}
		motion = append(motion, m)
		grey.CopyTo(&prev)
	}
	return sharp, motion
}

func relDiff(a, b float64) float64 {
	if a == b {
		return 0
	}
	return math.Abs(a-b) / math.Max(math.Abs(a), math.Abs(b))
}

func TestPreciseEqualsOriginalAlgorithm(t *testing.T) {
	for _, name := range []string{"comic", "card"} {
		t.Run(name, func(t *testing.T) {
			v := genVideo(t, name)
			sharp, motion := naiveSequential(t, v.path)
			res, err := Run(context.Background(), v.path, Options{Mode: Precise, Workers: 3})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Frames) != len(sharp) {
				t.Fatalf("%d frames analysed, sequential loop decoded %d", len(res.Frames), len(sharp))
			}
			worst := 0.0
			for i, f := range res.Frames {
				if f.Index != i {
					t.Fatalf("frame %d has index %d", i, f.Index)
				}
				ds, dm := relDiff(f.Sharpness, sharp[i]), relDiff(f.Motion, motion[i])
				if ds > 1e-6 || dm > 1e-6 {
					t.Fatalf("frame %d: sharpness %v vs %v, motion %v vs %v", i, f.Sharpness, sharp[i], f.Motion, motion[i])
				}
				worst = max(worst, ds, dm)
			}
			t.Logf("%d frames, worst relative difference %.2g", len(sharp), worst)
		})
	}
}

// sequentialPass measures every frame in one plain pass with the package's
// own metrics, without chunks, seeking or workers.
func sequentialPass(t *testing.T, path string, mode Mode) []Frame {
	t.Helper()
	vc, err := gocv.VideoCaptureFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer vc.Close()
	img := gocv.NewMat()
	defer img.Close()
	levels := 0
	if mode == Fast {
		levels = FastLevels(max(int(vc.Get(gocv.VideoCaptureFrameWidth)), int(vc.Get(gocv.VideoCaptureFrameHeight))))
	}
	m, err := newMetrics(mode, levels)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	prev, cur := newFlowInput(), newFlowInput()
	defer prev.Close()
	defer cur.Close()
	var out []Frame
	for vc.Read(&img) && !img.Empty() {
		s, err := m.prepare(img, &cur)
		if err != nil {
			t.Fatal(err)
		}
		mo := 0.0
		if len(out) > 0 {
			if mo, err = m.motion(prev, cur); err != nil {
				t.Fatal(err)
			}
		}
		out = append(out, Frame{Index: len(out), Sharpness: s, Motion: mo})
		prev, cur = cur, prev
	}
	return out
}

func TestWorkerCountInvariance(t *testing.T) {
	for _, mode := range []Mode{Fast, Precise} {
		t.Run(string(mode), func(t *testing.T) {
			v := genVideo(t, "comic")
			seq := sequentialPass(t, v.path, mode)
			var ref *Result
			workerCounts := []int{1, 2, 3, 7, 10}
			if mode == Precise {
				workerCounts = []int{1, 3, 10}
			}
			for _, w := range workerCounts {
				res, err := Run(context.Background(), v.path, Options{Mode: mode, Workers: w})
				if err != nil {
					t.Fatal(err)
				}
				if len(res.Frames) != len(seq) {
					t.Fatalf("%d workers: %d frames, sequential %d", w, len(res.Frames), len(seq))
				}
				for i, f := range res.Frames {
					if f.Sharpness != seq[i].Sharpness || f.Motion != seq[i].Motion {
						t.Fatalf("%d workers, frame %d: (%v, %v), sequential (%v, %v)",
							w, i, f.Sharpness, f.Motion, seq[i].Sharpness, seq[i].Motion)
					}
				}
				if ref == nil {
					ref = res
					continue
				}
				for i := range ref.Frames {
					if ref.Frames[i] != res.Frames[i] {
						t.Fatalf("%d workers, frame %d: %+v, 1 worker: %+v", w, i, res.Frames[i], ref.Frames[i])
					}
				}
				if len(ref.Picks) != len(res.Picks) {
					t.Fatalf("%d workers picked %d frames, 1 worker %d", w, len(res.Picks), len(ref.Picks))
				}
				for i := range ref.Picks {
					if ref.Picks[i] != res.Picks[i] {
						t.Fatalf("%d workers: pick %d = %+v, 1 worker %+v", w, i, res.Picks[i], ref.Picks[i])
					}
				}
			}
		})
	}
}

// inHold reports whether frame f lies in one of the generator's still,
// sharp stretches.
func inHold(tr *synth.Truth, f int) bool {
	for _, h := range tr.Holds {
		if f >= h[0] && f < h[1] {
			return true
		}
	}
	return false
}

func TestGoldenFramesInStillSharpStretches(t *testing.T) {
	for _, name := range []string{"comic", "card", "rotated", "noisy"} {
		for _, mode := range []Mode{Fast, Precise} {
			t.Run(name+"/"+string(mode), func(t *testing.T) {
				v := genVideo(t, name)
				res, err := Run(context.Background(), v.path, Options{Mode: mode})
				if err != nil {
					t.Fatal(err)
				}
				if len(res.Picks) != 5 {
					t.Fatalf("%d picks, want 5 (warnings %q)", len(res.Picks), res.Warnings)
				}
				for _, p := range res.Picks {
					if p.Relaxed || !inHold(v.truth, p.Index) {
						t.Errorf("pick %+v is not inside a hold %v", p, v.truth.Holds)
					}
					if b := v.truth.Frames[p.Index].Blur; b > 0 {
						t.Errorf("pick %d is blurred (sigma %.2f)", p.Index, b)
					}
				}
			})
		}
	}
}

func TestFastAgreesWithPrecise(t *testing.T) {
	agree, total := 0, 0
	for _, name := range []string{"comic", "card", "rotated", "noisy"} {
		v := genVideo(t, name)
		fast, err := Run(context.Background(), v.path, Options{Mode: Fast})
		if err != nil {
			t.Fatal(err)
		}
		precise, err := Run(context.Background(), v.path, Options{Mode: Precise})
		if err != nil {
			t.Fatal(err)
		}
		for i := range fast.Frames {
			if fast.Frames[i].Sharpness != precise.Frames[i].Sharpness {
				t.Fatalf("%s frame %d: sharpness differs between modes", name, i)
			}
			total++
			if fast.Frames[i].Stable == precise.Frames[i].Stable {
				agree++
			} else {
				t.Logf("%s frame %d: fast %.3f px, precise %.3f px", name, i, fast.Frames[i].Motion, precise.Frames[i].Motion)
			}
		}
	}
	rate := float64(agree) / float64(total)
	t.Logf("fast agrees with precise on %d of %d stable calls (%.1f%%)", agree, total, 100*rate)
	if rate < 0.97 {
		t.Fatalf("agreement %.1f%% < 97%%", 100*rate)
	}
}

// TestFastMotionIsInFullResolutionPixels checks fast mode's calibration:
// on the generator's sweeps its motion matches the true displacement of
// the item in full-resolution pixels.
func TestFastMotionIsInFullResolutionPixels(t *testing.T) {
	for _, name := range []string{"comic", "noisy"} {
		v := genVideo(t, name)
		res, err := Run(context.Background(), v.path, Options{Mode: Fast})
		if err != nil {
			t.Fatal(err)
		}
		var ratios []float64
		for i, f := range res.Frames {
			if tm := v.truth.Frames[i].Motion; tm > 2 && v.truth.Frames[i-1].Phase == synth.Sweep {
				ratios = append(ratios, f.Motion/tm)
			}
		}
		sort.Float64s(ratios)
		med := ratios[len(ratios)/2]
		t.Logf("%s: %d moving frames, median fast/true motion %.3f", name, len(ratios), med)
		if med < 0.8 || med > 1.25 {
			t.Errorf("%s: fast motion is %.2f× the true motion", name, med)
		}
	}
}
