package analysis

import (
	"image"
	"math"
	"math/rand/v2"
	"testing"

	"gocv.io/x/gocv"
)

// laplacianVariance64 is the original's formula: the variance of a 64-bit
// float Laplacian.
func laplacianVariance64(t *testing.T, grey gocv.Mat) float64 {
	t.Helper()
	lap := gocv.NewMat()
	defer lap.Close()
	gocv.Laplacian(grey, &lap, gocv.MatTypeCV64F, 1, 1, 0, gocv.BorderDefault)
	mean, std := gocv.NewMat(), gocv.NewMat()
	defer mean.Close()
	defer std.Close()
	gocv.MeanStdDev(lap, &mean, &std)
	s := std.GetDoubleAt(0, 0)
	return s * s
}

// TestLaplacianVarianceOnePass: the one-pass integer sum equals the
// original's 64-bit Laplacian variance on every size (edges and corners
// reflected as OpenCV does, including images one pixel wide or high) and on
// extreme content (a 0/255 checkerboard, the largest Laplacian there is).
func TestLaplacianVarianceOnePass(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	sizes := [][2]int{{1, 1}, {1, 7}, {7, 1}, {2, 2}, {2, 3}, {3, 2}, {3, 3}, {5, 17}, {17, 33}, {240, 320}, {31, 4099}}
	scratch := gocv.NewMat()
	defer scratch.Close()
	for _, sz := range sizes {
		for _, content := range []string{"random", "checker", "flat"} {
			m := gocv.NewMatWithSize(sz[0], sz[1], gocv.MatTypeCV8UC1)
			for y := 0; y < sz[0]; y++ {
				for x := 0; x < sz[1]; x++ {
					v := uint8(r.IntN(256))
					switch content {
					case "checker":
						v = uint8(255 * ((x + y) % 2))
					case "flat":
						v = 77
					}
					m.SetUCharAt(y, x, v)
				}
			}
			if _, _, ok := laplacianSums(m); !ok {
				t.Fatalf("%v %s: one-pass sum refused a continuous 8-bit image", sz, content)
			}
			got, err := laplacianVariance(m, &scratch)
			if err != nil {
				t.Fatal(err)
			}
			want := laplacianVariance64(t, m)
			if math.Abs(got-want) > 1e-9*max(1, math.Abs(want)) {
				t.Errorf("%dx%d %s: one-pass variance %.12g, original %.12g", sz[1], sz[0], content, got, want)
			}
			m.Close()
		}
	}
}

// BenchmarkLaplacianVariance1080p compares the one-pass sum with OpenCV's
// Laplacian + MeanStdDev on a 1080p frame.
func BenchmarkLaplacianVariance1080p(b *testing.B) {
	m := gocv.NewMatWithSize(1080, 1920, gocv.MatTypeCV8UC1)
	defer m.Close()
	gocv.RandU(&m, gocv.NewScalar(0, 0, 0, 0), gocv.NewScalar(255, 0, 0, 0))
	scratch := gocv.NewMat()
	defer scratch.Close()
	b.Run("one-pass", func(b *testing.B) {
		for b.Loop() {
			laplacianVariance(m, &scratch)
		}
	})
	b.Run("opencv", func(b *testing.B) {
		for b.Loop() {
			laplacianVarianceCV(m, &scratch)
		}
	})
}

// TestGreySharpReduceIsOpenCVs: the one-pass grey conversion, Laplacian
// sums and first pyramid level equal cv::cvtColor, the Laplacian sums of
// its grey image and cv::pyrDown bit for bit, with the SIMD colour
// conversion and without, on sizes down to one pixel (odd and even, rows
// the SIMD loop does not fill) and on every test pattern (noise, saturated
// colours, flat, ramps).
func TestGreySharpReduceIsOpenCVs(t *testing.T) {
	defer func(v bool) { useSIMD = v }(useSIMD)
	rng := rand.New(rand.NewPCG(7, 8))
	sizes := [][2]int{{1, 1}, {1, 17}, {17, 1}, {2, 2}, {3, 5}, {5, 3}, {4, 16}, {5, 33}, {9, 31}, {16, 16}, {27, 41}, {67, 120}, {135, 241}}
	grey, half, want := gocv.NewMat(), gocv.NewMat(), gocv.NewMat()
	defer grey.Close()
	defer half.Close()
	defer want.Close()
	var sc reduceScratch
	for _, simd := range []bool{true, false} {
		useSIMD = simd
		for _, sz := range sizes {
			for kind := range patterns {
				bgr := gocv.NewMatWithSize(sz[0], sz[1], gocv.MatTypeCV8UC3)
				p, _ := bgr.DataPtrUint8()
				fillPattern(p, kind, 3*sz[1], rng) // a row: its pixels' three channels
				sum, sumsq, ok := greySharpReduce(bgr, &half, &sc)
				if !ok {
					t.Fatalf("%v: refused a continuous BGR frame", sz)
				}
				gocv.CvtColor(bgr, &grey, gocv.ColorBGRToGray)
				ws, wq, _ := laplacianSums(grey)
				if sum != ws || sumsq != wq {
					t.Fatalf("simd %v %dx%d kind %d: Laplacian sums %d, %d; of OpenCV's grey %d, %d", simd, sz[1], sz[0], kind, sum, sumsq, ws, wq)
				}
				if sz[0] > 1 && sz[1] > 1 { // OpenCV's pyrDown refuses a single row or column
					gocv.PyrDown(grey, &want, image.Point{}, gocv.BorderDefault)
					got, _ := half.DataPtrUint8()
					wp, _ := want.DataPtrUint8()
					if half.Rows() != want.Rows() || half.Cols() != want.Cols() {
						t.Fatalf("%dx%d: half is %dx%d, OpenCV's %dx%d", sz[1], sz[0], half.Cols(), half.Rows(), want.Cols(), want.Rows())
					}
					for i := range wp {
						if got[i] != wp[i] {
							t.Fatalf("simd %v %dx%d kind %d: level pixel %d is %d, OpenCV's %d", simd, sz[1], sz[0], kind, i, got[i], wp[i])
						}
					}
				}
				bgr.Close()
			}
		}
	}
}
