package synth

import (
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"strings"

	"gocv.io/x/gocv"
)

// raster is a Go-side BGR (3 channels) or grey (1 channel) image.
type raster struct {
	w, h, ch int
	pix      []byte
}

// toMat copies the raster into a new Mat (CV_8UC3 or CV_8UC1).
func (r raster) toMat() gocv.Mat {
	t := gocv.MatTypeCV8UC3
	if r.ch == 1 {
		t = gocv.MatTypeCV8UC1
	}
	m := gocv.NewMatWithSize(r.h, r.w, t)
	p, err := m.DataPtrUint8()
	if err != nil { // cannot happen for a new continuous 8-bit Mat
		panic(err)
	}
	copy(p, r.pix)
	return m
}

// matBytes copies a continuous 8-bit Mat's pixels into a Go slice.
func matBytes(m gocv.Mat) []byte {
	p, err := m.DataPtrUint8()
	if err != nil {
		panic(err)
	}
	return append([]byte(nil), p...)
}

func clamp8(v float64) byte {
	if v <= 0 {
		return 0
	}
	if v >= 255 {
		return 255
	}
	return byte(v + 0.5)
}

// Colours used by the designs (RGB; gocv maps them to BGR).
var (
	paperWhite = color.RGBA{242, 240, 234, 255}
	inkBlack   = color.RGBA{25, 22, 28, 255}
	comicInks  = []color.RGBA{
		{220, 40, 40, 255}, {30, 90, 200, 255}, {250, 200, 30, 255}, {40, 160, 70, 255},
		{150, 60, 170, 255}, {240, 120, 30, 255}, {30, 170, 190, 255},
	}
	pastels = []color.RGBA{
		{250, 220, 170, 255}, {190, 220, 250, 255}, {250, 240, 180, 255}, {200, 240, 200, 255},
		{240, 200, 230, 255}, {250, 210, 190, 255}, {210, 230, 240, 255},
	}
	words = []string{"AMAZING", "COSMIC", "TALES", "WONDER", "STAR", "IRON", "NIGHT", "MYSTERY",
		"LEGION", "THUNDER", "ATOMIC", "SHADOW", "QUEST", "GALAXY", "TITAN", "VORTEX"}
	sfx = []string{"POW!", "ZAP!", "BAM!", "WHAM!", "KRAK!", "BOOM!"}
)

func pick[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }

func pt(x, y float64) image.Point { return image.Pt(int(math.Round(x)), int(math.Round(y))) }

// putTextFit draws text so that it fits the box (x0,y0)-(x1,y1), centred.
func putTextFit(img *gocv.Mat, text string, x0, y0, x1, y1 float64, font gocv.HersheyFont, c color.RGBA, thick int) {
	base := gocv.GetTextSize(text, font, 1, thick)
	if base.X == 0 || base.Y == 0 {
		return
	}
	sc := math.Min((x1-x0)/float64(base.X), (y1-y0)/float64(base.Y)*0.8)
	if sc <= 0.05 {
		return
	}
	sz := gocv.GetTextSize(text, font, sc, thick)
	ox := x0 + ((x1-x0)-float64(sz.X))/2
	oy := y0 + ((y1-y0)+float64(sz.Y))/2
	gocv.PutTextWithParams(img, text, pt(ox, oy), font, sc, c, thick, gocv.LineAA, false)
}

// drawDesign draws the item's printed design, fronto-parallel, at w×h.
func drawDesign(s Scene, w, h int) raster {
	img := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(234, 240, 242, 0), h, w, gocv.MatTypeCV8UC3)
	defer img.Close()
	r := newRand(s.Seed, streamDesign)
	switch {
	case s.Item == Card && !s.CardBorder.IsZero():
		drawCardBordered(&img, r, w, h, s.CardBorder)
	case s.Item == Card:
		drawCard(&img, r, float64(w), float64(h))
	default:
		drawComic(&img, r, float64(w), float64(h), s.Busy)
		if s.Busy {
			drawBarcode(&img, newRand(s.Seed, streamBarcode), float64(w), float64(h))
		}
	}
	out := raster{w: w, h: h, ch: 3, pix: matBytes(img)}
	// Paper grain: a little per-pixel noise so flat areas are not perfectly
	// flat (helps optical flow and matches real print).
	pr := newRand(s.Seed, streamPaper)
	for i := 0; i < len(out.pix); i += 3 {
		d := pr.NormFloat64() * 3
		for c := range 3 {
			out.pix[i+c] = clamp8(float64(out.pix[i+c]) + d)
		}
	}
	return out
}

// lineW returns a line thickness proportional to the item width.
func lineW(w, frac float64) int { return max(1, int(math.Round(w*frac))) }

func drawComic(img *gocv.Mat, r *rand.Rand, w, h float64, busy bool) {
	m := 0.06 * w // white border
	// Title block.
	tc := pick(r, comicInks)
	ty1 := 0.2 * h
	gocv.Rectangle(img, image.Rectangle{Min: pt(m, m), Max: pt(w-m, ty1)}, tc, -1)
	title := pick(r, words) + " " + pick(r, words)
	putTextFit(img, title, m+0.03*w, m+0.02*h, w-m-0.03*w, m+0.11*h, gocv.FontHersheyTriplex, color.RGBA{255, 250, 230, 255}, lineW(w, 0.008))
	sub := strings.ToUpper(pick(r, words)) + " COMICS"
	putTextFit(img, sub, m+0.25*w, m+0.115*h, w-m-0.03*w, ty1-0.01*h, gocv.FontHersheyDuplex, inkBlack, lineW(w, 0.004))
	// Issue box.
	bx0, by0 := m+0.02*w, m+0.12*h
	gocv.Rectangle(img, image.Rectangle{Min: pt(bx0, by0), Max: pt(bx0+0.18*w, ty1-0.01*h)}, paperWhite, -1)
	putTextFit(img, "No."+string(rune('1'+r.IntN(9)))+string(rune('0'+r.IntN(10))), bx0, by0, bx0+0.18*w, ty1-0.01*h, gocv.FontHersheySimplex, inkBlack, lineW(w, 0.004))
	gocv.Rectangle(img, image.Rectangle{Min: pt(m, m), Max: pt(w-m, ty1)}, inkBlack, lineW(w, 0.006))

	// Panels.
	gut := 0.022 * w
	top, bot := ty1+gut, h-m
	rows := 2 + r.IntN(2)
	rowH := (bot - top - gut*float64(rows-1)) / float64(rows)
	for ri := range rows {
		y0 := top + float64(ri)*(rowH+gut)
		cols := 1 + r.IntN(3)
		// Uneven column split.
		cuts := []float64{0}
		for c := 1; c < cols; c++ {
			cuts = append(cuts, (float64(c)+(r.Float64()-0.5)*0.4)/float64(cols))
		}
		cuts = append(cuts, 1)
		for ci := range cols {
			x0 := m + cuts[ci]*(w-2*m)
			x1 := m + cuts[ci+1]*(w-2*m)
			if ci > 0 {
				x0 += gut / 2
			}
			if ci < cols-1 {
				x1 -= gut / 2
			}
			drawPanel(img, r, x0, y0, x1, y0+rowH, w, busy)
		}
	}
}

// drawPanel draws one comic panel: a pastel background, shapes, halftone
// dots, speed lines and sometimes a speech bubble or sound effect.
func drawPanel(img *gocv.Mat, r *rand.Rand, x0, y0, x1, y1, w float64, busy bool) {
	pw, ph := x1-x0, y1-y0
	rect := image.Rectangle{Min: pt(x0, y0), Max: pt(x1, y1)}
	gocv.Rectangle(img, rect, pick(r, pastels), -1)
	sub := img.Region(rect)
	defer sub.Close()
	lw := lineW(w, 0.005)
	// Halftone dots.
	if r.IntN(2) == 0 || busy {
		step := math.Max(3, 0.03*w)
		dc := pick(r, comicInks)
		for y := step / 2; y < ph; y += step {
			for x := step / 2; x < pw; x += step {
				rad := int(math.Max(1, step*0.25*(0.5+0.5*math.Sin(x*0.05+y*0.03))))
				gocv.Circle(&sub, pt(x, y), rad, dc, -1)
			}
		}
	}
	// Speed lines.
	if r.IntN(3) == 0 || busy {
		cx, cy := pw*r.Float64(), ph*r.Float64()
		for k := range 14 {
			a := float64(k) / 14 * 2 * math.Pi
			gocv.Line(&sub, pt(cx+math.Cos(a)*0.2*pw, cy+math.Sin(a)*0.2*ph), pt(cx+math.Cos(a)*pw, cy+math.Sin(a)*ph), inkBlack, 1)
		}
	}
	// Figures: filled shapes with ink outlines.
	for range 2 + r.IntN(3) {
		c := pick(r, comicInks)
		cx, cy := pw*(0.15+0.7*r.Float64()), ph*(0.2+0.7*r.Float64())
		sz := math.Min(pw, ph) * (0.12 + 0.2*r.Float64())
		switch r.IntN(3) {
		case 0:
			gocv.Circle(&sub, pt(cx, cy), int(sz), c, -1)
			gocv.Circle(&sub, pt(cx, cy), int(sz), inkBlack, lw)
		case 1:
			rc := image.Rectangle{Min: pt(cx-sz, cy-sz*0.7), Max: pt(cx+sz, cy+sz*0.7)}
			gocv.Rectangle(&sub, rc, c, -1)
			gocv.Rectangle(&sub, rc, inkBlack, lw)
		default:
			n := 5 + r.IntN(4)
			poly := make([]image.Point, 0, 2*n)
			for k := range 2 * n {
				a := float64(k) / float64(2*n) * 2 * math.Pi
				rr := sz
				if k%2 == 1 {
					rr *= 0.45
				}
				poly = append(poly, pt(cx+rr*math.Cos(a), cy+rr*math.Sin(a)))
			}
			pv := gocv.NewPointsVectorFromPoints([][]image.Point{poly})
			gocv.FillPoly(&sub, pv, c)
			gocv.Polylines(&sub, pv, true, inkBlack, lw)
			pv.Close()
		}
	}
	// Speech bubble or sound effect.
	switch r.IntN(3) {
	case 0:
		bx, by := pw*(0.3+0.4*r.Float64()), ph*0.25
		ax := pt(pw*0.28, ph*0.15)
		gocv.Ellipse(&sub, pt(bx, by), ax, 0, 0, 360, color.RGBA{255, 255, 255, 255}, -1)
		gocv.Ellipse(&sub, pt(bx, by), ax, 0, 0, 360, inkBlack, lw)
		putTextFit(&sub, pick(r, words), bx-pw*0.2, by-ph*0.08, bx+pw*0.2, by+ph*0.08, gocv.FontHersheySimplex, inkBlack, lineW(w, 0.003))
	case 1:
		putTextFit(&sub, pick(r, sfx), pw*0.1, ph*0.55, pw*0.9, ph*0.95, gocv.FontHersheyTriplex, pick(r, comicInks), lineW(w, 0.008))
	}
	gocv.Rectangle(img, rect, inkBlack, lineW(w, 0.006))
}

// cardBorders are the card border colours (yellow, silver, cream).
var cardBorders = []color.RGBA{{245, 215, 60, 255}, {222, 222, 226, 255}, {235, 235, 225, 255}}

func drawCard(img *gocv.Mat, r *rand.Rand, w, h float64) {
	// Bright border: yellow or silver.
	border := cardBorders[r.IntN(3)]
	gocv.Rectangle(img, image.Rectangle{Max: pt(w, h)}, border, -1)
	m := 0.06 * w
	inner := image.Rectangle{Min: pt(m, m), Max: pt(w-m, h-m)}
	gocv.Rectangle(img, inner, pick(r, pastels), -1)
	gocv.Rectangle(img, inner, color.RGBA{120, 100, 60, 255}, lineW(w, 0.008))
	cardArt(img, r, w, h, m)
}

// cardInnerRect returns the inner artwork rectangle of a bordered card drawn
// at w×h texels (end exclusive).
func cardInnerRect(b Border, w, h int) image.Rectangle {
	fw, fh := float64(w), float64(h)
	return image.Rect(int(math.Round(b.Left*fw)), int(math.Round(b.Top*fh)),
		w-int(math.Round(b.Right*fw)), h-int(math.Round(b.Bottom*fh)))
}

// drawCardBordered draws a card whose printed border has the given widths:
// the uniform border colour up to the inner artwork rectangle, which starts
// with a dark frame line.
func drawCardBordered(img *gocv.Mat, r *rand.Rand, w, h int, b Border) {
	border := cardBorders[r.IntN(3)]
	in := cardInnerRect(b, w, h)
	gocv.Rectangle(img, in, pick(r, pastels), -1)
	lw := lineW(float64(w), 0.008)
	gocv.Rectangle(img, in, color.RGBA{120, 100, 60, 255}, 2*lw)
	sub := img.Region(in)
	iw, ih := float64(in.Dx()), float64(in.Dy())
	cardArt(&sub, r, iw, ih, 0.035*iw)
	sub.Close()
	// Paint the border exactly: everything outside the inner rectangle
	// (OpenCV's lines straddle their edges).
	p, err := img.DataPtrUint8()
	if err != nil {
		panic(err)
	}
	bc := [3]byte{border.B, border.G, border.R}
	for y := range h {
		for x := range w {
			if image.Pt(x, y).In(in) {
				continue
			}
			j := 3 * (y*w + x)
			p[j], p[j+1], p[j+2] = bc[0], bc[1], bc[2]
		}
	}
}

// drawBarcode draws a UPC-like barcode box in the comic's bottom-left
// corner (busy covers).
func drawBarcode(img *gocv.Mat, r *rand.Rand, w, h float64) {
	m := 0.06 * w
	x0, y0, x1, y1 := m+0.03*w, h-m-0.13*h, m+0.26*w, h-m-0.02*h
	gocv.Rectangle(img, image.Rectangle{Min: pt(x0, y0), Max: pt(x1, y1)}, paperWhite, -1)
	unit := math.Max(1, 0.004*w)
	for x := x0 + 2*unit; x < x1-3*unit; {
		bw := unit * float64(1+r.IntN(3))
		gocv.Rectangle(img, image.Rectangle{Min: pt(x, y0+0.1*(y1-y0)), Max: pt(x+bw-1, y1-0.22*(y1-y0))}, inkBlack, -1)
		x += bw + unit*float64(1+r.IntN(3))
	}
	putTextFit(img, "0 12345 67890 1", x0, y1-0.2*(y1-y0), x1, y1, gocv.FontHersheyPlain, inkBlack, 1)
}

// cardArt draws a card's artwork inside its inner rectangle (m from the
// edges of the w×h image).
func cardArt(img *gocv.Mat, r *rand.Rand, w, h, m float64) {
	// Name bar.
	nb := image.Rectangle{Min: pt(m*1.5, m*1.5), Max: pt(w-m*1.5, 0.14*h)}
	gocv.Rectangle(img, nb, color.RGBA{250, 248, 240, 255}, -1)
	name := strings.ToUpper(pick(r, words)) + " " + strings.ToUpper(pick(r, words))
	putTextFit(img, name, float64(nb.Min.X)+0.02*w, float64(nb.Min.Y), float64(nb.Max.X)-0.2*w, float64(nb.Max.Y), gocv.FontHersheyDuplex, inkBlack, lineW(w, 0.006))
	putTextFit(img, string(rune('1'+r.IntN(9)))+"0 HP", float64(nb.Max.X)-0.18*w, float64(nb.Min.Y), float64(nb.Max.X)-0.01*w, float64(nb.Max.Y), gocv.FontHersheySimplex, color.RGBA{200, 30, 30, 255}, lineW(w, 0.006))
	// Picture window: sky gradient, sun, mountains, a creature.
	px0, py0, px1, py1 := m*1.6, 0.16*h, w-m*1.6, 0.58*h
	sky1, sky2 := pick(r, comicInks), pick(r, pastels)
	for y := py0; y < py1; y++ {
		t := (y - py0) / (py1 - py0)
		c := color.RGBA{
			uint8(float64(sky1.R)*(1-t) + float64(sky2.R)*t),
			uint8(float64(sky1.G)*(1-t) + float64(sky2.G)*t),
			uint8(float64(sky1.B)*(1-t) + float64(sky2.B)*t), 255}
		gocv.Line(img, pt(px0, y), pt(px1, y), c, 1)
	}
	pic := image.Rectangle{Min: pt(px0, py0), Max: pt(px1, py1)}
	sub := img.Region(pic)
	pw, ph := px1-px0, py1-py0
	gocv.Circle(&sub, pt(pw*(0.2+0.6*r.Float64()), ph*0.25), int(0.12*pw), color.RGBA{255, 240, 120, 255}, -1)
	for k := range 3 {
		poly := []image.Point{pt(0, ph)}
		for x := 0.0; x <= pw; x += pw / 8 {
			poly = append(poly, pt(x, ph*(0.45+0.12*float64(k)+0.2*r.Float64())))
		}
		poly = append(poly, pt(pw, ph))
		pv := gocv.NewPointsVectorFromPoints([][]image.Point{poly})
		gocv.FillPoly(&sub, pv, color.RGBA{uint8(60 + 40*k), uint8(90 + 30*k), uint8(70 + 20*k), 255})
		pv.Close()
	}
	cc := pick(r, comicInks)
	cx, cy := pw*(0.35+0.3*r.Float64()), ph*0.62
	gocv.Ellipse(&sub, pt(cx, cy), pt(pw*0.16, ph*0.14), 0, 0, 360, cc, -1)
	gocv.Circle(&sub, pt(cx+pw*0.12, cy-ph*0.15), int(pw*0.08), cc, -1)
	gocv.Circle(&sub, pt(cx+pw*0.14, cy-ph*0.17), int(math.Max(1, pw*0.02)), inkBlack, -1)
	gocv.Ellipse(&sub, pt(cx, cy), pt(pw*0.16, ph*0.14), 0, 0, 360, inkBlack, lineW(w, 0.006))
	sub.Close()
	gocv.Rectangle(img, pic, color.RGBA{120, 100, 60, 255}, lineW(w, 0.01))
	// Type strip.
	putTextFit(img, "BASIC  "+pick(r, words)+"  TYPE", px0, 0.59*h, px1, 0.63*h, gocv.FontHersheySimplex, inkBlack, lineW(w, 0.003))
	// Text bars.
	for k := range 3 {
		y0 := 0.65*h + float64(k)*0.085*h
		bar := image.Rectangle{Min: pt(m*1.6, y0), Max: pt(w-m*1.6, y0+0.07*h)}
		gocv.Rectangle(img, bar, color.RGBA{238, 236, 228, 255}, -1)
		gocv.Rectangle(img, bar, color.RGBA{150, 140, 120, 255}, lineW(w, 0.003))
		txt := pick(r, words) + " " + strings.ToLower(pick(r, words)) + " " + string(rune('1'+r.IntN(9))) + "0"
		putTextFit(img, txt, float64(bar.Min.X)+0.02*w, float64(bar.Min.Y), float64(bar.Max.X)-0.02*w, float64(bar.Max.Y), gocv.FontHersheySimplex, inkBlack, lineW(w, 0.003))
	}
	putTextFit(img, "(c) GV  042/"+string(rune('1'+r.IntN(9)))+"99", 0.5*w, 0.915*h, w-m*1.6, 0.935*h, gocv.FontHersheyPlain, inkBlack, 1)
}

// applyDent whitens and roughens the dented corner's patch in the texture
// and cuts the torn-off tip out of the alpha mask. It draws from its own
// random stream.
func applyDent(s Scene, tex, alpha raster) {
	d := dentOf(s)
	r := newRand(s.Seed, streamDent)
	r.IntN(4) // the corner choice (see Scene.dentCorner)
	w := float64(tex.w)
	rad := d.radius * w
	cut := d.cut * w
	// Rough outline: radius and cut vary with the angle around the corner.
	var wob [16]float64
	for k := range wob {
		wob[k] = r.Float64()
	}
	wobble := func(a float64) float64 { // a in 0..π/2
		x := a / (math.Pi / 2) * float64(len(wob)-1)
		i := int(math.Min(math.Max(x, 0), float64(len(wob)-2)))
		f := x - float64(i)
		return wob[i]*(1-f) + wob[i+1]*f
	}
	var folds [3][4]float64 // direction x, y, ripples per radius, phase
	for k := range folds {
		ang := r.Float64() * math.Pi
		folds[k] = [4]float64{math.Cos(ang), math.Sin(ang), 1.5 + 2*r.Float64(), r.Float64() * 2 * math.Pi}
	}
	flipX := d.corner == CornerTR || d.corner == CornerBR
	flipY := d.corner == CornerBL || d.corner == CornerBR
	n := int(math.Ceil(rad*1.4)) + 2
	for y := 0; y < min(n, tex.h); y++ {
		for x := 0; x < min(n, tex.w); x++ {
			// Local coordinates from the corner, inward.
			a, b := float64(x)+0.5, float64(y)+0.5
			px, py := x, y
			if flipX {
				px = tex.w - 1 - x
			}
			if flipY {
				py = tex.h - 1 - y
			}
			dist := math.Hypot(a, b)
			ang := math.Atan2(b, a)
			wv := wobble(ang)
			// Missing tip: a ragged chamfer.
			if a+b < cut*(0.8+0.5*wv)+r.Float64()*1.2 {
				alpha.pix[py*alpha.w+px] = 0
			}
			lim := rad * (0.6 + 0.4*wv)
			if dist > lim {
				continue
			}
			k := math.Min(1, 2*(1-dist/lim))
			// Crumpled paper: folds (a few oriented ripples) shade the patch
			// dark and bright; the fibres show through whitened and speckled.
			cr := 0.0
			for _, f := range folds {
				cr += math.Sin((a*f[0]+b*f[1])/rad*2*math.Pi*f[2] + f[3])
			}
			i := (py*tex.w + px) * 3
			speck := (r.Float64() - 0.5) * 60
			for c := range 3 {
				v := float64(tex.pix[i+c])
				tex.pix[i+c] = clamp8(v + ((240-v)*0.6+cr*22+speck)*k)
			}
		}
	}
	// A few dark fibre cracks from the corner inward.
	for range 2 {
		ang := 0.2 + r.Float64()*(math.Pi/2-0.4)
		l := rad * (0.5 + 0.5*r.Float64())
		for t := cut * 0.7; t < l; t += 0.5 {
			x := int(math.Cos(ang) * t)
			y := int(math.Sin(ang) * t)
			if flipX {
				x = tex.w - 1 - x
			}
			if flipY {
				y = tex.h - 1 - y
			}
			if x < 0 || y < 0 || x >= tex.w || y >= tex.h {
				continue
			}
			i := (y*tex.w + x) * 3
			for c := range 3 {
				tex.pix[i+c] = clamp8(float64(tex.pix[i+c]) * 0.6)
			}
		}
	}
}

// tableTexture draws the wooden table top, size×size texels, one texel per
// world unit, centred on the item.
func tableTexture(s Scene, size int) raster {
	r := newRand(s.Seed, streamTable)
	noise := func(gw, gh int, interp gocv.InterpolationFlags) []float32 {
		g := gocv.NewMatWithSize(gh, gw, gocv.MatTypeCV32F)
		defer g.Close()
		p, _ := g.DataPtrFloat32()
		for i := range p {
			p[i] = float32(r.Float64()*2 - 1)
		}
		big := gocv.NewMat()
		defer big.Close()
		gocv.Resize(g, &big, image.Pt(size, size), 0, 0, interp)
		q, _ := big.DataPtrFloat32()
		return append([]float32(nil), q...)
	}
	warp := noise(max(2, size/220), max(2, size/60), gocv.InterpolationCubic) // slow, stretched along x
	blot := noise(max(2, size/90), max(2, size/90), gocv.InterpolationCubic)  // stains
	fine := noise(max(2, size/3), max(2, size/2), gocv.InterpolationLinear)   // fine fibres
	hue := r.Float64()
	base := [3]float64{42 + 10*hue, 62 + 8*hue, 92 + 10*hue} // BGR, dark brown
	period := math.Max(6, float64(size)/70)
	out := raster{w: size, h: size, ch: 3, pix: make([]byte, size*size*3)}
	for y := range size {
		for x := range size {
			i := y*size + x
			g := math.Sin(2 * math.Pi * (float64(y)/period + 3*float64(warp[i])))
			l := 1 + 0.16*g + 0.12*float64(blot[i]) + 0.10*float64(fine[i])
			for c := range 3 {
				out.pix[3*i+c] = clamp8(base[c] * l)
			}
		}
	}
	return out
}
