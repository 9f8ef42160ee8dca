// Package grade turns a scan's evidence (named defects, region scores,
// centering, and how trustworthy the analysis was) into sub-grades for
// corners, edges, surface and centering and an overall suggestion, on
// GradeVault's own 0–10 scale in half points. It is not a PSA, CGC or BGS
// grade and says so (Scale).
//
// # The mapping
//
// Corners, edges and surface come from the named, located defects when the
// defect analysis provides them (Input.Defects non-nil, even if empty):
// each defect's penalty is its severity (0–1) times its kind's weight
// (crease 6, corner wear 6, dent 4, scratch 3, other 2). A sub-grade is
// 10 minus the worst penalty among its defects minus half of the others'
// penalties, clamped to 1–10. Defects go to a sub-grade by region:
// corner_* regions (and corner wear anywhere) to corners; edge_* regions and
// the spine to edges; everything else to surface.
//
// Without named defects the region scores (0–100, higher is worse) are used
// instead: the sub-grade is 10 − score/8 for the worst region of the
// group (corners: the four corners; edges: the edges or the spine; surface:
// the surface), and confidence is capped at 0.6, because those scores also
// respond to printed detail.
//
// Centering (cards, and items whose printed border was found) uses the
// worse of the left/right and top/bottom ratios: 52.5/47.5 or better is
// 10, then half a point less for every 2.5 points up to 70/30 (6.5), then
// a point less for every 5 points (75 → 6, 80 → 5, 85 → 4, 90 → 3), worse
// is 2.
//
// Every sub-grade is rounded down to a half point, never up. The overall
// suggestion is the mean of the available sub-grades, but at most one point
// above the lowest, again rounded down.
//
// # Confidence
//
// Confidence (0–1) starts at 1 and only goes down, each time with a reason:
// golden frames picked while the camera moved (relaxed), frames that could
// not be aligned or aligned poorly, an outline that was not found or is
// doubtful, too few usable frames, the analysis's own confidence when it
// reports one, region scores standing in for named defects, and the
// centering's own confidence. Labels: high ≥ 0.8, medium ≥ 0.5, low below.
// A low-confidence sub-grade also carries a range below it (Low): the
// grade the evidence cannot rule out.
package grade

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"gradevault/engine/centering"
	"gradevault/engine/item"
)

// Scale is the label every grade carries.
const Scale = "GradeVault's own scale — not a PSA/CGC/BGS grade"

// Defect is one named, located defect of the defect analysis.
type Defect struct {
	Kind     string       `json:"kind"`               // crease, corner_wear, dent, scratch, unknown
	Region   string       `json:"region"`             // corner_tl, edge_top, spine, surface, …
	BBox     [4]float64   `json:"bbox"`               // x, y, w, h in rectified pixels
	Polyline [][2]float64 `json:"polyline,omitempty"` // rectified pixels
	Severity float64      `json:"severity"`           // 0–1
	LengthMM float64      `json:"length_mm,omitempty"`
}

// Input is the evidence a grade is computed from.
type Input struct {
	ItemType item.Type
	// Defects are the named defects; nil when the analysis does not name
	// defects (then RegionScores are used).
	Defects      []Defect
	RegionScores map[string]float64
	Centering    *centering.Result
	// How far the analysis can be trusted.
	Picks, RelaxedPicks int
	OutlineFound        bool
	OutlineDoubtful     string // a reason, or "" when the outline looks right
	Frames, Aligned     int    // analysis frames, and how many aligned
	MaxResidualPx       float64
	// AnalysisConfidence is the defect analysis's own confidence (0–1), or
	// a negative number when it does not report one.
	AnalysisConfidence float64
	// AnalysisReasons are the defect analysis's reasons for doubt (each
	// caps confidence at 0.6).
	AnalysisReasons []string
	NoAnalysis      bool // the defect analysis did not run
	// SelectionLevel is the frame selection's confidence ("high",
	// "medium", "low"; "" when unknown) and SelectionReasons its reasons.
	SelectionLevel   string
	SelectionReasons []string
}

// Subgrade is one graded aspect.
type Subgrade struct {
	Name      string  `json:"name"`
	Available bool    `json:"available"`
	Grade     float64 `json:"grade"`
	// Low is the lowest grade the evidence cannot rule out (Grade when
	// confidence is high).
	Low             float64  `json:"low"`
	Confidence      float64  `json:"confidence"`
	ConfidenceLabel string   `json:"confidenceLabel"`
	Evidence        []string `json:"evidence"`
	Reasons         []string `json:"reasons,omitempty"` // why confidence is lower
}

// Subgrades is result.json's `subgrades`.
type Subgrades struct {
	Scale     string   `json:"scale"`
	Corners   Subgrade `json:"corners"`
	Edges     Subgrade `json:"edges"`
	Surface   Subgrade `json:"surface"`
	Centering Subgrade `json:"centering"`
	Overall   Subgrade `json:"overall"`
}

// List returns the sub-grades in report order, overall last.
func (s *Subgrades) List() []Subgrade {
	return []Subgrade{s.Corners, s.Edges, s.Surface, s.Centering, s.Overall}
}

var kindWeight = map[string]float64{"crease": 6, "corner_wear": 6, "dent": 4, "scratch": 3}

func weight(kind string) float64 {
	if w, ok := kindWeight[kind]; ok {
		return w
	}
	return 2
}

// group says which sub-grade a defect counts against.
func group(d Defect) string {
	switch {
	case d.Kind == "corner_wear" || strings.HasPrefix(d.Region, "corner"):
		return "corners"
	case strings.HasPrefix(d.Region, "edge") || d.Region == "spine":
		return "edges"
	}
	return "surface"
}

// floorHalf rounds down to a half point, within 1–10.
func floorHalf(g float64) float64 {
	g = math.Floor(2*g+1e-9) / 2
	return math.Max(1, math.Min(10, g))
}

// Label names a confidence.
func Label(c float64) string {
	switch {
	case c >= 0.8:
		return "high"
	case c >= 0.5:
		return "medium"
	}
	return "low"
}

// confidence collects reductions.
type confidence struct {
	v       float64
	reasons []string
}

func (c *confidence) cap(v float64, reason string) {
	if v < c.v {
		c.v = v
		c.reasons = append(c.reasons, reason)
	}
}

func (c *confidence) scale(f float64, reason string) {
	if f < 1 {
		c.v *= f
		c.reasons = append(c.reasons, reason)
	}
}

// analysisConfidence is what the scan as a whole allows.
func analysisConfidence(in Input) confidence {
	c := confidence{v: 1}
	if in.NoAnalysis {
		c.cap(0, "the defect analysis did not run")
		return c
	}
	if !in.OutlineFound {
		c.cap(0.3, "the item's outline was not found: the whole frame was analysed")
	} else if in.OutlineDoubtful != "" {
		c.cap(0.5, "the outline is doubtful: "+in.OutlineDoubtful)
	}
	if in.RelaxedPicks > 0 && in.Picks > 0 {
		c.scale(math.Pow(0.85, float64(in.RelaxedPicks)),
			fmt.Sprintf("%d of %d frames were taken while the camera moved", in.RelaxedPicks, in.Picks))
	}
	if in.Frames > 0 && in.Aligned < in.Frames {
		c.scale(float64(in.Aligned)/float64(in.Frames),
			fmt.Sprintf("%d of %d frames could not be aligned", in.Frames-in.Aligned, in.Frames))
	}
	if in.Aligned > 0 && in.Aligned < 3 {
		c.cap(0.5, fmt.Sprintf("only %d usable frames: light angles are missing", in.Aligned))
	}
	if in.MaxResidualPx > 1.5 {
		c.scale(0.7, fmt.Sprintf("alignment is loose (%.1f px residual)", in.MaxResidualPx))
	}
	switch in.SelectionLevel {
	case "low":
		c.cap(0.3, "frame selection: "+strings.Join(in.SelectionReasons, "; "))
	case "medium":
		c.cap(0.7, "frame selection: "+strings.Join(in.SelectionReasons, "; "))
	}
	if len(in.AnalysisReasons) > 0 {
		c.cap(0.6, "defect analysis: "+strings.Join(in.AnalysisReasons, "; "))
	}
	if in.AnalysisConfidence >= 0 {
		c.cap(in.AnalysisConfidence, fmt.Sprintf("the defect analysis reports confidence %.2f", in.AnalysisConfidence))
	}
	return c
}

// Compute grades the evidence.
func Compute(in Input) *Subgrades {
	base := analysisConfidence(in)
	s := &Subgrades{Scale: Scale}
	regionsOf := map[string][]string{
		"corners": {"corner_tl", "corner_tr", "corner_bl", "corner_br"},
		"edges":   {"edge_top", "edge_right", "edge_bottom", "edge_left", "edges"},
		"surface": {"surface"},
	}
	if in.ItemType.HasSpine() {
		regionsOf["edges"] = append(regionsOf["edges"], "spine")
	}
	for _, name := range []string{"corners", "edges", "surface"} {
		sg := Subgrade{Name: name}
		c := base
		c.reasons = slices.Clone(base.reasons)
		switch {
		case in.NoAnalysis:
			sg.Evidence = []string{"no defect analysis"}
		case in.Defects != nil:
			sg.Available = true
			var pens []float64
			for i, d := range in.Defects {
				if group(d) != name {
					continue
				}
				p := weight(d.Kind) * math.Max(0, math.Min(1, d.Severity))
				pens = append(pens, p)
				ev := fmt.Sprintf("#%d %s in %s, severity %.2f", i+1, strings.ReplaceAll(d.Kind, "_", " "), d.Region, d.Severity)
				if d.LengthMM > 0 {
					ev += fmt.Sprintf(", %.0f mm", d.LengthMM)
				}
				sg.Evidence = append(sg.Evidence, ev)
			}
			slices.Sort(pens)
			g := 10.0
			for i, p := range slices.Backward(pens) {
				if i == len(pens)-1 {
					g -= p
				} else {
					g -= p / 2
				}
			}
			sg.Grade = floorHalf(g)
			if len(pens) == 0 {
				sg.Evidence = []string{"no defect found"}
			}
		default:
			worst, wname, found := 0.0, "", false
			for _, r := range regionsOf[name] {
				if v, ok := in.RegionScores[r]; ok {
					found = true
					if v >= worst {
						worst, wname = v, r
					}
				}
			}
			if !found {
				sg.Evidence = []string{"no region of this kind was analysed"}
				break
			}
			sg.Available = true
			sg.Grade = floorHalf(10 - worst/8)
			sg.Evidence = []string{fmt.Sprintf("worst region %s scores %.1f/100", wname, worst)}
			c.cap(0.6, "graded from region scores, which also respond to printed detail (no named defects)")
		}
		finish(&sg, c)
		switch name {
		case "corners":
			s.Corners = sg
		case "edges":
			s.Edges = sg
		case "surface":
			s.Surface = sg
		}
	}
	s.Centering = centeringGrade(in)
	s.Overall = overall(s)
	return s
}

// centeringGrade maps the worse ratio through the table.
func centeringGrade(in Input) Subgrade {
	sg := Subgrade{Name: "centering"}
	c := confidence{v: 1}
	switch {
	case in.Centering == nil:
		sg.Evidence = []string{"not measured (no printed border expected for this item)"}
	case !in.Centering.Found:
		sg.Evidence = []string{"no printed border found"}
		sg.Evidence = append(sg.Evidence, in.Centering.Reasons...)
	default:
		ce := in.Centering
		worse := math.Max(centering.Worse(ce.LR), centering.Worse(ce.TB))
		sg.Available = true
		sg.Grade = CenteringGrade(worse)
		sg.Evidence = []string{fmt.Sprintf("left/right %s, top/bottom %s", ce.LRLabel, ce.TBLabel)}
		if ce.LeftMM > 0 {
			sg.Evidence = append(sg.Evidence, fmt.Sprintf("borders %.1f / %.1f mm, %.1f / %.1f mm", ce.LeftMM, ce.RightMM, ce.TopMM, ce.BottomMM))
		}
		if ce.Manual {
			sg.Evidence = append(sg.Evidence, "guide lines set by hand")
		} else {
			if ce.Confidence < 0.9 {
				c.cap(ce.Confidence, fmt.Sprintf("centering measured with confidence %.2f", ce.Confidence))
			} else {
				c.v = math.Min(c.v, ce.Confidence)
			}
			c.reasons = append(c.reasons, ce.Reasons...)
		}
		if !in.OutlineFound {
			c.cap(0.3, "the item's outline was not found")
		} else if in.OutlineDoubtful != "" {
			c.cap(0.5, "the outline is doubtful: "+in.OutlineDoubtful)
		}
	}
	finish(&sg, c)
	return sg
}

// CenteringGrade maps the worse share of a ratio (50–100) to a grade.
func CenteringGrade(worse float64) float64 {
	steps := []struct{ max, grade float64 }{
		{52.5, 10}, {55, 9.5}, {57.5, 9}, {60, 8.5}, {62.5, 8}, {65, 7.5}, {67.5, 7}, {70, 6.5},
		{75, 6}, {80, 5}, {85, 4}, {90, 3},
	}
	for _, s := range steps {
		if worse <= s.max+1e-9 {
			return s.grade
		}
	}
	return 2
}

// overall is the mean of the available sub-grades, at most one point above
// the lowest; its confidence is the lowest of theirs.
func overall(s *Subgrades) Subgrade {
	sg := Subgrade{Name: "overall"}
	var sum, lo float64 = 0, 10
	n := 0
	c := confidence{v: 1}
	for _, x := range []Subgrade{s.Corners, s.Edges, s.Surface, s.Centering} {
		if !x.Available {
			continue
		}
		n++
		sum += x.Grade
		lo = math.Min(lo, x.Grade)
		if x.Confidence < c.v {
			c.v = x.Confidence
		}
		sg.Evidence = append(sg.Evidence, fmt.Sprintf("%s %.1f", x.Name, x.Grade))
		for _, r := range x.Reasons {
			if !slices.Contains(c.reasons, r) {
				c.reasons = append(c.reasons, r)
			}
		}
	}
	if n == 0 {
		sg.Evidence = []string{"nothing could be graded"}
		finish(&sg, confidence{v: 0})
		return sg
	}
	sg.Available = true
	sg.Grade = floorHalf(math.Min(sum/float64(n), lo+1))
	if n < 4 {
		c.cap(math.Min(c.v, 0.7), fmt.Sprintf("only %d of 4 aspects could be graded", n))
	}
	finish(&sg, c)
	return sg
}

// finish sets confidence, its label and the low end of the range.
func finish(sg *Subgrade, c confidence) {
	if !sg.Available {
		c.v = 0
	}
	sg.Confidence = math.Round(100*math.Max(0, c.v)) / 100
	sg.ConfidenceLabel = Label(sg.Confidence)
	sg.Reasons = c.reasons
	sg.Low = sg.Grade
	if sg.Available && sg.Confidence < 0.8 {
		// Up to three points below at zero confidence.
		sg.Low = floorHalf(sg.Grade - 3*(0.8-sg.Confidence)/0.8)
	}
}
