package scan

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"sync"

	"gocv.io/x/gocv"

	"gradevault/engine/centering"
	"gradevault/engine/glint"
	"gradevault/engine/grade"
	"gradevault/engine/item"
)

// outlineOf is the item's outline in golden frame frame (image img): the
// one the glint analysis found there, or, for a frame it did not see (a
// result from before outline checks had corners), found again.
func outlineOf(rep *glint.Report, frame int, img gocv.Mat, t item.Type) (corners [4][2]float64, found bool) {
	for _, c := range rep.OutlineChecks {
		if c.Frame != frame {
			continue
		}
		if !c.Found {
			return corners, false
		}
		if len(c.Corners) == 4 {
			copy(corners[:], c.Corners)
			return corners, true
		}
	}
	return glint.FindOutline(img, t)
}

// measureCentering measures the printed border on every golden frame
// (BGR, upright, in golden-frame order) rectified onto the glint analysis's
// canvas. The reference frame uses ref when given (corners set by hand),
// else the glint outline; the other frames use their own outline. Toys
// have no border: nil.
func measureCentering(res *Result, images []gocv.Mat, ref *[4][2]float64) *centering.Result {
	if res.Report == nil || res.ItemType.OrDefault() == item.Toy || len(images) == 0 {
		return nil
	}
	w, h := res.Report.RectifiedSize[0], res.Report.RectifiedSize[1]
	if w <= 0 || h <= 0 || w > h {
		// Without a rectified portrait canvas there is nothing to measure.
		return nil
	}
	// One goroutine a frame: each rectifies its frame and measures its
	// border alone.
	ms := make([]centering.Measurement, len(images))
	var wg sync.WaitGroup
	for i, img := range images {
		wg.Go(func() { ms[i] = measureGolden(res, i, img, ref, w, h) })
	}
	wg.Wait()
	c := centering.Combine(ms, w, h, centeringOptions(res))
	return &c
}

// measureGolden measures the border of golden frame i (see
// measureCentering) on the w×h canvas.
func measureGolden(res *Result, i int, img gocv.Mat, ref *[4][2]float64, w, h int) centering.Measurement {
	frame := 0
	if i < len(res.GoldenFrameDetails) {
		frame = res.GoldenFrameDetails[i].Frame
	}
	var corners [4][2]float64
	found := false
	switch {
	case i == 0 && ref != nil:
		corners, found = *ref, true
	case i == 0 && res.Report.ItemOutline != nil && len(res.Report.ItemOutline.Corners) == 4:
		for k := range 4 {
			corners[k] = res.Report.ItemOutline.Corners[k]
		}
		found = res.Report.ItemOutline.Found
	default:
		corners, found = outlineOf(res.Report, frame, img, res.ItemType)
	}
	if !found {
		return centering.Measurement{Frame: frame, Reason: "outline not found"}
	}
	m, err := centering.MeasureFrame(img, corners, w, h, frame)
	if err != nil {
		m = centering.Measurement{Frame: frame, Reason: err.Error()}
	}
	return m
}

// centeringOptions gives centering the item's real size.
func centeringOptions(res *Result) centering.Options {
	wmm, hmm := res.ItemType.SizeMM()
	return centering.Options{WidthMM: wmm, HeightMM: hmm}
}

// gradeInput collects the evidence for the sub-grades from a result.
func gradeInput(res *Result) grade.Input {
	in := grade.Input{ItemType: res.ItemType, Centering: res.Centering, AnalysisConfidence: -1,
		SelectionLevel: string(res.Confidence.Level), SelectionReasons: res.Confidence.Reasons}
	for _, g := range res.GoldenFrameDetails {
		in.Picks++
		if g.Relaxed {
			in.RelaxedPicks++
		}
	}
	rep := res.Report
	if rep == nil {
		in.NoAnalysis = true
		return in
	}
	in.RegionScores = rep.RegionScores
	in.OutlineFound = rep.ItemOutline != nil && rep.ItemOutline.Found
	for _, a := range rep.Alignment {
		in.Frames++
		if a.Used {
			in.Aligned++
			in.MaxResidualPx = math.Max(in.MaxResidualPx, a.ResidualPx)
		}
	}
	for _, w := range rep.Warnings {
		lw := strings.ToLower(w)
		if strings.Contains(lw, "outline") && !strings.Contains(lw, "not found") &&
			(strings.Contains(lw, "doubt") || strings.Contains(lw, "stretch") || strings.Contains(lw, "aspect")) {
			in.OutlineDoubtful = w
			break
		}
	}
	// The defect analysis's named defects and confidence, when it reports
	// them (read through JSON so this file does not depend on their Go
	// types).
	if raw, err := json.Marshal(rep); err == nil {
		var extra struct {
			Defects    json.RawMessage `json:"defects"`
			Confidence json.RawMessage `json:"confidence"`
			Reasons    []string        `json:"glintConfidenceReasons"`
		}
		if json.Unmarshal(raw, &extra) == nil {
			in.AnalysisReasons = extra.Reasons
			if len(extra.Defects) > 0 && string(extra.Defects) != "null" {
				in.Defects = ParseDefects(extra.Defects)
			}
			var c float64
			if json.Unmarshal(extra.Confidence, &c) == nil && len(extra.Confidence) > 0 {
				in.AnalysisConfidence = c
			} else {
				var obj map[string]json.RawMessage
				if json.Unmarshal(extra.Confidence, &obj) == nil {
					for _, k := range []string{"overall", "value", "score"} {
						if json.Unmarshal(obj[k], &c) == nil && obj[k] != nil {
							in.AnalysisConfidence = c
							break
						}
					}
				}
			}
		}
	}
	return in
}

// ParseDefects reads the defect analysis's `defects` list. It accepts
// `bboxPx` as [x0, y0, x1, y1], a `bbox` as [x, y, w, h], as {x, y, w, h}
// (or width/height) or as {px: …}, and a polyline (`polylinePx` or
// `polyline`) as [[x, y], …] or {px: […]}; unknown shapes are left empty
// rather than failing.
func ParseDefects(raw json.RawMessage) []grade.Defect {
	var items []struct {
		Kind     string          `json:"kind"`
		Region   string          `json:"region"`
		BBox     json.RawMessage `json:"bbox"`
		BBoxPx   json.RawMessage `json:"bboxPx"`
		Polyline json.RawMessage `json:"polyline"`
		PolyPx   json.RawMessage `json:"polylinePx"`
		Severity float64         `json:"severity"`
		LengthMM float64         `json:"length_mm"`
		Length2  float64         `json:"lengthMm"`
	}
	out := []grade.Defect{}
	if json.Unmarshal(raw, &items) != nil {
		return out
	}
	for _, it := range items {
		d := grade.Defect{Kind: it.Kind, Region: it.Region, Severity: it.Severity, LengthMM: it.LengthMM}
		if d.LengthMM == 0 {
			d.LengthMM = it.Length2
		}
		if d.Kind == "" {
			d.Kind = "unknown"
		}
		if len(it.BBoxPx) > 0 && string(it.BBoxPx) != "null" {
			// The defect analysis's bboxPx is x0, y0, x1, y1.
			b := parseBBox(it.BBoxPx)
			d.BBox = [4]float64{b[0], b[1], b[2] - b[0], b[3] - b[1]}
		} else {
			d.BBox = parseBBox(it.BBox)
		}
		d.Polyline = parsePolyline(firstRaw(it.PolyPx, it.Polyline))
		out = append(out, d)
	}
	return out
}

func firstRaw(rs ...json.RawMessage) json.RawMessage {
	for _, r := range rs {
		if len(r) > 0 && string(r) != "null" {
			return r
		}
	}
	return nil
}

func parseBBox(r json.RawMessage) [4]float64 {
	var a []float64
	if json.Unmarshal(r, &a) == nil && len(a) == 4 {
		return [4]float64{a[0], a[1], a[2], a[3]}
	}
	var o map[string]json.RawMessage
	if json.Unmarshal(r, &o) != nil {
		return [4]float64{}
	}
	if px, ok := o["px"]; ok {
		return parseBBox(px)
	}
	get := func(keys ...string) float64 {
		for _, k := range keys {
			var v float64
			if json.Unmarshal(o[k], &v) == nil && o[k] != nil {
				return v
			}
		}
		return 0
	}
	return [4]float64{get("x", "X"), get("y", "Y"), get("w", "width", "W"), get("h", "height", "H")}
}

func parsePolyline(r json.RawMessage) [][2]float64 {
	var p [][2]float64
	if json.Unmarshal(r, &p) == nil {
		return p
	}
	var o map[string]json.RawMessage
	if json.Unmarshal(r, &o) == nil {
		if px, ok := o["px"]; ok {
			return parsePolyline(px)
		}
	}
	return nil
}

// applyGrade measures centering on the golden frames (images, in
// golden-frame order; may be nil to keep the current centering) and
// recomputes the sub-grades. ref overrides the reference frame's outline.
func applyGrade(res *Result, images []gocv.Mat, ref *[4][2]float64) {
	if images != nil {
		res.Centering = measureCentering(res, images, ref)
	}
	res.Subgrades = grade.Compute(gradeInput(res))
}

// Regrade recomputes the sub-grades of the scan in dir from its result.json
// (after the grader moved the centering guides: c is the corrected
// centering, or nil to keep the stored one) and saves it.
func Regrade(dir string, c *centering.Result) (*Result, error) {
	res, err := ReadResult(dir)
	if err != nil {
		return nil, fmt.Errorf("no analysis in %s: %w", dir, err)
	}
	if c != nil {
		res.Centering = c
	}
	applyGrade(res, nil, nil)
	if err := WriteResult(dir, res); err != nil {
		return nil, err
	}
	return res, nil
}

// GradeOf computes the sub-grades of a result from what it holds (for
// results saved before sub-grades existed).
func GradeOf(res *Result) *grade.Subgrades { return grade.Compute(gradeInput(res)) }

// DefectsOf returns the named defects of a result's defect analysis, or
// nil when the analysis names none.
func DefectsOf(res *Result) []grade.Defect { return gradeInput(res).Defects }
