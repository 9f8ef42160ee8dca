package scan

import (
	"cmp"
	"context"
	"fmt"
	"path/filepath"
	"slices"

	"gradevault/engine/event"
	"gradevault/engine/item"
)

// Limits on a hand-picked set of golden frames.
const (
	MinPicks = 2
	MaxPicks = 8
)

// ReselectOptions control Reselect.
type ReselectOptions struct {
	ItemType item.Type // "" keeps the scan's item type
	Video    string    // the source video if it moved; "" uses the one in result.json
	Glint    bool      // re-run the glint analysis on the new set
	Sink     event.Sink
}

// Reselect replaces the golden frames of the scan in dir with the given
// video frames (2–8 of them), saves them, re-runs the glint analysis on them
// and rewrites result.json. Frames not among the automatic picks are marked
// Manual; a frame that is not still is marked Relaxed. The scan's source
// video must still be readable. Until the final rename of result.json the
// previous result stays valid.
func Reselect(ctx context.Context, dir string, frames []int, o ReselectOptions) (*Result, error) {
	res, err := ReadResult(dir)
	if err != nil {
		return nil, fmt.Errorf("no analysis in %s: %w", dir, err)
	}
	path := cmp.Or(o.Video, res.Video.Path)
	if len(frames) < MinPicks || len(frames) > MaxPicks {
		return nil, fmt.Errorf("choose %d to %d frames, not %d", MinPicks, MaxPicks, len(frames))
	}
	frames = slices.Clone(frames)
	slices.Sort(frames)
	if len(slices.Compact(slices.Clone(frames))) != len(frames) {
		return nil, fmt.Errorf("frames %v: a frame is chosen twice", frames)
	}
	if frames[0] < 0 || frames[len(frames)-1] >= len(res.Frames) {
		return nil, fmt.Errorf("frames %v: the video has frames 0 to %d", frames, len(res.Frames)-1)
	}
	if o.ItemType != "" {
		if _, err := item.Parse(string(o.ItemType)); err != nil {
			return nil, err
		}
		res.ItemType = o.ItemType
	}
	sink := event.Serialise(o.Sink)
	sink.Emit(event.PhaseChanged{Phase: event.PhaseExtract})
	picks := make([]Pick, len(frames))
	poseOf, rankOf := poseAndRank(res)
	for i, f := range frames {
		picks[i] = Pick{Frame: f, Relaxed: !res.Frames[f].Stable, Manual: !slices.Contains(res.AutomaticPicks, f),
			Pose: poseOf(f), Rank: rankOf[f]}
	}
	images, keep, err := extract(ctx, path, dir, res, picks)
	if err != nil {
		return nil, err
	}
	defer closeAll(images)
	if res.Report != nil {
		res.Warnings = slices.DeleteFunc(res.Warnings, func(w string) bool { return slices.Contains(res.Report.Warnings, w) })
		res.Confidence.Reasons = slices.DeleteFunc(res.Confidence.Reasons, func(r string) bool { return slices.Contains(res.Report.ConfidenceReasons, r) })
	}
	res.Report = nil
	res.Timings.GlintSeconds = 0
	if o.Glint {
		if err := runGlint(ctx, path, dir, res, images, sink); err != nil {
			return nil, err
		}
	}
	sink.Emit(event.PhaseChanged{Phase: event.PhaseSave})
	if err := WriteResult(dir, res); err != nil {
		return nil, err
	}
	removeStale(filepath.Join(dir, FramesDir), "golden_frame_", keep)
	sink.Emit(event.PhaseChanged{Phase: event.PhaseDone})
	return res, nil
}

// poseAndRank tells each frame's still pose (-1 for none) and its
// sharpness rank among the still frames (0 if not still).
func poseAndRank(res *Result) (poseOf func(int) int, rank map[int]int) {
	poseOf = func(f int) int {
		for _, p := range res.Poses {
			if f >= p.Start && f < p.End && res.Frames[f].Stable {
				return p.ID
			}
		}
		return -1
	}
	var still []FrameRecord
	for _, f := range res.Frames {
		if f.Stable {
			still = append(still, f)
		}
	}
	slices.SortStableFunc(still, func(a, b FrameRecord) int {
		if c := cmp.Compare(b.Sharpness, a.Sharpness); c != 0 {
			return c
		}
		return cmp.Compare(a.Frame, b.Frame)
	})
	rank = make(map[int]int, len(still))
	for i, f := range still {
		rank[f.Frame] = i + 1
	}
	return poseOf, rank
}
