package glint

// Severity grades a 0–100 damage or region quality score (higher = worse)
// for display: front-ends colour scores by it instead of keeping their own
// thresholds.
type Severity int

// Severity levels, from least to most damaged.
const (
	SeverityLow Severity = iota
	SeverityModerate
	SeverityHigh
)

// Score thresholds: a score at or above ModerateScore is moderate, at or
// above HighScore high.
const (
	ModerateScore = 20.0
	HighScore     = 40.0
)

// SeverityOf grades a 0–100 score.
func SeverityOf(score float64) Severity {
	switch {
	case score >= HighScore:
		return SeverityHigh
	case score >= ModerateScore:
		return SeverityModerate
	}
	return SeverityLow
}

// String is the level's name: "low", "moderate" or "high".
func (s Severity) String() string {
	switch s {
	case SeverityHigh:
		return "high"
	case SeverityModerate:
		return "moderate"
	}
	return "low"
}
