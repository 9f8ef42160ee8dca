package glint

import (
	"context"
	"image"
	"image/color"
	"math"
	"runtime"
	"slices"
	"sync"

	"gocv.io/x/gocv"

	"gradevault/internal/order"
)

// Print-free defect map parameters (grey levels are 0–255 after each
// frame's global gain is normalised).
const (
	// fitRadiusFrac is the radius of the local photometric fit, as a
	// fraction of the rectified item's longer side: much wider than a
	// crease, narrower than a glint.
	fitRadiusFrac = 0.04
	fitEps        = 25.0 // grey²: regularises the fit's gain in flat areas
	noiseK        = 3.0  // residuals within noiseK·σ of zero are noise
	// alignSlackPx is the sub-pixel misregistration assumed even for a
	// perfectly reported alignment; a residual no larger than the local
	// gradient times the frame's slack is put down to alignment.
	alignSlackPx = 0.35
	maxSlackPx   = 1.5
	preBlurSigma = 1.0 // px
	// rangeWeight: a fine line's residual under misregistration follows
	// the local grey range (3×3 max − min) rather than the gradient.
	rangeWeight = 0.0
	// glintK: under a broad brightening of B grey levels (a glint), a
	// residual up to glintK·B is put down to the glint's shape.
	glintK        = 0.25
	glintBlurFrac = 0.03
	// A frame is left out when its mean squared unexplained residual is
	// above rejectFactor × the frames' median + rejectFloor (grey²).
	rejectFactor = 4.0
	rejectFloor  = 1.0
	clipHigh     = 250 // saturated or black pixels carry no shape information
	clipLow      = 4
	// Mask hysteresis on the evidence (grey levels): seeds above thrHigh,
	// grown through pixels whose evidence is above thrHigh·thrLowFrac or
	// whose line support is above thrHigh·lineThrFrac.
	thrHighBase = 4.0
	thrHighK    = 3.0 // + thrHighK × the frames' median noise σ
	thrLowFrac  = 0.5
	// A crease's beads are joined along bars of lineLenFrac × the
	// canvas's longer side (lineAngles orientations): a mean over a long
	// bar is far less noisy than one pixel, so its thresholds are lower
	// (growth above thrHigh·lineThrFrac, a seed at thrHigh·lineSeedFrac).
	// Its parallel ridges (the lit and the shaded side) are merged by a
	// closing of radius ridgeGapFrac × the longer side.
	lineLenFrac  = 0.25
	lineThrFrac  = 0.25
	lineSeedFrac = 0.4
	lineAngles   = 12
	// lineSupportSide is the longer side of the map the bar means are
	// taken on (pixels).
	lineSupportSide = 500
	ridgeGapFrac    = 0.005
)

// defectFrame is one aligned analysis frame.
type defectFrame struct {
	index      int
	grey       gocv.Mat // CV_8U on the reference canvas
	valid      gocv.Mat // 255 where the frame has source pixels
	residualPx float64  // reported registration error
}

// defectMap is the print-free defect evidence on the rectified canvas.
type defectMap struct {
	w, h     int
	frames   []int       // video frame numbers of the analysis frames
	evidence []float32   // per-pixel evidence, grey levels (RMS over frames)
	perFrame [][]float32 // each frame's unexplained residual, grey levels (−1 = unusable)
	mask     []uint8     // 1 = defect
	valid    []uint8     // 1 = inside every analysis frame
	noise    float64     // median over frames of the residual noise σ
	rejected []int       // frames left out as inconsistent with the others
	thrHigh  float32
	thrLow   float32
	// score is the evidence scaled to 0–1 for images (1 = 3 × thrHigh).
	score []float32
}

// buildDefectMap computes the print-free defect map of the aligned frames
// (see the package documentation for the method).
//
// upscale is the number of canvas pixels per source pixel (above 1 when a
// small item was enlarged onto the canvas): blur and misregistration slack
// are in source pixels.
func buildDefectMap(ctx context.Context, frames []defectFrame, common []uint8, w, h int, upscale float64) (*defectMap, error) {
	upscale = math.Max(1, upscale)
	blurSigma := preBlurSigma * math.Pow(upscale, 0.25)
	n := w * h
	K := len(frames)
	dm := &defectMap{w: w, h: h, valid: common, evidence: make([]float32, n), mask: make([]uint8, n), score: make([]float32, n)}
	for _, f := range frames {
		dm.frames = append(dm.frames, f.index)
	}
	if K == 0 {
		return dm, nil
	}
	// 1. Grey planes, each scaled so its median over the item matches the
	// frames' common median (global illumination).
	G := make([][]float32, K)
	raw := make([][]uint8, K)
	meds := make([]float64, K)
	for k, f := range frames {
		p, err := f.grey.DataPtrUint8()
		if err != nil {
			return nil, err
		}
		raw[k] = p
	}
	// Two scratch Mats a goroutine, reused from frame to frame (see
	// fitScratch).
	blurScratch := make(chan [2]gocv.Mat, min(K, runtime.GOMAXPROCS(0)))
	for range cap(blurScratch) {
		blurScratch <- [2]gocv.Mat{gocv.NewMat(), gocv.NewMat()}
	}
	err := parallel(ctx, K, func(k int) error {
		sc := <-blurScratch
		defer func() { blurScratch <- sc }()
		fm, sm := &sc[0], &sc[1]
		// A slight blur makes the frames' different interpolation phases
		// (each was resampled onto the canvas from its own position)
		// look alike on fine print.
		frames[k].grey.ConvertTo(fm, gocv.MatTypeCV32F)
		gocv.GaussianBlur(*fm, sm, image.Pt(0, 0), blurSigma, blurSigma, gocv.BorderReplicate)
		sp, _ := sm.DataPtrFloat32()
		G[k] = slices.Clone(sp)
		meds[k] = sampledMedianU8(raw[k], common)
		return nil
	})
	for range cap(blurScratch) {
		sc := <-blurScratch
		sc[0].Close()
		sc[1].Close()
	}
	if err != nil {
		return nil, err
	}
	target := medianF64(slices.Clone(meds))
	for k := range G {
		if meds[k] >= 1 {
			g := float32(target / meds[k])
			for i := range G[k] {
				G[k][i] *= g
			}
		}
	}
	// 2. The per-pixel albedo reference: the median across frames.
	R := make([]float32, n)
	parts := runtime.GOMAXPROCS(0) // pixel ranges, one per core
	err = parallel(ctx, parts, func(p int) error {
		buf := make([]float32, K)
		for i := n * p / parts; i < n*(p+1)/parts; i++ {
			for k := range G {
				buf[k] = G[k][i]
			}
			R[i] = medianF32(buf)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	rad := max(2, int(math.Round(fitRadiusFrac*float64(max(w, h)))))
	ksz := image.Pt(2*rad+1, 2*rad+1)
	Rm := matF32(R, w, h)
	defer Rm.Close()
	mR, mRR := gocv.NewMat(), gocv.NewMat()
	defer mR.Close()
	defer mRR.Close()
	gocv.Blur(Rm, &mR, ksz)
	RR := gocv.NewMat()
	gocv.Multiply(Rm, Rm, &RR)
	gocv.Blur(RR, &mRR, ksz)
	RR.Close()
	mRp, _ := mR.DataPtrFloat32()
	mRRp, _ := mRR.DataPtrFloat32()
	// Local gradient of the reference (grey levels per pixel).
	gx, gy := gocv.NewMat(), gocv.NewMat()
	gocv.Sobel(Rm, &gx, gocv.MatTypeCV32F, 1, 0, 3, 0.125, 0, gocv.BorderReplicate)
	gocv.Sobel(Rm, &gy, gocv.MatTypeCV32F, 0, 1, 3, 0.125, 0, gocv.BorderReplicate)
	gxp, _ := gx.DataPtrFloat32()
	gyp, _ := gy.DataPtrFloat32()
	dil, ero := gocv.NewMat(), gocv.NewMat()
	k3 := gocv.GetStructuringElement(gocv.MorphRect, image.Pt(3, 3))
	gocv.Dilate(Rm, &dil, k3)
	gocv.Erode(Rm, &ero, k3)
	dp, _ := dil.DataPtrFloat32()
	ep, _ := ero.DataPtrFloat32()
	grad := make([]float32, n)
	for i := range grad {
		grad[i] = max(float32(math.Hypot(float64(gxp[i]), float64(gyp[i]))), rangeWeight*(dp[i]-ep[i]))
	}
	dil.Close()
	ero.Close()
	k3.Close()
	gx.Close()
	gy.Close()

	// The reference's Laplacian: a frame whose print is a little softer or
	// sharper than the reference (a different resampling or focus) differs
	// from it by a multiple of it.
	Lm := gocv.NewMat()
	defer Lm.Close()
	gocv.Laplacian(Rm, &Lm, gocv.MatTypeCV32F, 1, 1, 0, gocv.BorderReplicate)
	Lp, _ := Lm.DataPtrFloat32()
	mL, mLL, mRL := gocv.NewMat(), gocv.NewMat(), gocv.NewMat()
	defer mL.Close()
	defer mLL.Close()
	defer mRL.Close()
	gocv.Blur(Lm, &mL, ksz)
	tmp := gocv.NewMat()
	gocv.Multiply(Lm, Lm, &tmp)
	gocv.Blur(tmp, &mLL, ksz)
	gocv.Multiply(Rm, Lm, &tmp)
	gocv.Blur(tmp, &mRL, ksz)
	tmp.Close()
	mLp, _ := mL.DataPtrFloat32()
	mLLp, _ := mLL.DataPtrFloat32()
	mRLp, _ := mRL.DataPtrFloat32()

	// 3. Per frame: local linear photometric fit of the frame on the
	// reference and its Laplacian (explains print under any smooth change
	// of light — glare, shading, exposure — and a change of sharpness),
	// then the residual beyond noise and misregistration.
	dm.perFrame = make([][]float32, K)
	sigmas := make([]float64, K)
	scratch := make(chan *fitScratch, min(K, runtime.GOMAXPROCS(0)))
	for range cap(scratch) {
		scratch <- newFitScratch(w, h)
	}
	defer func() {
		for range cap(scratch) {
			(<-scratch).Close()
		}
	}()
	err = parallel(ctx, K, func(k int) error {
		sc := <-scratch
		defer func() { scratch <- sc }()
		gp, _ := sc.G.DataPtrFloat32()
		copy(gp, G[k])
		gocv.Blur(sc.G, &sc.mG, ksz)
		gocv.Multiply(Rm, sc.G, &sc.prod)
		gocv.Blur(sc.prod, &sc.mRG, ksz)
		gocv.Multiply(Lm, sc.G, &sc.prod)
		gocv.Blur(sc.prod, &sc.mLG, ksz)
		mGp, _ := sc.mG.DataPtrFloat32()
		mRGp, _ := sc.mRG.DataPtrFloat32()
		mLGp, _ := sc.mLG.DataPtrFloat32()
		ap, _ := sc.A.DataPtrFloat32()
		bp, _ := sc.B.DataPtrFloat32()
		cp, _ := sc.C.DataPtrFloat32()
		for i := 0; i < n; i++ {
			vRR := max(0, mRRp[i]-mRp[i]*mRp[i]) + fitEps
			vLL := max(0, mLLp[i]-mLp[i]*mLp[i]) + fitEps
			cRL := mRLp[i] - mRp[i]*mLp[i]
			cRG := mRGp[i] - mRp[i]*mGp[i]
			cLG := mLGp[i] - mLp[i]*mGp[i]
			det := vRR*vLL - cRL*cRL
			var a, c float32
			if det > 1e-6 {
				a = (vLL*cRG - cRL*cLG) / det
				c = (vRR*cLG - cRL*cRG) / det
			}
			ap[i], cp[i] = a, c
			bp[i] = mGp[i] - a*mRp[i] - c*mLp[i]
		}
		// The local means are done with: their Mats take the blurred
		// coefficients.
		Ab, Bb, Cb := &sc.mG, &sc.mRG, &sc.mLG
		gocv.Blur(sc.A, Ab, ksz)
		gocv.Blur(sc.B, Bb, ksz)
		gocv.Blur(sc.C, Cb, ksz)
		abp, _ := Ab.DataPtrFloat32()
		bbp, _ := Bb.DataPtrFloat32()
		cbp, _ := Cb.DataPtrFloat32()
		// Broad brightening (the glint) makes the fit's gain vary inside
		// its window; the residual it leaves on print scales with it.
		// The frame's difference from the reference and its blurs: in the
		// Mats of the product and of A and B, done with too (prod is a
		// canvas-sized CV_32F already).
		D, Dt, Db := &sc.prod, &sc.A, &sc.B
		dp, _ := D.DataPtrFloat32()
		for i := 0; i < n; i++ {
			dp[i] = G[k][i] - R[i]
		}
		// Two box passes: a Gaussian-like blur at a cost independent of
		// its width.
		bs := 2*int(math.Round(glintBlurFrac*float64(max(w, h))))/2*2 + 1
		gocv.Blur(*D, Dt, image.Pt(bs, bs))
		gocv.Blur(*Dt, Db, image.Pt(bs, bs))
		dbp, _ := Db.DataPtrFloat32()
		e := make([]float32, n)
		g := G[k]
		for i := 0; i < n; i++ {
			e[i] = g[i] - (abp[i]*R[i] + cbp[i]*Lp[i] + bbp[i])
		}
		sig := 1.4826 * sampledMedianAbs(e, common)
		sigmas[k] = sig
		slack := float32(math.Min(maxSlackPx, alignSlackPx+frames[k].residualPx))
		vp, _ := frames[k].valid.DataPtrUint8()
		rp := raw[k]
		floor := float32(noiseK * sig)
		for i := 0; i < n; i++ {
			if vp[i] == 0 || rp[i] >= clipHigh || rp[i] <= clipLow {
				e[i] = -1
				continue
			}
			v := e[i]
			if v < 0 {
				v = -v
			}
			v -= floor + slack*grad[i] + glintK*max(0, dbp[i])
			if v < 0 {
				v = 0
			}
			e[i] = v
		}
		dm.perFrame[k] = e
		return nil
	})
	if err != nil {
		return nil, err
	}
	dm.noise = medianF64(slices.Clone(sigmas))

	// A frame whose unexplained residual is far above the others' over the
	// whole item (misregistered, blurred, a different object) would paint
	// its print into the map: leave it out, keeping at least three.
	if K >= 4 {
		energy := make([]float64, K)
		for k, e := range dm.perFrame {
			var s float64
			c := 0
			for i := 0; i < n; i += 5 {
				if common[i] != 0 && e[i] >= 0 {
					s += float64(e[i]) * float64(e[i])
					c++
				}
			}
			if c > 0 {
				energy[k] = s / float64(c)
			}
		}
		med := medianF64(slices.Clone(energy))
		order := make([]int, K)
		for k := range order {
			order[k] = k
		}
		slices.SortFunc(order, func(a, b int) int { return cmpF64(energy[b], energy[a]) })
		for _, k := range order[:K-3] {
			if energy[k] > rejectFactor*med+rejectFloor {
				dm.rejected = append(dm.rejected, frames[k].index)
				for i := range dm.perFrame[k] {
					dm.perFrame[k][i] = -1
				}
			}
		}
		slices.Sort(dm.rejected)
	}

	// 4. Evidence: RMS over the frames of the unexplained residual,
	// lightly smoothed so a crease is one connected ridge.
	raw32 := make([]float32, n)
	for i := 0; i < n; i++ {
		if common[i] == 0 {
			continue
		}
		var s float64
		c := 0
		for k := range dm.perFrame {
			v := dm.perFrame[k][i]
			if v < 0 {
				continue
			}
			s += float64(v) * float64(v)
			c++
		}
		if c > 0 {
			raw32[i] = float32(math.Sqrt(s / float64(c)))
		}
	}
	Em := matF32(raw32, w, h)
	Es := gocv.NewMat()
	gocv.GaussianBlur(Em, &Es, image.Pt(0, 0), 1, 1, gocv.BorderReplicate)
	Em.Close()
	esp, _ := Es.DataPtrFloat32()
	copy(dm.evidence, esp)
	Es.Close()
	for i := range dm.evidence {
		if common[i] == 0 {
			dm.evidence[i] = 0
		}
	}
	dm.thrHigh = float32(thrHighBase + thrHighK*dm.noise)
	dm.thrLow = thrLowFrac * dm.thrHigh
	for i, v := range dm.evidence {
		dm.score[i] = min(1, v/(3*dm.thrHigh))
	}
	support := lineSupport(dm.evidence, w, h, lineLen(w, h))
	dm.mask = hysteresis(dm.evidence, support, common, dm.thrLow, lineThrFrac*dm.thrHigh, dm.thrHigh, lineSeedFrac*dm.thrHigh, w, h)
	closeMask(dm.mask, common, w, h, ridgeGap(w, h))
	return dm, nil
}

// fitScratch is one goroutine's Mats for a frame's photometric fit,
// kept from frame to frame, each taking several roles in turn. Made anew
// for each frame, every Mat (a canvas of CV_32F, 5 to 8 MB at 1080p) was a
// fresh mapping whose pages the kernel zeroed as they were first written:
// about 60,000 page faults for a dozen frames, more system time than the
// fit's arithmetic. Eight Mats a goroutine instead of fourteen also keep
// the peak lower than before.
type fitScratch struct {
	G, A, B, C         gocv.Mat // written pixel by pixel: made at the canvas's size
	prod, mG, mRG, mLG gocv.Mat // OpenCV's outputs, sized by the first frame
}

func newFitScratch(w, h int) *fitScratch {
	s := &fitScratch{}
	for _, m := range []*gocv.Mat{&s.G, &s.A, &s.B, &s.C} {
		*m = gocv.NewMatWithSize(h, w, gocv.MatTypeCV32F)
	}
	for _, m := range []*gocv.Mat{&s.prod, &s.mG, &s.mRG, &s.mLG} {
		*m = gocv.NewMat()
	}
	return s
}

// Close releases the C memory held by s.
func (s *fitScratch) Close() {
	for _, m := range []*gocv.Mat{&s.G, &s.A, &s.B, &s.C, &s.prod, &s.mG, &s.mRG, &s.mLG} {
		m.Close()
	}
}

// lineLen is the length of the bars lineSupport averages along.
func lineLen(w, h int) int { return max(9, int(math.Round(lineLenFrac*float64(max(w, h))))|1) }

// ridgeGap is the radius of the closing that merges a crease's parallel
// ridges (its lit and shaded sides) into one band.
func ridgeGap(w, h int) int { return max(2, int(math.Round(ridgeGapFrac*float64(max(w, h))))) }

// lineSupport returns, per pixel, how much more evidence a bar of length
// l centred on it holds along its best orientation than along its worst
// (lineAngles orientations), where a bar's evidence is the smaller of its
// two halves' means. A crease's evidence is broken into beads where
// noise, clipping or the print it crosses hides it, but it continues
// along one direction on both sides of a gap; isolated residuals and
// blotches average out or look alike in every direction.
//
// Each orientation rotates the map so the bar is horizontal, takes a
// running mean along the rows and rotates back: the cost does not depend
// on the bar's length.
func lineSupport(ev []float32, w, h, l int) []float32 {
	full := matF32(ev, w, h)
	defer full.Close()
	// A long bar needs no fine grid: on large canvases the means are taken
	// on a map averaged down to lineSupportSide.
	src := full
	if f := float64(max(w, h)) / lineSupportSide; f > 1 {
		src = gocv.NewMat()
		defer src.Close()
		gocv.Resize(full, &src, image.Pt(max(1, int(math.Round(float64(w)/f))), max(1, int(math.Round(float64(h)/f)))), 0, 0, gocv.InterpolationArea)
		l = max(3, int(math.Round(float64(l)/f))|1)
	}
	out := lineSupportAt(src, l)
	if src.Cols() == w && src.Rows() == h {
		return out
	}
	small := matF32(out, src.Cols(), src.Rows())
	defer small.Close()
	up := gocv.NewMat()
	defer up.Close()
	gocv.Resize(small, &up, image.Pt(w, h), 0, 0, gocv.InterpolationLinear)
	p, _ := up.DataPtrFloat32()
	return slices.Clone(p)
}

// lineSupportAt is lineSupport on the CV_32F map src. The angles are
// shared between the cores; each keeps its own maxima and minima, merged
// at the end (the same result in any order).
func lineSupportAt(src gocv.Mat, l int) []float32 {
	w, h := src.Cols(), src.Rows()
	half := max(3, l/2|1) // each half-bar's length
	q := (half + 1) / 2   // a half-bar's centre, from the pixel
	workers := min(lineAngles, runtime.GOMAXPROCS(0))
	his, los := make([][]float32, workers), make([][]float32, workers)
	var wg sync.WaitGroup
	for k := range workers {
		his[k], los[k] = make([]float32, w*h), make([]float32, w*h)
		wg.Go(func() {
			b := newBars()
			defer b.Close()
			for a := k; a < lineAngles; a += workers {
				b.at(src, math.Pi*float64(a)/lineAngles, half, q, his[k], los[k], a == k)
			}
		})
	}
	wg.Wait()
	hi, lo := his[0], los[0]
	for k := 1; k < workers; k++ {
		for i := range hi {
			hi[i] = max(hi[i], his[k][i])
			lo[i] = min(lo[i], los[k][i])
		}
	}
	for i := range hi {
		hi[i] = max(0, hi[i]-lo[i])
	}
	return hi
}

// bars is one goroutine's Mats for lineSupportAt: the map rotated (then
// reused for the half-bar minima and the bar means), its running means,
// and a result rotated back. Three, so that two goroutines hold about what
// one held with separate Mats for the minima and the means.
type bars struct{ rot, bar, back gocv.Mat }

func newBars() *bars { return &bars{rot: gocv.NewMat(), bar: gocv.NewMat(), back: gocv.NewMat()} }

// Close releases the C memory held by b.
func (b *bars) Close() {
	b.rot.Close()
	b.bar.Close()
	b.back.Close()
}

// at takes the bars of one angle (theta) over src: hi keeps the largest
// of the smaller half-bar means, lo the smallest whole-bar mean (set
// rather than compared when first).
func (b *bars) at(src gocv.Mat, theta float64, half, q int, hi, lo []float32, first bool) {
	w, h := src.Cols(), src.Rows()
	m, size := rotation(theta, w, h, q+half)
	defer m.Close()
	gocv.WarpAffineWithParams(src, &b.rot, m, size, gocv.InterpolationLinear, gocv.BorderConstant, color.RGBA{})
	gocv.Blur(b.rot, &b.bar, image.Pt(half, 1))
	bp, _ := b.bar.DataPtrFloat32()
	op, _ := b.rot.DataPtrFloat32() // the rotated map is done with
	rw := size.X
	// Along the rows: the smaller of the two halves' means (evidence must
	// continue on both sides, so a bar bridges gaps but does not run past
	// a crease's ends), then the whole bar's mean.
	for pass := range 2 {
		clear(op)
		for y := 0; y < size.Y; y++ {
			row := bp[y*rw : (y+1)*rw]
			for x := q; x < rw-q; x++ {
				left, right := row[x-q], row[x+q]
				if pass == 0 {
					op[y*rw+x] = min(left, right)
				} else {
					op[y*rw+x] = (left + right) / 2
				}
			}
		}
		gocv.WarpAffineWithParams(b.rot, &b.back, m, image.Pt(w, h), gocv.InterpolationLinear|gocv.WarpInverseMap, gocv.BorderConstant, color.RGBA{})
		p, _ := b.back.DataPtrFloat32()
		switch {
		case pass == 0:
			for i, v := range p {
				hi[i] = max(hi[i], v)
			}
		case first:
			copy(lo, p)
		default:
			for i, v := range p {
				lo[i] = min(lo[i], v)
			}
		}
	}
}

// rotation returns the affine map that rotates a w×h image by theta
// (radians) about its centre onto a canvas large enough to hold it with
// pad empty columns on either side (so a running mean along the rows never
// reaches the canvas's border), and that canvas's size.
func rotation(theta float64, w, h, pad int) (gocv.Mat, image.Point) {
	c, s := math.Cos(theta), math.Sin(theta)
	rw := int(math.Ceil(math.Abs(c)*float64(w)+math.Abs(s)*float64(h))) + 2 + 2*pad
	rh := int(math.Ceil(math.Abs(s)*float64(w)+math.Abs(c)*float64(h))) + 2
	cx, cy := float64(w-1)/2, float64(h-1)/2
	ox, oy := float64(rw-1)/2, float64(rh-1)/2
	m := gocv.NewMatWithSize(2, 3, gocv.MatTypeCV64F)
	// x' = c·(x−cx) + s·(y−cy) + ox, y' = −s·(x−cx) + c·(y−cy) + oy
	m.SetDoubleAt(0, 0, c)
	m.SetDoubleAt(0, 1, s)
	m.SetDoubleAt(0, 2, ox-c*cx-s*cy)
	m.SetDoubleAt(1, 0, -s)
	m.SetDoubleAt(1, 1, c)
	m.SetDoubleAt(1, 2, oy+s*cx-c*cy)
	return m, image.Pt(rw, rh)
}

// closeMask closes mask (0/1) with a disc of radius r, inside valid.
func closeMask(mask, valid []uint8, w, h, r int) {
	m := gocv.NewMatWithSize(h, w, gocv.MatTypeCV8U)
	defer m.Close()
	p, _ := m.DataPtrUint8()
	copy(p, mask)
	se := gocv.GetStructuringElement(gocv.MorphEllipse, image.Pt(2*r+1, 2*r+1))
	defer se.Close()
	gocv.MorphologyEx(m, &m, gocv.MorphClose, se)
	for i, v := range p {
		mask[i] = v & valid[i]
	}
}

// hysteresis keeps the connected regions of evidence > lo or line support
// > loLine that reach hi somewhere in the evidence, or hiLine somewhere in
// the line support, and are not specks.
func hysteresis(ev, support []float32, valid []uint8, lo, loLine, hi, hiLine float32, w, h int) []uint8 {
	n := w * h
	low := gocv.NewMatWithSize(h, w, gocv.MatTypeCV8U)
	defer low.Close()
	lp, _ := low.DataPtrUint8()
	for i := 0; i < n; i++ {
		if valid[i] != 0 && (ev[i] > lo || support[i] > loLine) {
			lp[i] = 255
		}
	}
	labels, stats, cents := gocv.NewMat(), gocv.NewMat(), gocv.NewMat()
	defer labels.Close()
	defer stats.Close()
	defer cents.Close()
	nl := gocv.ConnectedComponentsWithStats(low, &labels, &stats, &cents)
	lab := labelsOf(labels)
	seed := make([]bool, nl)
	area := make([]int, nl)
	for i := 0; i < n; i++ {
		if l := lab[i]; l > 0 {
			seed[l] = seed[l] || ev[i] >= hi || support[i] >= hiLine
			area[l]++
		}
	}
	minArea := max(6, n/40000)
	out := make([]uint8, n)
	for i := 0; i < n; i++ {
		if l := lab[i]; l > 0 && seed[l] && area[l] >= minArea {
			out[i] = 1
		}
	}
	return out
}

// matF32 returns a new h×w CV_32F Mat holding data.
func matF32(data []float32, w, h int) gocv.Mat {
	m := gocv.NewMatWithSize(h, w, gocv.MatTypeCV32F)
	p, _ := m.DataPtrFloat32()
	copy(p, data)
	return m
}

// sampledMedianU8 is the median of p over the valid pixels (every 3rd).
func sampledMedianU8(p []uint8, valid []uint8) float64 {
	var hist [256]int
	c := 0
	for i := 0; i < len(p); i += 3 {
		if valid[i] != 0 {
			hist[p[i]]++
			c++
		}
	}
	acc := 0
	for v := 0; v < 256; v++ {
		acc += hist[v]
		if 2*acc >= c && c > 0 {
			return float64(v)
		}
	}
	return 0
}

// sampledMedianAbs is the median of |e| over the valid pixels (every 7th).
func sampledMedianAbs(e []float32, valid []uint8) float64 {
	var s []float64
	for i := 0; i < len(e); i += 7 {
		if valid[i] != 0 {
			s = append(s, math.Abs(float64(e[i])))
		}
	}
	if len(s) == 0 {
		return 0
	}
	return medianF64(s)
}

// medianF64 is the median of s (s is reordered).
func medianF64(s []float64) float64 { return order.Median(s) }

// medianF32 is the median of a few values (buf is reordered): the mean of
// the two middle ones for an even count.
func medianF32(buf []float32) float32 {
	for i := 1; i < len(buf); i++ {
		x := buf[i]
		j := i
		for j > 0 && buf[j-1] > x {
			buf[j] = buf[j-1]
			j--
		}
		buf[j] = x
	}
	m := len(buf) / 2
	if len(buf)%2 == 0 {
		return (buf[m-1] + buf[m]) / 2
	}
	return buf[m]
}

// labelsOf returns a CV_32S label image as Go ints.
func labelsOf(labels gocv.Mat) []int32 {
	f := gocv.NewMat()
	defer f.Close()
	labels.ConvertTo(&f, gocv.MatTypeCV32F)
	p, _ := f.DataPtrFloat32()
	out := make([]int32, len(p))
	for i, v := range p {
		out[i] = int32(v)
	}
	return out
}

func cmpF64(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
