package analysis

import (
	"image"
	"math"
	"math/rand/v2"
	"testing"

	"gocv.io/x/gocv"
)

// openCVTextureWeight is textureWeight the way fast mode computed it
// before, with six OpenCV calls.
func openCVTextureWeight(img gocv.Mat) gocv.Mat {
	gx, gy, gxx, gyy, sum, out := gocv.NewMat(), gocv.NewMat(), gocv.NewMat(), gocv.NewMat(), gocv.NewMat(), gocv.NewMat()
	defer func() {
		for _, m := range []gocv.Mat{gx, gy, gxx, gyy, sum} {
			m.Close()
		}
	}()
	gocv.Sobel(img, &gx, gocv.MatTypeCV32F, 1, 0, 3, 1, 0, gocv.BorderReflect101)
	gocv.Sobel(img, &gy, gocv.MatTypeCV32F, 0, 1, 3, 1, 0, gocv.BorderReflect101)
	gocv.Multiply(gx, gx, &gxx)
	gocv.Multiply(gy, gy, &gyy)
	gocv.Add(gxx, gyy, &sum)
	gocv.BoxFilter(sum, &out, -1, image.Pt(7, 7))
	return out
}

// Test image patterns (the kind argument of fillPattern).
const (
	patternNoise  = iota // uniform noise
	patternBinary        // 0 or 255 at random: the largest gradients and Laplacians
	patternFlat          // one value
	patternRamp          // a ramp along each row of rowLen values, with a little noise
	patterns
)

// fillPattern fills p, rows of rowLen values, with a test pattern.
func fillPattern(p []uint8, kind, rowLen int, rng *rand.Rand) {
	for i := range p {
		switch kind {
		case patternNoise:
			p[i] = uint8(rng.IntN(256))
		case patternBinary:
			p[i] = uint8(255 * rng.IntN(2))
		case patternFlat:
			p[i] = 77
		default:
			p[i] = uint8(min(255, i%rowLen*3+rng.IntN(4)))
		}
	}
}

// TestTextureWeightIsOpenCVs: the one-pass texture weight equals the
// OpenCV calls bit for bit, on images down to one pixel (the borders
// reflect several times), of noise, of the extreme gradients and flat.
func TestTextureWeightIsOpenCVs(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var energy []int32
	weight := gocv.NewMat()
	defer weight.Close()
	sizes := [][2]int{{1, 1}, {1, 9}, {9, 1}, {2, 2}, {3, 7}, {7, 3}, {4, 4}, {8, 8}, {13, 17}, {67, 120}, {270, 480}}
	for _, sz := range sizes {
		for kind := range patterns {
			img := gocv.NewMatWithSize(sz[0], sz[1], gocv.MatTypeCV8U)
			p, _ := img.DataPtrUint8()
			fillPattern(p, kind, sz[1], rng)
			if err := textureWeight(img, &weight, &energy); err != nil {
				t.Fatal(err)
			}
			want := openCVTextureWeight(img)
			got, _ := weight.DataPtrFloat32()
			wp, _ := want.DataPtrFloat32()
			if len(got) != len(wp) {
				t.Fatalf("%dx%d: %d values, OpenCV %d", sz[0], sz[1], len(got), len(wp))
			}
			for i := range wp {
				if math.Float32bits(got[i]) != math.Float32bits(wp[i]) {
					t.Fatalf("%dx%d kind %d: pixel %d (%d, %d) is %v, OpenCV %v", sz[0], sz[1], kind, i, i/sz[1], i%sz[1], got[i], wp[i])
				}
			}
			want.Close()
			img.Close()
		}
	}
}

// BenchmarkTextureWeight: a 1080p frame's fast-mode level (480×270).
func BenchmarkTextureWeight(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	img := gocv.NewMatWithSize(270, 480, gocv.MatTypeCV8U)
	defer img.Close()
	p, _ := img.DataPtrUint8()
	for i := range p {
		p[i] = uint8(rng.IntN(256))
	}
	b.Run("one-pass", func(b *testing.B) {
		var energy []int32
		w := gocv.NewMat()
		defer w.Close()
		for b.Loop() {
			textureWeight(img, &w, &energy)
		}
	})
	b.Run("opencv", func(b *testing.B) {
		for b.Loop() {
			w := openCVTextureWeight(img)
			w.Close()
		}
	})
}
