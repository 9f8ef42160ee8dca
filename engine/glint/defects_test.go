package glint

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"math"
	"strings"
	"testing"

	"gocv.io/x/gocv"

	"gradevault/engine/item"
	"gradevault/engine/synth"
)

// analyzeScene renders frames of s and analyses them.
func analyzeScene(t *testing.T, s synth.Scene, idx ...int) (*Report, *defectMap) {
	t.Helper()
	rep, dm, err := analyze(context.Background(), renderFrames(t, s, idx...), Options{ItemType: item.Type(s.Item)})
	if err != nil {
		t.Fatal(err)
	}
	return rep, dm
}

// maskShare is the share of valid pixels in the defect mask.
func maskShare(dm *defectMap) float64 {
	var c, m int
	for i, v := range dm.valid {
		if v != 0 {
			c++
			m += int(dm.mask[i])
		}
	}
	return float64(m) / float64(c)
}

// TestPrintFreeCrease: with the item at 40 % and 75 % of the frame height,
// comic (a busy printed cover) and card, the mask is dense along the
// generator's crease and nearly empty elsewhere, and the crease is named
// and located.
func TestPrintFreeCrease(t *testing.T) {
	for _, it := range []synth.Item{synth.Comic, synth.Card} {
		for _, scale := range []float64{0.4, 0.75} {
			t.Run(fmt.Sprintf("%s_%.0f%%", it, 100*scale), func(t *testing.T) {
				s := synth.DefaultScene(it, 640, 480)
				s.ItemScale = scale
				s.Crease = true
				tr := synth.TruthOf(s)
				rep, dm := analyzeScene(t, s, goldenFrames...)
				along, rest := creaseContrast(dm, tr.CreaseItem, tr.CreaseWidth+2)
				ratio := along / math.Max(rest, 1e-9)
				t.Logf("mask along crease %.3f, rest of surface %.4f (ratio %.1f×), item flagged %.2f%%, damage %.2f (seed %.2f)",
					along, rest, ratio, 100*maskShare(dm), rep.DamageScore, rep.SeedDamageScore)
				// The criterion is the ratio; the floor keeps it from
				// passing on an empty mask.
				if along < 3*rest || along < 0.2 {
					t.Errorf("mask along the crease %.3f vs rest of surface %.4f: want ≥ 3× and ≥ 0.2", along, rest)
				}
				if rest > 0.05 {
					t.Errorf("rest of surface %.2f%% flagged, want ≤ 5%%", 100*rest)
				}
				// The crease is reported as a crease, where it is.
				var found *Defect
				for i, d := range rep.Defects {
					if d.Kind == KindCrease && (found == nil || d.LengthPx > found.LengthPx) {
						found = &rep.Defects[i]
					}
				}
				if found == nil {
					t.Fatalf("no crease among %+v", rep.Defects)
				}
				c := tr.CreaseItem
				w, h := float64(dm.w), float64(dm.h)
				trueLen := math.Hypot((c[1][0]-c[0][0])*w, (c[1][1]-c[0][1])*h)
				b := found.BBoxPx
				t.Logf("crease: region %s bbox %v px, %v mm, length %.1f px (true %.1f) = %.1f mm, severity %.2f, frames %v",
					found.Region, b, *found.BBoxMM, found.LengthPx, trueLen, found.LengthMM, found.Severity, found.Frames)
				if found.Region != "surface" || len(found.Frames) == 0 || found.LengthMM <= 0 {
					t.Errorf("crease %+v", *found)
				}
				// Its polyline lies on the true crease.
				for _, p := range found.PolylinePx {
					if d := segDist(p, [2]float64{c[0][0] * w, c[0][1] * h}, [2]float64{c[1][0] * w, c[1][1] * h}); d > tr.CreaseWidth+3 {
						t.Errorf("polyline point %v is %.1f px off the crease", p, d)
					}
				}
				if found.LengthPx < 0.2*trueLen {
					t.Errorf("crease length %.1f px, true %.1f", found.LengthPx, trueLen)
				}
				for _, a := range rep.Alignment {
					if !a.Used || a.ResidualPx > 1 {
						t.Errorf("frame %d: used %v, residual %.3f px", a.Frame, a.Used, a.ResidualPx)
					}
				}
			})
		}
	}
}

// segDist is the distance from p to the segment ab.
func segDist(p, a, b [2]float64) float64 {
	dx, dy := b[0]-a[0], b[1]-a[1]
	t := math.Max(0, math.Min(1, ((p[0]-a[0])*dx+(p[1]-a[1])*dy)/(dx*dx+dy*dy)))
	return math.Hypot(p[0]-a[0]-t*dx, p[1]-a[1]-t*dy)
}

// TestCleanVersusDamaged: a clean busy item scores at most a third of the
// same item with a crease and a blunted corner, and flags ≤ 5 %.
func TestCleanVersusDamaged(t *testing.T) {
	for _, it := range []synth.Item{synth.Comic, synth.Card} {
		t.Run(string(it), func(t *testing.T) {
			s := synth.DefaultScene(it, 640, 480)
			s.ItemScale = 0.6
			clean, cdm := analyzeScene(t, s, goldenFrames...)
			s.Crease, s.Dent = true, true
			dmg, _ := analyzeScene(t, s, goldenFrames...)
			t.Logf("clean: damage %.2f, flagged %.2f%%, seed %.2f; damaged: damage %.2f, seed %.2f; ratio %.3f",
				clean.DamageScore, 100*maskShare(cdm), clean.SeedDamageScore, dmg.DamageScore, dmg.SeedDamageScore, clean.DamageScore/dmg.DamageScore)
			if clean.DamageScore > dmg.DamageScore/3 {
				t.Errorf("clean %.2f > a third of damaged %.2f", clean.DamageScore, dmg.DamageScore)
			}
			if f := maskShare(cdm); f > 0.05 {
				t.Errorf("clean item: %.2f%% flagged", 100*f)
			}
			if it == synth.Card {
				if _, ok := dmg.RegionScores["spine"]; ok {
					t.Error("a card has a spine score")
				}
				if _, ok := dmg.RegionScores["edge_left"]; !ok {
					t.Errorf("card regions %v", dmg.Regions)
				}
			}
		})
	}
}

// TestDamagedCornerRanksFirst: with each corner blunted in turn, that
// corner has the highest corner score and a corner_wear defect.
func TestDamagedCornerRanksFirst(t *testing.T) {
	corners := []string{synth.CornerTL, synth.CornerTR, synth.CornerBL, synth.CornerBR}
	for _, it := range []synth.Item{synth.Comic, synth.Card} {
		for _, c := range corners {
			t.Run(string(it)+"_"+c, func(t *testing.T) {
				s := synth.DefaultScene(it, 480, 360)
				s.ItemScale = 0.6
				s.Dent, s.DentCorner = true, c
				rep, _ := analyzeScene(t, s, goldenFrames...)
				var line []string
				best := ""
				for _, o := range corners {
					line = append(line, fmt.Sprintf("%s %.1f", o, rep.RegionScores[o]))
					if best == "" || rep.RegionScores[o] > rep.RegionScores[best] {
						best = o
					}
				}
				t.Logf("%s", strings.Join(line, ", "))
				if best != c {
					t.Errorf("highest corner %s, want %s", best, c)
				}
				// The runner-up is clearly lower.
				for _, o := range corners {
					if o != c && rep.RegionScores[o] > 0.5*rep.RegionScores[c] {
						t.Errorf("%s scores %.1f, the damaged %s %.1f", o, rep.RegionScores[o], c, rep.RegionScores[c])
					}
				}
				ok := false
				for _, d := range rep.Defects {
					if d.Kind == KindCornerWear && d.Region == c {
						ok = true
						t.Logf("corner wear: bbox %v mm, chamfer %.1f mm, severity %.2f, frames %v", *d.BBoxMM, d.LengthMM, d.Severity, d.Frames)
					}
				}
				if !ok {
					t.Errorf("no corner_wear defect at %s: %+v", c, rep.Defects)
				}
			})
		}
	}
}

// TestScoreStability: replacing one analysis frame by another still frame
// of the same hold changes damageScore by ≤ 10 % and no region by more
// than 10 points.
func TestScoreStability(t *testing.T) {
	swaps := [][2]int{{6, 9}, {42, 39}, {64, 61}}
	for _, it := range []synth.Item{synth.Comic, synth.Card} {
		t.Run(string(it), func(t *testing.T) {
			s := synth.DefaultScene(it, 640, 480)
			s.ItemScale = 0.6
			s.Crease, s.Dent = true, true
			base, _ := analyzeScene(t, s, goldenFrames...)
			t.Logf("base damage %.2f", base.DamageScore)
			for _, sw := range swaps {
				var idx []int
				for _, f := range goldenFrames {
					if f == sw[0] {
						f = sw[1]
					}
					idx = append(idx, f)
				}
				rep, _ := analyzeScene(t, s, idx...)
				rel := math.Abs(rep.DamageScore-base.DamageScore) / base.DamageScore
				worst, wr := 0.0, ""
				for _, r := range base.Regions {
					if d := math.Abs(rep.RegionScores[r] - base.RegionScores[r]); d >= worst {
						worst, wr = d, r
					}
				}
				t.Logf("frame %d → %d: damage %.2f (%.1f%%), largest region change %.1f (%s)", sw[0], sw[1], rep.DamageScore, 100*rel, worst, wr)
				if rel > 0.10 || worst > 10 {
					t.Errorf("frame %d → %d: damage %.2f → %.2f (%.1f%%), region %s moved %.1f", sw[0], sw[1], base.DamageScore, rep.DamageScore, 100*rel, wr, worst)
				}
			}
		})
	}
}

// TestOutlineRobust: the outline's corners are within 1.5 % of the
// diagonal with the item filling 25–90 % of the frame height, landscape and
// portrait frames, tilted, with a blunted corner.
func TestOutlineRobust(t *testing.T) {
	type tc struct {
		it    synth.Item
		w, h  int
		scale float64
		tilt  float64
	}
	var cases []tc
	for _, it := range []synth.Item{synth.Comic, synth.Card} {
		for _, sc := range []float64{0.25, 0.4, 0.75, 0.9} {
			cases = append(cases, tc{it, 640, 480, sc, 10})
		}
		cases = append(cases, tc{it, 480, 640, 0.5, 15}, tc{it, 480, 640, 0.85, 10})
	}
	for _, c := range cases {
		s := synth.DefaultScene(c.it, c.w, c.h)
		s.ItemScale, s.Tilt = c.scale, c.tilt
		s.Dent = true
		tr := synth.TruthOf(s)
		worst := 0.0
		for _, f := range renderFrames(t, s, goldenFrames...) {
			o := findOutline(f.Image, item.Type(c.it))
			want := tr.Frames[f.Index].Corners
			diag := math.Max(dist(want[0], want[2]), dist(want[1], want[3]))
			if !o.found {
				t.Errorf("%s %dx%d at %.0f%%: frame %d: no outline", c.it, c.w, c.h, 100*c.scale, f.Index)
				continue
			}
			for k := range want {
				worst = math.Max(worst, dist(o.corners[k], want[k])/diag)
			}
		}
		t.Logf("%s %dx%d item %.0f%% tilt %.0f°: worst corner error %.2f%% of the diagonal", c.it, c.w, c.h, 100*c.scale, c.tilt, 100*worst)
		if worst > 0.015 {
			t.Errorf("%s %dx%d item %.0f%%: corner error %.2f%% of the diagonal", c.it, c.w, c.h, 100*c.scale, 100*worst)
		}
	}
}

// TestStretchedOutlineWarns hides the bottom quarter of the item under
// the table's colour in one frame: its outline stops short, which the
// report must say (the reference moves to a plausible frame), and when
// every frame is cut the confidence says the item may be stretched.
func TestStretchedOutlineWarns(t *testing.T) {
	s := synth.DefaultScene(synth.Comic, 640, 480)
	s.ItemScale = 0.6
	tr := synth.TruthOf(s)
	frames := renderFrames(t, s, goldenFrames...)
	cut := func(f Frame) {
		c := tr.Frames[f.Index].Corners
		lerp := func(a, b [2]float64, t float64) image.Point {
			return image.Pt(int(math.Round(a[0]+(b[0]-a[0])*t)), int(math.Round(a[1]+(b[1]-a[1])*t)))
		}
		// Table colour from a frame corner; the patch overhangs the item.
		bg := f.Image.GetVecbAt(4, 4)
		poly := []image.Point{lerp(c[0], c[3], 0.78), lerp(c[1], c[2], 0.78), lerp(c[1], c[2], 1.1), lerp(c[0], c[3], 1.1)}
		poly[0].X -= 8
		poly[3].X -= 8
		poly[1].X += 8
		poly[2].X += 8
		pv := gocv.NewPointsVectorFromPoints([][]image.Point{poly})
		defer pv.Close()
		gocv.FillPoly(&f.Image, pv, color.RGBA{bg[2], bg[1], bg[0], 0})
	}
	cut(frames[0])
	o := findOutline(frames[0].Image, item.Comic)
	want := tr.Frames[frames[0].Index].Corners
	t.Logf("cut frame: outline corners %v (true %v)", o.corners, want)
	rep, err := Analyze(context.Background(), frames, Options{ItemType: item.Comic})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("warnings %q; reference frame %d; checks %+v", rep.Warnings, rep.ItemOutline.Frame, rep.OutlineChecks)
	if !hasWarning(rep, fmt.Sprintf("frame %d: the item outline's proportions", frames[0].Index)) {
		t.Errorf("no warning for the cut frame: %q", rep.Warnings)
	}
	if rep.ItemOutline.Frame == frames[0].Index {
		t.Errorf("the stretched frame is the reference")
	}
	for _, f := range frames[1:] {
		cut(f)
	}
	rep, err = Analyze(context.Background(), frames, Options{ItemType: item.Comic})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("all cut: confidence %q", rep.ConfidenceReasons)
	if len(rep.ConfidenceReasons) == 0 || !strings.Contains(strings.Join(rep.ConfidenceReasons, " "), "stretched") {
		t.Errorf("confidence reasons %q", rep.ConfidenceReasons)
	}
}

// TestQuadAspect checks the perspective-corrected aspect estimate on the
// generator's tilted items.
func TestQuadAspect(t *testing.T) {
	for _, it := range []synth.Item{synth.Comic, synth.Card} {
		for _, tilt := range []float64{0, 15, 30} {
			s := synth.DefaultScene(it, 640, 480)
			s.Tilt = tilt
			c := synth.TruthOf(s).Frames[6].Corners
			a := quadAspect(c, s.Width, s.Height)
			t.Logf("%s tilt %v: aspect %.4f, true %.4f", it, tilt, a, it.Aspect())
			if math.Abs(a/it.Aspect()-1) > 0.05 {
				t.Errorf("%s tilt %v: aspect %.4f, true %.4f", it, tilt, a, it.Aspect())
			}
		}
	}
}
