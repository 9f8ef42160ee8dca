package glint

import (
	"image"
	"math"

	"gocv.io/x/gocv"

	"gradevault/engine/item"
)

// regionSpec is one named region as fractions of the rectified item
// (x0, y0, x1, y1) and its weight in the damage score.
type regionSpec struct {
	name   string
	frac   [4]float64
	weight float64
}

// comicRegions are the original worker's regions and weights.
var comicRegions = []regionSpec{
	{"corner_tl", [4]float64{0, 0, .18, .15}, .15},
	{"corner_tr", [4]float64{.82, 0, 1, .15}, .15},
	{"corner_bl", [4]float64{0, .85, .18, 1}, .15},
	{"corner_br", [4]float64{.82, .85, 1, 1}, .15},
	{"spine", [4]float64{0, .15, .12, .85}, .20},
	{"surface", [4]float64{.15, .15, .85, .85}, .20},
}

// cardRegions: a card has no spine; its four edges are graded instead.
var cardRegions = []regionSpec{
	{"corner_tl", [4]float64{0, 0, .18, .13}, .125},
	{"corner_tr", [4]float64{.82, 0, 1, .13}, .125},
	{"corner_bl", [4]float64{0, .87, .18, 1}, .125},
	{"corner_br", [4]float64{.82, .87, 1, 1}, .125},
	{"edge_top", [4]float64{.18, 0, .82, .1}, .0625},
	{"edge_bottom", [4]float64{.18, .9, .82, 1}, .0625},
	{"edge_left", [4]float64{0, .13, .12, .87}, .0625},
	{"edge_right", [4]float64{.88, .13, 1, .87}, .0625},
	{"surface", [4]float64{.15, .15, .85, .85}, .25},
}

// regionsFor returns the regions graded for an item type (toys use the
// comic's layout without meaning a spine; their report says so).
func regionsFor(t item.Type) []regionSpec {
	if t.OrDefault() == item.Card {
		return cardRegions
	}
	return comicRegions
}

// RegionFraction is a region of an item type as fractions (x0, y0, x1, y1)
// of the rectified item, the rectangle the analysis measures.
func RegionFraction(t item.Type, name string) ([4]float64, bool) {
	for _, r := range regionsFor(t) {
		if r.name == name {
			return r.frac, true
		}
	}
	return [4]float64{}, false
}

// RegionNamesFor lists the region names of an item type, in report order.
func RegionNamesFor(t item.Type) []string {
	var out []string
	for _, r := range regionsFor(t) {
		out = append(out, r.name)
	}
	return out
}

// rect converts a region's fractions to canvas pixels.
func (r regionSpec) rect(w, h int) image.Rectangle {
	f := r.frac
	return image.Rect(int(f[0]*float64(w)), int(f[1]*float64(h)), int(f[2]*float64(w)), int(f[3]*float64(h)))
}

// sumRegion adds up a region's valid pixels: how many there are, how many
// are in the mask and on an edge, and the sum and maximum of their score.
func sumRegion(rc image.Rectangle, w int, valid, mask, edges []uint8, score []float32) (cnt, masked, edge int, sum float64, mx float32) {
	for y := rc.Min.Y; y < rc.Max.Y; y++ {
		for x := rc.Min.X; x < rc.Max.X; x++ {
			i := y*w + x
			if valid[i] == 0 {
				continue
			}
			cnt++
			masked += int(mask[i])
			if edges[i] != 0 {
				edge++
			}
			sum += float64(score[i])
			mx = max(mx, score[i])
		}
	}
	return cnt, masked, edge, sum, mx
}

// isCorner reports whether the region is one of the four corners.
func (r regionSpec) isCorner() bool { return len(r.name) > 7 && r.name[:7] == "corner_" }

// regionAt names the region containing the canvas point (x, y): the first
// region (corners first) containing it, else the nearest.
func regionAt(specs []regionSpec, x, y float64, w, h int) string {
	best, bd := "surface", math.Inf(1)
	for _, r := range specs {
		rc := r.rect(w, h)
		dx := math.Max(0, math.Max(float64(rc.Min.X)-x, x-float64(rc.Max.X)))
		dy := math.Max(0, math.Max(float64(rc.Min.Y)-y, y-float64(rc.Max.Y)))
		d := math.Hypot(dx, dy)
		if d == 0 {
			return r.name
		}
		if d < bd {
			best, bd = r.name, d
		}
	}
	return best
}

// scoreRegions fills the report's region scores and details, damage score
// and defect percentage from the print-free defect map and the corner
// measurements. A region scores 100 when densityFullScore of it is in the
// mask; a corner adds 100 when cornerFullScore of its corner triangle is
// missing. Edge density is Canny(40,120) of the reference frame (the
// print's, for information only: it does not enter the score).
func scoreRegions(dm *defectMap, wear [4]cornerWear, specs []regionSpec, refGrey gocv.Mat, rep *Report) {
	edges := gocv.NewMat()
	defer edges.Close()
	gocv.Canny(refGrey, &edges, 40, 120)
	ep, _ := edges.DataPtrUint8()
	rep.Regions = nil
	rep.RegionScores = map[string]float64{}
	rep.RegionDetails = map[string]RegionDetail{}
	damage, wsum := 0.0, 0.0
	for _, r := range specs {
		rc := r.rect(dm.w, dm.h)
		cnt, masked, edge, sum, mx := sumRegion(rc, dm.w, dm.valid, dm.mask, ep, dm.score)
		var d RegionDetail
		if cnt > 0 {
			d.DefectCoverage = 100 * float64(masked) / float64(cnt)
			d.MeanIntensity = 100 * sum / float64(cnt)
			d.MaxIntensity = 100 * float64(mx)
			d.EdgeDensity = 100 * float64(edge) / float64(cnt)
			d.QualityScore = math.Min(100, 100*float64(masked)/float64(cnt)/densityFullScore)
		}
		if c, ok := cornerIndex[r.name]; ok {
			d.MissingPercent = 100 * wear[c].missing
			d.QualityScore = math.Min(100, 100*wear[c].missing/cornerFullScore+0.5*d.QualityScore)
		}
		damage += r.weight * d.QualityScore
		wsum += r.weight
		d = RegionDetail{
			DefectCoverage: round(d.DefectCoverage, 2),
			MeanIntensity:  round(d.MeanIntensity, 2),
			MaxIntensity:   round(d.MaxIntensity, 2),
			EdgeDensity:    round(d.EdgeDensity, 2),
			QualityScore:   round(d.QualityScore, 2),
			MissingPercent: round(d.MissingPercent, 2),
		}
		rep.Regions = append(rep.Regions, r.name)
		rep.RegionDetails[r.name] = d
		rep.RegionScores[r.name] = d.QualityScore
	}
	if wsum > 0 {
		rep.DamageScore = round(damage/wsum, 2)
	}
	var cnt, masked int
	for i, v := range dm.valid {
		if v != 0 {
			cnt++
			masked += int(dm.mask[i])
		}
	}
	if cnt > 0 {
		rep.DefectPercentage = round(100*float64(masked)/float64(cnt), 2)
	}
}
