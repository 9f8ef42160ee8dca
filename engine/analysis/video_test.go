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

func relDiff(a, b float64) float64 {
	if a == b {
		return 0
	}
	return math.Abs(a-b) / math.Max(math.Abs(a), math.Abs(b))
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

// TestFastMotionIsInFullResolutionPixels checks fast mode's calibration on
// real sweeps, per corpus video: its motion matches the true displacement
// of the item in full-resolution pixels (median over the sweep frames
// whose predecessor is a sweep frame too).
func TestFastMotionIsInFullResolutionPixels(t *testing.T) {
	for _, e := range synth.Corpus() {
		switch e.Name {
		case "comic-clean", "card-dark-mat", "low-light", "flicker-drift", "portrait-rot90", "comic-85-damaged", "vfr-phone":
		default:
			continue
		}
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			path, tr := synthtest.Corpus(t, e)
			res, err := Run(context.Background(), path, Options{Mode: Fast})
			if err != nil {
				t.Fatal(err)
			}
			var ratios []float64
			for i, f := range res.Frames {
				if tm := tr.Frames[i].Motion; i > 0 && tm > 2 && tr.Frames[i].Phase == synth.Sweep && tr.Frames[i-1].Phase == synth.Sweep {
					ratios = append(ratios, f.Motion/tm)
				}
			}
			if len(ratios) == 0 {
				t.Fatal("no sweep frames")
			}
			sort.Float64s(ratios)
			med := ratios[len(ratios)/2]
			t.Logf("%s: %d moving frames, median fast/true motion %.3f", e.Name, len(ratios), med)
			if med < 0.8 || med > 1.25 {
				t.Errorf("fast motion is %.2f× the true motion", med)
			}
		})
	}
}
