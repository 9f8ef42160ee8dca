package glint

import (
	"math"

	"gocv.io/x/gocv"
)

// homography is a 3×3 projective transform in row-major order, mapping
// (x, y, 1) to (x', y', w').
type homography [9]float64

// identity is the homography that maps every point to itself.
var identity = homography{1, 0, 0, 0, 1, 0, 0, 0, 1}

// mul returns h·g (apply g first, then h).
func (h homography) mul(g homography) homography {
	var r homography
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			var s float64
			for k := 0; k < 3; k++ {
				s += h[i*3+k] * g[k*3+j]
			}
			r[i*3+j] = s
		}
	}
	return r
}

// inv returns the inverse of h and whether it exists.
func (h homography) inv() (homography, bool) {
	a, b, c := h[0], h[1], h[2]
	d, e, f := h[3], h[4], h[5]
	g, hh, i := h[6], h[7], h[8]
	A := e*i - f*hh
	B := -(d*i - f*g)
	C := d*hh - e*g
	det := a*A + b*B + c*C
	if math.Abs(det) < 1e-12 {
		return homography{}, false
	}
	r := homography{
		A, -(b*i - c*hh), b*f - c*e,
		B, a*i - c*g, -(a*f - c*d),
		C, -(a*hh - b*g), a*e - b*d,
	}
	for k := range r {
		r[k] /= det
	}
	return r, true
}

// apply maps the point (x, y).
func (h homography) apply(x, y float64) (float64, float64) {
	w := h[6]*x + h[7]*y + h[8]
	if w == 0 {
		w = 1e-12
	}
	return (h[0]*x + h[1]*y + h[2]) / w, (h[3]*x + h[4]*y + h[5]) / w
}

// mat returns h as a new 3×3 CV_64F Mat; the caller closes it.
func (h homography) mat() gocv.Mat {
	m := gocv.NewMatWithSize(3, 3, gocv.MatTypeCV64F)
	for i := 0; i < 9; i++ {
		m.SetDoubleAt(i/3, i%3, h[i])
	}
	return m
}

// homographyFromMat reads a 3×3 CV_64F Mat.
func homographyFromMat(m gocv.Mat) (homography, bool) {
	if m.Empty() || m.Rows() != 3 || m.Cols() != 3 || m.Type() != gocv.MatTypeCV64F {
		return homography{}, false
	}
	var h homography
	for i := 0; i < 9; i++ {
		h[i] = m.GetDoubleAt(i/3, i%3)
		if math.IsNaN(h[i]) || math.IsInf(h[i], 0) {
			return homography{}, false
		}
	}
	if h[8] != 0 {
		for i := range h {
			h[i] /= h[8]
		}
	}
	return h, true
}

// quadToRect returns the homography that maps the quadrilateral q (TL, TR,
// BR, BL) onto the w×h image so that the quad's outline lands on the outer
// edges of the border pixels.
func quadToRect(q [4][2]float64, w, h int) (homography, bool) {
	dst := [4][2]float64{{-0.5, -0.5}, {float64(w) - 0.5, -0.5}, {float64(w) - 0.5, float64(h) - 0.5}, {-0.5, float64(h) - 0.5}}
	return solveQuad(q, dst)
}

// solveQuad solves the homography that maps four source points to four
// destination points (direct linear solve with partial pivoting).
func solveQuad(src, dst [4][2]float64) (homography, bool) {
	var a [8][9]float64
	for i := 0; i < 4; i++ {
		x, y := src[i][0], src[i][1]
		u, v := dst[i][0], dst[i][1]
		a[2*i] = [9]float64{x, y, 1, 0, 0, 0, -u * x, -u * y, u}
		a[2*i+1] = [9]float64{0, 0, 0, x, y, 1, -v * x, -v * y, v}
	}
	for col := 0; col < 8; col++ {
		p := col
		for r := col + 1; r < 8; r++ {
			if math.Abs(a[r][col]) > math.Abs(a[p][col]) {
				p = r
			}
		}
		if math.Abs(a[p][col]) < 1e-12 {
			return homography{}, false
		}
		a[col], a[p] = a[p], a[col]
		for r := 0; r < 8; r++ {
			if r == col {
				continue
			}
			f := a[r][col] / a[col][col]
			for c := col; c < 9; c++ {
				a[r][c] -= f * a[col][c]
			}
		}
	}
	var h homography
	for i := 0; i < 8; i++ {
		h[i] = a[i][8] / a[i][i]
	}
	h[8] = 1
	return h, true
}

// scaleRect returns the homography mapping the axis-aligned rectangle
// (x0, y0)–(x1, y1) (outer pixel edges) onto a w×h image.
func scaleRect(x0, y0, x1, y1 float64, w, h int) homography {
	sx := float64(w) / (x1 - x0)
	sy := float64(h) / (y1 - y0)
	// Pixel centre c in the source maps to (c + 0.5 - x0)·s − 0.5.
	return homography{sx, 0, (0.5-x0)*sx - 0.5, 0, sy, (0.5-y0)*sy - 0.5, 0, 0, 1}
}

// gridError is the RMS distance between the images of a 9×9 grid of
// points of a w×h image under a and b.
func gridError(a, b homography, w, h int) float64 {
	var s float64
	n := 0
	for i := 0; i <= 8; i++ {
		for j := 0; j <= 8; j++ {
			x := float64(w-1) * float64(j) / 8
			y := float64(h-1) * float64(i) / 8
			ax, ay := a.apply(x, y)
			bx, by := b.apply(x, y)
			s += (ax-bx)*(ax-bx) + (ay-by)*(ay-by)
			n++
		}
	}
	return math.Sqrt(s / float64(n))
}

// polygonArea is the signed shoelace area of a polygon.
func polygonArea(p [][2]float64) float64 {
	var s float64
	for i := range p {
		j := (i + 1) % len(p)
		s += p[i][0]*p[j][1] - p[j][0]*p[i][1]
	}
	return s / 2
}

// isConvexQuad reports whether q is a strictly convex quadrilateral.
func isConvexQuad(q [4][2]float64) bool {
	sign := 0
	for i := 0; i < 4; i++ {
		a, b, c := q[i], q[(i+1)%4], q[(i+2)%4]
		cr := (b[0]-a[0])*(c[1]-b[1]) - (b[1]-a[1])*(c[0]-b[0])
		s := 1
		if cr < 0 {
			s = -1
		} else if cr == 0 {
			return false
		}
		if sign == 0 {
			sign = s
		} else if s != sign {
			return false
		}
	}
	return true
}

func dist(a, b [2]float64) float64 { return math.Hypot(a[0]-b[0], a[1]-b[1]) }
