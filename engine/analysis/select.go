package analysis

import (
	"fmt"
	"sort"
)

// Pick is one golden frame.
type Pick struct {
	Frame
	// Relaxed is true when the frame is not stable but was taken to reach
	// the requested count.
	Relaxed bool
}

// Select chooses up to count golden frames: stable frames (motion ≤
// threshold) by decreasing sharpness, ties by frame number, each at least
// minGap frames from every earlier pick. When too few stable frames qualify
// it fills up with the lowest-motion frames that respect the gap, marks them
// Relaxed and says so in a warning. Picks are returned in frame order.
func Select(frames []Frame, threshold float64, minGap, count int) (picks []Pick, warnings []string) {
	if count <= 0 {
		return nil, nil
	}
	var stable, unstable []Frame
	for _, f := range frames {
		if f.Motion <= threshold {
			stable = append(stable, f)
		} else {
			unstable = append(unstable, f)
		}
	}
	sort.SliceStable(stable, func(i, j int) bool {
		if stable[i].Sharpness != stable[j].Sharpness {
			return stable[i].Sharpness > stable[j].Sharpness
		}
		return stable[i].Index < stable[j].Index
	})
	sort.SliceStable(unstable, func(i, j int) bool {
		if unstable[i].Motion != unstable[j].Motion {
			return unstable[i].Motion < unstable[j].Motion
		}
		return unstable[i].Index < unstable[j].Index
	})

	farEnough := func(f Frame) bool {
		for _, p := range picks {
			d := f.Index - p.Index
			if d < 0 {
				d = -d
			}
			if d < minGap {
				return false
			}
		}
		return true
	}
	take := func(cands []Frame, relaxed bool) {
		for _, f := range cands {
			if len(picks) == count {
				return
			}
			if farEnough(f) {
				picks = append(picks, Pick{Frame: f, Relaxed: relaxed})
			}
		}
	}
	take(stable, false)
	strict := len(picks)
	if strict < count {
		take(unstable, true)
		if len(picks) > strict {
			warnings = append(warnings, fmt.Sprintf(
				"only %d still frames (motion ≤ %.2g px) at least %d frames apart; added %d relaxed pick(s) with the least motion",
				strict, threshold, minGap, len(picks)-strict))
		}
		if len(picks) < count {
			warnings = append(warnings, fmt.Sprintf(
				"only %d of %d golden frames fit in %d frames with a minimum gap of %d",
				len(picks), count, len(frames), minGap))
		}
	}
	sort.Slice(picks, func(i, j int) bool { return picks[i].Index < picks[j].Index })
	return picks, warnings
}
