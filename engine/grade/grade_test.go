package grade

import (
	"strings"
	"testing"

	"gradevault/engine/centering"
	"gradevault/engine/item"
)

// good is a scan the analysis trusts: five still frames, all aligned.
func good(t item.Type) Input {
	return Input{ItemType: t, Picks: 5, Frames: 5, Aligned: 5, OutlineFound: true, MaxResidualPx: 0.4, AnalysisConfidence: -1, Defects: []Defect{}}
}

func centred(lr, tb float64) *centering.Result {
	return &centering.Result{Found: true, LR: lr, TB: tb, LRLabel: centering.Label(lr), TBLabel: centering.Label(tb), Confidence: 0.95}
}

func TestCompute(t *testing.T) {
	type want struct {
		corners, edges, surface, centering, overall float64 // 0 = not available
		minConf, maxConf                            float64 // overall confidence range
		evidence                                    string  // must appear in some evidence line
		reason                                      string  // must appear in the overall reasons
	}
	cases := []struct {
		name string
		in   func() Input
		want want
	}{
		{"clean card", func() Input {
			in := good(item.Card)
			in.Centering = centred(51, 50.5)
			return in
		}, want{10, 10, 10, 10, 10, 0.9, 1, "no defect found", ""}},
		{"creased comic", func() Input {
			in := good(item.Comic)
			in.Defects = []Defect{{Kind: "crease", Region: "surface", Severity: 0.5, LengthMM: 80}}
			return in
		}, want{10, 10, 7, 0, 8, 0.6, 0.7, "#1 crease in surface, severity 0.50, 80 mm", "only 3 of 4 aspects"}},
		{"blunted corner card, 60/40", func() Input {
			in := good(item.Card)
			in.Defects = []Defect{{Kind: "corner_wear", Region: "corner_br", Severity: 0.6}, {Kind: "scratch", Region: "surface", Severity: 0.2}}
			in.Centering = centred(60, 52)
			return in
		}, want{6, 10, 9, 8.5, 7, 0.9, 1, "#1 corner wear in corner_br", ""}},
		{"low-confidence scan", func() Input {
			in := good(item.Card)
			in.RelaxedPicks = 3
			in.Aligned = 3
			in.OutlineDoubtful = "aspect 0.62, a card is 0.71"
			in.Defects = []Defect{{Kind: "dent", Region: "edge_left", Severity: 0.5}}
			in.Centering = centred(55, 50)
			return in
		}, want{10, 8, 10, 9.5, 9, 0, 0.5, "#1 dent in edge_left", "outline is doubtful"}},
		{"seed region scores only", func() Input {
			in := good(item.Comic)
			in.Defects = nil
			in.RegionScores = map[string]float64{"corner_tl": 12, "corner_tr": 40, "corner_bl": 5, "corner_br": 8, "spine": 16, "surface": 4}
			return in
		}, want{5, 8, 9.5, 0, 6, 0.55, 0.6, "worst region corner_tr scores 40.0/100", "region scores"}},
		{"selection says re-film", func() Input {
			in := good(item.Card)
			in.SelectionLevel, in.SelectionReasons = "low", []string{"no still frame"}
			in.Centering = centred(50, 50)
			return in
		}, want{10, 10, 10, 10, 10, 0, 0.3, "no defect found", "frame selection: no still frame"}},
		{"defect analysis in doubt", func() Input {
			in := good(item.Comic)
			in.AnalysisReasons = []string{"frame 120 does not match the others"}
			in.Defects = []Defect{{Kind: "crease", Region: "surface", Severity: 0.2}, {Kind: "corner_wear", Region: "corner_tl", Severity: 0.3}}
			return in
		}, want{8, 10, 8.5, 0, 8.5, 0.55, 0.6, "#2 corner wear in corner_tl", "frame 120 does not match"}},
		{"outline not found", func() Input {
			in := good(item.Card)
			in.OutlineFound = false
			in.Centering = centred(50, 50)
			return in
		}, want{10, 10, 10, 10, 10, 0, 0.3, "no defect found", "outline was not found"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := Compute(c.in())
			if s.Scale != Scale || !strings.Contains(s.Scale, "not a PSA/CGC/BGS grade") {
				t.Errorf("scale label %q", s.Scale)
			}
			check := func(sg Subgrade, want float64) {
				t.Helper()
				if want == 0 {
					if sg.Available {
						t.Errorf("%s: available with %.1f, want not available", sg.Name, sg.Grade)
					}
					return
				}
				if !sg.Available || sg.Grade != want {
					t.Errorf("%s = %.1f (available %v), want %.1f; evidence %q", sg.Name, sg.Grade, sg.Available, want, sg.Evidence)
				}
				if g := sg.Grade * 2; g != float64(int(g)) || sg.Grade < 1 || sg.Grade > 10 {
					t.Errorf("%s = %v is not a half point in 1–10", sg.Name, sg.Grade)
				}
				if len(sg.Evidence) == 0 {
					t.Errorf("%s has no evidence", sg.Name)
				}
				if sg.Low > sg.Grade || (sg.Confidence < 0.8 && sg.Low >= sg.Grade && sg.Grade > 1) {
					t.Errorf("%s: range low %.1f for grade %.1f at confidence %.2f", sg.Name, sg.Low, sg.Grade, sg.Confidence)
				}
			}
			check(s.Corners, c.want.corners)
			check(s.Edges, c.want.edges)
			check(s.Surface, c.want.surface)
			check(s.Centering, c.want.centering)
			check(s.Overall, c.want.overall)
			o := s.Overall
			if o.Confidence < c.want.minConf || o.Confidence > c.want.maxConf {
				t.Errorf("overall confidence %.2f, want %.2f–%.2f (reasons %q)", o.Confidence, c.want.minConf, c.want.maxConf, o.Reasons)
			}
			if o.ConfidenceLabel != Label(o.Confidence) {
				t.Errorf("label %q for %.2f", o.ConfidenceLabel, o.Confidence)
			}
			var all []string
			for _, sg := range s.List() {
				all = append(all, sg.Evidence...)
				// Confidence is never higher than any reason allows: a
				// sub-grade with reasons is below 1.
				if sg.Available && len(sg.Reasons) > 0 && sg.Confidence >= 1 {
					t.Errorf("%s: confidence 1 despite %q", sg.Name, sg.Reasons)
				}
			}
			if !strings.Contains(strings.Join(all, "\n"), c.want.evidence) {
				t.Errorf("evidence %q missing from %q", c.want.evidence, all)
			}
			if c.want.reason != "" && !strings.Contains(strings.Join(o.Reasons, "\n"), c.want.reason) {
				t.Errorf("reason %q missing from %q", c.want.reason, o.Reasons)
			}
			t.Logf("corners %.1f edges %.1f surface %.1f centering %.1f overall %.1f (low %.1f) confidence %.2f %s",
				s.Corners.Grade, s.Edges.Grade, s.Surface.Grade, s.Centering.Grade, o.Grade, o.Low, o.Confidence, o.ConfidenceLabel)
		})
	}
}

func TestCenteringGrade(t *testing.T) {
	for _, c := range []struct{ worse, want float64 }{
		{50, 10}, {52.5, 10}, {53, 9.5}, {55, 9.5}, {57, 9}, {60, 8.5}, {62, 8}, {65, 7.5}, {67, 7}, {70, 6.5},
		{72, 6}, {75, 6}, {80, 5}, {85, 4}, {90, 3}, {95, 2},
	} {
		if g := CenteringGrade(c.worse); g != c.want {
			t.Errorf("%.1f/%.1f → %.1f, want %.1f", c.worse, 100-c.worse, g, c.want)
		}
	}
}

// Worse evidence never gives a better grade.
func TestMonotonic(t *testing.T) {
	prev := 11.0
	for s := 0.0; s <= 1; s += 0.05 {
		in := good(item.Card)
		in.Defects = []Defect{{Kind: "crease", Region: "surface", Severity: s}}
		g := Compute(in).Surface.Grade
		if g > prev {
			t.Fatalf("severity %.2f gives %.1f, more than %.1f at a lower severity", s, g, prev)
		}
		prev = g
	}
}
