package analysis

/*
#cgo CFLAGS: -O3
#include "sharp.h"
*/
import "C"

import (
	"unsafe"

	"gocv.io/x/gocv"
)

// laplacianSums returns the sum and the sum of squares of the Laplacian of
// grey (see gv_laplacian_sums), exact; ok is false when grey is not a
// continuous 8-bit one-channel image.
func laplacianSums(grey gocv.Mat) (sum int64, sumsq uint64, ok bool) {
	if grey.Type() != gocv.MatTypeCV8UC1 || !grey.IsContinuous() || grey.Empty() {
		return 0, 0, false
	}
	data, err := grey.DataPtrUint8()
	if err != nil || len(data) < grey.Rows()*grey.Cols() {
		return 0, 0, false
	}
	var s C.int64_t
	var q C.uint64_t
	C.gv_laplacian_sums((*C.uint8_t)(unsafe.Pointer(&data[0])), C.int(grey.Rows()), C.int(grey.Cols()),
		C.size_t(grey.Cols()), &s, &q)
	return int64(s), uint64(q), true
}
