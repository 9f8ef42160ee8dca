package glint

import (
	"image"
	"math"

	"gocv.io/x/gocv"

	"gradevault/engine/item"
)

// Weights of the original worker.
var (
	cannyParams  = [3][2]float32{{15, 60}, {30, 100}, {50, 150}}
	cannyWeights = [3]float32{0.5, 0.35, 0.15}
)

const (
	wEdges, wLaplacian, wSobel, wStd = 0.45, 0.25, 0.20, 0.10
	wMax, wVariance                  = 0.75, 0.25
	maskK                            = 0.3 // mask: score > mean + maskK·std
)

// Specular highlight thresholds (HSV, OpenCV ranges).
const (
	glintMinV = 235
	glintMaxS = 40
	// glintMinRise is how much whiter (V − S) than its median over the
	// aligned frames a pixel must be to count as a highlight.
	glintMinRise = 12
)

// frameMap is the per-frame defect map: Canny blend, |Laplacian|, Sobel
// magnitude and 5×5 local standard deviation, each normalised by its
// maximum over the valid pixels, blended 0.45/0.25/0.20/0.10. Pixels
// outside valid are 0.
func frameMap(grey gocv.Mat, valid []uint8) []float32 {
	n := grey.Rows() * grey.Cols()
	edges := make([]float32, n)
	for k, p := range cannyParams {
		e := gocv.NewMat()
		gocv.Canny(grey, &e, p[0], p[1])
		ep, _ := e.DataPtrUint8()
		wk := cannyWeights[k]
		for i, v := range ep {
			if v != 0 {
				edges[i] += wk * float32(v)
			}
		}
		e.Close()
	}

	lap := gocv.NewMat()
	defer lap.Close()
	gocv.Laplacian(grey, &lap, gocv.MatTypeCV32F, 1, 1, 0, gocv.BorderDefault)
	lp, _ := lap.DataPtrFloat32()

	gx, gy := gocv.NewMat(), gocv.NewMat()
	defer gx.Close()
	defer gy.Close()
	gocv.Sobel(grey, &gx, gocv.MatTypeCV32F, 1, 0, 3, 1, 0, gocv.BorderDefault)
	gocv.Sobel(grey, &gy, gocv.MatTypeCV32F, 0, 1, 3, 1, 0, gocv.BorderDefault)
	gxp, _ := gx.DataPtrFloat32()
	gyp, _ := gy.DataPtrFloat32()

	gf := gocv.NewMat()
	defer gf.Close()
	grey.ConvertTo(&gf, gocv.MatTypeCV32F)
	sq := gocv.NewMat()
	defer sq.Close()
	gocv.Multiply(gf, gf, &sq)
	mean, meanSq := gocv.NewMat(), gocv.NewMat()
	defer mean.Close()
	defer meanSq.Close()
	gocv.Blur(gf, &mean, image.Pt(5, 5))
	gocv.Blur(sq, &meanSq, image.Pt(5, 5))
	mp, _ := mean.DataPtrFloat32()
	msp, _ := meanSq.DataPtrFloat32()

	lapAbs := make([]float32, n)
	sob := make([]float32, n)
	std := make([]float32, n)
	var mE, mL, mS, mD float32
	for i := 0; i < n; i++ {
		if valid[i] == 0 {
			edges[i] = 0
			continue
		}
		l := lp[i]
		if l < 0 {
			l = -l
		}
		lapAbs[i] = l
		sob[i] = float32(math.Sqrt(float64(gxp[i]*gxp[i] + gyp[i]*gyp[i])))
		v := msp[i] - mp[i]*mp[i]
		if v > 0 {
			std[i] = float32(math.Sqrt(float64(v)))
		}
		mE = max(mE, edges[i])
		mL = max(mL, lapAbs[i])
		mS = max(mS, sob[i])
		mD = max(mD, std[i])
	}
	inv := func(m float32) float32 {
		if m > 0 {
			return 1 / m
		}
		return 0
	}
	iE, iL, iS, iD := inv(mE), inv(mL), inv(mS), inv(mD)
	out := edges // reuse
	for i := 0; i < n; i++ {
		if valid[i] == 0 {
			out[i] = 0
			continue
		}
		out[i] = wEdges*edges[i]*iE + wLaplacian*lapAbs[i]*iL + wSobel*sob[i]*iS + wStd*std[i]*iD
	}
	return out
}

// analysis is the combined multi-frame result on the rectified canvas.
type analysis struct {
	w, h  int
	score []float32 // 0–1; 0 outside the valid area
	mask  []uint8   // 1 = defect
	valid []uint8
	// maxMap and variance are the two blended terms (kept for inspection).
	maxMap   []float32
	variance []float64
}

// combine takes the per-pixel maximum of the frame maps, blends it 0.75/0.25
// with the normalised per-pixel variance of the grey frames, thresholds at
// mean + 0.3·std and closes the mask with a 2×2 kernel.
func combine(maps [][]float32, greys []gocv.Mat, valid []uint8, w, h int) *analysis {
	n := w * h
	an := &analysis{w: w, h: h, score: make([]float32, n), mask: make([]uint8, n), valid: valid}
	mx := make([]float32, n)
	for _, m := range maps {
		for i, v := range m {
			if v > mx[i] {
				mx[i] = v
			}
		}
	}
	variance := make([]float64, n)
	if len(greys) > 1 {
		gp := make([][]uint8, len(greys))
		for k, g := range greys {
			gp[k], _ = g.DataPtrUint8()
		}
		k := float64(len(greys))
		vmax := 0.0
		for i := 0; i < n; i++ {
			if valid[i] == 0 {
				continue
			}
			var s, s2 float64
			for _, p := range gp {
				v := float64(p[i])
				s += v
				s2 += v * v
			}
			m := s / k
			v := s2/k - m*m
			if v < 0 {
				v = 0
			}
			variance[i] = v
			vmax = math.Max(vmax, v)
		}
		if vmax > 0 {
			for i := range variance {
				variance[i] /= vmax
			}
		}
	}
	var sum, sum2, cnt float64
	for i := 0; i < n; i++ {
		if valid[i] == 0 {
			continue
		}
		s := wMax*float64(mx[i]) + wVariance*variance[i]
		an.score[i] = float32(s)
		sum += s
		sum2 += s * s
		cnt++
	}
	an.maxMap, an.variance = mx, variance
	if cnt == 0 {
		return an
	}
	mean := sum / cnt
	std := math.Sqrt(math.Max(0, sum2/cnt-mean*mean))
	thr := float32(mean + maskK*std)
	raw := gocv.NewMatWithSize(h, w, gocv.MatTypeCV8U)
	defer raw.Close()
	rp, _ := raw.DataPtrUint8()
	for i := 0; i < n; i++ {
		if valid[i] != 0 && an.score[i] > thr {
			rp[i] = 255
		}
	}
	k := gocv.GetStructuringElement(gocv.MorphRect, image.Pt(2, 2))
	defer k.Close()
	closed := gocv.NewMat()
	defer closed.Close()
	gocv.MorphologyEx(raw, &closed, gocv.MorphClose, k)
	cp, _ := closed.DataPtrUint8()
	for i := 0; i < n; i++ {
		if cp[i] != 0 && valid[i] != 0 {
			an.mask[i] = 1
		}
	}
	return an
}

// regionRect is a region of the original worker's layout (comicRegions)
// in canvas pixels.
func regionRect(name string, w, h int) image.Rectangle {
	f, _ := RegionFraction(item.Comic, name)
	return regionSpec{frac: f}.rect(w, h)
}

// regions fills the report's region details, damage score and defect
// percentage. Edge density is Canny(40,120) of the reference frame.
func regions(an *analysis, refGrey gocv.Mat, valid []uint8, rep *Report) {
	edges := gocv.NewMat()
	defer edges.Close()
	gocv.Canny(refGrey, &edges, 40, 120)
	ep, _ := edges.DataPtrUint8()
	rep.RegionScores = map[string]float64{}
	rep.RegionDetails = map[string]RegionDetail{}
	damage := 0.0
	// The original worker's regions and weights, whatever the item.
	for _, reg := range comicRegions {
		name := reg.name
		cnt, masked, edge, sum, mx := sumRegion(reg.rect(an.w, an.h), an.w, valid, an.mask, ep, an.score)
		var d RegionDetail
		if cnt > 0 {
			d.DefectCoverage = 100 * float64(masked) / float64(cnt)
			d.MeanIntensity = 100 * sum / float64(cnt)
			d.MaxIntensity = 100 * float64(mx)
			d.EdgeDensity = 100 * float64(edge) / float64(cnt)
			d.QualityScore = math.Min(100, 0.4*d.DefectCoverage+0.3*d.MeanIntensity+0.3*d.EdgeDensity)
		}
		damage += reg.weight * d.QualityScore
		d = RegionDetail{
			DefectCoverage: round(d.DefectCoverage, 2),
			MeanIntensity:  round(d.MeanIntensity, 2),
			MaxIntensity:   round(d.MaxIntensity, 2),
			EdgeDensity:    round(d.EdgeDensity, 2),
			QualityScore:   round(d.QualityScore, 2),
		}
		rep.RegionDetails[name] = d
		rep.RegionScores[name] = d.QualityScore
	}
	rep.DamageScore = round(damage, 2)
	var cnt, masked int
	for i, v := range valid {
		if v != 0 {
			cnt++
			masked += int(an.mask[i])
		}
	}
	if cnt > 0 {
		rep.DefectPercentage = round(100*float64(masked)/float64(cnt), 2)
	}
}

// hsvPlanes returns the HSV saturation and value of a BGR frame.
func hsvPlanes(bgr gocv.Mat) (sat, val []uint8) {
	hsv := gocv.NewMat()
	defer hsv.Close()
	gocv.CvtColor(bgr, &hsv, gocv.ColorBGRToHSV)
	p, _ := hsv.DataPtrUint8()
	n := len(p) / 3
	sat, val = make([]uint8, n), make([]uint8, n)
	for i := 0; i < n; i++ {
		sat[i], val[i] = p[3*i+1], p[3*i+2]
	}
	return sat, val
}

// whiteness is V − S per pixel (0 when S > V): how close to white.
func whiteness(sat, val []uint8) []uint8 {
	out := make([]uint8, len(val))
	for i := range out {
		if val[i] > sat[i] {
			out[i] = val[i] - sat[i]
		}
	}
	return out
}

// medianPlane is the per-pixel median (lower median) of the planes.
func medianPlane(vals [][]uint8) []uint8 {
	if len(vals) == 0 {
		return nil
	}
	out := make([]uint8, len(vals[0]))
	var buf [MaxFrames]uint8
	k := len(vals)
	for i := range out {
		for j, v := range vals {
			x := v[i]
			m := j
			for m > 0 && buf[m-1] > x {
				buf[m] = buf[m-1]
				m--
			}
			buf[m] = x
		}
		out[i] = buf[(k-1)/2]
	}
	return out
}

// glintMap marks specular highlights: near-saturated (V ≥ 235), nearly
// colourless (S ≤ 40) pixels inside valid that, when the frame is aligned
// with others (median != nil), are also at least glintMinRise whiter (V − S)
// than the pixel's median whiteness over the aligned frames: a highlight
// moves, white print does not. The map is cleaned with a 3×3 opening.
func glintMap(sat, val, median []uint8, valid gocv.Mat, w, h int) []uint8 {
	raw := gocv.NewMatWithSize(h, w, gocv.MatTypeCV8U)
	defer raw.Close()
	rp, _ := raw.DataPtrUint8()
	for i := range rp {
		if val[i] >= glintMinV && sat[i] <= glintMaxS && (median == nil || int(val[i])-int(sat[i])-int(median[i]) >= glintMinRise) {
			rp[i] = 255
		}
	}
	k := gocv.GetStructuringElement(gocv.MorphRect, image.Pt(3, 3))
	defer k.Close()
	clean := gocv.NewMat()
	defer clean.Close()
	gocv.MorphologyEx(raw, &clean, gocv.MorphOpen, k)
	cp, _ := clean.DataPtrUint8()
	vp, _ := valid.DataPtrUint8()
	out := make([]uint8, len(cp))
	for i, v := range cp {
		if v != 0 && vp[i] != 0 {
			out[i] = 1
		}
	}
	return out
}

// coveragePercent is the share of valid pixels set in m.
func coveragePercent(m []uint8, valid gocv.Mat) float64 {
	vp, _ := valid.DataPtrUint8()
	var cnt, set int
	for i, v := range vp {
		if v != 0 {
			cnt++
			set += int(m[i])
		}
	}
	if cnt == 0 {
		return 0
	}
	return 100 * float64(set) / float64(cnt)
}
