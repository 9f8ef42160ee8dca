package glint

import (
	"fmt"
	"image"
	"math"

	"gocv.io/x/gocv"
)

// Alignment parameters.
const (
	orbFeatures     = 1500
	ratioTest       = 0.8  // Lowe's ratio for the two nearest descriptors
	ransacThreshold = 3.0  // px, in rectified coordinates
	minInliers      = 12   // fewer and the frame is dropped
	minInlierRatio  = 0.15 // of the ratio-tested matches
	maxResidualPx   = 3.0  // RMS inlier error above which a frame is dropped

	eccSide       = 400  // longest side of the images ECC refines on
	eccIterations = 30   //
	eccEps        = 1e-3 // update norm (px on the eccSide image) at which ECC stops: 1e-5 ran every iteration for no visible gain
	eccMinRho     = 0.6  // correlation below which ECC's result is ignored
	eccMaxChange  = 2.0  // px; ECC may move the ORB estimate at most this far
)

// homographyRANSAC is cv::RANSAC for FindHomography. gocv v0.31.0 spells
// its constant HomograpyMethodRANSAC, later releases (the ones made for
// OpenCV 4.10+) HomographyMethodRANSAC; the value is the same on both.
const homographyRANSAC gocv.HomographyMethod = 8

// features are ORB keypoints and descriptors of one rectified grey frame.
type features struct {
	pts  [][2]float64
	desc gocv.Mat
}

func (f *features) Close() { f.desc.Close() }

// detect computes ORB features. A new detector per call keeps concurrent
// callers independent; ORB itself uses no random numbers.
func detect(grey gocv.Mat) features {
	orb := gocv.NewORBWithParams(orbFeatures, 1.2, 8, 31, 0, 2, gocv.ORBScoreTypeHarris, 31, 12)
	defer orb.Close()
	mask := gocv.NewMat()
	defer mask.Close()
	kps, desc := orb.DetectAndCompute(grey, mask)
	pts := make([][2]float64, len(kps))
	for i, k := range kps {
		pts[i] = [2]float64{k.X, k.Y}
	}
	return features{pts: pts, desc: desc}
}

// alignResult is the registration of one rectified frame onto the
// reference: H maps the frame's rectified coordinates to the reference's.
type alignResult struct {
	H homography
	// Residual estimates the registration error in px: the RMS distance
	// over a 9×9 grid between the two independent estimates (ORB/RANSAC
	// and ECC) when ECC refined the result, else the RMS reprojection error
	// of the RANSAC inliers (a conservative bound).
	Residual float64
	RMS      float64 // RMS reprojection error of the RANSAC inliers, px
	Inliers  int
	Refined  bool // ECC refined the ORB estimate
	OK       bool
	Reason   string // why the frame could not be aligned
}

// align registers a rectified grey frame onto the rectified grey reference:
// ORB matches, a RANSAC homography, then ECC refinement. ref and img are
// the frames' ORB features. maxShift (px, 0 = no limit) discards matches
// that move further than a rectified frame plausibly can.
func align(ref, img features, refGrey, grey gocv.Mat, maxShift float64) alignResult {
	w, h := refGrey.Cols(), refGrey.Rows()
	if ref.desc.Empty() || img.desc.Empty() || len(ref.pts) < minInliers || len(img.pts) < minInliers {
		return alignResult{Reason: "too few features"}
	}
	knn, err := matchHamming(img.desc, ref.desc)
	if err != nil {
		return alignResult{Reason: err.Error()}
	}
	var src, dst [][2]float64
	for qi, m := range knn {
		if m.second < 0 || float64(m.dBest) >= ratioTest*float64(m.dSec) {
			continue
		}
		q, t := img.pts[qi], ref.pts[m.best]
		if maxShift > 0 && dist(q, t) > maxShift {
			continue
		}
		src = append(src, q)
		dst = append(dst, t)
	}
	if len(src) < minInliers {
		return alignResult{Reason: fmt.Sprintf("only %d feature matches", len(src))}
	}
	H, inl, ok := ransacHomography(src, dst)
	if !ok {
		return alignResult{Reason: "no homography"}
	}
	Horb := H
	H, refined := refineECC(refGrey, grey, H)
	var se float64
	n := 0
	for i, in := range inl {
		if !in {
			continue
		}
		x, y := H.apply(src[i][0], src[i][1])
		se += (x-dst[i][0])*(x-dst[i][0]) + (y-dst[i][1])*(y-dst[i][1])
		n++
	}
	res := alignResult{H: H, Inliers: n, Refined: refined}
	if n > 0 {
		res.RMS = math.Sqrt(se / float64(n))
	}
	res.Residual = res.RMS
	if refined {
		res.Residual = gridError(Horb, H, w, h)
	}
	switch {
	case n < minInliers || float64(n) < minInlierRatio*float64(len(src)):
		res.Reason = fmt.Sprintf("only %d of %d matches agree", n, len(src))
	case res.RMS > maxResidualPx:
		res.Reason = fmt.Sprintf("inlier error %.2f px", res.RMS)
	case !plausible(H, w, h, maxShift):
		res.Reason = "implausible homography"
	default:
		res.OK = true
	}
	return res
}

// refineECC polishes an ORB homography H (img → ref) with ECC on copies of
// the grey images scaled to at most eccSide pixels. It returns H unchanged
// if ECC fails, correlates poorly or strays from the ORB estimate.
func refineECC(refGrey, grey gocv.Mat, H homography) (homography, bool) {
	w, h := refGrey.Cols(), refGrey.Rows()
	f := math.Min(1, float64(eccSide)/float64(max(w, h)))
	sw, sh := max(8, int(math.Round(float64(w)*f))), max(8, int(math.Round(float64(h)*f)))
	S := scaleRect(-0.5, -0.5, float64(w)-0.5, float64(h)-0.5, sw, sh)
	Sinv, _ := S.inv()
	Hinv, ok := H.inv()
	if !ok {
		return H, false
	}
	small := func(m gocv.Mat) gocv.Mat {
		out := gocv.NewMat()
		if f < 1 {
			gocv.Resize(m, &out, image.Pt(sw, sh), 0, 0, gocv.InterpolationArea)
		} else {
			m.CopyTo(&out)
		}
		return out
	}
	rs := small(refGrey)
	defer rs.Close()
	is := small(grey)
	defer is.Close()
	// ECC's warp maps template (reference) coordinates to input coordinates.
	W0 := S.mul(Hinv).mul(Sinv)
	W, rho, ok := findECC(rs, is, W0, eccIterations, eccEps)
	if !ok || rho < eccMinRho {
		return H, false
	}
	Wf := Sinv.mul(W).mul(S)
	He, ok := Wf.inv()
	if !ok || gridError(He, H, w, h) > eccMaxChange {
		return H, false
	}
	return He, true
}

// ransacHomography fits src→dst with OpenCV's RANSAC (which seeds its own
// generator with a constant, so the result is reproducible) and returns the
// inlier flags.
func ransacHomography(src, dst [][2]float64) (homography, []bool, bool) {
	n := len(src)
	sm := gocv.NewMatWithSize(n, 1, gocv.MatTypeCV32FC2)
	defer sm.Close()
	dm := gocv.NewMatWithSize(n, 1, gocv.MatTypeCV32FC2)
	defer dm.Close()
	sp, _ := sm.DataPtrFloat32()
	dp, _ := dm.DataPtrFloat32()
	for i := 0; i < n; i++ {
		sp[2*i], sp[2*i+1] = float32(src[i][0]), float32(src[i][1])
		dp[2*i], dp[2*i+1] = float32(dst[i][0]), float32(dst[i][1])
	}
	mask := gocv.NewMat()
	defer mask.Close()
	hm := gocv.FindHomography(sm, &dm, homographyRANSAC, ransacThreshold, &mask, 2000, 0.995)
	defer hm.Close()
	H, ok := homographyFromMat(hm)
	if !ok || mask.Empty() {
		return H, nil, false
	}
	mp, err := mask.DataPtrUint8()
	if err != nil || len(mp) != n {
		return H, nil, false
	}
	inl := make([]bool, n)
	for i := range mp {
		inl[i] = mp[i] != 0
	}
	return H, inl, true
}

// plausible rejects homographies that fold, flip or move the rectified
// frame's corners further than maxShift (if set).
func plausible(H homography, w, h int, maxShift float64) bool {
	c := [4][2]float64{{0, 0}, {float64(w), 0}, {float64(w), float64(h)}, {0, float64(h)}}
	var m [4][2]float64
	for i, p := range c {
		x, y := H.apply(p[0], p[1])
		m[i] = [2]float64{x, y}
		if maxShift > 0 && dist(m[i], p) > 1.5*maxShift {
			return false
		}
	}
	if !isConvexQuad(m) {
		return false
	}
	r := polygonArea(m[:]) / polygonArea(c[:])
	return r > 0.5 && r < 2
}
