package analysis

import (
	"fmt"
	"image"
	"math"

	"gocv.io/x/gocv"

	"gradevault/internal/order"
)

// Farnebäck parameters of the original worker.
const (
	flowPyrScale   = 0.5
	flowLevels     = 3
	flowWinSize    = 15
	flowIterations = 3
	flowPolyN      = 5
	flowPolySigma  = 1.2
	flowFlags      = 0
)

// fastPreset is the DIS optical flow preset of fast mode, with
// fastRefinement variational refinement iterations instead of the preset's
// five: the flow's weighted median (robustMagnitude) does not need the
// smoother field, and each iteration costs about 0.4 ms a 1080p frame
// (motion 6.0 → 5.0 ms). With 2 every corpus video keeps ≥ 97 % agreement
// (TestCorpusFastAgreesWithPrecise); with 0 or 1 low-light grain reads
// above 1 px on a still frame.
const (
	fastPreset     = disFast
	fastRefinement = 2
)

// fastTargetSide is the longest side, in pixels, that fast mode reduces
// frames towards before computing optical flow. Fast mode runs OpenCV's DIS
// optical flow on that pyramid level (about 3 ms a frame at 480×270 against
// 20 ms for Farnebäck there and 350 ms for Farnebäck on the full 1080p
// frame) and scales its vectors back to full-resolution pixels.
const fastTargetSide = 400

// FastLevels is the number of pyramid halvings fast mode applies to a frame
// whose longest side is longSide: enough to bring it near fastTargetSide,
// and at least one, so fast mode is always cheaper than precise.
func FastLevels(longSide int) int {
	k := 1
	for longSide>>(k+1) >= fastTargetSide {
		k++
	}
	return k
}

// flowInput is a frame prepared for optical flow: the grey frame itself
// (precise), or in fast mode a reduced, normalised pyramid level and how
// much texture each of its pixels has.
type flowInput struct {
	img    gocv.Mat
	weight gocv.Mat // fast: local gradient energy (CV_32F), the trust in each pixel's flow
}

func newFlowInput() flowInput { return flowInput{img: gocv.NewMat(), weight: gocv.NewMat()} }

// Close releases the C memory held by in.
func (in *flowInput) Close() {
	in.img.Close()
	in.weight.Close()
}

// metrics is one worker's measuring kit: scratch Mats and, in fast mode,
// its own DIS optical flow (not safe for concurrent use).
type metrics struct {
	mode   Mode
	levels int // pyramid halvings for fast mode's flow

	grey, lap, tmp, flow, mag gocv.Mat
	pyr                       gocv.Mat // fast: the reduction's second scratch
	dis                       *dis
	hist                      []float64     // fast: weighted histogram of flow magnitudes
	sample                    []float32     // fast: scratch for the texture's noise floor
	energy                    []int32       // fast: scratch for the texture weight
	reduce                    reduceScratch // fast: the first reduction's row buffers
}

func newMetrics(mode Mode, levels int) (*metrics, error) {
	m := &metrics{
		mode:   mode,
		levels: levels,
		grey:   gocv.NewMat(),
		lap:    gocv.NewMat(),
		tmp:    gocv.NewMat(),
		flow:   gocv.NewMat(),
		mag:    gocv.NewMat(),
		pyr:    gocv.NewMat(),
	}
	if mode == Fast {
		d, err := newDIS(fastPreset, fastRefinement)
		if err != nil {
			m.Close()
			return nil, err
		}
		m.dis = d
	}
	return m, nil
}

// Close releases the C memory held by m.
func (m *metrics) Close() {
	for _, x := range []*gocv.Mat{&m.grey, &m.lap, &m.tmp, &m.flow, &m.mag, &m.pyr} {
		x.Close()
	}
	if m.dis != nil {
		m.dis.Close()
	}
}

// prepare measures a frame's sharpness (BGR in) and makes its flow input.
func (m *metrics) prepare(bgr gocv.Mat, in *flowInput) (sharpness float64, err error) {
	if m.mode == Precise {
		gocv.CvtColor(bgr, &in.img, gocv.ColorBGRToGray)
		return laplacianVariance(in.img, &m.lap)
	}
	// Reduce, ping-ponging between two scratch Mats, ending in m.tmp.
	level := func(i int) *gocv.Mat {
		if (m.levels-i)%2 == 0 {
			return &m.pyr
		}
		return &m.tmp
	}
	first := 0 // the first level still to make
	if m.levels > 0 {
		// Grey, sharpness and the first level in one pass.
		if sum, sumsq, ok := greySharpReduce(bgr, level(0), &m.reduce); ok {
			sharpness, first = varianceOf(sum, sumsq, bgr.Rows()*bgr.Cols()), 1
		}
	}
	src := &m.grey
	if first == 0 {
		gocv.CvtColor(bgr, &m.grey, gocv.ColorBGRToGray)
		if sharpness, err = laplacianVariance(m.grey, &m.lap); err != nil {
			return 0, err
		}
	} else {
		src = level(0)
	}
	for i := first; i < m.levels; i++ {
		dst := level(i)
		gocv.PyrDown(*src, dst, image.Point{}, gocv.BorderDefault)
		src = dst
	}
	if m.levels == 0 {
		m.grey.CopyTo(&m.tmp)
	}
	// Photometric normalisation: mains flicker, auto-exposure and white
	// balance drift change a frame's brightness and contrast as a whole;
	// brought to one mean and contrast, a still frame matches the one
	// before it again.
	mean, std := meanStd(m.tmp)
	alpha := fastContrast / max(std, 1)
	m.tmp.ConvertToWithParams(&in.img, gocv.MatTypeCV8U, float32(alpha), float32(128-alpha*mean))
	// Sensor noise: a light blur keeps grain out of the flow.
	gocv.GaussianBlur(in.img, &in.img, image.Pt(5, 5), fastBlurSigma, fastBlurSigma, gocv.BorderReflect101)
	// Texture: the local gradient energy. Flow is only measured where
	// there is structure to follow; on a flat, noisy mat it is noise.
	if err := textureWeight(in.img, &in.weight, &m.energy); err != nil {
		return 0, err
	}
	return sharpness, nil
}

// Fast mode's normalisation: the contrast (grey-level standard deviation)
// every flow input is brought to, and the blur against sensor noise.
const (
	fastContrast  = 48.0
	fastBlurSigma = 1.5
)

// meanStd returns the mean and standard deviation of a one-channel Mat.
func meanStd(m gocv.Mat) (mean, std float64) {
	mu, sd := gocv.NewMat(), gocv.NewMat()
	defer mu.Close()
	defer sd.Close()
	gocv.MeanStdDev(m, &mu, &sd)
	return mu.GetDoubleAt(0, 0), sd.GetDoubleAt(0, 0)
}

// motion is the camera's motion from prev to cur in full-resolution
// pixels. Precise mode: the mean Farnebäck flow magnitude, as the original
// measured it. Fast mode: the texture-weighted median of the DIS flow
// magnitude (see robustMagnitude).
func (m *metrics) motion(prev, cur flowInput) (float64, error) {
	if m.dis == nil {
		gocv.CalcOpticalFlowFarneback(prev.img, cur.img, &m.flow,
			flowPyrScale, flowLevels, flowWinSize, flowIterations, flowPolyN, flowPolySigma, flowFlags)
		return meanMagnitude(m.flow, &m.mag)
	}
	if err := m.dis.calc(prev.img, cur.img, &m.flow); err != nil {
		return 0, err
	}
	motion, err := m.robustMagnitude(m.flow, prev.weight)
	// Flow on a reduced level is in reduced pixels; report full-resolution
	// pixels so thresholds mean the same in both modes.
	return motion * float64(int(1)<<m.levels), err
}

// Histogram of flow magnitudes for the weighted median: bins of
// histStep reduced pixels up to histMax; larger ones share the last bin.
const (
	histStep = 1.0 / 128
	histMax  = 64.0
)

// robustMagnitude is the weighted median of the flow's magnitude, each
// pixel weighted by its texture above the frame's noise floor (the
// weight's 25th percentile). Camera motion moves every textured pixel, so
// the median follows it; flow on flat, noisy areas has no weight, and a
// highlight sliding over a still item, which moves only a few pixels'
// worth of texture, cannot carry the median.
func (m *metrics) robustMagnitude(flow, weight gocv.Mat) (float64, error) {
	fv, err := flow.DataPtrFloat32()
	if err != nil {
		return 0, err
	}
	wv, err := weight.DataPtrFloat32()
	if err != nil {
		return 0, err
	}
	if len(fv) != 2*len(wv) {
		return 0, fmt.Errorf("optical flow has %d values for %d pixels", len(fv), len(wv))
	}
	floor := percentile32(wv, 0.5, &m.sample)
	nb := int(histMax/histStep) + 1
	if len(m.hist) != nb {
		m.hist = make([]float64, nb)
	}
	clear(m.hist)
	total := 0.0
	for i, w := range wv {
		w -= floor
		if w <= 0 {
			continue
		}
		x, y := float64(fv[2*i]), float64(fv[2*i+1])
		mag := math.Sqrt(x*x + y*y) // flow vectors are small: no need for Hypot's overflow care
		b := min(int(mag/histStep), nb-1)
		m.hist[b] += float64(w)
		total += float64(w)
	}
	if total == 0 { // a featureless frame: fall back to the plain mean
		return meanMagnitude(flow, &m.mag)
	}
	acc := 0.0
	for b, w := range m.hist {
		if acc+w >= total/2 {
			return (float64(b) + (total/2-acc)/w) * histStep, nil // interpolated within the bin
		}
		acc += w
	}
	return histMax, nil
}

// percentile32 is the q-th quantile of v, from a sample of at most 4096
// values (enough for a noise floor), without modifying v. buf is scratch
// for the sample, kept between calls.
func percentile32(v []float32, q float64, buf *[]float32) float32 {
	if len(v) == 0 {
		return 0
	}
	step := max(1, len(v)/4096)
	s := (*buf)[:0]
	for i := 0; i < len(v); i += step {
		s = append(s, v[i])
	}
	*buf = s
	return order.Nth(s, int(q*float64(len(s)-1)))
}

// laplacianVariance is the variance of the Laplacian of grey (8-bit, one
// channel), as the original computed it on a 64-bit float Laplacian. With a
// 3×3 aperture the Laplacian of an 8-bit image is an integer in
// [-1020, 1020], so its sum and sum of squares are exact in integers: one
// pass over the image (laplacianSums) gives the original's value without
// the full-size Laplacian image in between. lap is scratch for images the
// one-pass sum does not take (not 8-bit or not continuous).
func laplacianVariance(grey gocv.Mat, lap *gocv.Mat) (float64, error) {
	n := float64(grey.Rows() * grey.Cols())
	if n == 0 {
		return 0, fmt.Errorf("sharpness of an empty image")
	}
	sum, sumsq, ok := laplacianSums(grey)
	if !ok {
		return laplacianVarianceCV(grey, lap)
	}
	return varianceOf(sum, sumsq, grey.Rows()*grey.Cols()), nil
}

// varianceOf is the variance of n values from their sum and sum of squares.
func varianceOf(sum int64, sumsq uint64, n int) float64 {
	mean := float64(sum) / float64(n)
	return max(float64(sumsq)/float64(n)-mean*mean, 0)
}

// laplacianVarianceCV is laplacianVariance by OpenCV's own Laplacian and
// MeanStdDev (a 16-bit Laplacian holds the same integers as the original's
// 64-bit float one).
func laplacianVarianceCV(grey gocv.Mat, lap *gocv.Mat) (float64, error) {
	gocv.Laplacian(grey, lap, gocv.MatTypeCV16S, 1, 1, 0, gocv.BorderDefault)
	mean, std := gocv.NewMat(), gocv.NewMat()
	defer mean.Close()
	defer std.Close()
	gocv.MeanStdDev(*lap, &mean, &std)
	s := std.GetDoubleAt(0, 0)
	if math.IsNaN(s) {
		return 0, fmt.Errorf("sharpness is not a number")
	}
	return s * s, nil
}

// meanMagnitude is the mean length of the 2-channel flow vectors.
func meanMagnitude(flow gocv.Mat, mag *gocv.Mat) (float64, error) {
	parts := gocv.Split(flow)
	defer func() {
		for _, p := range parts {
			p.Close()
		}
	}()
	if len(parts) != 2 {
		return 0, fmt.Errorf("optical flow has %d channels, want 2", len(parts))
	}
	gocv.Magnitude(parts[0], parts[1], mag)
	return mag.Mean().Val1, nil
}
