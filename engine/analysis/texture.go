package analysis

/*
#cgo CFLAGS: -O3
#include "texture.h"
*/
import "C"

import (
	"errors"
	"unsafe"

	"gocv.io/x/gocv"
)

// textureWeight sets weight (CV_32F, img's size) to the local gradient
// energy of img (8-bit, one channel): gx² + gy² of the 3×3 Sobel
// derivatives averaged over 7×7 pixels, both with reflected borders. It is
// what
//
//	Sobel(img, gx, CV_32F, 1, 0, 3, 1, 0, BORDER_REFLECT_101)
//	Sobel(img, gy, CV_32F, 0, 1, 3, 1, 0, BORDER_REFLECT_101)
//	boxFilter(gx.mul(gx) + gy.mul(gy), weight, -1, Size(7, 7))
//
// gives, bit for bit (see gv_texture_weight), in one pass over the image
// instead of six. energy is scratch kept between calls.
func textureWeight(img gocv.Mat, weight *gocv.Mat, energy *[]int32) error {
	rows, cols := img.Rows(), img.Cols()
	if img.Type() != gocv.MatTypeCV8UC1 || !img.IsContinuous() || rows == 0 || cols == 0 {
		return errors.New("texture weight: not a continuous 8-bit grey image")
	}
	src, err := img.DataPtrUint8()
	if err != nil {
		return err
	}
	if weight.Rows() != rows || weight.Cols() != cols || weight.Type() != gocv.MatTypeCV32F || !weight.IsContinuous() {
		weight.Close()
		*weight = gocv.NewMatWithSize(rows, cols, gocv.MatTypeCV32F)
	}
	dst, err := weight.DataPtrFloat32()
	if err != nil {
		return err
	}
	if n := rows*cols + cols + 6; len(*energy) < n {
		*energy = make([]int32, n)
	}
	C.gv_texture_weight((*C.uint8_t)(unsafe.Pointer(&src[0])), C.int(rows), C.int(cols), C.size_t(cols),
		(*C.float)(unsafe.Pointer(&dst[0])), (*C.int32_t)(unsafe.Pointer(&(*energy)[0])))
	return nil
}
