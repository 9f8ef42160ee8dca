package analysis

/*
#cgo pkg-config: opencv4
#cgo CXXFLAGS: -std=c++11
#include "dis.h"
*/
import "C"

import (
	"errors"
	"unsafe"

	"gocv.io/x/gocv"
)

// DIS presets of cv::DISOpticalFlow.
const (
	disUltrafast = 0
	disFast      = 1
	disMedium    = 2
)

// dis is OpenCV's DIS optical flow, which gocv 0.31 does not wrap.
type dis struct{ p unsafe.Pointer }

// newDIS creates a DIS optical flow with a preset and, if refinement >= 0,
// that many variational refinement iterations instead of the preset's.
func newDIS(preset, refinement int) (*dis, error) {
	p := C.gv_dis_new(C.int(preset), C.int(refinement))
	if p == nil {
		return nil, errors.New("cannot create DIS optical flow")
	}
	return &dis{p: p}, nil
}

// calc computes the flow from prev to next (8-bit grey, same size) into
// flow (CV_32FC2). OpenCV 4.6's DIS starts from whatever an allocated flow
// Mat holds, so a reused Mat would make a frame's motion depend on the
// frame the same worker measured before, and so on the chunking: calc
// always starts from an empty Mat.
func (d *dis) calc(prev, next gocv.Mat, flow *gocv.Mat) error {
	if !flow.Empty() {
		flow.Close()
		*flow = gocv.NewMat()
	}
	if C.gv_dis_calc(d.p, unsafe.Pointer(prev.Ptr()), unsafe.Pointer(next.Ptr()), unsafe.Pointer(flow.Ptr())) != 0 {
		return errors.New("DIS optical flow failed")
	}
	return nil
}

func (d *dis) Close() {
	if d.p != nil {
		C.gv_dis_free(d.p)
		d.p = nil
	}
}
