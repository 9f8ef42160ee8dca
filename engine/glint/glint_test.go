package glint

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gocv.io/x/gocv"

	"gradevault/engine/event"
	"gradevault/engine/item"
	"gradevault/engine/synth"
)

func TestFindOutlineSynth(t *testing.T) {
	for _, tc := range []struct {
		item synth.Item
		tilt float64
		rot  float64
	}{
		{synth.Comic, 10, -3},
		{synth.Comic, 25, 8},
		{synth.Card, 10, -3},
		{synth.Card, -20, 12},
	} {
		s := synth.DefaultScene(tc.item, 640, 480)
		s.Tilt, s.Rot0 = tc.tilt, tc.rot
		tr := synth.TruthOf(s)
		for _, f := range renderFrames(t, s, goldenFrames...) {
			got, ok := FindOutline(f.Image, item.Type(tc.item))
			if !ok {
				t.Errorf("%s tilt %v frame %d: outline not found", tc.item, tc.tilt, f.Index)
				continue
			}
			want := tr.Frames[f.Index].Corners
			diag := math.Max(dist(want[0], want[2]), dist(want[1], want[3]))
			for k := range want {
				if e := dist(got[k], want[k]); e > 0.015*diag {
					t.Errorf("%s tilt %v frame %d corner %d: %v, want %v (error %.1f px = %.2f%% of diagonal)",
						tc.item, tc.tilt, f.Index, k, got[k], want[k], e, 100*e/diag)
				}
			}
		}
	}
}

func TestFindOutlineNothing(t *testing.T) {
	m := noiseFrame(t, 320, 240, 1)
	c, ok := FindOutline(m, ItemComic)
	if ok {
		t.Fatalf("found an outline %v in plain noise", c)
	}
	if c[2] != [2]float64{319, 239} {
		t.Errorf("fallback corners %v, want the frame's", c)
	}
}

// TestAlignKnownWarp warps a rectified item by known transforms and checks
// that alignment recovers them to within a pixel over the whole image.
func TestAlignKnownWarp(t *testing.T) {
	s := synth.DefaultScene(synth.Comic, 640, 480)
	flat := synth.RenderFlatItem(s, 258, 400)
	defer flat.Close()
	ref := gocv.NewMat()
	defer ref.Close()
	gocv.CvtColor(flat, &ref, gocv.ColorBGRToGray)
	rf := detect(ref)
	defer rf.Close()
	w, h := ref.Cols(), ref.Rows()
	rot := func(deg, tx, ty float64) homography {
		a := deg * math.Pi / 180
		c, sn := math.Cos(a), math.Sin(a)
		cx, cy := float64(w)/2, float64(h)/2
		return homography{c, -sn, cx - c*cx + sn*cy + tx, sn, c, cy - sn*cx - c*cy + ty, 0, 0, 1}
	}
	for _, tc := range []struct {
		name string
		G    homography // reference → warped frame
	}{
		{"shift", homography{1, 0, 3.3, 0, 1, -2.6, 0, 0, 1}},
		{"rotate", rot(2.5, 0, 0)},
		{"rotate+shift", rot(-4, -5.2, 3.7)},
		{"perspective", homography{1.01, 0.02, -3, -0.015, 0.99, 4, 2e-5, -3e-5, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img := warp(flat, tc.G, w, h)
			defer img.Close()
			grey := gocv.NewMat()
			defer grey.Close()
			gocv.CvtColor(img, &grey, gocv.ColorBGRToGray)
			f := detect(grey)
			defer f.Close()
			res := align(rf, f, ref, grey, 0.2*math.Hypot(float64(w), float64(h)))
			if !res.OK {
				t.Fatalf("not aligned: %s", res.Reason)
			}
			truth, _ := tc.G.inv()
			if e := gridError(res.H, truth, w, h); e >= 1 {
				t.Errorf("grid error %.3f px, want < 1 (reported residual %.3f px, inlier RMS %.3f px, %d inliers, ECC %v)", e, res.Residual, res.RMS, res.Inliers, res.Refined)
			} else {
				t.Logf("grid error %.3f px (reported residual %.3f px, inlier RMS %.3f px, %d inliers, ECC %v)", e, res.Residual, res.RMS, res.Inliers, res.Refined)
			}
			if res.Residual >= 1 {
				t.Errorf("reported residual %.3f px", res.Residual)
			}
		})
	}
}

func TestDeterministic(t *testing.T) {
	s := synth.DefaultScene(synth.Card, 480, 360)
	s.Crease, s.Dent = true, true
	frames := renderFrames(t, s, goldenFrames...)
	var outs [][]byte
	var dirs []string
	for range 2 {
		dir := t.TempDir()
		rep, err := Analyze(context.Background(), frames, Options{ItemType: ItemCard, OutDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(rep)
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, b)
		dirs = append(dirs, dir)
	}
	if !bytes.Equal(outs[0], outs[1]) {
		t.Fatalf("reports differ:\n%s\n%s", outs[0], outs[1])
	}
	for _, f := range []string{fileDefectMask, fileHeatmap, "glint/golden_frame_03.png"} {
		a, _ := os.ReadFile(filepath.Join(dirs[0], f))
		b, _ := os.ReadFile(filepath.Join(dirs[1], f))
		if len(a) == 0 || !bytes.Equal(a, b) {
			t.Errorf("%s differs between runs", f)
		}
	}
}

func TestOutputs(t *testing.T) {
	s := synth.DefaultScene(synth.Comic, 480, 360)
	s.Crease = true
	dir := t.TempDir()
	var events []event.Progress
	sink := func(e event.Event) {
		if p, ok := e.(event.Progress); ok {
			events = append(events, p)
		}
	}
	rep, err := Analyze(context.Background(), renderFrames(t, s, 6, 42, 82), Options{OutDir: dir, Sink: sink})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{rep.DefectMask, rep.VarianceHeatmap, rep.DefectOverlay}
	for _, name := range RegionNames {
		want = append(want, rep.RegionCrops[name], rep.RegionOverlays[name])
	}
	want = append(want, rep.RectifiedFrames...)
	want = append(want, rep.GlintFrames...)
	if len(want) != 3+12+6 {
		t.Fatalf("report lists %d files: %+v", len(want), rep)
	}
	for _, rel := range want {
		m := gocv.IMRead(filepath.Join(dir, rel), gocv.IMReadUnchanged)
		if m.Empty() {
			t.Errorf("%s: missing or unreadable", rel)
		}
		m.Close()
	}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if strings.HasPrefix(d.Name(), ".") {
			t.Errorf("left-over temporary file %s", p)
		}
		return nil
	})
	if rep.GlintFrames[1] != "glint/golden_frame_02.png" || rep.RegionCrops["spine"] != "crops/spine.png" {
		t.Errorf("unexpected paths %v %v", rep.GlintFrames, rep.RegionCrops)
	}
	if len(rep.GlintCoverage) != 3 || rep.GlintCoverage[0].Frame != 6 {
		t.Errorf("glint coverage %+v", rep.GlintCoverage)
	}
	var total float64
	for _, c := range rep.GlintCoverage {
		if c.Percent < 0 || c.Percent > 30 {
			t.Errorf("frame %d: glint coverage %.2f%%", c.Frame, c.Percent)
		}
		total += c.Percent
	}
	if total == 0 {
		t.Errorf("no glint found: %+v", rep.GlintCoverage)
	}
	if len(events) == 0 || events[len(events)-1].Done != events[len(events)-1].Total {
		t.Fatalf("progress events %+v", events)
	}
	for i, e := range events {
		if e.Phase != event.PhaseGlint || e.Done != int64(i+1) {
			t.Errorf("event %d: %+v", i, e)
		}
	}
	if len(rep.Warnings) != 0 {
		t.Errorf("warnings: %v", rep.Warnings)
	}
}

func hasWarning(rep *Report, sub string) bool {
	for _, w := range rep.Warnings {
		if strings.Contains(w, sub) {
			return true
		}
	}
	return false
}

func TestBadInputs(t *testing.T) {
	ctx := context.Background()
	s := synth.DefaultScene(synth.Comic, 480, 360)
	good := renderFrames(t, s, goldenFrames...)

	t.Run("errors", func(t *testing.T) {
		if _, err := Analyze(ctx, nil, Options{}); !errors.Is(err, ErrNoFrames) {
			t.Errorf("no frames: %v", err)
		}
		empty := gocv.NewMat()
		defer empty.Close()
		if _, err := Analyze(ctx, []Frame{good[0], {Index: 9, Image: empty}}, Options{}); !errors.Is(err, ErrEmptyFrame) {
			t.Errorf("empty frame: %v", err)
		}
		if _, err := Analyze(ctx, []Frame{{Index: 1}}, Options{}); !errors.Is(err, ErrEmptyFrame) {
			t.Errorf("zero Mat: %v", err)
		}
		var many []Frame
		for len(many) <= MaxFrames {
			many = append(many, good...)
		}
		if _, err := Analyze(ctx, many, Options{}); !errors.Is(err, ErrTooManyFrames) {
			t.Errorf("%d frames: %v", len(many), err)
		}
		if _, err := Analyze(ctx, good[:1], Options{ItemType: "stamp"}); err == nil {
			t.Error("unknown item type accepted")
		}
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := Analyze(cctx, good, Options{}); !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled: %v", err)
		}
	})

	t.Run("one frame", func(t *testing.T) {
		rep, err := Analyze(ctx, good[:1], Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !hasWarning(rep, "one usable frame") || !rep.ItemOutline.Found || rep.SeedDamageScore <= 0 || len(rep.ConfidenceReasons) == 0 {
			t.Errorf("report %+v", rep)
		}
	})

	t.Run("no item", func(t *testing.T) {
		noise := noiseFrame(t, 480, 360, 2)
		rep, err := Analyze(ctx, []Frame{{Index: 3, Image: noise}}, Options{OutDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		if rep.ItemOutline.Found || !hasWarning(rep, "outline not found") {
			t.Errorf("outline %+v, warnings %v", rep.ItemOutline, rep.Warnings)
		}
		if rep.RectifiedSize != [2]int{480, 360} {
			t.Errorf("fallback rectified size %v", rep.RectifiedSize)
		}
		// An item-less frame among good ones is dropped or aligned, never fatal.
		rep, err = Analyze(ctx, []Frame{good[0], {Index: 3, Image: noise}, good[2]}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !hasWarning(rep, "frame 3: item outline not found") || rep.Alignment[1].Used || !rep.Alignment[2].Used {
			t.Errorf("alignment %+v, warnings %v", rep.Alignment, rep.Warnings)
		}
	})

	t.Run("different sizes", func(t *testing.T) {
		small := s
		small.Width, small.Height = 320, 240
		large := s
		large.Width, large.Height = 640, 480
		frames := []Frame{good[0], renderFrames(t, small, 42)[0], renderFrames(t, large, 82)[0]}
		rep, err := Analyze(ctx, frames, Options{})
		if err != nil {
			t.Fatal(err)
		}
		// The residual is conservative (see TestAlignAcrossSizes for the
		// true error of the upscaled 320×240 frame).
		for _, a := range rep.Alignment {
			if !a.Used || a.ResidualPx > 2 {
				t.Errorf("alignment %+v (warnings %v)", a, rep.Warnings)
			}
		}
		if len(rep.Warnings) != 0 {
			t.Errorf("warnings %v", rep.Warnings)
		}
	})

	t.Run("grey input and toy", func(t *testing.T) {
		grey := gocv.NewMat()
		defer grey.Close()
		gocv.CvtColor(good[1].Image, &grey, gocv.ColorBGRToGray)
		rep, err := Analyze(ctx, []Frame{good[0], {Index: 24, Image: grey}}, Options{ItemType: ItemToy})
		if err != nil {
			t.Fatal(err)
		}
		c := rep.ItemOutline.Corners
		if !rep.ItemOutline.Found || c[0][1] != c[1][1] || c[0][0] != c[3][0] {
			t.Errorf("toy outline %+v is not a box", rep.ItemOutline)
		}
		if r := image.Rect(0, 0, 480, 360); rep.RectifiedSize[0] >= r.Dx() {
			t.Errorf("toy rectified size %v", rep.RectifiedSize)
		}
	})
}

// TestAlignAcrossSizes registers a 320×240 frame onto a 480×360 reference
// and measures the final mapping against synth's ground truth.
func TestAlignAcrossSizes(t *testing.T) {
	s := synth.DefaultScene(synth.Comic, 480, 360)
	small := s
	small.Width, small.Height = 320, 240
	f0, f1 := renderFrames(t, s, 6)[0], renderFrames(t, small, 42)[0]
	t0, t1 := synth.TruthOf(s).Frames[6].Corners, synth.TruthOf(small).Frames[42].Corners
	st := []*frameState{{src: f0.Image}, {src: f1.Image}}
	var greys []gocv.Mat
	var feats []features
	for _, s := range st {
		s.corners, s.found = FindOutline(s.src, ItemComic)
	}
	cw, ch, _ := canvasSize(ItemComic, st[0])
	for _, s := range st {
		s.toRect = toCanvas(ItemComic, s, cw, ch)
		r := warp(s.src, s.toRect, cw, ch)
		g := gocv.NewMat()
		gocv.CvtColor(r, &g, gocv.ColorBGRToGray)
		r.Close()
		defer g.Close()
		greys = append(greys, g)
		f := detect(g)
		defer f.Close()
		feats = append(feats, f)
	}
	res := align(feats[0], feats[1], greys[0], greys[1], 0.2*math.Hypot(float64(cw), float64(ch)))
	if !res.OK {
		t.Fatalf("not aligned: %s", res.Reason)
	}
	unit := [4][2]float64{{0, 0}, {1, 0}, {1, 1}, {0, 1}}
	T0, _ := solveQuad(unit, t0)
	T1, _ := solveQuad(unit, t1)
	H1 := res.H.mul(st[1].toRect)
	var se float64
	for i := 0; i <= 8; i++ {
		for j := 0; j <= 8; j++ {
			u, v := float64(j)/8, float64(i)/8
			ax, ay := st[0].toRect.apply(T0.apply(u, v))
			bx, by := H1.apply(T1.apply(u, v))
			se += (ax-bx)*(ax-bx) + (ay-by)*(ay-by)
		}
	}
	e := math.Sqrt(se / 81)
	t.Logf("true grid error %.3f px; reported residual %.3f px (ECC %v)", e, res.Residual, res.Refined)
	if e >= 1 {
		t.Errorf("true grid error %.3f px, want < 1", e)
	}
	if res.Residual < e {
		t.Errorf("reported residual %.3f px understates the true error %.3f px", res.Residual, e)
	}
}

// TestValidMaskShortcut: when every canvas pixel comes from inside the
// frame, validMask skips the warp; it must give what the warp gives, for
// homographies that keep the canvas inside the frame, that push it just
// over the edge, and that scale H by a negative factor.
func TestValidMaskShortcut(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const sw, sh, w, h = 320, 240, 150, 200
	shortcuts := 0
	for i := range 300 {
		// Canvas → frame: the canvas lands somewhere around the frame's
		// middle, a little rotated and in perspective; H is its inverse.
		ang := (rng.Float64() - 0.5) * 0.4
		sc := 0.6 + rng.Float64()*0.6
		tx := 40 + rng.Float64()*(sw-40-sc*w*0.9)
		ty := 10 + rng.Float64()*(sh-10-sc*h*0.9)
		toFrame := homography{sc * math.Cos(ang), -sc * math.Sin(ang), tx, sc * math.Sin(ang), sc * math.Cos(ang), ty,
			(rng.Float64() - 0.5) * 4e-4, (rng.Float64() - 0.5) * 4e-4, 1}
		H, ok := toFrame.inv()
		if !ok {
			continue
		}
		if i%3 == 0 {
			for k := range H {
				H[k] *= -2.5
			}
		}
		fast := validMask(sw, sh, H, w, h)
		slow := warpedValidMask(sw, sh, H, w, h)
		if insideSource(sw, sh, H, w, h) {
			shortcuts++
		}
		diff := gocv.NewMat()
		gocv.AbsDiff(fast, slow, &diff)
		if n := gocv.CountNonZero(diff); n != 0 {
			t.Fatalf("homography %d %v: %d pixels differ from the warped mask", i, H, n)
		}
		diff.Close()
		fast.Close()
		slow.Close()
	}
	if shortcuts < 50 || shortcuts > 250 {
		t.Fatalf("the shortcut applied to %d of 300 homographies: the test does not cover both paths", shortcuts)
	}
}
