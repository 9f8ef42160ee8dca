package glint

/*
#cgo pkg-config: opencv4
#cgo CXXFLAGS: -std=c++11
#include <stdlib.h>
#include "ecc.h"
*/
import "C"

import (
	"unsafe"

	"gocv.io/x/gocv"
)

// findECC refines w (template → input coordinates) with OpenCV's
// findTransformECC (homography model). It returns the correlation
// coefficient and false if the iteration failed; w is unchanged then.
// OpenCV throws on divergence, which gocv's wrapper does not catch, hence
// this small shim.
func findECC(templ, input gocv.Mat, w homography, iterations int, eps float64) (homography, float64, bool) {
	buf := (*[9]C.double)(C.malloc(C.size_t(9 * unsafe.Sizeof(C.double(0)))))
	defer C.free(unsafe.Pointer(buf))
	for i := range w {
		buf[i] = C.double(w[i])
	}
	rho := float64(C.gv_find_ecc(unsafe.Pointer(templ.Ptr()), unsafe.Pointer(input.Ptr()), &buf[0], C.int(iterations), C.double(eps), 5))
	if rho < 0 {
		return w, rho, false
	}
	var r homography
	for i := range r {
		r[i] = float64(buf[i])
	}
	return r, rho, true
}
