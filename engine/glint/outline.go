package glint

import (
	"image"
	"math"
	"sort"

	"gocv.io/x/gocv"

	"gradevault/engine/item"
)

// Item types, as the engine's item package names them.
const (
	ItemComic = item.Comic
	ItemCard  = item.Card
	ItemToy   = item.Toy
)

// aspect is the width/height of an upright item, 0 for items without a
// fixed shape (toys).
func aspect(itemType item.Type) float64 { return itemType.Aspect() }

// outlineWorkSize is the longest side, in pixels, of the downscaled copy the
// outline search runs on; the corners are then refined by fitting lines to
// the contour and scaled back to the full frame.
const outlineWorkSize = 640

// FindOutline finds the item's outline in a BGR (or grey) frame and returns
// its corners in frame pixels, ordered TL, TR, BR, BL. Comics and cards are
// found as the best bright/contrasting quadrilateral; toys as the bounding
// box of the largest object that differs from the background. If nothing
// suitable is found it returns the frame's own corners and false.
func FindOutline(img gocv.Mat, itemType item.Type) (corners [4][2]float64, found bool) {
	o := findOutline(img, itemType)
	return o.corners, o.found
}

// outlineResult is FindOutline's answer with the item's traced contour (in
// frame pixels), which the corner-wear measurement compares with the ideal
// rectangle.
type outlineResult struct {
	corners [4][2]float64
	found   bool
	contour [][2]float64
}

func findOutline(img gocv.Mat, itemType item.Type) (res outlineResult) {
	var corners [4][2]float64
	defer func() { res.corners = corners }()
	if img.Empty() {
		return res
	}
	w, h := img.Cols(), img.Rows()
	corners = [4][2]float64{{0, 0}, {float64(w - 1), 0}, {float64(w - 1), float64(h - 1)}, {0, float64(h - 1)}}
	bgr := img // no copy of a BGR frame: only a reduced copy is worked on
	if img.Type() != gocv.MatTypeCV8UC3 {
		bgr = toBGR(img)
		defer bgr.Close()
	}

	scale := 1.0
	if m := max(w, h); m > outlineWorkSize {
		scale = float64(outlineWorkSize) / float64(m)
	}
	small := gocv.NewMat()
	defer small.Close()
	if scale < 1 {
		gocv.Resize(bgr, &small, image.Pt(int(math.Round(float64(w)*scale)), int(math.Round(float64(h)*scale))), 0, 0, gocv.InterpolationArea)
	} else {
		bgr.CopyTo(&small)
	}
	sx := float64(small.Cols()) / float64(w)
	sy := float64(small.Rows()) / float64(h)

	var best outlineCandidate
	for _, bin := range outlineBinaries(small) {
		c := bestContour(bin, itemType)
		bin.Close()
		if c.score > best.score {
			best = c
		}
	}
	if best.score <= 0 {
		return res
	}
	for i, p := range best.quad {
		corners[i] = [2]float64{(p[0]+0.5)/sx - 0.5, (p[1]+0.5)/sy - 0.5}
	}
	res.found = true
	res.contour = make([][2]float64, len(best.contour))
	for i, p := range best.contour {
		res.contour[i] = [2]float64{(float64(p.X)+0.5)/sx - 0.5, (float64(p.Y)+0.5)/sy - 0.5}
	}
	return res
}

// toBGR returns a new 3-channel BGR copy of img (grey, BGR or BGRA).
func toBGR(img gocv.Mat) gocv.Mat {
	out := gocv.NewMat()
	switch img.Channels() {
	case 1:
		gocv.CvtColor(img, &out, gocv.ColorGrayToBGR)
	case 4:
		gocv.CvtColor(img, &out, gocv.ColorBGRAToBGR)
	default:
		img.CopyTo(&out)
	}
	if out.Type() != gocv.MatTypeCV8UC3 {
		conv := gocv.NewMat()
		out.ConvertTo(&conv, gocv.MatTypeCV8UC3)
		out.Close()
		out = conv
	}
	return out
}

// outlineBinaries returns foreground masks (the caller closes them):
// distance from the background colour sampled along the frame border, and a
// plain Otsu threshold of the grey image (a bright item on a darker table).
func outlineBinaries(small gocv.Mat) []gocv.Mat {
	w, h := small.Cols(), small.Rows()
	px, err := small.DataPtrUint8()
	if err != nil {
		return nil
	}
	// Background colour: per-channel median of a thin band along the border.
	band := max(2, min(w, h)/60)
	var hist [3][256]int
	n := 0
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if x >= band && x < w-band && y >= band && y < h-band {
				continue
			}
			o := (y*w + x) * 3
			for c := 0; c < 3; c++ {
				hist[c][px[o+c]]++
			}
			n++
		}
	}
	var bg [3]float64
	for c := 0; c < 3; c++ {
		acc := 0
		for v := 0; v < 256; v++ {
			acc += hist[c][v]
			if acc*2 >= n {
				bg[c] = float64(v)
				break
			}
		}
	}
	distMat := gocv.NewMatWithSize(h, w, gocv.MatTypeCV8U)
	d, _ := distMat.DataPtrUint8()
	for i := 0; i < w*h; i++ {
		o := i * 3
		db := float64(px[o]) - bg[0]
		dg := float64(px[o+1]) - bg[1]
		dr := float64(px[o+2]) - bg[2]
		// Darkening with unchanged colour (shadows) counts for less.
		l := (db + dg + dr) / 3
		cb, cg, cr := db-l, dg-l, dr-l
		if l < 0 {
			l *= 0.35
		}
		v := math.Sqrt(3*l*l + cb*cb + cg*cg + cr*cr)
		d[i] = uint8(min(255, v))
	}
	binaries := make([]gocv.Mat, 0, 2)
	binaries = append(binaries, thresholdClean(distMat))
	distMat.Close()

	grey := gocv.NewMat()
	gocv.CvtColor(small, &grey, gocv.ColorBGRToGray)
	binaries = append(binaries, thresholdClean(grey))
	grey.Close()
	return binaries
}

// thresholdClean blurs, Otsu-thresholds and morphologically cleans src.
func thresholdClean(src gocv.Mat) gocv.Mat {
	blur := gocv.NewMat()
	defer blur.Close()
	gocv.GaussianBlur(src, &blur, image.Pt(5, 5), 0, 0, gocv.BorderReplicate)
	bin := gocv.NewMat()
	gocv.Threshold(blur, &bin, 0, 255, gocv.ThresholdBinary|gocv.ThresholdOtsu)
	k := gocv.GetStructuringElement(gocv.MorphRect, image.Pt(7, 7))
	defer k.Close()
	tmp := gocv.NewMat()
	defer tmp.Close()
	gocv.MorphologyEx(bin, &tmp, gocv.MorphClose, k)
	k5 := gocv.GetStructuringElement(gocv.MorphRect, image.Pt(5, 5))
	defer k5.Close()
	gocv.MorphologyEx(tmp, &bin, gocv.MorphOpen, k5)
	return bin
}

type outlineCandidate struct {
	quad    [4][2]float64 // in working-image pixels
	score   float64
	contour []image.Point
}

// bestContour scores the outer contours of bin as item outlines.
func bestContour(bin gocv.Mat, itemType item.Type) outlineCandidate {
	w, h := bin.Cols(), bin.Rows()
	imgArea := float64(w * h)
	contours := gocv.FindContours(bin, gocv.RetrievalExternal, gocv.ChainApproxNone)
	defer contours.Close()
	var best outlineCandidate
	for i := 0; i < contours.Size(); i++ {
		cv := contours.At(i)
		area := gocv.ContourArea(cv)
		if area < 0.008*imgArea {
			continue
		}
		pts := cv.ToPoints()
		minX, minY, maxX, maxY := w, h, -1, -1
		for _, p := range pts {
			minX, minY = min(minX, p.X), min(minY, p.Y)
			maxX, maxY = max(maxX, p.X), max(maxY, p.Y)
		}
		// The background itself, or something filling the whole view.
		touches := 0
		if minX <= 1 {
			touches++
		}
		if minY <= 1 {
			touches++
		}
		if maxX >= w-2 {
			touches++
		}
		if maxY >= h-2 {
			touches++
		}
		if touches >= 3 {
			continue
		}
		if itemType == ItemToy {
			score := area / imgArea
			if score > best.score {
				best = outlineCandidate{
					quad:    [4][2]float64{{float64(minX), float64(minY)}, {float64(maxX), float64(minY)}, {float64(maxX), float64(maxY)}, {float64(minX), float64(maxY)}},
					score:   score,
					contour: pts,
				}
			}
			continue
		}
		q, ok := fitQuad(pts)
		if !ok {
			continue
		}
		qa := math.Abs(polygonArea(q[:]))
		fill := area / qa
		if fill < 0.85 || fill > 1.1 {
			continue
		}
		// Mild preference for the item type's proportions (perspective
		// changes them, so only a soft factor).
		ww := (dist(q[0], q[1]) + dist(q[3], q[2])) / 2
		hh := (dist(q[0], q[3]) + dist(q[1], q[2])) / 2
		r := min(ww, hh) / max(ww, hh)
		dr := (r - aspect(itemType)) / 0.3
		score := qa / imgArea * math.Pow(min(fill, 1), 4) * math.Exp(-dr*dr)
		if score > best.score {
			best = outlineCandidate{quad: q, score: score, contour: pts}
		}
	}
	return best
}

// fitQuad approximates a contour by a quadrilateral: polygon simplification
// of its convex hull gives four rough corners, then each side is re-fitted
// to the contour points along its middle and the corners are the
// intersections of neighbouring sides (so a dented or rounded corner does
// not pull the outline inwards).
func fitQuad(pts []image.Point) ([4][2]float64, bool) {
	var q [4][2]float64
	hull := convexHull(pts)
	if len(hull) < 4 {
		return q, false
	}
	hv := gocv.NewPointVectorFromPoints(hull)
	defer hv.Close()
	peri := gocv.ArcLength(hv, true)
	var rough []image.Point
	for eps := 0.01; eps <= 0.1; eps += 0.005 {
		a := gocv.ApproxPolyDP(hv, eps*peri, true)
		p := a.ToPoints()
		a.Close()
		if len(p) == 4 {
			rough = p
			break
		}
		if len(p) < 4 {
			break
		}
	}
	if rough == nil {
		return q, false
	}
	for i, p := range rough {
		q[i] = [2]float64{float64(p.X), float64(p.Y)}
	}
	q = orderCorners(q)
	if !isConvexQuad(q) {
		return q, false
	}
	// Refine each side with a total-least-squares line.
	var lines [4][3]float64 // a·x + b·y = c, (a, b) unit normal
	for i := 0; i < 4; i++ {
		a, b := q[i], q[(i+1)%4]
		L := dist(a, b)
		if L < 8 {
			return q, false
		}
		ux, uy := (b[0]-a[0])/L, (b[1]-a[1])/L
		nx, ny := -uy, ux
		tol := max(2.5, 0.02*L)
		var sx, sy, sxx, syy, sxy, n float64
		for _, p := range pts {
			dx, dy := float64(p.X)-a[0], float64(p.Y)-a[1]
			t := dx*ux + dy*uy
			if t < 0.12*L || t > 0.88*L || math.Abs(dx*nx+dy*ny) > tol {
				continue
			}
			x, y := float64(p.X), float64(p.Y)
			sx += x
			sy += y
			sxx += x * x
			syy += y * y
			sxy += x * y
			n++
		}
		if n < 8 {
			lines[i] = [3]float64{nx, ny, nx*a[0] + ny*a[1]}
			continue
		}
		mx, my := sx/n, sy/n
		cxx, cyy, cxy := sxx/n-mx*mx, syy/n-my*my, sxy/n-mx*my
		// Direction = principal eigenvector of the covariance.
		th := 0.5 * math.Atan2(2*cxy, cxx-cyy)
		dx, dy := math.Cos(th), math.Sin(th)
		lines[i] = [3]float64{-dy, dx, -dy*mx + dx*my}
	}
	var r [4][2]float64
	for i := 0; i < 4; i++ {
		l1, l2 := lines[(i+3)%4], lines[i]
		det := l1[0]*l2[1] - l1[1]*l2[0]
		if math.Abs(det) < 1e-9 {
			return q, true
		}
		r[i] = [2]float64{(l1[2]*l2[1] - l1[1]*l2[2]) / det, (l1[0]*l2[2] - l1[2]*l2[0]) / det}
	}
	diag := math.Max(dist(q[0], q[2]), dist(q[1], q[3]))
	for i := range r {
		if dist(r[i], q[i]) > 0.08*diag {
			return q, true
		}
	}
	if !isConvexQuad(r) {
		return q, true
	}
	return r, true
}

// orderCorners orders four points clockwise on screen starting at the
// top-left one: TL, TR, BR, BL.
func orderCorners(q [4][2]float64) [4][2]float64 {
	var cx, cy float64
	for _, p := range q {
		cx += p[0] / 4
		cy += p[1] / 4
	}
	idx := []int{0, 1, 2, 3}
	ang := func(i int) float64 { return math.Atan2(q[i][1]-cy, q[i][0]-cx) }
	sort.SliceStable(idx, func(a, b int) bool { return ang(idx[a]) < ang(idx[b]) })
	start := 0
	for k := 1; k < 4; k++ {
		if q[idx[k]][0]+q[idx[k]][1] < q[idx[start]][0]+q[idx[start]][1] {
			start = k
		}
	}
	var r [4][2]float64
	for k := 0; k < 4; k++ {
		r[k] = q[idx[(start+k)%4]]
	}
	return r
}

// convexHull is Andrew's monotone chain; the result is counter-clockwise
// in y-up terms (clockwise on screen) without repeated points.
func convexHull(pts []image.Point) []image.Point {
	p := append([]image.Point(nil), pts...)
	sort.Slice(p, func(i, j int) bool {
		if p[i].X != p[j].X {
			return p[i].X < p[j].X
		}
		return p[i].Y < p[j].Y
	})
	if len(p) < 3 {
		return p
	}
	cross := func(o, a, b image.Point) int {
		return (a.X-o.X)*(b.Y-o.Y) - (a.Y-o.Y)*(b.X-o.X)
	}
	h := make([]image.Point, 0, 2*len(p))
	for _, pt := range p {
		for len(h) >= 2 && cross(h[len(h)-2], h[len(h)-1], pt) <= 0 {
			h = h[:len(h)-1]
		}
		h = append(h, pt)
	}
	lower := len(h) + 1
	for i := len(p) - 2; i >= 0; i-- {
		pt := p[i]
		for len(h) >= lower && cross(h[len(h)-2], h[len(h)-1], pt) <= 0 {
			h = h[:len(h)-1]
		}
		h = append(h, pt)
	}
	return h[:len(h)-1]
}
