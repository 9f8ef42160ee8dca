package glint

import (
	"image"
	"image/color"
	"math"
	"slices"

	"gocv.io/x/gocv"

	"gradevault/engine/item"
)

// Defect kinds.
const (
	KindCrease     = "crease"
	KindCornerWear = "corner_wear"
	KindDent       = "dent"
	KindScratch    = "scratch"
	KindUnknown    = "unknown"
)

// Corner-wear parameters.
const (
	// cornerSideFrac is the side of the corner triangle whose coverage by
	// the item is measured, as a fraction of the item's shorter side.
	cornerSideFrac = 0.12
	// cornerMarginFrac is the band along each edge left out of the
	// measurement (outline tracing rounds the very edge pixels).
	cornerMarginFrac = 0.012
	// cornerWearMin is the missing share of the corner triangle from
	// which a corner is reported as worn.
	cornerWearMin = 0.02
	// cornerFullScore is the missing share that scores 100.
	cornerFullScore = 0.15
	// densityFullScore is the share of a region's pixels in the defect mask
	// that scores 100.
	densityFullScore = 0.03
)

// Defect is one named, located defect. Coordinates are in the rectified
// item image (rectifiedSize pixels, origin at its top-left corner) and in
// millimetres of the item's nominal size (absent for toys).
type Defect struct {
	Kind       string       `json:"kind"` // crease, corner_wear, dent, scratch or unknown
	Region     string       `json:"region"`
	BBoxPx     [4]float64   `json:"bboxPx"` // x0, y0, x1, y1
	BBoxMM     *[4]float64  `json:"bboxMm,omitempty"`
	PolylinePx [][2]float64 `json:"polylinePx"`
	PolylineMM [][2]float64 `json:"polylineMm,omitempty"`
	LengthPx   float64      `json:"lengthPx"`
	LengthMM   float64      `json:"length_mm,omitempty"`
	// Severity is 0–1: the strength of the evidence and the defect's size.
	Severity float64 `json:"severity"`
	// Frames are the video frames in which the defect is visible.
	Frames []int `json:"frames"`
}

var colorWhite = color.RGBA{255, 255, 255, 0}

// cornerFrame is one analysis frame's traced outline on the canvas.
type cornerFrame struct {
	index   int
	contour [][2]float64 // canvas coordinates
}

// cornerWear is the measured loss at one corner.
type cornerWear struct {
	missing float64    // median share of the corner triangle not covered by the item
	pixels  [][2]int   // canvas pixels missing in most frames
	frames  []int      // frames in which the corner is worn
	tip     [2]float64 // how far the loss reaches along the two edges, px
}

// cornerIndex maps the corner region names to TL, TR, BR, BL.
var cornerIndex = map[string]int{"corner_tl": 0, "corner_tr": 1, "corner_br": 2, "corner_bl": 3}

// measureCorners compares the item's traced outline with the ideal
// rectangle (the canvas) at each corner, in every analysis frame.
func measureCorners(frames []cornerFrame, w, h int) [4]cornerWear {
	var out [4]cornerWear
	if len(frames) == 0 {
		return out
	}
	s := min(w, h)
	p := max(6, int(math.Round(cornerSideFrac*float64(s))))
	m := max(2, int(math.Round(cornerMarginFrac*float64(s))))
	// Corner-local coordinates (a along the horizontal edge, b along the
	// vertical one, both inward) to canvas pixels.
	toCanvas := func(c, a, b int) (int, int) {
		switch c {
		case 0:
			return a, b
		case 1:
			return w - 1 - a, b
		case 2:
			return w - 1 - a, h - 1 - b
		}
		return a, h - 1 - b
	}
	type cell struct{ a, b int }
	var cells []cell
	for b := m; b < p; b++ {
		for a := m; a+b < p; a++ {
			cells = append(cells, cell{a, b})
		}
	}
	votes := [4][]int{}
	for c := range votes {
		votes[c] = make([]int, len(cells))
	}
	shares := [4][]float64{}
	fill := gocv.NewMatWithSize(h, w, gocv.MatTypeCV8U)
	defer fill.Close()
	for _, f := range frames {
		fill.SetTo(gocv.NewScalar(0, 0, 0, 0))
		pts := make([]image.Point, len(f.contour))
		for i, q := range f.contour {
			pts[i] = image.Pt(int(math.Round(q[0])), int(math.Round(q[1])))
		}
		pv := gocv.NewPointsVectorFromPoints([][]image.Point{pts})
		gocv.FillPoly(&fill, pv, colorWhite)
		pv.Close()
		fp, _ := fill.DataPtrUint8()
		for c := 0; c < 4; c++ {
			miss := 0
			for k, cl := range cells {
				x, y := toCanvas(c, cl.a, cl.b)
				if fp[y*w+x] == 0 {
					miss++
					votes[c][k]++
				}
			}
			sh := float64(miss) / float64(len(cells))
			shares[c] = append(shares[c], sh)
			if sh >= cornerWearMin {
				out[c].frames = append(out[c].frames, f.index)
			}
		}
	}
	for c := 0; c < 4; c++ {
		out[c].missing = medianF64(slices.Clone(shares[c]))
		for k, cl := range cells {
			if 2*votes[c][k] > len(frames) {
				x, y := toCanvas(c, cl.a, cl.b)
				out[c].pixels = append(out[c].pixels, [2]int{x, y})
				out[c].tip[0] = math.Max(out[c].tip[0], float64(cl.a+1))
				out[c].tip[1] = math.Max(out[c].tip[1], float64(cl.b+1))
			}
		}
	}
	return out
}

// mmScale converts canvas pixels to millimetres (0 for toys).
type mmScale struct{ x, y float64 }

func newMMScale(t item.Type, w, h int, landscape bool) mmScale {
	wm, hm := t.SizeMM()
	if wm == 0 {
		return mmScale{}
	}
	if landscape {
		wm, hm = hm, wm
	}
	return mmScale{wm / float64(w), hm / float64(h)}
}

func (s mmScale) ok() bool { return s.x > 0 }

// finish fills the millimetre fields and rounds the pixel ones.
func (s mmScale) finish(d *Defect) {
	for i := range d.BBoxPx {
		d.BBoxPx[i] = round(d.BBoxPx[i], 1)
	}
	for i := range d.PolylinePx {
		d.PolylinePx[i] = [2]float64{round(d.PolylinePx[i][0], 1), round(d.PolylinePx[i][1], 1)}
	}
	d.LengthPx = round(d.LengthPx, 1)
	d.Severity = round(d.Severity, 3)
	if !s.ok() {
		return
	}
	b := [4]float64{round(d.BBoxPx[0]*s.x, 1), round(d.BBoxPx[1]*s.y, 1), round(d.BBoxPx[2]*s.x, 1), round(d.BBoxPx[3]*s.y, 1)}
	d.BBoxMM = &b
	var L float64
	for i, p := range d.PolylinePx {
		d.PolylineMM = append(d.PolylineMM, [2]float64{round(p[0]*s.x, 1), round(p[1]*s.y, 1)})
		if i > 0 {
			q := d.PolylinePx[i-1]
			L += math.Hypot((p[0]-q[0])*s.x, (p[1]-q[1])*s.y)
		}
	}
	d.LengthMM = round(L, 1)
}

// findDefects names and locates the defects: the worn corners, then each
// connected part of the defect mask, classified by its shape.
func findDefects(dm *defectMap, wear [4]cornerWear, specs []regionSpec, sc mmScale) []Defect {
	w, h := dm.w, dm.h
	var out []Defect
	worn := map[string]bool{}
	for _, r := range specs {
		c, ok := cornerIndex[r.name]
		if !ok || wear[c].missing < cornerWearMin || len(wear[c].pixels) == 0 {
			continue
		}
		cw := wear[c]
		x0, y0, x1, y1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
		for _, p := range cw.pixels {
			x0, y0 = math.Min(x0, float64(p[0])), math.Min(y0, float64(p[1]))
			x1, y1 = math.Max(x1, float64(p[0]+1)), math.Max(y1, float64(p[1]+1))
		}
		// The chamfer: from the loss's reach along one edge to its reach
		// along the other.
		ta, tb := cw.tip[0], cw.tip[1]
		var pl [][2]float64
		switch c {
		case 0:
			pl = [][2]float64{{ta, 0}, {0, tb}}
		case 1:
			pl = [][2]float64{{float64(w) - ta, 0}, {float64(w), tb}}
		case 2:
			pl = [][2]float64{{float64(w), float64(h) - tb}, {float64(w) - ta, float64(h)}}
		default:
			pl = [][2]float64{{0, float64(h) - tb}, {ta, float64(h)}}
		}
		d := Defect{Kind: KindCornerWear, Region: r.name, BBoxPx: [4]float64{x0, y0, x1, y1}, PolylinePx: pl,
			LengthPx: math.Hypot(ta, tb), Severity: math.Min(1, cw.missing/(2*cornerFullScore)),
			Frames: slices.Clone(cw.frames)}
		sc.finish(&d)
		out = append(out, d)
		worn[r.name] = true
	}

	// Connected parts of the mask, joined across small gaps.
	m := gocv.NewMatWithSize(h, w, gocv.MatTypeCV8U)
	defer m.Close()
	mp, _ := m.DataPtrUint8()
	for i, v := range dm.mask {
		mp[i] = 255 * v
	}
	js := max(5, 2*int(math.Round(0.008*float64(min(w, h))))+1)
	k := gocv.GetStructuringElement(gocv.MorphEllipse, image.Pt(js, js))
	defer k.Close()
	joined := gocv.NewMat()
	defer joined.Close()
	gocv.MorphologyEx(m, &joined, gocv.MorphClose, k)
	labels := gocv.NewMat()
	defer labels.Close()
	nl := gocv.ConnectedComponents(joined, &labels)
	lab := labelsOf(labels)
	comps := make([][]int, nl)
	for i, l := range lab {
		if l > 0 && dm.mask[i] != 0 {
			comps[l] = append(comps[l], i)
		}
	}
	short := float64(min(w, h))
	comps = mergeSegments(comps[1:], w, 0.1*short)
	for _, px := range comps {
		if len(px) < 6 {
			continue
		}
		var sx, sy, sxx, syy, sxy, se float64
		for _, i := range px {
			x, y := float64(i%w), float64(i/w)
			sx += x
			sy += y
			sxx += x * x
			syy += y * y
			sxy += x * y
			se += float64(dm.evidence[i])
		}
		n := float64(len(px))
		mx, my := sx/n, sy/n
		cxx, cyy, cxy := sxx/n-mx*mx, syy/n-my*my, sxy/n-mx*my
		th := 0.5 * math.Atan2(2*cxy, cxx-cyy)
		ux, uy := math.Cos(th), math.Sin(th)
		lo, hi := math.Inf(1), math.Inf(-1)
		x0, y0, x1, y1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
		for _, i := range px {
			x, y := float64(i%w), float64(i/w)
			t := (x-mx)*ux + (y-my)*uy
			lo, hi = math.Min(lo, t), math.Max(hi, t)
			x0, y0 = math.Min(x0, x), math.Min(y0, y)
			x1, y1 = math.Max(x1, x+1), math.Max(y1, y+1)
		}
		L := hi - lo + 1
		W := n / L
		region := regionAt(specs, mx, my, w, h)
		_, inCorner := cornerIndex[region]
		kind := KindUnknown
		switch {
		case L >= 5*W && L >= 0.1*short:
			kind = KindCrease
		case L >= 4*W:
			kind = KindScratch
		case inCorner:
			kind = KindCornerWear
		case n >= 0.0004*float64(w*h):
			kind = KindDent
		}
		if kind == KindCornerWear && worn[region] {
			continue // the same wear, already located from the outline
		}
		// Polyline: mean position in bins along the main axis.
		nb := int(math.Max(2, math.Min(12, math.Round(L/12))))
		bx, by, bc := make([]float64, nb), make([]float64, nb), make([]float64, nb)
		for _, i := range px {
			x, y := float64(i%w), float64(i/w)
			t := (x-mx)*ux + (y-my)*uy
			b := min(nb-1, int((t-lo)/L*float64(nb)))
			bx[b] += x + 0.5
			by[b] += y + 0.5
			bc[b]++
		}
		var pl [][2]float64
		for b := 0; b < nb; b++ {
			if bc[b] > 0 {
				pl = append(pl, [2]float64{bx[b] / bc[b], by[b] / bc[b]})
			}
		}
		var plen float64
		for i := 1; i < len(pl); i++ {
			plen += dist(pl[i], pl[i-1])
		}
		meanE := se / n
		sev := math.Min(1, meanE/(3*float64(dm.thrHigh))) * math.Min(1, 0.3+L/(0.3*short))
		var frames []int
		for f, pf := range dm.perFrame {
			var s float64
			c := 0
			for _, i := range px {
				if pf[i] >= 0 {
					s += float64(pf[i])
					c++
				}
			}
			if c > 0 && s/float64(c) >= float64(dm.thrLow) {
				frames = append(frames, dm.frames[f])
			}
		}
		d := Defect{Kind: kind, Region: region, BBoxPx: [4]float64{x0, y0, x1, y1}, PolylinePx: pl,
			LengthPx: math.Max(plen, L), Severity: sev, Frames: frames}
		if d.Frames == nil {
			d.Frames = []int{}
		}
		sc.finish(&d)
		out = append(out, d)
	}
	slices.SortStableFunc(out, func(a, b Defect) int {
		switch {
		case a.Severity > b.Severity:
			return -1
		case a.Severity < b.Severity:
			return 1
		}
		return 0
	})
	return out
}

// segment is the shape of one connected part of the mask.
type segment struct {
	mx, my, ux, uy, lo, hi, width float64
}

func segmentOf(px []int, w int) segment {
	var sx, sy, sxx, syy, sxy float64
	for _, i := range px {
		x, y := float64(i%w), float64(i/w)
		sx += x
		sy += y
		sxx += x * x
		syy += y * y
		sxy += x * y
	}
	n := float64(len(px))
	g := segment{mx: sx / n, my: sy / n}
	cxx, cyy, cxy := sxx/n-g.mx*g.mx, syy/n-g.my*g.my, sxy/n-g.mx*g.my
	th := 0.5 * math.Atan2(2*cxy, cxx-cyy)
	g.ux, g.uy = math.Cos(th), math.Sin(th)
	g.lo, g.hi = math.Inf(1), math.Inf(-1)
	for _, i := range px {
		t := (float64(i%w)-g.mx)*g.ux + (float64(i/w)-g.my)*g.uy
		g.lo, g.hi = math.Min(g.lo, t), math.Max(g.hi, t)
	}
	g.width = n / (g.hi - g.lo + 1)
	return g
}

// ends returns the segment's two end points.
func (g segment) ends() [2][2]float64 {
	return [2][2]float64{{g.mx + g.lo*g.ux, g.my + g.lo*g.uy}, {g.mx + g.hi*g.ux, g.my + g.hi*g.uy}}
}

// mergeSegments joins elongated parts of the mask that continue each other
// (nearly parallel, end to end within maxGap, on one line): a crease that
// catches the light unevenly is one crease.
func mergeSegments(comps [][]int, w int, maxGap float64) [][]int {
	n := len(comps)
	segs := make([]segment, n)
	long := make([]bool, n)
	for i, c := range comps {
		if len(c) < 6 {
			continue
		}
		segs[i] = segmentOf(c, w)
		L := segs[i].hi - segs[i].lo + 1
		long[i] = L >= 3*segs[i].width && L >= 8
	}
	parent := make([]int, n)
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	for i := 0; i < n; i++ {
		if !long[i] {
			continue
		}
		for j := i + 1; j < n; j++ {
			if !long[j] {
				continue
			}
			a, b := segs[i], segs[j]
			if math.Abs(a.ux*b.ux+a.uy*b.uy) < math.Cos(15*math.Pi/180) {
				continue
			}
			ea, eb := a.ends(), b.ends()
			gap := math.Inf(1)
			for _, p := range ea {
				for _, q := range eb {
					gap = math.Min(gap, dist(p, q))
				}
			}
			if gap > maxGap {
				continue
			}
			// b's ends lie on a's line and vice versa.
			tol := 3 + a.width + b.width
			off := func(g segment, p [2]float64) float64 {
				return math.Abs((p[0]-g.mx)*(-g.uy) + (p[1]-g.my)*g.ux)
			}
			if off(a, eb[0]) > tol || off(a, eb[1]) > tol || off(b, ea[0]) > tol || off(b, ea[1]) > tol {
				continue
			}
			parent[find(j)] = find(i)
		}
	}
	groups := map[int][]int{}
	var order []int
	for i, c := range comps {
		r := find(i)
		if _, ok := groups[r]; !ok {
			order = append(order, r)
		}
		groups[r] = append(groups[r], c...)
	}
	out := make([][]int, 0, len(order))
	for _, r := range order {
		out = append(out, groups[r])
	}
	return out
}
