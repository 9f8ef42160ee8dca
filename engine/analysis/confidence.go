package analysis

import "fmt"

// Level is how far a result can be trusted.
type Level string

// Confidence levels, from best to worst.
const (
	High   Level = "high"
	Medium Level = "medium"
	Low    Level = "low"
)

// rank orders levels: a higher rank is worse.
func (l Level) rank() int {
	switch l {
	case Low:
		return 2
	case Medium:
		return 1
	}
	return 0
}

// Confidence says how far the golden frames, and anything measured on
// them, can be trusted, and why.
type Confidence struct {
	Level   Level    `json:"level"`
	Reasons []string `json:"reasons,omitempty"`
}

// Lower adds a reason and lowers the level to at most l.
func (c *Confidence) Lower(l Level, reason string) {
	if c.Level == "" {
		c.Level = High
	}
	if l.rank() > c.Level.rank() {
		c.Level = l
	}
	c.Reasons = append(c.Reasons, reason)
}

// NoStillMessage is what a grader is told when the video has no still
// frame: the golden frames are then blurred or moving and the defect
// analysis cannot be trusted.
const NoStillMessage = "no still frame — re-film slowly, hold still 1 s at each angle"

// Assess rates a selection: no still pose where the focus settled (no
// frame both still and sharp) is low confidence; relaxed picks, a single
// still pose or fewer golden frames than asked for are medium.
func Assess(res *Result) Confidence {
	c := Confidence{Level: High}
	still := 0
	for _, p := range res.Poses {
		if p.Settled {
			still++
		}
	}
	relaxed := 0
	for _, p := range res.Picks {
		if p.Relaxed {
			relaxed++
		}
	}
	switch {
	case still == 0:
		c.Lower(Low, NoStillMessage)
	case relaxed > 0:
		c.Lower(Medium, fmt.Sprintf("%d of %d golden frames are not still (motion above %.2g px)", relaxed, len(res.Picks), res.Options.MotionThreshold))
	}
	if still == 1 {
		c.Lower(Medium, "the item was held still at one angle only: tilt it and hold still at several angles so the light shows creases")
	}
	if n := len(res.Picks); n < res.Options.Count {
		c.Lower(Medium, fmt.Sprintf("only %d of %d golden frames", n, res.Options.Count))
	}
	return c
}
