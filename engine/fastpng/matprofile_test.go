//go:build matprofile

package fastpng

import (
	"image"
	"io"
	"testing"

	"gocv.io/x/gocv"
)

// Run with: go test -tags matprofile ./engine/fastpng/
// Every path that makes a Mat (a region's clone, OpenCV's encoder for
// other types) closes it.
func TestNoMatLeaks(t *testing.T) {
	m := noisyImage(t, 120, 80, gocv.MatTypeCV8UC3, 1)
	defer m.Close()
	deep := gocv.NewMatWithSize(8, 8, gocv.MatTypeCV16UC1)
	defer deep.Close()
	empty := gocv.NewMat()
	defer empty.Close()
	reg := m.Region(image.Rect(10, 10, 90, 70))
	defer reg.Close()
	before := gocv.MatProfile.Count()
	for _, x := range []gocv.Mat{m, reg, deep, empty} {
		Encode(io.Discard, x) // the empty one fails; it must not leak either
	}
	if after := gocv.MatProfile.Count(); after != before {
		t.Fatalf("%d Mats leaked", after-before)
	}
}
