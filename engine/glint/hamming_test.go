package glint

import (
	"math"
	"math/rand/v2"
	"testing"

	"gocv.io/x/gocv"

	"gradevault/engine/synth"
)

// bfKnn2 is OpenCV's answer: cv::BFMatcher(NORM_HAMMING).knnMatch(q, t, 2).
func bfKnn2(q, t gocv.Mat) [][]gocv.DMatch {
	bf := gocv.NewBFMatcherWithParams(gocv.NormHamming, false)
	defer bf.Close()
	return bf.KnnMatch(q, t, 2)
}

// sameAsOpenCV fails unless matchHamming gives OpenCV's matches: the same
// rows in the same order (ties included) and distances, with the POPCNT
// instruction and with the portable bit count.
func sameAsOpenCV(t *testing.T, what string, q, tr gocv.Mat) {
	t.Helper()
	sameAsOpenCVWith(t, what, q, tr, 1)
	sameAsOpenCVWith(t, what+" (portable bit count)", q, tr, 0)
}

func sameAsOpenCVWith(t *testing.T, what string, q, tr gocv.Mat, popcnt int) {
	t.Helper()
	defer func(v int) { usePOPCNT = v }(usePOPCNT)
	usePOPCNT = popcnt
	got, err := matchHamming(q, tr)
	if err != nil {
		t.Fatal(err)
	}
	want := bfKnn2(q, tr)
	if len(got) != len(want) {
		t.Fatalf("%s: %d queries matched, OpenCV %d", what, len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if len(w) != 2 {
			t.Fatalf("%s: OpenCV gave %d matches for query %d", what, len(w), i)
		}
		if g.best != w[0].TrainIdx || g.second != w[1].TrainIdx ||
			float64(g.dBest) != w[0].Distance || float64(g.dSec) != w[1].Distance {
			t.Fatalf("%s: query %d: (%d at %d, %d at %d), OpenCV (%d at %.0f, %d at %.0f)", what, i,
				g.best, g.dBest, g.second, g.dSec, w[0].TrainIdx, w[0].Distance, w[1].TrainIdx, w[1].Distance)
		}
	}
}

// TestMatchHammingRealDescriptors: the ORB descriptors of two frames of a
// rendered grading video, tilted apart.
func TestMatchHammingRealDescriptors(t *testing.T) {
	s := synth.DefaultScene(synth.Comic, 640, 480)
	frames := renderFrames(t, s, 3, 40)
	var fs [2]features
	for i, f := range frames {
		g := gocv.NewMat()
		gocv.CvtColor(f.Image, &g, gocv.ColorBGRToGray)
		fs[i] = detect(g)
		g.Close()
		defer fs[i].Close()
	}
	if fs[0].desc.Rows() < 200 || fs[1].desc.Rows() < 200 {
		t.Fatalf("only %d and %d ORB features", fs[0].desc.Rows(), fs[1].desc.Rows())
	}
	sameAsOpenCV(t, "frames 3 and 40", fs[1].desc, fs[0].desc)
	sameAsOpenCV(t, "frames 40 and 3", fs[0].desc, fs[1].desc)
}

// TestMatchHammingTies: descriptors of few distinct bit patterns, so that
// most distances tie, and lengths that are not whole 64-bit words.
func TestMatchHammingTies(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	for _, cols := range []int{32, 5, 17} {
		mk := func(rows int) gocv.Mat {
			m := gocv.NewMatWithSize(rows, cols, gocv.MatTypeCV8U)
			p, _ := m.DataPtrUint8()
			for i := range p {
				p[i] = []byte{0, 1, 3, 0x80}[rng.IntN(4)]
			}
			return m
		}
		q, tr := mk(150), mk(90)
		sameAsOpenCV(t, "ties", q, tr)
		q.Close()
		tr.Close()
	}
}

// TestMatchHammingEdges: no descriptors match nothing; one train row has
// no second neighbour; mismatched lengths are an error.
func TestMatchHammingEdges(t *testing.T) {
	empty := gocv.NewMat()
	defer empty.Close()
	one := gocv.NewMatWithSize(1, 32, gocv.MatTypeCV8U)
	defer one.Close()
	three := gocv.NewMatWithSize(3, 32, gocv.MatTypeCV8U)
	defer three.Close()
	if m, err := matchHamming(empty, three); err != nil || len(m) != 0 {
		t.Fatalf("empty query: %v, %v", m, err)
	}
	m, err := matchHamming(three, one)
	if err != nil || len(m) != 3 || m[0].best != 0 || m[0].second != -1 || m[0].dBest != 0 || m[0].dSec != math.MaxInt {
		t.Fatalf("one train row: %+v, %v", m, err)
	}
	short := gocv.NewMatWithSize(3, 16, gocv.MatTypeCV8U)
	defer short.Close()
	if _, err := matchHamming(three, short); err == nil {
		t.Fatal("descriptors of 32 and 16 bytes matched")
	}
}

// BenchmarkMatchHamming1500 is one frame pair of the glint alignment:
// 1,500 ORB descriptors each, against OpenCV's brute-force matcher
// (ours: 5–6 ms, OpenCV 26–29 ms on this 2-core machine).
func BenchmarkMatchHamming1500(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	mk := func() gocv.Mat {
		m := gocv.NewMatWithSize(1500, 32, gocv.MatTypeCV8U)
		p, _ := m.DataPtrUint8()
		for i := range p {
			p[i] = byte(rng.IntN(256))
		}
		return m
	}
	q, tr := mk(), mk()
	defer q.Close()
	defer tr.Close()
	b.Run("ours", func(b *testing.B) {
		for b.Loop() {
			matchHamming(q, tr)
		}
	})
	b.Run("opencv", func(b *testing.B) {
		for b.Loop() {
			bfKnn2(q, tr)
		}
	})
}
