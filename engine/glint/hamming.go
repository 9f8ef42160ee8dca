package glint

// #include "hamming.h"
import "C"

import (
	"encoding/binary"
	"errors"
	"math"
	"math/bits"
	"unsafe"

	"gocv.io/x/gocv"
)

// knn2 is one query descriptor's nearest and second-nearest train
// descriptors: their rows and Hamming distances (second is -1 when there
// is one train row).
type knn2 struct {
	best, second int
	dBest, dSec  int
}

// usePOPCNT is 0 when tests check the portable bit count.
var usePOPCNT = 1

// matchHamming finds every query descriptor's two nearest train
// descriptors by Hamming distance: what
// cv::BFMatcher(NORM_HAMMING).knnMatch(query, train, 2) returns, ties
// included (the lower train row first), in a third of the time or less.
// OpenCV computes the 2.25 million distances between two frames' 1,500
// ORB descriptors one pair per call (about 30 ms a frame pair here);
// here they are four POPCNT instructions each (3 ms).
func matchHamming(query, train gocv.Mat) ([]knn2, error) {
	if query.Empty() || train.Empty() {
		return nil, nil
	}
	if query.Type() != gocv.MatTypeCV8U || train.Type() != gocv.MatTypeCV8U || query.Cols() != train.Cols() {
		return nil, errors.New("descriptors must be 8-bit rows of one length")
	}
	qw, words, err := packRows(query)
	if err != nil {
		return nil, err
	}
	tw, _, err := packRows(train)
	if err != nil {
		return nil, err
	}
	out := make([]knn2, query.Rows())
	if words == 4 && len(qw) > 0 && len(tw) > 0 {
		// ORB's 32 bytes: in C, where the bit counts are the POPCNT
		// instruction (Go's math/bits checks for it on every call unless
		// built for GOAMD64=v2 or later: three times slower).
		res := make([]int32, 4*len(out))
		C.gv_knn2_hamming256((*C.uint64_t)(unsafe.Pointer(&qw[0])), C.int(len(out)),
			(*C.uint64_t)(unsafe.Pointer(&tw[0])), C.int(train.Rows()), (*C.int32_t)(unsafe.Pointer(&res[0])), C.int(usePOPCNT))
		for i := range out {
			r := res[4*i : 4*i+4]
			out[i] = knn2{best: int(r[0]), second: int(r[1]), dBest: int(r[2]), dSec: int(r[3])}
			if out[i].second < 0 {
				out[i].dSec = math.MaxInt
			}
		}
		return out, nil
	}
	nt := train.Rows()
	d := make([]int, nt)
	for q := range out {
		a := qw[q*words : (q+1)*words]
		for t := range d {
			b := tw[t*words : (t+1)*words]
			d[t] = 0
			for i, x := range a {
				d[t] += bits.OnesCount64(x ^ b[i])
			}
		}
		out[q] = nearest2(d)
	}
	return out, nil
}

// nearest2 is the two smallest of the distances d. Strict comparisons
// keep the lower row first among equals, as OpenCV's insertion does.
func nearest2(d []int) knn2 {
	best, second := -1, -1
	dBest, dSec := math.MaxInt, math.MaxInt
	for t, x := range d {
		if x < dSec {
			if x < dBest {
				second, dSec = best, dBest
				best, dBest = t, x
			} else {
				second, dSec = t, x
			}
		}
	}
	return knn2{best: best, second: second, dBest: dBest, dSec: dSec}
}

// packRows copies m's rows (8-bit) into 64-bit words, each row padded with
// zero bytes to whole words, and returns them with the words per row.
func packRows(m gocv.Mat) ([]uint64, int, error) {
	if !m.IsContinuous() {
		c := m.Clone()
		defer c.Close()
		m = c
	}
	data, err := m.DataPtrUint8()
	if err != nil {
		return nil, 0, err
	}
	cols := m.Cols()
	words := (cols + 7) / 8
	out := make([]uint64, m.Rows()*words)
	var buf [8]byte
	for r := 0; r < m.Rows(); r++ {
		row := data[r*cols : (r+1)*cols]
		for w := 0; w < words; w++ {
			buf = [8]byte{}
			copy(buf[:], row[w*8:min(cols, w*8+8)])
			out[r*words+w] = binary.LittleEndian.Uint64(buf[:])
		}
	}
	return out, words, nil
}
