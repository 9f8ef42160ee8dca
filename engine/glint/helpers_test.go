package glint

import (
	"math"
	"math/rand/v2"
	"testing"

	"gocv.io/x/gocv"

	"gradevault/engine/synth"
)

// goldenFrames are hold frames of synth.DefaultScene whose glint positions
// sweep across the item (and over its crease).
var goldenFrames = []int{6, 24, 42, 64, 82}

// renderFrames renders the given frames of s; the Mats are closed when the
// test ends.
func renderFrames(t testing.TB, s synth.Scene, idx ...int) []Frame {
	t.Helper()
	var frames []Frame
	for _, i := range idx {
		m := synth.Render(s, i)
		t.Cleanup(func() { m.Close() })
		frames = append(frames, Frame{Index: i, Image: m})
	}
	return frames
}

// noiseFrame is a w×h frame of deterministic brownish noise: a table with
// nothing on it.
func noiseFrame(t testing.TB, w, h int, seed uint64) gocv.Mat {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 7))
	b := make([]byte, w*h*3)
	for i := 0; i < w*h; i++ {
		v := 90 + r.NormFloat64()*25
		b[3*i] = clampByte(v * 0.55)
		b[3*i+1] = clampByte(v * 0.75)
		b[3*i+2] = clampByte(v)
	}
	m, err := gocv.NewMatFromBytes(h, w, gocv.MatTypeCV8UC3, b)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func clampByte(v float64) byte { return byte(math.Max(0, math.Min(255, math.Round(v)))) }

// creaseContrast returns the mean of the defect mask along the crease
// (item-fraction endpoints c, sampled every pixel in rectified coordinates)
// and over the rest of the surface region, farther than margin px from it.
func creaseContrast(an *defectMap, c [2][2]float64, margin float64) (along, rest float64) {
	x0, y0 := c[0][0]*float64(an.w), c[0][1]*float64(an.h)
	x1, y1 := c[1][0]*float64(an.w), c[1][1]*float64(an.h)
	L := math.Hypot(x1-x0, y1-y0)
	ux, uy := (x1-x0)/L, (y1-y0)/L
	n := 0
	for k := 0; k <= int(L); k++ {
		x, y := int(math.Round(x0+float64(k)*ux)), int(math.Round(y0+float64(k)*uy))
		along += float64(an.mask[y*an.w+x])
		n++
	}
	along /= float64(n)
	r := regionRect("surface", an.w, an.h)
	m := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			px, py := float64(x)-x0, float64(y)-y0
			t := math.Max(0, math.Min(L, px*ux+py*uy))
			if math.Hypot(px-t*ux, py-t*uy) <= margin {
				continue
			}
			rest += float64(an.mask[y*an.w+x])
			m++
		}
	}
	return along, rest / float64(m)
}
