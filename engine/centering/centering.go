// Package centering measures how well a card's (or a bordered comic
// cover's) printed artwork is centred inside its printed border, the way
// graders' centering tools do: from the rectified item image it finds the
// inner frame of the border on each side and reports the left/right and
// top/bottom ratios (60/40 means the left border is 60% of the two side
// borders together) and the four border widths in millimetres.
//
// Method, per side of one rectified image: about a hundred scan lines are
// taken perpendicular to the side, across its middle 60% (corners are
// skipped: wear and rounding live there). The border colour is the
// per-channel median, over all lines, of the pixels at 1.5% depth. Along
// each line the outer edge is where the colour, going outwards, first
// leaves the border colour (a loose outline leaves a strip of table
// there), and the inner edge is where, going inwards, it first leaves the
// border colour by more than a threshold set from the border's own noise;
// both edges are placed to sub-pixel precision at the half-way crossing of
// the colour distance. The side's width is the median over the lines, and
// the lines' spread and the share of lines that found an edge give the
// side's confidence. Measurements of several frames combine by median.
//
// An item without a uniform printed border (full-bleed art, most comic
// covers) gives Found=false rather than a made-up ratio.
package centering

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"slices"

	"gocv.io/x/gocv"
)

// ErrNoImage is returned for an empty or non-BGR image.
var ErrNoImage = errors.New("centering: empty or non-BGR image")

// Sides, in the order the arrays of this package hold them.
const (
	Left = iota
	Right
	Top
	Bottom
)

// SideNames names the sides in array order.
var SideNames = [4]string{"left", "right", "top", "bottom"}

// Measurement is one rectified image's centering.
type Measurement struct {
	Frame int `json:"frame"`
	// Found reports whether all four borders were found.
	Found bool `json:"found"`
	// Outer and Inner are each side's outer edge (the item's edge) and
	// inner edge (the artwork's frame) in rectified pixels, measured from
	// that side's edge of the image inwards.
	Outer [4]float64 `json:"outerPx"`
	Inner [4]float64 `json:"innerPx"`
	// WidthPx is Inner−Outer per side.
	WidthPx [4]float64 `json:"widthPx"`
	// LR and TB are the left and top shares in percent (60 → 60/40).
	LR float64 `json:"lr"`
	TB float64 `json:"tb"`
	// SideConfidence is 0–1 per side: the share of scan lines that agree.
	SideConfidence [4]float64 `json:"sideConfidence"`
	Reason         string     `json:"reason,omitempty"`
}

// Result is the combined centering of a scan: result.json's `centering`.
type Result struct {
	Found bool `json:"found"`
	// LR and TB are the left and top shares in percent: 60 means 60/40.
	LR       float64 `json:"lr"`
	TB       float64 `json:"tb"`
	LRLabel  string  `json:"lrLabel"` // "60/40"
	TBLabel  string  `json:"tbLabel"`
	LeftMM   float64 `json:"left_mm"`
	RightMM  float64 `json:"right_mm"`
	TopMM    float64 `json:"top_mm"`
	BottomMM float64 `json:"bottom_mm"`
	// Confidence is 0–1; Reasons say what lowered it.
	Confidence float64  `json:"confidence"`
	Reasons    []string `json:"reasons,omitempty"`
	// Guides are the four inner-frame lines and the item edges in rectified
	// pixels of an image RectifiedSize big: x of the left and right, y of
	// the top and bottom lines. The window draws them and lets the grader
	// drag them; Recompute turns dragged lines back into ratios.
	Guides        Guides        `json:"guides"`
	RectifiedSize [2]int        `json:"rectifiedSize"`
	Frames        []Measurement `json:"frames,omitempty"`
	Manual        bool          `json:"manual,omitempty"`
}

// Guides are the guide lines of a centering, in rectified pixels: the item
// edges (Outer) and the artwork frame (Inner), each as x of the left
// line, x of the right line, y of the top line, y of the bottom line.
type Guides struct {
	Outer [4]float64 `json:"outer"`
	Inner [4]float64 `json:"inner"`
}

// Options tune Measure.
type Options struct {
	// WidthMM and HeightMM are the item's real size, for the mm figures
	// (0 → the widths in mm are left at 0).
	WidthMM, HeightMM float64
}

const (
	sampleDepth = 0.015 // depth at which the border colour is sampled, fraction of the side's span
	maxDepth    = 0.30  // deepest an inner edge may be
	minBorder   = 0.004 // thinnest border accepted, fraction of the span
	lines       = 101
	blurSigma   = 0.5 // light denoising before the profiles are read
)

// Measure finds the printed border of one rectified BGR item image. The
// image may hold a margin of margin pixels around the item (see
// MeasureFrame); the depths reported are from the item's nominal edges.
func Measure(img gocv.Mat, frame int, margin int) (Measurement, error) {
	m := Measurement{Frame: frame}
	if img.Empty() || img.Type() != gocv.MatTypeCV8UC3 {
		return m, ErrNoImage
	}
	src := img
	if !img.IsContinuous() {
		src = img.Clone()
		defer src.Close()
	}
	blur := gocv.NewMat()
	defer blur.Close()
	gocv.GaussianBlur(src, &blur, image.Pt(0, 0), blurSigma, blurSigma, gocv.BorderReplicate)
	px, err := blur.DataPtrUint8()
	if err != nil {
		return m, fmt.Errorf("centering: %w", err)
	}
	w, h := blur.Cols(), blur.Rows()
	if w-2*margin < 40 || h-2*margin < 40 || margin < 0 {
		return m, fmt.Errorf("centering: image %d×%d is too small", w, h)
	}
	m.Found = true
	for side := range 4 {
		o, in, conf, reason := measureSide(px, w, h, side, margin)
		m.Outer[side], m.Inner[side], m.SideConfidence[side] = round(o-float64(margin), 2), round(in-float64(margin), 2), round(conf, 2)
		m.WidthPx[side] = round(in-o, 2)
		if reason != "" {
			m.Found = false
			if m.Reason == "" {
				m.Reason = SideNames[side] + ": " + reason
			}
		}
	}
	if m.Found {
		m.LR = share(m.WidthPx[Left], m.WidthPx[Right])
		m.TB = share(m.WidthPx[Top], m.WidthPx[Bottom])
	}
	return m, nil
}

// Margin is the share of the item's size added around it when MeasureFrame
// rectifies a frame, so that an outline a little inside the item's edge
// does not cut the border.
const Margin = 0.03

// MeasureFrame rectifies the item with the outline corners (TL, TR, BR, BL
// in frame pixels) onto a w×h canvas, plus a margin of Margin on every
// side, and measures it. Depths are in the w×h canvas's pixels.
func MeasureFrame(frame gocv.Mat, corners [4][2]float64, w, h, index int) (Measurement, error) {
	if frame.Empty() || frame.Type() != gocv.MatTypeCV8UC3 {
		return Measurement{Frame: index}, ErrNoImage
	}
	m := int(math.Round(Margin * float64(max(w, h))))
	img := Rectify(frame, corners, w, h, m)
	defer img.Close()
	return Measure(img, index, m)
}

// Rectify warps the quadrilateral corners (TL, TR, BR, BL) of frame onto a
// w×h canvas (the quad's outline on the canvas's outer pixel edges) with a
// margin of margin pixels on every side. The caller closes the result.
func Rectify(frame gocv.Mat, corners [4][2]float64, w, h, margin int) gocv.Mat {
	var src []gocv.Point2f
	for _, p := range corners {
		src = append(src, gocv.Point2f{X: float32(p[0]), Y: float32(p[1])})
	}
	sv := gocv.NewPoint2fVectorFromPoints(src)
	defer sv.Close()
	x0, y0 := float32(margin)-0.5, float32(margin)-0.5
	x1, y1 := float32(margin+w)-0.5, float32(margin+h)-0.5
	dv := gocv.NewPoint2fVectorFromPoints([]gocv.Point2f{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}})
	defer dv.Close()
	M := gocv.GetPerspectiveTransform2f(sv, dv)
	defer M.Close()
	out := gocv.NewMat()
	gocv.WarpPerspectiveWithParams(frame, &out, M, image.Pt(w+2*margin, h+2*margin), gocv.InterpolationLinear, gocv.BorderReplicate, color.RGBA{})
	return out
}

// share is a's percentage of a+b.
func share(a, b float64) float64 {
	if a+b <= 0 {
		return 50
	}
	return 100 * a / (a + b)
}

// line returns the pixel offsets (into the BGR buffer) of scan line k of a
// side, from the side's edge inwards, and the span of the side (the image
// dimension the depths are fractions of).
func line(w, h, side, k int) (start, step, span int) {
	switch side {
	case Left, Right:
		y := int(math.Round(0.2*float64(h) + 0.6*float64(h-1)*float64(k)/float64(lines-1)))
		if side == Left {
			return y * w * 3, 3, w
		}
		return (y*w + w - 1) * 3, -3, w
	default:
		x := int(math.Round(0.2*float64(w) + 0.6*float64(w-1)*float64(k)/float64(lines-1)))
		if side == Top {
			return x * 3, w * 3, h
		}
		return ((h-1)*w + x) * 3, -w * 3, h
	}
}

func colourDist(px []uint8, o int, c [3]float64) float64 {
	d0 := float64(px[o]) - c[0]
	d1 := float64(px[o+1]) - c[1]
	d2 := float64(px[o+2]) - c[2]
	return math.Sqrt(d0*d0 + d1*d1 + d2*d2)
}

// measureSide returns the outer and inner edge depths of one side, its
// confidence, and a reason when no border was found.
func measureSide(px []uint8, w, h, side, margin int) (outer, inner, conf float64, reason string) {
	_, _, span := line(w, h, side, 0)
	span -= 2 * margin
	d0 := margin + max(2, int(math.Round(sampleDepth*float64(span))))
	dmax := margin + int(maxDepth*float64(span))
	// Border colour: median over lines of the pixel at depth d0.
	var ch [3][]float64
	for k := range lines {
		s, st, _ := line(w, h, side, k)
		for c := range 3 {
			ch[c] = append(ch[c], float64(px[s+d0*st+c]))
		}
	}
	var border [3]float64
	for c := range 3 {
		border[c] = median(ch[c])
	}
	// Noise of the border: median distance of the lines' pixels at d0..d0+1
	// from the border colour.
	var dev []float64
	for k := range lines {
		s, st, _ := line(w, h, side, k)
		dev = append(dev, colourDist(px, s+d0*st, border), colourDist(px, s+(d0+1)*st, border))
	}
	noise := median(dev)
	thr := max(18, 5*noise)

	var outs, ins []float64
	for k := range lines {
		s, st, _ := line(w, h, side, k)
		at := func(d int) int { return s + d*st }
		// Only lines whose sample pixel is border-coloured count.
		if colourDist(px, at(d0), border) > thr {
			continue
		}
		// Inner edge: walk inwards tracking the border colour slowly.
		b := border
		in := -1.0
		for d := d0 + 1; d < dmax-2; d++ {
			if colourDist(px, at(d), b) > thr {
				in = edgePeak(func(i int) float64 { return colourDist(px, at(i), b) }, d, d0, dmax) + 0.5
				break
			}
			for c := range 3 {
				b[c] = 0.9*b[c] + 0.1*float64(px[at(d)+c])
			}
		}
		if in < 0 {
			continue
		}
		// Outer edge: walk outwards from d0.
		out := 0.0
		for d := d0 - 1; d >= 0; d-- {
			if colourDist(px, at(d), border) > thr {
				// Mirror the depth so the profile rises inwards-out.
				e := edgePeak(func(i int) float64 { return colourDist(px, at(d0-i), border) }, d0-d, 0, d0+1)
				out = float64(d0) - e + 0.5
				break
			}
		}
		outs = append(outs, out)
		ins = append(ins, in)
	}
	if len(ins) < lines/4 {
		return 0, 0, 0, "no uniform printed border"
	}
	outer, inner = median(outs), median(ins)
	if inner-outer < minBorder*float64(span) {
		return outer, inner, 0, "border too thin to measure"
	}
	// Agreement: share of lines within 1.5 px (or 5%) of the median.
	tol := max(1.5, 0.05*(inner-outer))
	agree := 0
	for i := range ins {
		if math.Abs(ins[i]-inner) <= tol && math.Abs(outs[i]-outer) <= tol {
			agree++
		}
	}
	conf = float64(agree) / lines
	if conf < 0.3 {
		return outer, inner, conf, "border edge not straight (no printed frame?)"
	}
	return outer, inner, conf, ""
}

// edgePeak locates, to sub-pixel precision, the edge where the profile D
// (distance from the border colour) rises past index d: the peak of its
// central difference within a few pixels of d, refined by a parabola. lo
// and hi bound the indices D may be read at. The result is in pixel-centre
// coordinates: the edge between pixel centres i and i+1 is at i+0.5.
func edgePeak(D func(int) float64, d, lo, hi int) float64 {
	g := func(i int) float64 {
		if i-1 < lo || i+1 >= hi {
			return 0
		}
		return D(i+1) - D(i-1)
	}
	best, bi := -1.0, d
	for i := d - 2; i <= d+1; i++ {
		if v := g(i); v > best {
			best, bi = v, i
		}
	}
	gl, gc, gr := g(bi-1), g(bi), g(bi+1)
	off := 0.0
	if den := gl - 2*gc + gr; den < 0 {
		off = 0.5 * (gl - gr) / den
		off = math.Max(-0.5, math.Min(0.5, off))
	}
	// A step between pixel centres i-1 and i gives equal central
	// differences at i-1 and i: the parabola's peak is the edge, i-0.5.
	return float64(bi) + off
}

// Combine merges per-frame measurements (median per side over the frames
// that found the border) into a scan's centering. w and h are the
// rectified image size; o gives the real size for the mm figures.
func Combine(ms []Measurement, w, h int, o Options) Result {
	r := Result{RectifiedSize: [2]int{w, h}, Frames: ms}
	var found []Measurement
	for _, m := range ms {
		if m.Found {
			found = append(found, m)
		}
	}
	if len(found) == 0 {
		reason := "no frame was measured"
		if len(ms) > 0 {
			reason = ms[0].Reason
		}
		r.Reasons = append(r.Reasons, "no printed border found: "+reason)
		return r
	}
	r.Found = true
	var outer, inner [4]float64
	conf := 1.0
	for side := range 4 {
		var os, is, cs []float64
		for _, m := range found {
			os = append(os, m.Outer[side])
			is = append(is, m.Inner[side])
			cs = append(cs, m.SideConfidence[side])
		}
		outer[side], inner[side] = median(os), median(is)
		if c := median(cs); c < conf {
			conf = c
		}
	}
	r.Guides = Guides{
		Outer: [4]float64{outer[Left], float64(w) - outer[Right], outer[Top], float64(h) - outer[Bottom]},
		Inner: [4]float64{inner[Left], float64(w) - inner[Right], inner[Top], float64(h) - inner[Bottom]},
	}
	r.fromGuides(o)
	if conf < 0.6 {
		r.Reasons = append(r.Reasons, fmt.Sprintf("the border edges are ragged (%.0f%% of scan lines agree)", 100*conf))
	}
	// Disagreement between frames lowers confidence.
	if len(found) > 1 {
		var lrs, tbs []float64
		for _, m := range found {
			lrs = append(lrs, m.LR)
			tbs = append(tbs, m.TB)
		}
		spread := max(mad(lrs), mad(tbs))
		if spread > 1.5 {
			conf *= math.Max(0.3, 1.5/spread)
			r.Reasons = append(r.Reasons, fmt.Sprintf("frames disagree by about %.1f points", spread))
		}
	} else {
		conf *= 0.8
		r.Reasons = append(r.Reasons, "measured on one frame only")
	}
	if len(found) < len(ms) {
		r.Reasons = append(r.Reasons, fmt.Sprintf("border found in %d of %d frames", len(found), len(ms)))
		conf *= float64(len(found)) / float64(len(ms))
	}
	r.Confidence = round(conf, 2)
	return r
}

// Recompute sets the ratios and mm widths from r.Guides (after the grader
// dragged them) and marks the result manual.
func (r *Result) Recompute(o Options) {
	r.fromGuides(o)
	r.Manual = true
}

func (r *Result) fromGuides(o Options) {
	g := r.Guides
	l := g.Inner[Left] - g.Outer[Left]
	rt := g.Outer[Right] - g.Inner[Right]
	t := g.Inner[Top] - g.Outer[Top]
	b := g.Outer[Bottom] - g.Inner[Bottom]
	r.LR = round(share(l, rt), 1)
	r.TB = round(share(t, b), 1)
	r.LRLabel = Label(r.LR)
	r.TBLabel = Label(r.TB)
	w, h := float64(r.RectifiedSize[0]), float64(r.RectifiedSize[1])
	if o.WidthMM > 0 && o.HeightMM > 0 && w > 0 && h > 0 {
		iw := g.Outer[Right] - g.Outer[Left]
		ih := g.Outer[Bottom] - g.Outer[Top]
		if iw <= 0 || ih <= 0 {
			iw, ih = w, h
		}
		r.LeftMM = round(l*o.WidthMM/iw, 2)
		r.RightMM = round(rt*o.WidthMM/iw, 2)
		r.TopMM = round(t*o.HeightMM/ih, 2)
		r.BottomMM = round(b*o.HeightMM/ih, 2)
	}
}

// Label writes a share as a grader's ratio: 60.4 → "60/40".
func Label(share float64) string {
	a := math.Round(share)
	return fmt.Sprintf("%.0f/%.0f", a, 100-a)
}

// Worse is the larger of a ratio's two shares: how far off-centre it is
// (50 is perfect).
func Worse(share float64) float64 { return math.Max(share, 100-share) }

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func mad(v []float64) float64 {
	m := median(v)
	d := make([]float64, len(v))
	for i, x := range v {
		d[i] = math.Abs(x - m)
	}
	return median(d)
}

func round(v float64, d int) float64 {
	p := math.Pow(10, float64(d))
	return math.Round(v*p) / p
}
