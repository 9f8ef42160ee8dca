package glint

import (
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
