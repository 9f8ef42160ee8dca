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

// greySharpReduce is fast mode's first step in one pass over a BGR frame
// (see gv_grey_sharp_reduce): the grey frame's Laplacian sums, as
// laplacianSums gives them, and its first pyramid level in half, as
// cv::PyrDown makes it, without the full-size grey frame in between.
// scratch is kept between calls. ok is false, and nothing done, when bgr
// is not a continuous 8-bit 3-channel image.
func greySharpReduce(bgr gocv.Mat, half *gocv.Mat, scratch *reduceScratch) (sum int64, sumsq uint64, ok bool) {
	rows, cols := bgr.Rows(), bgr.Cols()
	if bgr.Type() != gocv.MatTypeCV8UC3 || !bgr.IsContinuous() || rows == 0 || cols == 0 {
		return 0, 0, false
	}
	src, err := bgr.DataPtrUint8()
	if err != nil || len(src) < rows*cols*3 {
		return 0, 0, false
	}
	hr, hc := (rows+1)/2, (cols+1)/2
	if half.Rows() != hr || half.Cols() != hc || half.Type() != gocv.MatTypeCV8UC1 || !half.IsContinuous() {
		half.Close()
		*half = gocv.NewMatWithSize(hr, hc, gocv.MatTypeCV8UC1)
	}
	dst, err := half.DataPtrUint8()
	if err != nil {
		return 0, 0, false
	}
	if len(scratch.grey) < 3*cols {
		scratch.grey = make([]uint8, 3*cols)
	}
	if len(scratch.h) < 5*hc {
		scratch.h = make([]uint16, 5*hc)
	}
	var s C.int64_t
	var q C.uint64_t
	C.gv_grey_sharp_reduce((*C.uint8_t)(unsafe.Pointer(&src[0])), C.int(rows), C.int(cols), C.size_t(3*cols),
		(*C.uint8_t)(unsafe.Pointer(&dst[0])), C.size_t(hc),
		(*C.uint8_t)(unsafe.Pointer(&scratch.grey[0])), (*C.uint16_t)(unsafe.Pointer(&scratch.h[0])), &s, &q, C.int(b2i(useSIMD)))
	return int64(s), uint64(q), true
}

// reduceScratch is greySharpReduce's row buffers.
type reduceScratch struct {
	grey []uint8
	h    []uint16
}

// useSIMD lets greySharpReduce use the processor's SIMD colour conversion
// where it has one; tests turn it off to check the portable one.
var useSIMD = true

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
