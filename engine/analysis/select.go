package analysis

import (
	"fmt"
	"math"
	"slices"
	"sort"
)

// Policy names how Select chooses golden frames.
type Policy string

const (
	// PolicyPoses covers as many distinct still poses as possible: at most
	// one pick per pose until every pose has one, sharpest first within a
	// pose, then the next sharpest still frames. The default: each still
	// pose is one angle of the light, and creases show at some angles only.
	PolicyPoses Policy = "poses"
	// PolicySeed is the original worker's rule exactly: still frames by
	// decreasing sharpness, each at least MinGap frames from every pick.
	PolicySeed Policy = "seed"
)

// ParsePolicy checks a selection policy name ("" is PolicyPoses).
func ParsePolicy(s string) (Policy, error) {
	switch Policy(s) {
	case "":
		return PolicyPoses, nil
	case PolicyPoses, PolicySeed:
		return Policy(s), nil
	}
	return "", fmt.Errorf("unknown selection policy %q (want poses or seed)", s)
}

// Pick is one golden frame.
type Pick struct {
	Frame
	// Relaxed is true when the frame is not still but was taken to reach
	// the requested count.
	Relaxed bool
	// Pose is the ID of the still pose the frame belongs to, -1 for none.
	Pose int
	// Rank is the frame's sharpness rank among the video's still frames
	// (1 = sharpest), 0 for a relaxed pick.
	Rank int
}

// Pose is one still pose: a run of consecutive still frames, during which
// the camera (and so the light's angle on the item) did not change.
type Pose struct {
	ID    int `json:"id"`    // 0, 1, 2, … in time order
	Start int `json:"start"` // first frame
	End   int `json:"end"`   // one past the last frame
	Best  int `json:"best"`  // the sharpest frame of the pose
	// Settled is true when the focus settled during the pose: at least
	// settledFrames of its still frames are within settledSpread of its
	// best sharpness, and that best is at least settledOfTop of the
	// video's sharpest frame. A lens hunting for focus keeps the camera
	// still but the sharpness swinging, or evenly blurred; so does a
	// sweep whose frames are too smeared for the optical flow to follow
	// (the flow settles on the still background). Such a pose is a last
	// resort, and a video without a settled pose has no still frame.
	Settled bool `json:"settled"`
}

// Focus settling: how many frames of a pose must be how close to its best,
// and how sharp its best must be against the video's sharpest frame (the
// floor below which a relaxed pick counts as blurred, see
// relaxedMinSharp). On the corpus, at 320×240, 640×480, 1280×720 and
// 1920×1080, every hold's best is at least 0.88 of the video's sharpest
// frame; other poses' (focus hunts, slow or smeared sweeps) are
// 0.02–0.55, and those above 0.35 are focus hunts the spread rule leaves
// unsettled.
const (
	settledFrames = 3
	settledSpread = 0.85
	settledOfTop  = relaxedMinSharp
)

// stillAt reports whether frame i is still. Frame 0 has no predecessor, so
// its motion is 0 by definition; it counts as still only when frame 1 is.
func stillAt(frames []Frame, i int, threshold float64) bool {
	if frames[i].Motion > threshold {
		return false
	}
	return i != 0 || len(frames) < 2 || frames[1].Motion <= threshold
}

// Len is the number of frames in the pose.
func (p Pose) Len() int { return p.End - p.Start }

// poseBridge is the longest run of moving frames that still counts as the
// same pose when together they moved at most twice the threshold: one
// noisy reading must not split a hold in two.
const poseBridge = 2

// Poses finds the still poses in frames (contiguous, in frame order):
// runs of still frames (motion ≤ threshold), numbered from 0. Two runs
// separated by at most poseBridge moving frames whose summed motion is at
// most twice the threshold are one pose. A pose has at least minLen still
// frames (at least 1).
func Poses(frames []Frame, threshold float64, minLen int) []Pose {
	minLen = max(minLen, 1)
	type run struct{ start, end, still int } // positions in frames
	var runs []run
	for i := 0; i < len(frames); {
		if !stillAt(frames, i, threshold) {
			i++
			continue
		}
		j := i
		for j < len(frames) && stillAt(frames, j, threshold) {
			j++
		}
		if n := len(runs); n > 0 && i-runs[n-1].end <= poseBridge {
			moved := 0.0
			for k := runs[n-1].end; k < i; k++ {
				moved += frames[k].Motion
			}
			if moved <= 2*threshold {
				runs[n-1].end = j
				runs[n-1].still += j - i
				i = j
				continue
			}
		}
		runs = append(runs, run{i, j, j - i})
		i = j
	}
	top := 0.0
	for _, f := range frames {
		top = max(top, f.Sharpness)
	}
	var out []Pose
	for _, r := range runs {
		if r.still < minLen {
			continue
		}
		best := -1
		for k := r.start; k < r.end; k++ {
			if stillAt(frames, k, threshold) && (best < 0 || frames[k].Sharpness > frames[best].Sharpness) {
				best = k
			}
		}
		near := 0
		for k := r.start; k < r.end; k++ {
			if stillAt(frames, k, threshold) && frames[k].Sharpness >= settledSpread*frames[best].Sharpness {
				near++
			}
		}
		out = append(out, Pose{ID: len(out), Start: frames[r.start].Index, End: frames[r.end-1].Index + 1,
			Best: frames[best].Index, Settled: near >= settledFrames && frames[best].Sharpness >= settledOfTop*top})
	}
	return out
}

// Selection is the outcome of Select.
type Selection struct {
	Picks    []Pick   // in frame order
	Poses    []Pose   // the video's still poses
	Warnings []string // what a grader should know about the picks
}

// SelectOptions configure Select. Zero values mean the defaults.
type SelectOptions struct {
	Threshold float64 // motion threshold, px
	MinGap    int     // frames between picks, at least
	Count     int     // golden frames wanted
	Policy    Policy
}

func (o SelectOptions) defaults() SelectOptions {
	if o.Threshold <= 0 {
		o.Threshold = DefaultMotionThreshold
	}
	if o.MinGap <= 0 {
		o.MinGap = DefaultMinGap
	}
	if o.Count <= 0 {
		o.Count = DefaultCount
	}
	if o.Policy == "" {
		o.Policy = PolicyPoses
	}
	return o
}

// Relaxed picks. When too few still frames qualify, Select fills up with
// moving frames ranked by
//
//	score = (sharpness / reference) / (1 + motion / threshold)
//
// where reference is the median sharpness of the still frames (or, without
// any, the 90th percentile of every frame's sharpness): a frame twice as
// sharp may move twice as much. A frame whose sharpness is below
// relaxedMinSharp × reference is defocused or motion blurred and is never
// taken; nor is one that moves more than relaxedMaxMotion × threshold. It
// is better to have fewer golden frames than a blurred one.
const (
	relaxedMinSharp  = 0.35
	relaxedMaxMotion = 8.0
)

// Select chooses up to o.Count golden frames from frames (in frame order)
// and explains itself. Still frames (motion ≤ threshold) come first, by the
// policy; when too few qualify, it fills up with relaxed picks (see above)
// and says so in a warning. Picks are returned in frame order.
func Select(frames []Frame, o SelectOptions) Selection {
	o = o.defaults()
	sel := Selection{Poses: Poses(frames, o.Threshold, 1)}
	poseOf := make(map[int]int, len(frames))
	for _, p := range sel.Poses {
		for i := p.Start; i < p.End; i++ {
			poseOf[i] = p.ID
		}
	}

	// Still candidates. The seed policy is the original's rule exactly:
	// every frame whose motion is within the threshold. Otherwise a still
	// frame must also be sharp: at least relaxedMinSharp × the video's
	// reference sharpness (a lens hunting for focus keeps the camera still).
	ref := referenceSharpness(frames, sel.Poses, o.Threshold)
	settled := map[int]bool{}
	for _, p := range sel.Poses {
		settled[p.ID] = p.Settled
	}
	var still, moving []Frame
	skippedBlur := 0
	for i, f := range frames {
		switch {
		case o.Policy == PolicySeed && f.Motion <= o.Threshold:
			still = append(still, f)
		case o.Policy != PolicySeed && stillAt(frames, i, o.Threshold):
			if f.Sharpness >= relaxedMinSharp*ref {
				still = append(still, f)
			} else {
				skippedBlur++
			}
		default:
			moving = append(moving, f)
		}
	}
	bySharpness := func(s []Frame) {
		sort.SliceStable(s, func(i, j int) bool {
			if s[i].Sharpness != s[j].Sharpness {
				return s[i].Sharpness > s[j].Sharpness
			}
			return s[i].Index < s[j].Index
		})
	}
	bySharpness(still)
	rank := make(map[int]int, len(still))
	for i, f := range still {
		rank[f.Index] = i + 1
	}

	var picks []Pick
	farEnough := func(f Frame) bool {
		for _, p := range picks {
			if d := f.Index - p.Index; d < o.MinGap && d > -o.MinGap {
				return false
			}
		}
		return true
	}
	taken := map[int]bool{}
	take := func(f Frame, relaxed bool) {
		pose, ok := poseOf[f.Index]
		if !ok || relaxed {
			pose = -1
		}
		picks = append(picks, Pick{Frame: f, Relaxed: relaxed, Pose: pose, Rank: rank[f.Index]})
		taken[f.Index] = true
	}

	if o.Policy == PolicyPoses {
		// One pick per pose, sharpest first, settled poses before poses
		// where the lens was hunting, until every pose with a frame that
		// fits the gap has one.
		used := map[int]bool{}
		for _, wantSettled := range []bool{true, false} {
			for _, f := range still {
				if len(picks) == o.Count {
					break
				}
				p, ok := poseOf[f.Index]
				if !ok || used[p] || settled[p] != wantSettled || !farEnough(f) {
					continue
				}
				take(f, false)
				used[p] = true
			}
		}
	}
	for _, f := range still {
		if len(picks) == o.Count {
			break
		}
		if !taken[f.Index] && farEnough(f) {
			take(f, false)
		}
	}

	strict := len(picks)
	if strict < o.Count {
		type cand struct {
			f     Frame
			score float64
		}
		var cands []cand
		for _, f := range moving {
			if f.Motion > relaxedMaxMotion*o.Threshold {
				continue
			}
			if f.Sharpness < relaxedMinSharp*ref {
				skippedBlur++
				continue
			}
			cands = append(cands, cand{f, (f.Sharpness / ref) / (1 + f.Motion/o.Threshold)})
		}
		sort.SliceStable(cands, func(i, j int) bool {
			if cands[i].score != cands[j].score {
				return cands[i].score > cands[j].score
			}
			return cands[i].f.Index < cands[j].f.Index
		})
		for _, c := range cands {
			if len(picks) == o.Count {
				break
			}
			if farEnough(c.f) {
				take(c.f, true)
			}
		}
		if n := len(picks) - strict; n > 0 {
			sel.Warnings = append(sel.Warnings, fmt.Sprintf(
				"only %d still frames (motion ≤ %.2g px) at least %d frames apart; added %d relaxed pick(s), the sharpest with the least motion",
				strict, o.Threshold, o.MinGap, n))
		}
		if len(picks) < o.Count {
			why := fmt.Sprintf("in %d frames with a minimum gap of %d", len(frames), o.MinGap)
			if skippedBlur > 0 {
				why = "without taking a blurred frame"
			}
			sel.Warnings = append(sel.Warnings, fmt.Sprintf("only %d of %d golden frames found %s", len(picks), o.Count, why))
		}
	}
	if o.Policy == PolicyPoses && len(sel.Poses) > 0 && strict > 0 {
		covered := map[int]bool{}
		for _, p := range picks {
			if p.Pose >= 0 {
				covered[p.Pose] = true
			}
		}
		if len(covered) < min(len(sel.Poses), o.Count) {
			sel.Warnings = append(sel.Warnings, fmt.Sprintf(
				"golden frames cover %d of %d still poses (the others are closer than %d frames)", len(covered), len(sel.Poses), o.MinGap))
		}
	}
	sort.Slice(picks, func(i, j int) bool { return picks[i].Index < picks[j].Index })
	sel.Picks = picks
	return sel
}

// referenceSharpness is what "sharp" means in this video: the 90th
// percentile of the sharpness of the frames in settled still poses, or
// without any, of the still frames, or without any, of all frames.
// Sharpness depends on the item's print, the resolution and the noise, so
// it is only ever compared within one video.
func referenceSharpness(frames []Frame, poses []Pose, threshold float64) float64 {
	var pool []float64
	for _, p := range poses {
		if !p.Settled {
			continue
		}
		for i := p.Start; i < p.End && i < len(frames); i++ {
			if stillAt(frames, i, threshold) {
				pool = append(pool, frames[i].Sharpness)
			}
		}
	}
	if len(pool) == 0 {
		for i, f := range frames {
			if stillAt(frames, i, threshold) {
				pool = append(pool, f.Sharpness)
			}
		}
	}
	if len(pool) == 0 {
		for _, f := range frames {
			pool = append(pool, f.Sharpness)
		}
	}
	if len(pool) == 0 {
		return 1
	}
	slices.Sort(pool)
	r := pool[int(math.Round(0.9*float64(len(pool)-1)))]
	if r <= 0 {
		return 1
	}
	return r
}
