//go:build matprofile

package centering

import (
	"testing"

	"gocv.io/x/gocv"
)

// Run with: go test -tags matprofile ./engine/centering/
func TestNoMatLeaks(t *testing.T) {
	s := cardSpec{lr: 60, tb: 45, tilt: 10, rot: 3, border: borders[0], frameW: 640, frameH: 480, cardFrac: 0.8}
	frame, _ := renderScene(t, s, 1)
	defer frame.Close()
	before := gocv.MatProfile.Count()
	measureScene(t, frame)
	empty := gocv.NewMat()
	Measure(empty, 0, 0)
	MeasureFrame(empty, [4][2]float64{}, 10, 10, 0)
	empty.Close()
	if after := gocv.MatProfile.Count(); after != before {
		t.Fatalf("%d Mats leaked", after-before)
	}
}
