package glint

import (
	"fmt"
	"math"
	"testing"

	"gradevault/engine/item"
	"gradevault/engine/synth"
)

// stillFrames returns the middle frame of the first, a middle and the last
// hold of s (focus phases when it has no hold).
func stillFrames(tr *synth.Truth) []int {
	runs := tr.Holds
	if len(runs) == 0 {
		runs = tr.Focus
	}
	if len(runs) == 0 {
		return []int{tr.Scene.NumFrames() / 2}
	}
	var out []int
	for _, k := range []int{0, len(runs) / 2, len(runs) - 1} {
		r := runs[k]
		f := (r[0] + r[1]) / 2
		if len(out) == 0 || out[len(out)-1] != f {
			out = append(out, f)
		}
	}
	return out
}

// TestOutlineCorpus: on every corpus scene at 640×480 (portrait and
// rotated ones at 480×640 upright, as the decoder delivers them), the
// outline's corners are within 1.5 % of the item's diagonal and pass the
// plausibility check.
func TestOutlineCorpus(t *testing.T) {
	for _, e := range synth.CorpusAt(640, 480) {
		s := e.Scene
		tr := synth.TruthOf(s)
		worst := 0.0
		for _, fi := range stillFrames(tr) {
			f := renderFrames(t, s, fi)[0]
			o := findOutline(f.Image, item.Type(s.Item))
			if !o.found {
				t.Errorf("%s frame %d: no outline", e.Name, fi)
				continue
			}
			want := tr.Frames[fi].Corners
			diag := math.Max(dist(want[0], want[2]), dist(want[1], want[3]))
			for k := range want {
				worst = math.Max(worst, dist(o.corners[k], want[k])/diag)
			}
			st := []*frameState{{index: fi, src: f.Image, corners: o.corners, found: true}}
			if c := checkOutlines(item.Type(s.Item), st); c[0].doubtful {
				t.Errorf("%s frame %d: plausible outline called doubtful: %s", e.Name, fi, c[0].reason)
			}
		}
		t.Logf("%-18s %dx%d item %.0f%%: worst corner error %.2f%% of the diagonal", e.Name, s.Width, s.Height, 100*s.ItemScale, 100*worst)
		if worst > 0.015 {
			t.Errorf("%s: corner error %.2f%% of the diagonal", e.Name, 100*worst)
		}
	}
}

// holdMiddles is the middle frame of every hold: one analysis frame per
// still pose, as package scan picks them.
func holdMiddles(tr *synth.Truth) []int {
	var out []int
	for _, r := range tr.Holds {
		out = append(out, (r[0]+r[1])/2)
	}
	return out
}

// TestDefectsCorpus runs the defect analysis on the corpus scenes with at
// least three still poses (640×480, one frame per pose): on the damaged
// ones the crease stands out ≥ 3× and the blunted corner scores highest;
// on every one the rest of the surface is ≤ 5 % flagged; the busy clean
// cover scores at most a third of the same cover damaged.
func TestDefectsCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("corpus defect analysis is slow")
	}
	damage := map[string]float64{}
	for _, e := range synth.CorpusAt(640, 480) {
		if raceEnabled && !raceSubset[e.Name] {
			continue // the race detector slows the map's loops tenfold
		}
		s := e.Scene
		tr := synth.TruthOf(s)
		idx := holdMiddles(tr)
		if len(idx) < 3 {
			continue
		}
		rep, dm := analyzeScene(t, s, idx...)
		damage[e.Name] = rep.DamageScore
		line := fmt.Sprintf("%-17s damage %6.2f (seed %6.2f) flagged %5.2f%% noise σ %.2f", e.Name, rep.DamageScore, rep.SeedDamageScore, 100*maskShare(dm), dm.noise)
		if s.Crease {
			along, rest := creaseContrast(dm, tr.CreaseItem, tr.CreaseWidth+2)
			line += fmt.Sprintf(" | crease %.3f vs rest %.4f (%.0f×)", along, rest, along/math.Max(rest, 1e-4))
			if along < 3*rest || along < 0.2 {
				t.Errorf("%s: mask along the crease %.3f, rest of surface %.4f", e.Name, along, rest)
			}
			if rest > 0.05 {
				t.Errorf("%s: rest of surface %.2f%% flagged", e.Name, 100*rest)
			}
		}
		if s.Dent {
			rank := 1
			for _, c := range []string{synth.CornerTL, synth.CornerTR, synth.CornerBL, synth.CornerBR} {
				if c != tr.DentCorner && rep.RegionScores[c] >= rep.RegionScores[tr.DentCorner] {
					rank++
				}
			}
			line += fmt.Sprintf(" | %s %.1f rank %d", tr.DentCorner, rep.RegionScores[tr.DentCorner], rank)
			if rank != 1 {
				t.Errorf("%s: damaged corner %s ranks %d: %v", e.Name, tr.DentCorner, rank, rep.RegionScores)
			}
		}
		if f := maskShare(dm); f > 0.05 {
			t.Errorf("%s: %.2f%% of the item flagged", e.Name, 100*f)
		}
		t.Log(line)
	}
	if c, d := damage["busy-clean"], damage["busy-damaged"]; c > d/3 || d == 0 {
		t.Errorf("busy cover: clean %.2f > a third of damaged %.2f", c, d)
	}
}

// raceSubset are the corpus scenes TestDefectsCorpus keeps under the race
// detector: the small damaged items, a rotated one and the busy pair.
var raceSubset = map[string]bool{"comic-40-damaged": true, "card-40-damaged": true, "portrait-rot270": true, "busy-clean": true, "busy-damaged": true}
