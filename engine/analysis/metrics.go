package analysis

import (
	"fmt"
	"image"
	"math"

	"gocv.io/x/gocv"
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

// fastPreset is the DIS optical flow preset of fast mode.
const fastPreset = disFast

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
// (precise) or a reduced, normalised pyramid level (fast).
type flowInput struct {
	img gocv.Mat
}

func newFlowInput() flowInput { return flowInput{img: gocv.NewMat()} }

// Close releases the C memory held by in.
func (in *flowInput) Close() { in.img.Close() }

// metrics is one worker's measuring kit: scratch Mats and, in fast mode,
// its own DIS optical flow (not safe for concurrent use).
type metrics struct {
	mode   Mode
	levels int // pyramid halvings for fast mode's flow

	grey, lap, tmp, flow, mag gocv.Mat
	dis                       *dis
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
	}
	if mode == Fast {
		d, err := newDIS(fastPreset)
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
	for _, x := range []*gocv.Mat{&m.grey, &m.lap, &m.tmp, &m.flow, &m.mag} {
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
	gocv.CvtColor(bgr, &m.grey, gocv.ColorBGRToGray)
	if sharpness, err = laplacianVariance(m.grey, &m.lap); err != nil {
		return 0, err
	}
	src := m.grey
	for i := 0; i < m.levels; i++ {
		dst := &m.tmp
		if i == m.levels-1 {
			dst = &in.img
		}
		gocv.PyrDown(src, dst, image.Point{}, gocv.BorderDefault)
		src = *dst
	}
	if m.levels == 0 {
		m.grey.CopyTo(&in.img)
	}
	return sharpness, nil
}

// motion is the mean optical-flow magnitude from prev to cur, in
// full-resolution pixels.
func (m *metrics) motion(prev, cur flowInput) (float64, error) {
	if m.dis != nil {
		if err := m.dis.calc(prev.img, cur.img, &m.flow); err != nil {
			return 0, err
		}
	} else {
		gocv.CalcOpticalFlowFarneback(prev.img, cur.img, &m.flow,
			flowPyrScale, flowLevels, flowWinSize, flowIterations, flowPolyN, flowPolySigma, flowFlags)
	}
	motion, err := meanMagnitude(m.flow, &m.mag)
	// Flow on a reduced level is in reduced pixels; report full-resolution
	// pixels so thresholds mean the same in both modes.
	return motion * float64(int(1)<<m.levels), err
}

// laplacianVariance is the variance of the Laplacian of grey, as the
// original computed it on a 64-bit float Laplacian. With a 3×3 aperture the
// Laplacian of an 8-bit image is an integer in [-1020, 1020], so a 16-bit
// Laplacian holds exactly the same values in a quarter of the memory, and
// its sum and sum of squares are exact in float64: the result is the
// original's, computed faster.
func laplacianVariance(grey gocv.Mat, lap *gocv.Mat) (float64, error) {
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
