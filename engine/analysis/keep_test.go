package analysis

import (
	"context"
	"crypto/sha256"
	"slices"
	"testing"

	"gradevault/engine/synth"
)

// stillRunBests returns, for every maximal run of frames whose motion is at
// most threshold, its sharpest frame: what the keeper must keep.
func stillRunBests(frames []Frame, threshold float64) []int {
	var out []int
	best := -1
	for i, f := range frames {
		if f.Motion > threshold {
			if best >= 0 {
				out = append(out, best)
			}
			best = -1
			continue
		}
		if best < 0 || f.Sharpness > frames[best].Sharpness {
			best = i
		}
	}
	if best >= 0 {
		out = append(out, best)
	}
	return out
}

// TestKeptFramesAreExactAndCoverEveryPose: with Options.Keep, the frames
// kept during the pass are the sharpest frame of every still run (so every
// still pose's best frame, the first golden frame taken from each pose and
// the defect analysis's frames) with the pixels of the sequential N-th frame, on
// the corpus's hardest containers (phone VFR with drops and duplicates,
// HEVC with B-frames, rotated portrait, Matroska, a noisy dark mat),
// whatever the worker count; a smaller memory budget keeps fewer frames,
// the longest-settled and sharpest first.
func TestKeptFramesAreExactAndCoverEveryPose(t *testing.T) {
	for _, name := range []string{"vfr-phone", "hevc", "portrait-rot90", "few-stills", "card-dark-mat"} {
		e, ok := synth.CorpusEntryNamed(name, 320, 240)
		if !ok {
			t.Fatalf("no corpus entry %q", name)
		}
		ref := naiveRef(t, e)
		for _, workers := range []int{1, 3} {
			res, err := Run(context.Background(), ref.path, Options{Workers: workers, Keep: true})
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for _, k := range res.Kept {
				got = append(got, k.Index)
				if sha256.Sum256(k.Image.ToBytes()) != ref.sums[k.Index] {
					t.Errorf("%s, %d workers: kept frame %d is not the sequential frame %d", name, workers, k.Index, k.Index)
				}
			}
			want := stillRunBests(res.Frames, res.Options.MotionThreshold)
			if !slices.Equal(got, want) {
				t.Errorf("%s, %d workers: kept %v, want the still runs' best frames %v", name, workers, got, want)
			}
			for _, p := range res.Poses {
				if !slices.Contains(got, p.Best) {
					t.Errorf("%s: pose %d's best frame %d not kept", name, p.ID, p.Best)
				}
			}
			res.Close()
			if res.Kept != nil {
				t.Fatal("Close left kept frames")
			}
		}
		// A budget of two frames keeps two, and the metrics do not change.
		full, err := Run(context.Background(), ref.path, Options{Workers: 2})
		if err != nil {
			t.Fatal(err)
		}
		small, err := Run(context.Background(), ref.path, Options{Workers: 2, Keep: true, KeepBytes: 2 * 320 * 240 * 3})
		if err != nil {
			t.Fatal(err)
		}
		if n := len(stillRunBests(full.Frames, full.Options.MotionThreshold)); len(small.Kept) != min(2, n) {
			t.Errorf("%s: a two-frame budget kept %d frames of %d runs", name, len(small.Kept), n)
		}
		if !slices.Equal(full.Frames, small.Frames) {
			t.Errorf("%s: keeping frames changed the metrics", name)
		}
		small.Close()
	}
}

// TestKeepBudget: the default budget stretches, up to twice itself, to hold
// the frames the caller will take (the golden frames at 4K, the defect
// analysis's dozen at 1080p); an explicit budget is kept as set.
func TestKeepBudget(t *testing.T) {
	const hd, uhd, eightK = 1920 * 1080 * 3, 3840 * 2160 * 3, 7680 * 4320 * 3
	for _, c := range []struct{ opt, frame, want, budget, frames int }{
		{DefaultKeepBytes, hd, DefaultCount, DefaultKeepBytes, 10},   // 10 frames at 1080p
		{DefaultKeepBytes, hd, 12, 12 * hd, 12},                      // the defect analysis's dozen
		{DefaultKeepBytes, uhd, DefaultCount, DefaultCount * uhd, 5}, // 5 frames at 4K, not 2
		{DefaultKeepBytes, uhd, 12, 2 * DefaultKeepBytes, 5},         // never past twice the default
		{DefaultKeepBytes, eightK, DefaultCount, 2 * DefaultKeepBytes, 1},
		{uhd, uhd, 12, uhd, 1}, // set by hand: one frame
	} {
		got := keepBudget(c.opt, c.frame, c.want)
		if got != c.budget {
			t.Errorf("keepBudget(%d, %d, %d) = %d, want %d", c.opt, c.frame, c.want, got, c.budget)
		}
		if n := newKeeper(1, c.frame, got, nil).max; n != c.frames {
			t.Errorf("keepBudget(%d, %d, %d): the keeper keeps %d frames, want %d", c.opt, c.frame, c.want, n, c.frames)
		}
	}
}
