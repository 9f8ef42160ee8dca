package centering

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"testing"

	"gocv.io/x/gocv"

	"gradevault/engine/glint"
	"gradevault/engine/item"
)

// cardSpec is a generated card with a printed border of known widths.
type cardSpec struct {
	lr, tb   float64 // left and top shares of the border, percent
	tilt     float64 // perspective tilt about the horizontal axis, degrees
	rot      float64 // in-plane rotation, degrees
	dark     bool    // dark mat (else a light wooden table)
	border   color.RGBA
	frameW   int
	frameH   int
	cardFrac float64 // card height as a fraction of the frame height
}

// renderCardTexture draws an upright card w×h with the given border shares
// at 4× and downsamples it, and returns the exact border widths (px at
// w×h) the drawing has.
func renderCardTexture(s cardSpec, w, h int, seed uint64) (gocv.Mat, [4]float64) {
	const k = 4
	W, H := w*k, h*k
	r := rand.New(rand.NewPCG(seed, 7))
	sx := 0.10 * float64(W) // left+right border
	sy := 0.08 * float64(H) // top+bottom border
	L := int(math.Round(sx * s.lr / 100))
	R := int(math.Round(sx)) - L
	T := int(math.Round(sy * s.tb / 100))
	B := int(math.Round(sy)) - T
	img := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(float64(s.border.B), float64(s.border.G), float64(s.border.R), 0), H, W, gocv.MatTypeCV8UC3)
	// OpenCV's filled rectangles include their max corner: inner covers
	// exactly [L, W-R) × [T, H-B).
	inner := image.Rect(L, T, W-R-1, H-B-1)
	bg := color.RGBA{uint8(150 + r.IntN(80)), uint8(150 + r.IntN(80)), uint8(150 + r.IntN(80)), 255}
	gocv.Rectangle(&img, inner, bg, -1)
	// Artwork: boxes, discs, bars, text; all inside the frame.
	for range 14 {
		x0 := inner.Min.X + r.IntN(inner.Dx()*3/4)
		y0 := inner.Min.Y + r.IntN(inner.Dy()*3/4)
		c := color.RGBA{uint8(r.IntN(256)), uint8(r.IntN(256)), uint8(r.IntN(256)), 255}
		if r.IntN(2) == 0 {
			gocv.Rectangle(&img, image.Rect(x0, y0, min(inner.Max.X, x0+40*k+r.IntN(inner.Dx()/3)), min(inner.Max.Y, y0+30*k+r.IntN(inner.Dy()/4))), c, -1)
		} else {
			gocv.Circle(&img, image.Pt(x0+20*k, y0+20*k), 10*k+r.IntN(30*k), c, -1)
		}
	}
	gocv.PutText(&img, "GRADEVAULT 42", image.Pt(inner.Min.X+12*k, inner.Min.Y+40*k), gocv.FontHersheyDuplex, 1.2*k, color.RGBA{20, 20, 20, 255}, 2*k)
	// A dark frame line along the artwork's edge (drawn inside it).
	gocv.Rectangle(&img, image.Rect(L+k, T+k, W-R-k-1, H-B-k-1), color.RGBA{90, 70, 40, 255}, 2*k)
	small := gocv.NewMat()
	gocv.Resize(img, &small, image.Pt(w, h), 0, 0, gocv.InterpolationArea)
	img.Close()
	return small, [4]float64{float64(L) / k, float64(R) / k, float64(T) / k, float64(B) / k}
}

// renderScene puts the card on a table in a frame, tilted and rotated, with
// sensor noise; it returns the frame and the exact border widths.
func renderScene(t *testing.T, s cardSpec, seed uint64) (gocv.Mat, [4]float64) {
	t.Helper()
	ch := s.cardFrac * float64(s.frameH)
	cw := ch * item.Card.Aspect()
	tw, th := int(math.Round(cw)), int(math.Round(ch))
	tex, widths := renderCardTexture(s, tw, th, seed)
	defer tex.Close()

	// Table: wood grain (light) or a dark mat, drawn at a quarter of the
	// size and enlarged (cheap, also under the race detector).
	tw4, th4 := s.frameW/4, s.frameH/4
	small := gocv.NewMatWithSize(th4, tw4, gocv.MatTypeCV8UC3)
	p, _ := small.DataPtrUint8()
	for y := 0; y < th4; y++ {
		for x := 0; x < tw4; x++ {
			o := (y*tw4 + x) * 3
			if s.dark {
				v := 28 + 6*math.Sin(float64(x)*0.2+float64(y)*0.08)
				p[o], p[o+1], p[o+2] = uint8(v+4), uint8(v), uint8(v)
			} else {
				grain := 12 * math.Sin(float64(y)*0.36+3*math.Sin(float64(x)*0.052))
				p[o], p[o+1], p[o+2] = uint8(120+grain), uint8(160+grain), uint8(200+grain)
			}
		}
	}
	frame := gocv.NewMat()
	gocv.Resize(small, &frame, image.Pt(s.frameW, s.frameH), 0, 0, gocv.InterpolationLinear)
	small.Close()
	// Card corners in 3-D (centred, z=0), tilted about the x axis, projected
	// with a pinhole of focal length 1.1×frame width, then rotated in plane.
	f := 1.1 * float64(s.frameW)
	dist := f // the card is at this distance
	tr := s.tilt * math.Pi / 180
	rr := s.rot * math.Pi / 180
	cx, cy := float64(s.frameW)/2, float64(s.frameH)/2
	var quad []gocv.Point2f
	for _, c := range [][2]float64{{-cw / 2, -ch / 2}, {cw / 2, -ch / 2}, {cw / 2, ch / 2}, {-cw / 2, ch / 2}} {
		y3 := c[1] * math.Cos(tr)
		z3 := dist + c[1]*math.Sin(tr)*-1 // top (y<0) farther away when tilt > 0
		px := c[0] * f / z3
		py := y3 * f / z3
		qx := px*math.Cos(rr) - py*math.Sin(rr)
		qy := px*math.Sin(rr) + py*math.Cos(rr)
		quad = append(quad, gocv.Point2f{X: float32(cx + qx), Y: float32(cy + qy)})
	}
	srcPts := gocv.NewPoint2fVectorFromPoints([]gocv.Point2f{{X: -0.5, Y: -0.5}, {X: float32(tw) - 0.5, Y: -0.5}, {X: float32(tw) - 0.5, Y: float32(th) - 0.5}, {X: -0.5, Y: float32(th) - 0.5}})
	defer srcPts.Close()
	dstPts := gocv.NewPoint2fVectorFromPoints(quad)
	defer dstPts.Close()
	M := gocv.GetPerspectiveTransform2f(srcPts, dstPts)
	defer M.Close()
	warped := gocv.NewMat()
	defer warped.Close()
	gocv.WarpPerspectiveWithParams(tex, &warped, M, image.Pt(s.frameW, s.frameH), gocv.InterpolationLinear, gocv.BorderConstant, color.RGBA{})
	mask := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(255, 0, 0, 0), th, tw, gocv.MatTypeCV8U)
	defer mask.Close()
	wmask := gocv.NewMat()
	defer wmask.Close()
	gocv.WarpPerspectiveWithParams(mask, &wmask, M, image.Pt(s.frameW, s.frameH), gocv.InterpolationLinear, gocv.BorderConstant, color.RGBA{})
	// frame = warped·a + table·(1−a) + noise, in float.
	var f32, w32, a32, inv, noise gocv.Mat
	for _, m := range []*gocv.Mat{&f32, &w32, &a32, &inv, &noise} {
		*m = gocv.NewMat()
		defer m.Close()
	}
	frame.ConvertTo(&f32, gocv.MatTypeCV32FC3)
	warped.ConvertTo(&w32, gocv.MatTypeCV32FC3)
	a3 := gocv.NewMat()
	defer a3.Close()
	gocv.Merge([]gocv.Mat{wmask, wmask, wmask}, &a3)
	a3.ConvertToWithParams(&a32, gocv.MatTypeCV32FC3, 1.0/255, 0)
	gocv.Multiply(w32, a32, &w32)
	ones := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(1, 1, 1, 0), s.frameH, s.frameW, gocv.MatTypeCV32FC3)
	defer ones.Close()
	gocv.Subtract(ones, a32, &inv)
	gocv.Multiply(f32, inv, &f32)
	gocv.Add(f32, w32, &f32)
	noise = gocv.NewMatWithSize(s.frameH, s.frameW, gocv.MatTypeCV32FC3)
	gocv.SetRNGSeed(int(seed))
	gocv.RandN(&noise, gocv.NewScalar(0, 0, 0, 0), gocv.NewScalar(2.5, 2.5, 2.5, 0))
	gocv.Add(f32, noise, &f32)
	out := gocv.NewMat()
	f32.ConvertTo(&out, gocv.MatTypeCV8UC3)
	frame.Close()
	frame = out
	return frame, widths
}

// measureScene finds the card's outline and measures it, the way the scan
// does (height from the outline, width from the card's aspect).
func measureScene(t *testing.T, frame gocv.Mat) Measurement {
	t.Helper()
	c, ok := glint.FindOutline(frame, item.Card)
	if !ok {
		t.Fatal("card outline not found")
	}
	hpx := (math.Hypot(c[0][0]-c[3][0], c[0][1]-c[3][1]) + math.Hypot(c[1][0]-c[2][0], c[1][1]-c[2][1])) / 2
	h := int(math.Round(hpx))
	w := int(math.Round(hpx * item.Card.Aspect()))
	m, err := MeasureFrame(frame, c, w, h, 0)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

var borders = []color.RGBA{{245, 215, 60, 255}, {222, 222, 226, 255}, {250, 250, 245, 255}, {30, 30, 34, 255}}

// TestCenteringKnownBorders measures generated cards with known border
// ratios (50/50 … 70/30 and mirrored), tilted 0–25° and rotated, on light
// and dark tables: every ratio within ±2 points of the truth.
func TestCenteringKnownBorders(t *testing.T) {
	shares := []float64{50, 55, 60, 70, 45, 40, 30}
	tilts := []float64{0, 8, 16, 25}
	n := 0
	worst := 0.0
	for i, lr := range shares {
		for j, dark := range []bool{false, true} {
			tb := shares[(i+3+j)%len(shares)]
			tilt := tilts[(i+j)%len(tilts)]
			s := cardSpec{lr: lr, tb: tb, tilt: tilt, rot: tilt * 0.6 * float64(1-2*(i%2)), dark: dark,
				border: borders[(i+j)%len(borders)], frameW: 1280, frameH: 960, cardFrac: 0.8}
			if dark && s.border.R < 100 {
				s.border = borders[0]
			}
			name := fmt.Sprintf("lr%.0f_tb%.0f_tilt%.0f_dark%v", lr, tb, tilt, dark)
			t.Run(name, func(t *testing.T) {
				frame, widths := renderScene(t, s, uint64(100+i*7+j))
				defer frame.Close()
				m := measureScene(t, frame)
				if !m.Found {
					t.Fatalf("border not found: %s", m.Reason)
				}
				wantLR := share(widths[Left], widths[Right])
				wantTB := share(widths[Top], widths[Bottom])
				dl, dt := m.LR-wantLR, m.TB-wantTB
				t.Logf("truth %.1f/%.1f measured %.2f/%.2f (err %+.2f, %+.2f) widths px %.1f outer %.1f", wantLR, wantTB, m.LR, m.TB, dl, dt, m.WidthPx, m.Outer)
				if math.Abs(dl) > 2 || math.Abs(dt) > 2 {
					t.Errorf("centering off by more than 2 points: lr %+.2f tb %+.2f", dl, dt)
				}
				worst = max(worst, math.Abs(dl), math.Abs(dt))
				n++
			})
		}
	}
	t.Logf("%d cards, worst error %.2f points", n, worst)
}

// TestNoBorder: a full-bleed image (no uniform border) is not given a ratio.
func TestNoBorder(t *testing.T) {
	img := gocv.NewMatWithSize(500, 360, gocv.MatTypeCV8UC3)
	defer img.Close()
	p, _ := img.DataPtrUint8()
	r := rand.New(rand.NewPCG(3, 3))
	for i := range p {
		p[i] = uint8(r.IntN(256))
	}
	gocv.GaussianBlur(img, &img, image.Pt(0, 0), 2, 2, gocv.BorderReplicate)
	m, err := Measure(img, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	if m.Found {
		t.Fatalf("found a border on noise: %+v", m)
	}
	res := Combine([]Measurement{m}, 360, 500, Options{})
	if res.Found || res.Confidence != 0 || len(res.Reasons) == 0 {
		t.Fatalf("combined result claims a centering: %+v", res)
	}
}

// TestCombineAndRecompute: the median of frames, mm from the item size, and
// dragged guides recomputing the ratios.
func TestCombineAndRecompute(t *testing.T) {
	mk := func(l, r, tp, b float64) Measurement {
		return Measurement{Found: true, Outer: [4]float64{1, 1, 1, 1}, Inner: [4]float64{1 + l, 1 + r, 1 + tp, 1 + b},
			WidthPx: [4]float64{l, r, tp, b}, LR: share(l, r), TB: share(tp, b), SideConfidence: [4]float64{1, 1, 1, 1}}
	}
	ms := []Measurement{mk(30, 20, 20, 20), mk(30.4, 19.6, 20, 20), mk(29.6, 20.4, 20.2, 19.8), {Reason: "x"}}
	w, h := 502, 702
	wmm, hmm := item.Card.SizeMM()
	r := Combine(ms, w, h, Options{WidthMM: wmm, HeightMM: hmm})
	if !r.Found || r.LRLabel != "60/40" || r.TBLabel != "50/50" {
		t.Fatalf("combined %+v", r)
	}
	if math.Abs(r.LeftMM-30*wmm/500) > 0.01 {
		t.Errorf("left mm %.2f, want %.2f", r.LeftMM, 30*wmm/500)
	}
	if r.Confidence >= 1 || r.Confidence <= 0 {
		t.Errorf("a frame without a border must lower confidence: %.2f", r.Confidence)
	}
	r.Guides.Inner[Left] = 1 + 20 // drag the left guide to make 50/50
	r.Recompute(Options{WidthMM: wmm, HeightMM: hmm})
	if r.LRLabel != "50/50" || !r.Manual {
		t.Errorf("after drag: %s manual=%v", r.LRLabel, r.Manual)
	}
}

// TestTextureExact measures upright generated cards directly (no camera):
// each border width within 0.5 px of the drawing. (Light borders: on the
// black one the card's thin dark-brown frame line is close to the border
// colour and is partly counted as border, up to its 2 px width.)
func TestTextureExact(t *testing.T) {
	for i, lr := range []float64{50, 60, 70, 35} {
		s := cardSpec{lr: lr, tb: 100 - lr, border: borders[i%3]}
		tex, widths := renderCardTexture(s, 400, 560, uint64(i))
		m, err := Measure(tex, 0, 0)
		tex.Close()
		if err != nil || !m.Found {
			t.Fatalf("%v %s", err, m.Reason)
		}
		for side := range 4 {
			if d := m.WidthPx[side] - widths[side]; math.Abs(d) > 0.5 {
				t.Errorf("card %d %s: width %.2f px, drawn %.2f", i, SideNames[side], m.WidthPx[side], widths[side])
			}
		}
		t.Logf("drawn %.2f measured %.2f", widths, m.WidthPx)
	}
}
