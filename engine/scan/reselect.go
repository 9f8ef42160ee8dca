package scan

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"gradevault/engine/analysis"
	"gradevault/engine/event"
	"gradevault/engine/item"
	"gradevault/engine/video"
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
//
// If it fails or is cancelled, the files it wrote that the previous
// result does not reference are removed (CleanupFailed); after success,
// those the new result no longer references are.
func Reselect(ctx context.Context, dir string, frames []int, o ReselectOptions) (_ *Result, err error) {
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
	picks := make([]Pick, len(frames))
	poseOf, rankOf := poseAndRank(res)
	for i, f := range frames {
		picks[i] = Pick{Frame: f, Relaxed: !res.Frames[f].Stable, Manual: !slices.Contains(res.AutomaticPicks, f),
			Pose: poseOf(f), Rank: rankOf[f]}
	}
	return saveSelection(ctx, dir, res, picks, path, o.Glint, o.Sink)
}

// saveSelection decodes and saves the picked golden frames, re-runs the
// glint analysis on them when asked and rewrites result.json. Until the
// final rename of result.json the previous result stays valid; when it
// fails or is cancelled, CleanupFailed removes what it wrote.
func saveSelection(ctx context.Context, dir string, res *Result, picks []Pick, path string, glint bool, sink event.Sink) (_ *Result, err error) {
	sink = event.Serialise(sink)
	defer func() {
		if err != nil {
			CleanupFailed(dir, true)
		}
	}()
	sink.Emit(event.PhaseChanged{Phase: event.PhaseExtract})
	images, err := goldenImages(ctx, path, res, picks, nil)
	if err != nil {
		return nil, err
	}
	defer closeAll(images)
	wait := writeGolden(dir, res, images)
	defer wait() // before the images are closed, whatever happens
	if res.Report != nil {
		res.Warnings = slices.DeleteFunc(res.Warnings, func(w string) bool { return slices.Contains(res.Report.Warnings, w) })
		res.Confidence.Reasons = slices.DeleteFunc(res.Confidence.Reasons, func(r string) bool { return slices.Contains(res.Report.ConfidenceReasons, r) })
	}
	res.Report = nil
	res.Centering, res.Subgrades = nil, nil
	res.Timings.GlintSeconds = 0
	if glint {
		if err := runGlint(ctx, path, dir, res, images, sink, nil); err != nil {
			return nil, firstFailure(wait, err)
		}
	}
	if _, err := wait(); err != nil {
		return nil, err
	}
	if err := save(ctx, dir, res, sink); err != nil {
		return nil, err
	}
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

// RechooseOptions are the selection settings Rechoose applies.
type RechooseOptions struct {
	MotionThreshold float64 // px; 0 keeps the scan's
	MinGap          int     // frames; 0 keeps the scan's
	Count           int     // golden frames; 0 keeps the scan's
	Policy          analysis.Policy
	Video           string // the source video if it moved
	Glint           bool   // re-run the glint analysis on the new picks
	Sink            event.Sink
}

// Rechoose picks the golden frames of the scan in dir again from its
// measured frames with other selection settings — no frame is measured
// again — then saves the new golden frames, re-runs the glint analysis
// when asked and rewrites result.json (the new picks are automatic ones).
func Rechoose(ctx context.Context, dir string, o RechooseOptions) (*Result, error) {
	res, err := ReadResult(dir)
	if err != nil {
		return nil, fmt.Errorf("no analysis in %s: %w", dir, err)
	}
	ao := analysis.Options{
		Mode:            analysis.Mode(res.Settings.Mode),
		MotionThreshold: cmp.Or(o.MotionThreshold, res.Settings.MotionThreshold),
		MinGap:          cmp.Or(o.MinGap, res.Settings.MinGap),
		Count:           cmp.Or(o.Count, res.Settings.Count),
		Policy:          cmp.Or(o.Policy, analysis.Policy(res.Settings.Policy)),
	}
	info := video.Info{Path: res.Video.Path, Frames: res.Video.Frames, FPS: res.Video.FPS,
		Width: res.Video.Width, Height: res.Video.Height, Rotation: res.Video.Rotation}
	an := analysis.Reselect(info, res.AnalysisFrames(), ao)
	res.Settings.MotionThreshold, res.Settings.MinGap = an.Options.MotionThreshold, an.Options.MinGap
	res.Settings.Count, res.Settings.Policy = an.Options.Count, string(an.Options.Policy)
	for i := range res.Frames {
		res.Frames[i].Stable = an.Frames[i].Stable
	}
	res.Poses, res.Confidence = an.Poses, an.Confidence
	res.AutomaticPicks = nil
	picks := make([]Pick, len(an.Picks))
	for i, p := range an.Picks {
		res.AutomaticPicks = append(res.AutomaticPicks, p.Index)
		picks[i] = Pick{Frame: p.Index, Relaxed: p.Relaxed, Pose: p.Pose, Rank: p.Rank}
	}
	// Keep warnings that are not about the selection (truncation).
	res.Warnings = slices.DeleteFunc(res.Warnings, func(w string) bool {
		return res.Report != nil && slices.Contains(res.Report.Warnings, w) || isSelectionWarning(w)
	})
	res.Warnings = append(res.Warnings, an.Warnings...)
	return saveSelection(ctx, dir, res, picks, cmp.Or(o.Video, res.Video.Path), o.Glint, o.Sink)
}

// isSelectionWarning reports whether w came from the golden-frame selection.
func isSelectionWarning(w string) bool {
	for _, p := range []string{"only ", "golden frames cover "} {
		if strings.HasPrefix(w, p) {
			return true
		}
	}
	return false
}
