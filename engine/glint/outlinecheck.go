package glint

import (
	"fmt"
	"math"
	"slices"

	"gradevault/engine/item"
)

// Outline plausibility limits.
const (
	// maxAspectError is the largest relative difference between an
	// outline's estimated true aspect ratio and the item type's before the
	// outline is doubtful (a comic cut off 78 % down is 28 % off).
	maxAspectError = 0.12
	// maxFrameDisagreement is the largest relative difference between one
	// frame's estimated aspect ratio and the median of the frames'.
	maxFrameDisagreement = 0.08
)

// quadAspect estimates the true width/height ratio of the rectangle whose
// perspective image is the quad q (TL, TR, BR, BL) in a w×h frame, with the
// principal point at the frame's centre and square pixels (Zhang and He,
// "Whiteboard scanning and image enhancement", 2007). When the view is too
// close to fronto-parallel for the focal length to be recovered (or the
// recovered one is implausible) it assumes a focal length equal to the
// frame's longer side.
func quadAspect(q [4][2]float64, w, h int) float64 {
	simple := (dist(q[0], q[1]) + dist(q[3], q[2])) / (dist(q[0], q[3]) + dist(q[1], q[2]))
	u0, v0 := float64(w-1)/2, float64(h-1)/2
	m := func(p [2]float64) [3]float64 { return [3]float64{p[0] - u0, p[1] - v0, 1} }
	// Zhang's numbering: m1 (0,0), m2 (w,0), m3 (0,h), m4 (w,h).
	m1, m2, m3, m4 := m(q[0]), m(q[1]), m(q[3]), m(q[2])
	cross := func(a, b [3]float64) [3]float64 {
		return [3]float64{a[1]*b[2] - a[2]*b[1], a[2]*b[0] - a[0]*b[2], a[0]*b[1] - a[1]*b[0]}
	}
	dot := func(a, b [3]float64) float64 { return a[0]*b[0] + a[1]*b[1] + a[2]*b[2] }
	c14 := cross(m1, m4)
	d2, d3 := dot(cross(m2, m4), m3), dot(cross(m3, m4), m2)
	if d2 == 0 || d3 == 0 {
		return simple
	}
	k2, k3 := dot(c14, m3)/d2, dot(c14, m2)/d3
	n2 := [3]float64{k2*m2[0] - m1[0], k2*m2[1] - m1[1], k2*m2[2] - m1[2]}
	n3 := [3]float64{k3*m3[0] - m1[0], k3*m3[1] - m1[1], k3*m3[2] - m1[2]}
	den := n2[2] * n3[2]
	D := float64(max(w, h))
	// The focal length follows from the two vanishing points; when one of
	// them is (nearly) at infinity it cannot be recovered and a typical
	// phone's (the frame's longer side) is assumed.
	f2 := D * D
	if math.Abs(den) > 1e-12 {
		if g := -(n2[0]*n3[0] + n2[1]*n3[1]) / den; g > 0.25*D*D && g < 9*D*D {
			f2 = g
		}
	}
	num := (n2[0]*n2[0]+n2[1]*n2[1])/f2 + n2[2]*n2[2]
	dn := (n3[0]*n3[0]+n3[1]*n3[1])/f2 + n3[2]*n3[2]
	if num <= 0 || dn <= 0 || math.IsNaN(num/dn) {
		return simple
	}
	return math.Sqrt(num / dn)
}

// outlineCheck is the plausibility check of one frame's outline.
type outlineCheck struct {
	aspect   float64 // estimated true width/height (upright, ≤ 1 for portrait items)
	doubtful bool
	reason   string
}

// checkOutlines compares every found outline's estimated aspect ratio with
// the item type's and with the other frames'. Frames without an outline or
// items without a fixed shape are not checked.
func checkOutlines(itemType item.Type, st []*frameState) []outlineCheck {
	out := make([]outlineCheck, len(st))
	want := aspect(itemType)
	if want == 0 {
		return out
	}
	var all []float64
	for i, s := range st {
		if !s.found {
			continue
		}
		a := quadAspect(s.corners, s.src.Cols(), s.src.Rows())
		if a > 1 && want < 1 { // lying sideways
			a = 1 / a
		}
		out[i].aspect = a
		all = append(all, a)
	}
	med := 0.0
	if len(all) > 0 {
		slices.Sort(all)
		med = all[len(all)/2]
		if len(all)%2 == 0 {
			med = (all[len(all)/2-1] + all[len(all)/2]) / 2
		}
	}
	for i, s := range st {
		if !s.found {
			continue
		}
		a := out[i].aspect
		if e := a/want - 1; math.Abs(e) > maxAspectError {
			out[i].doubtful = true
			out[i].reason = fmt.Sprintf("frame %d: the item outline's proportions (%.3f) are %.0f%% off a %s's (%.3f); the outline may be cut off or include something else, so the rectified item may be stretched",
				s.index, a, 100*e, itemType, want)
			continue
		}
		if len(all) >= 3 {
			if e := a/med - 1; math.Abs(e) > maxFrameDisagreement {
				out[i].doubtful = true
				out[i].reason = fmt.Sprintf("frame %d: the item outline's proportions (%.3f) disagree with the other frames' (%.3f)", s.index, a, med)
			}
		}
	}
	return out
}
