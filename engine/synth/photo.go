package synth

import (
	"image"
	"math"
	"sync"

	"gocv.io/x/gocv"
)

// This file holds the phone-camera side of the renderer: exposure, flicker
// and white-balance gains, the sensor-noise model, the dark play-mat and
// the burnt-in frame code.

// phoneNoise reports whether the scene uses the phone noise model.
func (s Scene) phoneNoise() bool { return s.ShotNoise > 0 || s.Grain > 0 }

// normTable holds standard normal quantiles at (k+½)/65536: indexing it with
// 16 uniform random bits draws a Gaussian sample (tails to ±4.3σ), four
// samples per 64-bit random number, far faster than NormFloat64.
var normTable = sync.OnceValue(func() *[1 << 16]float32 {
	var t [1 << 16]float32
	for k := range t {
		p := (float64(k) + 0.5) / (1 << 16)
		t[k] = float32(math.Sqrt2 * math.Erfinv(2*p-1))
	}
	return &t
})

// fillNormal fills dst with standard normal samples from the stream.
func fillNormal(seed int64, stream uint64, dst []float32) {
	t := normTable()
	r := newRand(seed, stream)
	for j := 0; j < len(dst); j += 4 {
		u := r.Uint64()
		for k := 0; k < 4 && j+k < len(dst); k++ {
			dst[j+k] = t[uint16(u>>(16*k))]
		}
	}
}

// grainField returns w×h×ch standard normal samples, spatially correlated
// by a Gaussian of sigma grain pixels and rescaled to unit variance.
func grainField(seed int64, stream uint64, w, h, ch int, grain float64) []float32 {
	buf := make([]float32, w*h*ch)
	fillNormal(seed, stream, buf)
	if grain <= 0 {
		return buf
	}
	t := gocv.MatTypeCV32FC1
	if ch == 3 {
		t = gocv.MatTypeCV32FC3
	}
	m := gocv.NewMatWithSize(h, w, t)
	defer m.Close()
	mp, err := m.DataPtrFloat32()
	if err != nil { // cannot happen for a new continuous float Mat
		panic(err)
	}
	copy(mp, buf)
	b := gocv.NewMat()
	defer b.Close()
	gocv.GaussianBlur(m, &b, image.Pt(0, 0), grain, grain, gocv.BorderReflect101)
	// A separable Gaussian of weights k scales white noise's variance by
	// (Σk²)².
	k := gaussKernel(grain)
	ss := 0.0
	for _, v := range k {
		ss += v * v
	}
	scale := float32(1 / ss)
	p, _ := b.DataPtrFloat32()
	for j, v := range p {
		buf[j] = v * scale
	}
	return buf
}

// gaussKernel returns OpenCV's Gaussian kernel for sigma (size as
// GaussianBlur picks it for 32-bit floats: round(sigma·4·2+1)|1).
func gaussKernel(sigma float64) []float64 {
	n := int(math.Round(sigma*4*2+1)) | 1
	k := make([]float64, n)
	sum := 0.0
	for i := range k {
		x := float64(i - (n-1)/2)
		k[i] = math.Exp(-x * x / (2 * sigma * sigma))
		sum += k[i]
	}
	for i := range k {
		k[i] /= sum
	}
	return k
}

// photometric applies picture i's gain and sensor noise to the BGR pixels.
func photometric(s Scene, i int, po []byte, gain [3]float64) {
	g := [3]float32{float32(gain[0]), float32(gain[1]), float32(gain[2])}
	if !s.phoneNoise() {
		// Gain, then independent Gaussian noise per channel (the Noise
		// field's classic model).
		var nz []float32
		if s.Noise > 0 {
			nz = make([]float32, len(po))
			fillNormal(s.Seed, streamNoise+uint64(i), nz)
		}
		sig := float32(s.Noise)
		for j := range len(po) / 3 {
			for c := range 3 {
				v := float32(po[3*j+c]) * g[c]
				if nz != nil {
					v += nz[3*j+c] * sig
				}
				po[3*j+c] = clamp8f(v)
			}
		}
		return
	}
	w, h := s.Width, s.Height
	luma := grainField(s.Seed, streamNoise+uint64(i), w, h, 1, s.Grain)
	// Chroma noise at half resolution (as 4:2:0 chroma is), each sample
	// shared by a 2×2 block.
	cw, ch := (w+1)/2, (h+1)/2
	chroma := grainField(s.Seed, streamNoiseChroma+uint64(i), cw, ch, 3, s.Grain/2)
	// Per channel and input value: the gained level and the noise sigma
	// √(read² + shot²·level) at it.
	var lv, sg [3][256]float32
	for c := range 3 {
		for v := range 256 {
			l := float32(v) * g[c]
			lv[c][v] = l
			sg[c][v] = float32(math.Sqrt(s.Noise*s.Noise + s.ShotNoise*s.ShotNoise*math.Min(255, float64(l))))
		}
	}
	const shared, own = 0.8944272, 0.4472136 // √0.8, √0.2
	for y := range h {
		crow := chroma[3*(y/2)*cw:]
		row := po[3*y*w : 3*(y+1)*w]
		lrow := luma[y*w : (y+1)*w]
		for x := range w {
			nl := lrow[x] * shared
			cj := 3 * (x / 2)
			p := row[3*x : 3*x+3]
			p[0] = clamp8f(lv[0][p[0]] + (nl+crow[cj]*own)*sg[0][p[0]])
			p[1] = clamp8f(lv[1][p[1]] + (nl+crow[cj+1]*own)*sg[1][p[1]])
			p[2] = clamp8f(lv[2][p[2]] + (nl+crow[cj+2]*own)*sg[2][p[2]])
		}
	}
}

func clamp8f(v float32) byte {
	if v <= 0 {
		return 0
	}
	if v >= 255 {
		return 255
	}
	return byte(v + 0.5)
}

// NoiseSigma returns the per-pixel, per-channel standard deviation in grey
// levels of the scene's sensor noise at the noiseless level (0..255, after
// exposure, flicker and drift), before clipping: √(Noise² + ShotNoise²·level).
func (s Scene) NoiseSigma(level float64) float64 {
	if !s.phoneNoise() {
		return s.Noise
	}
	return math.Sqrt(s.Noise*s.Noise + s.ShotNoise*s.ShotNoise*level)
}

// matTexture draws a dark rubber play-mat, size×size texels: grey about 28
// with a faint fine weave (±1.5), soft blotches (±3) and fibre noise (±1.5).
func matTexture(s Scene, size int) raster {
	r := newRand(s.Seed, streamTable)
	noise := func(gw, gh int) []float32 {
		g := gocv.NewMatWithSize(gh, gw, gocv.MatTypeCV32F)
		defer g.Close()
		p, _ := g.DataPtrFloat32()
		for i := range p {
			p[i] = float32(r.Float64()*2 - 1)
		}
		big := gocv.NewMat()
		defer big.Close()
		gocv.Resize(g, &big, image.Pt(size, size), 0, 0, gocv.InterpolationCubic)
		q, _ := big.DataPtrFloat32()
		return append([]float32(nil), q...)
	}
	blot := noise(max(2, size/80), max(2, size/80))
	fine := make([]float32, size*size)
	for i := range fine {
		fine[i] = float32(r.Float64()*2 - 1)
	}
	hue := r.Float64()
	base := [3]float64{27 + 4*hue, 28, 30 - 3*hue} // BGR, near-neutral dark grey
	per := 3.3
	out := raster{w: size, h: size, ch: 3, pix: make([]byte, size*size*3)}
	for y := range size {
		wy := math.Sin(2 * math.Pi * float64(y) / per)
		for x := range size {
			i := y*size + x
			weave := 1.5 * math.Sin(2*math.Pi*float64(x)/per) * wy
			d := weave + 3*float64(blot[i]) + 1.5*float64(fine[i])
			for c := range 3 {
				out.pix[3*i+c] = clamp8(base[c] + d)
			}
		}
	}
	return out
}

// Frame code geometry: codeBits bits of the picture number, preceded by a
// white start block and followed by an even-parity block.
const codeBits = 12

// codeBlock returns the code's block size and top-left corner.
func codeBlock(s Scene) (bs, x0, y0 int) {
	bs = max(4, int(math.Round(float64(min(s.Width, s.Height))/60))&^1)
	return bs, bs, bs
}

// CodeRect returns the frame-code rectangle (x0, y0, x1, y1; upright frame
// pixels, exclusive end) of a scene with FrameCode.
func (s Scene) CodeRect() [4]int {
	bs, x0, y0 := codeBlock(s)
	return [4]int{x0 - bs/2, y0 - bs/2, x0 + (codeBits+2)*bs + bs/2, y0 + bs + bs/2}
}

// drawFrameCode burns picture i's number into po (BGR, Width×Height): a
// black frame of half a block around white start, codeBits bits (MSB first,
// white = 1) and a parity block.
func drawFrameCode(s Scene, po []byte, i int) {
	bs, x0, y0 := codeBlock(s)
	rc := s.CodeRect()
	fill := func(xa, ya, xb, yb int, v byte) {
		for y := max(0, ya); y < min(s.Height, yb); y++ {
			for x := max(0, xa); x < min(s.Width, xb); x++ {
				j := 3 * (y*s.Width + x)
				po[j], po[j+1], po[j+2] = v, v, v
			}
		}
	}
	fill(rc[0], rc[1], rc[2], rc[3], 16)
	bits := codeBlocks(i)
	for k, b := range bits {
		if b {
			fill(x0+k*bs, y0, x0+(k+1)*bs, y0+bs, 235)
		}
	}
}

// codeBlocks returns the blocks of picture number i: start, bits, parity.
func codeBlocks(i int) []bool {
	out := []bool{true}
	par := false
	for k := codeBits - 1; k >= 0; k-- {
		b := (i>>k)&1 == 1
		par = par != b
		out = append(out, b)
	}
	return append(out, par)
}

// ReadFrameCode reads the picture number burnt in by Scene.FrameCode from
// an upright decoded BGR frame of the scene's size. ok is false when the
// code is not readable (wrong start or parity block).
func ReadFrameCode(s Scene, m gocv.Mat) (n int, ok bool) {
	if m.Cols() != s.Width || m.Rows() != s.Height || m.Type() != gocv.MatTypeCV8UC3 {
		return 0, false
	}
	bs, x0, y0 := codeBlock(s)
	var blocks []bool
	for k := range codeBits + 2 {
		sum, cnt := 0, 0
		for y := y0 + bs/4; y < y0+bs-bs/4; y++ {
			for x := x0 + k*bs + bs/4; x < x0+(k+1)*bs-bs/4; x++ {
				v := m.GetVecbAt(y, x)
				sum += int(v[0]) + int(v[1]) + int(v[2])
				cnt += 3
			}
		}
		blocks = append(blocks, sum > 128*cnt)
	}
	if !blocks[0] {
		return 0, false
	}
	par := false
	for k := 1; k <= codeBits; k++ {
		n <<= 1
		if blocks[k] {
			n |= 1
			par = !par
		}
	}
	return n, par == blocks[codeBits+1]
}
