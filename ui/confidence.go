package ui

import (
	"fmt"
	"strings"

	"gradevault/engine/analysis"
	"gradevault/engine/scan"
)

// confidence is how far a scan's picks can be trusted, as the window shows
// it: the engine's result.Confidence, or for results written before the
// engine rated them, the same "no still frame" case derived from the frames.
type confidence struct {
	Low     bool
	Medium  bool
	Reasons []string
}

func (c confidence) reasonText() string { return strings.Join(c.Reasons, " ") }

// confidenceOf reads res's confidence (the engine's if it has one).
func confidenceOf(res *scan.Result) confidence {
	var c confidence
	if res == nil {
		return c
	}
	if lvl := res.Confidence.Level; lvl != "" {
		c.Low, c.Medium = lvl == analysis.Low, lvl == analysis.Medium
		for _, r := range res.Confidence.Reasons {
			if r != analysis.NoStillMessage {
				c.Reasons = append(c.Reasons, upperFirst(r)+".")
			}
		}
		return c
	}
	if len(res.Frames) == 0 {
		return c
	}
	still := 0
	for _, f := range res.Frames {
		if f.Stable {
			still++
		}
	}
	relaxed := 0
	for _, g := range res.GoldenFrameDetails {
		if g.Relaxed {
			relaxed++
		}
	}
	switch {
	case still == 0:
		c.Low = true
		c.Reasons = append(c.Reasons, fmt.Sprintf("None of the %d frames was still (motion under %s px).", len(res.Frames), fmtNum(res.Settings.MotionThreshold)))
	case len(res.GoldenFrameDetails) > 0 && relaxed == len(res.GoldenFrameDetails):
		c.Low = true
		c.Reasons = append(c.Reasons, "Every golden frame was taken while the item moved.")
	}
	return c
}

// stillPoses returns, for each frame, the 1-based index of the run of still
// frames (a held pose) it belongs to, 0 for a moving frame, and the number
// of poses.
func stillPoses(res *scan.Result) ([]int, int) {
	ids := make([]int, len(res.Frames))
	n := 0
	for i, f := range res.Frames {
		if !f.Stable {
			continue
		}
		if i == 0 || !res.Frames[i-1].Stable {
			n++
		}
		ids[i] = n
	}
	return ids, n
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// pickReason says why a golden frame was picked: the still pose it belongs
// to and its sharpness rank (the engine's Pose and Rank, or derived from
// the frames for older results), or that it was relaxed or chosen by hand.
func pickReason(res *scan.Result, g scan.GoldenFrame) string {
	var parts []string
	if g.Manual {
		parts = append(parts, "chosen by hand")
	}
	if len(res.Poses) > 0 {
		if g.Pose >= 0 && g.Rank > 0 {
			parts = append(parts, fmt.Sprintf("still pose %d of %d, sharpness rank %d among still frames", g.Pose+1, len(res.Poses), g.Rank))
		} else {
			parts = append(parts, "not still (relaxed pick: no still frame nearby)")
		}
		return strings.Join(parts, "; ")
	}
	ids, poses := stillPoses(res)
	if g.Frame >= 0 && g.Frame < len(ids) && ids[g.Frame] > 0 {
		pose := ids[g.Frame]
		rank, size := 1, 0
		for i, id := range ids {
			if id != pose {
				continue
			}
			size++
			if res.Frames[i].Sharpness > res.Frames[g.Frame].Sharpness {
				rank++
			}
		}
		parts = append(parts, fmt.Sprintf("still pose %d of %d, sharpness rank %d of its %d still frames", pose, poses, rank, size))
	} else {
		parts = append(parts, "not still (relaxed pick: no still frame nearby)")
	}
	if g.Relaxed && !slicesContainsPrefix(parts, "not still") {
		parts = append(parts, "relaxed")
	}
	return strings.Join(parts, "; ")
}

func slicesContainsPrefix(xs []string, prefix string) bool {
	for _, x := range xs {
		if strings.HasPrefix(x, prefix) {
			return true
		}
	}
	return false
}
