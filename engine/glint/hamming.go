package glint

import (
	"encoding/binary"
	"errors"
	"math"
	"math/bits"

	"gocv.io/x/gocv"
)

// knn2 is one query descriptor's nearest and second-nearest train
// descriptors: their rows and Hamming distances (second is -1 when there
// is one train row).
type knn2 struct {
	best, second int
	dBest, dSec  int
}

// matchHamming finds every query descriptor's two nearest train
// descriptors by Hamming distance: what
// cv::BFMatcher(NORM_HAMMING).knnMatch(query, train, 2) returns, ties
// included (the lower train row first), in half the time or less. OpenCV
// computes the 2.25 million distances between two frames' 1,500 ORB
// descriptors one pair per call (20 to 45 ms a frame pair here, a fifth of
// the glint analysis's CPU); here they are four POPCNTs each.
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
	if words == 4 { // ORB's 32 bytes: fixed-size rows, a loop with nothing else in it
		q4, t4 := rows4(qw), rows4(tw)
		d := make([]int, len(t4))
		for i := range q4 {
			a := &q4[i]
			for t := range t4 {
				b := &t4[t]
				d[t] = bits.OnesCount64(a[0]^b[0]) + bits.OnesCount64(a[1]^b[1]) +
					bits.OnesCount64(a[2]^b[2]) + bits.OnesCount64(a[3]^b[3])
			}
			out[i] = nearest2(d)
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

// rows4 views packed rows of four words as arrays.
func rows4(w []uint64) [][4]uint64 {
	out := make([][4]uint64, len(w)/4)
	for i := range out {
		copy(out[i][:], w[4*i:])
	}
	return out
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
