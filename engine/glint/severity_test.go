package glint

import "testing"

func TestSeverityOf(t *testing.T) {
	for _, c := range []struct {
		score float64
		want  Severity
	}{{0, SeverityLow}, {19.99, SeverityLow}, {20, SeverityModerate}, {39.9, SeverityModerate}, {40, SeverityHigh}, {100, SeverityHigh}} {
		if got := SeverityOf(c.score); got != c.want {
			t.Errorf("SeverityOf(%v) = %v, want %v", c.score, got, c.want)
		}
	}
	if SeverityHigh.String() != "high" || SeverityLow.String() != "low" || SeverityModerate.String() != "moderate" {
		t.Error("severity names")
	}
}
