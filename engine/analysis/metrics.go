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

// metrics computes sharpness and motion for consecutive frames. It keeps the
// previous frame's grey image between calls. Not safe for concurrent use.
type metrics struct {
	mode   Mode
	levels int // pyramid halvings for fast mode's flow

	grey, lap, flowIn, prevFlowIn, flow, mag gocv.Mat
	hasPrev                                  bool
	dis                                      *dis // fast mode's optical flow
}

func newMetrics(mode Mode, width, height int) (*metrics, error) {
	m := &metrics{
		mode:       mode,
		grey:       gocv.NewMat(),
		lap:        gocv.NewMat(),
		flowIn:     gocv.NewMat(),
		prevFlowIn: gocv.NewMat(),
		flow:       gocv.NewMat(),
		mag:        gocv.NewMat(),
	}
	if mode == Fast {
		m.levels = FastLevels(max(width, height))
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
	for _, x := range []*gocv.Mat{&m.grey, &m.lap, &m.flowIn, &m.prevFlowIn, &m.flow, &m.mag} {
		x.Close()
	}
	if m.dis != nil {
		m.dis.Close()
	}
}

// reset forgets the previous frame.
func (m *metrics) reset() { m.hasPrev = false }

// add takes the next frame (BGR). It returns the frame's sharpness and its
// motion from the previous frame given to add (0 if there is none).
func (m *metrics) add(bgr gocv.Mat) (sharpness, motion float64, err error) {
	gocv.CvtColor(bgr, &m.grey, gocv.ColorBGRToGray)
	sharpness, err = laplacianVariance(m.grey, &m.lap)
	if err != nil {
		return 0, 0, err
	}

	// The flow input: the grey frame itself, or a reduced pyramid level.
	if m.levels == 0 {
		m.grey.CopyTo(&m.flowIn)
	} else {
		src := m.grey
		for i := 0; i < m.levels; i++ {
			gocv.PyrDown(src, &m.flowIn, image.Point{}, gocv.BorderDefault)
			src = m.flowIn
		}
	}
	if m.hasPrev {
		if m.dis != nil {
			err = m.dis.calc(m.prevFlowIn, m.flowIn, &m.flow)
		} else {
			gocv.CalcOpticalFlowFarneback(m.prevFlowIn, m.flowIn, &m.flow,
				flowPyrScale, flowLevels, flowWinSize, flowIterations, flowPolyN, flowPolySigma, flowFlags)
		}
		if err == nil {
			motion, err = meanMagnitude(m.flow, &m.mag)
		}
		if err != nil {
			return 0, 0, err
		}
		// Flow on a reduced level is in reduced pixels; report full-resolution
		// pixels so thresholds mean the same in both modes.
		motion *= float64(int(1) << m.levels)
	}
	m.flowIn, m.prevFlowIn = m.prevFlowIn, m.flowIn
	m.hasPrev = true
	return sharpness, motion, nil
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
