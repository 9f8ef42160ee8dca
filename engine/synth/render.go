package synth

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"sync"

	"gocv.io/x/gocv"
)

// Render returns upright frame i of the scene (the i-th frame of the written
// file in presentation order; a duplicated frame renders like the frame
// before it) as a new BGR CV_8UC3 Mat of Width×Height; the caller closes
// it. It is a pure function of (s, i) and
// safe for concurrent use. It panics if the scene is invalid or i is out of
// range (0 ≤ i < NumFrames), which are programming errors.
func Render(s Scene, i int) gocv.Mat {
	if err := s.Validate(); err != nil {
		panic(err)
	}
	if i < 0 || i >= s.NumFrames() {
		panic(fmt.Sprintf("synth: frame %d out of range [0, %d)", i, s.NumFrames()))
	}
	pl := planOf(s)
	return render(s, pl.slots[i].src, pl)
}

// plan is what rendering needs to know about every frame of a scene.
type plan struct {
	poses []pose       // per picture
	slots []slot       // per file frame (presentation order)
	gains [][3]float64 // photometric BGR gain per picture
}

func planOf(s Scene) *plan {
	pl := &plan{poses: posesOf(s), slots: s.timeline()}
	pl.gains = gainsOf(s, pl.slots)
	return pl
}

// gainsOf returns the photometric gain (exposure × flicker × white-balance
// drift) of every picture, BGR.
func gainsOf(s Scene, slots []slot) [][3]float64 {
	n := len(slots)
	out := make([][3]float64, n)
	exp := s.Exposure
	if exp == 0 {
		exp = 1
	}
	hz := s.FlickerHz
	if hz == 0 {
		hz = 100
	}
	r := newRand(s.Seed, streamFlicker)
	fph := r.Float64() * 2 * math.Pi
	var wph [4]float64
	for k := range wph {
		wph[k] = r.Float64() * 2 * math.Pi
	}
	dur := slots[n-1].time
	if dur <= 0 {
		dur = 1
	}
	for i := range out {
		// The picture's own time (a duplicate shows an earlier picture).
		t := slots[i].time
		g := exp
		if s.Flicker > 0 {
			fr := newRand(s.Seed, streamFlickerFrame+uint64(i))
			g *= 1 + s.Flicker*math.Sin(2*math.Pi*hz*t+fph) + 0.25*s.Flicker*fr.NormFloat64()
		}
		for c := range 3 {
			out[i][c] = g
		}
		if s.WBDrift > 0 {
			u := t / dur
			common := 0.5 * math.Sin(2*math.Pi*0.6*u+wph[3])
			for c := range 3 {
				own := 0.5 * math.Sin(2*math.Pi*(0.4+0.35*float64(c))*u+wph[c])
				out[i][c] *= 1 + s.WBDrift*(common+own)
			}
		}
	}
	return out
}

// RenderFlatItem returns the item's printed face, fronto-parallel and filling
// the whole w×h BGR Mat (w/h should match Item.Aspect), as the item would be
// scanned flat: design, paper grain and the scene's defects (the crease lit
// from a fixed direction, the dent with its torn tip painted in the table's
// dark brown), without glint, noise or blur. The caller closes it. It panics
// on an invalid scene or a size below 8×8.
func RenderFlatItem(s Scene, w, h int) gocv.Mat {
	if err := s.Validate(); err != nil {
		panic(err)
	}
	if w < 8 || h < 8 {
		panic(fmt.Sprintf("synth: flat item size %dx%d too small", w, h))
	}
	tex, alpha := baseItem(s, w, h)
	tex = raster{w: w, h: h, ch: 3, pix: append([]byte(nil), tex.pix...)}
	if s.Crease {
		// Light from the upper left.
		drawCrease(s, tex, -0.2*float64(w), -0.2*float64(h), false)
	}
	for i, a := range alpha.pix {
		if a == 0 {
			tex.pix[3*i], tex.pix[3*i+1], tex.pix[3*i+2] = 50, 66, 96
		}
	}
	return tex.toMat()
}

// itemTexSize returns the size of the texture the item is rendered from:
// 1.5 texels per frame pixel at the item's centre depth.
func itemTexSize(s Scene) (int, int) {
	wn, hn := s.itemSize()
	return max(8, int(math.Round(1.5*wn))), max(8, int(math.Round(1.5*hn)))
}

// tableSize returns the side of the square table texture.
func tableSize(s Scene) int {
	d := math.Hypot(float64(s.Width), float64(s.Height))
	return int(math.Ceil(1.5*d/2)) * 2
}

// The textures are costly to draw and are the same for every frame of a
// scene, so they are cached (Go memory, a few scenes).
var texCache = struct {
	sync.Mutex
	m map[any]any
}{m: map[any]any{}}

func cached[T any](key any, make func() T) T {
	texCache.Lock()
	v, ok := texCache.m[key]
	texCache.Unlock()
	if ok {
		return v.(T)
	}
	nv := make()
	texCache.Lock()
	if len(texCache.m) >= 16 {
		clear(texCache.m)
	}
	texCache.m[key] = nv
	texCache.Unlock()
	return nv
}

type itemKey struct {
	item   Item
	seed   int64
	dent   string
	w, h   int
	design bool
	border Border
	busy   bool
}

type itemTex struct{ tex, alpha raster }

// baseItem returns the item's design (with the dent, if any) and its alpha
// mask at w×h. The returned rasters are shared: do not modify them.
func baseItem(s Scene, w, h int) (raster, raster) {
	dc := ""
	if s.Dent {
		dc = s.dentCorner()
	}
	v := cached(itemKey{s.Item, s.Seed, dc, w, h, true, s.CardBorder, s.Busy}, func() itemTex {
		tex := drawDesign(s, w, h)
		alpha := raster{w: w, h: h, ch: 1, pix: make([]byte, w*h)}
		for i := range alpha.pix {
			alpha.pix[i] = 255
		}
		if s.Dent {
			applyDent(s, tex, alpha)
		}
		return itemTex{tex, alpha}
	})
	return v.tex, v.alpha
}

type tableKey struct {
	seed int64
	size int
	bg   Background
}

func baseTable(s Scene) raster {
	n := tableSize(s)
	return cached(tableKey{s.Seed, n, s.Background}, func() raster {
		if s.Background == BackgroundMat {
			return matTexture(s, n)
		}
		return tableTexture(s, n)
	})
}

// glint parameters in item-relative units.
const (
	glintSigmaA = 0.15 // along the ellipse's long axis, fraction of the item width
	glintSigmaB = 0.06 // along its short axis
	glintAngle  = 35.0 // degrees
	glintPeak   = 0.6  // fraction of the way to white at the centre
)

// glintAt returns the glint's strength (0..1 of glintPeak) at texel (x, y).
type glintField struct {
	gx, gy, ca, sa, ia2, ib2 float64
}

func newGlint(s Scene, i int, tw, th int) glintField {
	u, v := glintCentre(s, i)
	a := glintAngle * math.Pi / 180
	gs := s.GlintSize
	if gs == 0 {
		gs = 1
	}
	sa, sb := gs*glintSigmaA*float64(tw), gs*glintSigmaB*float64(tw)
	return glintField{gx: u*float64(tw) - 0.5, gy: v*float64(th) - 0.5, ca: math.Cos(a), sa: math.Sin(a),
		ia2: 1 / (sa * sa), ib2: 1 / (sb * sb)}
}

func (g glintField) at(x, y float64) float64 {
	dx, dy := x-g.gx, y-g.gy
	p := dx*g.ca + dy*g.sa
	q := -dx*g.sa + dy*g.ca
	e := p*p*g.ia2 + q*q*g.ib2
	if e > 25 {
		return 0
	}
	return math.Exp(-0.5 * e)
}

// frameItem returns the item texture of frame i: the base design with the
// glint and the crease lit from the glint's position.
func frameItem(s Scene, i int) (raster, raster) {
	tw, th := itemTexSize(s)
	base, alpha := baseItem(s, tw, th)
	tex := raster{w: tw, h: th, ch: 3, pix: append([]byte(nil), base.pix...)}
	g := newGlint(s, i, tw, th)
	// Glint: blend towards a slightly warm white.
	white := [3]float64{238, 246, 255} // BGR
	peak := s.GlintStrength
	if peak == 0 {
		peak = glintPeak
	}
	ext := 5 / math.Sqrt(math.Min(g.ia2, g.ib2))
	x0, x1 := max(0, int(g.gx-ext)), min(tw-1, int(g.gx+ext))
	y0, y1 := max(0, int(g.gy-ext)), min(th-1, int(g.gy+ext))
	for y := y0; y <= y1; y++ {
		for x := x0; x <= x1; x++ {
			k := peak * g.at(float64(x), float64(y))
			if k < 1e-3 {
				continue
			}
			j := (y*tw + x) * 3
			for c := range 3 {
				v := float64(tex.pix[j+c])
				if k <= 1 {
					tex.pix[j+c] = clamp8(v + (white[c]-v)*k)
				} else { // saturated core: clipped white
					tex.pix[j+c] = clamp8(white[c] + 120*(k-1))
				}
			}
		}
	}
	if s.Crease {
		drawCrease(s, tex, g.gx, g.gy, true)
	}
	return tex, alpha
}

// itemPad is the transparent margin of the padded item texture, texels.
const itemPad = 2

// paddedItem returns frame i's item texture as a BGRA Mat with itemPad
// texels of margin around it: colours replicate the edge, alpha is 0 there.
// Warped with BorderReplicate it gives the item's colour and coverage in one
// pass. The caller closes it.
func paddedItem(s Scene, i int) gocv.Mat {
	tex, alpha := frameItem(s, i)
	pw, ph := tex.w+2*itemPad, tex.h+2*itemPad
	m := gocv.NewMatWithSize(ph, pw, gocv.MatTypeCV8UC4)
	p, err := m.DataPtrUint8()
	if err != nil {
		panic(err)
	}
	for y := range ph {
		sy := min(max(y-itemPad, 0), tex.h-1)
		in := y >= itemPad && y < itemPad+tex.h
		row := p[4*y*pw : 4*(y+1)*pw]
		src := tex.pix[3*sy*tex.w : 3*(sy+1)*tex.w]
		arow := alpha.pix[sy*tex.w : (sy+1)*tex.w]
		for x := range tex.w {
			d := row[4*(x+itemPad) : 4*(x+itemPad)+4]
			d[0], d[1], d[2] = src[3*x], src[3*x+1], src[3*x+2]
			if in {
				d[3] = arow[x]
			} else {
				d[3] = 0
			}
		}
		for x := range itemPad { // replicated colour, transparent
			l, r := row[4*x:4*x+4], row[4*(pw-1-x):4*(pw-x)]
			l[0], l[1], l[2], l[3] = src[0], src[1], src[2], 0
			k := 3 * (tex.w - 1)
			r[0], r[1], r[2], r[3] = src[k], src[k+1], src[k+2], 0
		}
	}
	return m
}

// drawCrease shades the crease into tex (sized like the item texture or the
// flat item): the fold line is dark, the side facing the light at (lx, ly)
// (texels) is brighter, the other side darker, and with ridge=true the fold
// catches a specular highlight where the glint crosses it.
func drawCrease(s Scene, tex raster, lx, ly float64, ridge bool) {
	c := creaseOf(s)
	tw, th := float64(tex.w), float64(tex.h)
	_, hn := s.itemSize()
	hw := creaseHalfWidth(s) * th / hn // texels
	p0x, p0y := c.u0*tw-0.5, c.v0*th-0.5
	p1x, p1y := c.u1*tw-0.5, c.v1*th-0.5
	l := math.Hypot(p1x-p0x, p1y-p0y)
	dx, dy := (p1x-p0x)/l, (p1y-p0y)/l
	nx, ny := -dy, dx
	// Which side faces the light, and how much.
	mx, my := (p0x+p1x)/2, (p0y+p1y)/2
	lvx, lvy := lx-mx, ly-my
	ln := math.Hypot(lvx, lvy)
	side := 0.0
	if ln > 0 {
		side = (lvx*nx + lvy*ny) / ln
	}
	var g glintField
	if ridge {
		g = newGlint(s, 0, tex.w, tex.h)
		g.gx, g.gy = lx, ly
	}
	ext := hw + 2
	bx0 := max(0, int(math.Min(p0x, p1x)-ext))
	bx1 := min(tex.w-1, int(math.Max(p0x, p1x)+ext))
	by0 := max(0, int(math.Min(p0y, p1y)-ext))
	by1 := min(tex.h-1, int(math.Max(p0y, p1y)+ext))
	for y := by0; y <= by1; y++ {
		for x := bx0; x <= bx1; x++ {
			qx, qy := float64(x)-p0x, float64(y)-p0y
			t := qx*dx + qy*dy
			d := qx*nx + qy*ny
			xr := math.Abs(d) / hw
			if t < 0 || t > l || xr >= 1 {
				continue
			}
			fade := math.Min(1, math.Min(t, l-t)/(0.08*l))
			delta := 0.0
			if xr < 0.45 {
				delta -= 50 * (1 - xr/0.45)
			}
			if d*side > 0 {
				delta += 50 * math.Abs(side) * (1 - xr)
			} else {
				delta -= 60 * (0.5 + 0.5*math.Abs(side)) * (1 - xr)
			}
			delta *= fade
			hl := 0.0
			if ridge {
				hl = 0.9 * g.at(float64(x), float64(y)) * math.Exp(-(xr/0.6)*(xr/0.6)) * fade
			}
			j := (y*tex.w + x) * 3
			for ch := range 3 {
				v := float64(tex.pix[j+ch]) + delta
				v += (255 - v) * hl
				tex.pix[j+ch] = clamp8(v)
			}
		}
	}
}

// homMat converts a homography to a 3×3 CV_64F Mat (caller closes).
func homMat(h homography) gocv.Mat {
	m := gocv.NewMatWithSize(3, 3, gocv.MatTypeCV64F)
	for k, v := range h {
		m.SetDoubleAt(k/3, k%3, v)
	}
	return m
}

// render draws picture i (a render index; see slot.src) given the plan.
func render(s Scene, i int, pl *plan) gocv.Mat {
	poses := pl.poses
	w, h := s.Width, s.Height
	p := poses[i]
	prev := p
	if i > 0 {
		prev = poses[i-1]
	}
	// Motion blur: average sub-frames spread over the exposure (the whole
	// frame interval), at most 1 px apart.
	nsub := 1
	if p.kind == Sweep && i > 0 {
		d := maxCornerDisplacement(prev.itemToFrame(s), p.itemToFrame(s))
		nsub = min(32, max(1, int(math.Ceil(d))))
	}

	itemM := paddedItem(s, i)
	defer itemM.Close()
	table := baseTable(s)
	// A header over the cached Go pixels (read-only): no copy.
	tableM, err := gocv.NewMatFromBytes(table.h, table.w, gocv.MatTypeCV8UC3, table.pix)
	if err != nil {
		panic(err)
	}
	defer tableM.Close()

	tw, th := itemTexSize(s)
	// The padded texture has itemPad texels of transparent border.
	texToItem := homography{1 / float64(tw), 0, (0.5 - itemPad) / float64(tw), 0, 1 / float64(th), (0.5 - itemPad) / float64(th), 0, 0, 1}
	tc := float64(table.w-1) / 2
	tableToWorld := homography{1, 0, -tc, 0, 1, -tc, 0, 0, 1}

	// The item only covers part of the frame: warp it into the bounding box
	// of its positions over the exposure (plus a margin), not the whole frame.
	roi := image.Rectangle{Min: image.Pt(w, h)}
	for k := 0; k <= nsub; k++ {
		q := lerpPose(prev, p, float64(k)/float64(nsub))
		hq := q.itemToFrame(s)
		for _, uv := range [4][2]float64{{0, 0}, {1, 0}, {1, 1}, {0, 1}} {
			c := hq.apply(uv[0], uv[1])
			roi.Min.X = min(roi.Min.X, int(math.Floor(c[0]))-2)
			roi.Min.Y = min(roi.Min.Y, int(math.Floor(c[1]))-2)
			roi.Max.X = max(roi.Max.X, int(math.Ceil(c[0]))+3)
			roi.Max.Y = max(roi.Max.Y, int(math.Ceil(c[1]))+3)
		}
	}
	roi = roi.Intersect(image.Rect(0, 0, w, h))
	rw, rh := roi.Dx(), roi.Dy()
	shift := homography{1, 0, -float64(roi.Min.X), 0, 1, -float64(roi.Min.Y), 0, 0, 1}

	out := gocv.NewMatWithSize(h, w, gocv.MatTypeCV8UC3)
	wi := gocv.NewMat()
	defer wi.Close()
	var acc []uint16 // sum of the sub-frames (≤ 32 × 255)
	if nsub > 1 {
		acc = make([]uint16, w*h*3)
	}
	wt := gocv.NewMat()
	defer wt.Close()
	for k := 1; k <= nsub; k++ {
		q := p
		if nsub > 1 {
			q = lerpPose(prev, p, float64(k)/float64(nsub))
		}
		dst := &wt
		if nsub == 1 {
			dst = &out
		}
		ht := homMat(q.worldToFrame(s).mul(tableToWorld))
		gocv.WarpPerspectiveWithParams(tableM, dst, ht, image.Pt(w, h), gocv.InterpolationLinear, gocv.BorderReflect101, color.RGBA{})
		ht.Close()
		pt, _ := dst.DataPtrUint8()
		if rw > 0 && rh > 0 {
			hi := homMat(shift.mul(q.itemToFrame(s)).mul(texToItem))
			gocv.WarpPerspectiveWithParams(itemM, &wi, hi, image.Pt(rw, rh), gocv.InterpolationLinear, gocv.BorderReplicate, color.RGBA{})
			hi.Close()
			pi, _ := wi.DataPtrUint8()
			for y := range rh {
				row := ((roi.Min.Y+y)*w + roi.Min.X) * 3
				src := pi[y*rw*4 : (y+1)*rw*4]
				for x := range rw {
					a := int(src[4*x+3])
					if a == 0 {
						continue
					}
					o := row + 3*x
					for c := range 3 {
						tv := int(pt[o+c])
						pt[o+c] = byte((tv*255 + (int(src[4*x+c])-tv)*a + 127) / 255)
					}
				}
			}
		}
		if acc != nil {
			for j, v := range pt {
				acc[j] += uint16(v)
			}
		}
	}
	po, _ := out.DataPtrUint8()
	if acc != nil {
		ns, half := uint32(nsub), uint32(nsub/2)
		for j, v := range acc {
			po[j] = byte((uint32(v) + half) / ns)
		}
	}
	if p.blur > 0 {
		gocv.GaussianBlur(out, &out, image.Pt(0, 0), p.blur, p.blur, gocv.BorderReflect101)
		po, _ = out.DataPtrUint8()
	}
	if s.phoneNoise() || pl.gains[i] != [3]float64{1, 1, 1} {
		photometric(s, i, po, pl.gains[i])
	} else if s.Noise > 0 {
		r := newRand(s.Seed, streamNoise+uint64(i))
		for j, v := range po {
			po[j] = clamp8(float64(v) + r.NormFloat64()*s.Noise)
		}
	}
	if s.FrameCode {
		drawFrameCode(s, po, i)
	}
	return out
}
