//go:build matprofile

package synth

import (
	"path/filepath"
	"testing"

	"gocv.io/x/gocv"
)

// TestNoMatLeak renders frames of every phase kind, the flat item and a
// rotated file, and checks that every Mat the package created was closed.
// Run with: go test -tags matprofile ./engine/synth/
func TestNoMatLeak(t *testing.T) {
	start := gocv.MatProfile.Count()
	probe := gocv.NewMat()
	if gocv.MatProfile.Count() != start+1 {
		t.Fatal("MatProfile does not count Mats; run with -tags matprofile")
	}
	probe.Close()
	s := DefaultScene(Card, 160, 120)
	s.Crease, s.Dent = true, true
	for _, i := range []int{0, 13, 50, 87} { // hold, sweep, focus, hold
		m := Render(s, i)
		m.Close()
	}
	f := RenderFlatItem(s, 100, 140)
	f.Close()
	if got := gocv.MatProfile.Count(); got != start {
		t.Fatalf("render: %d Mats open, want %d", got, start)
	}
	needFFmpeg(t)
	s.Phases = []Phase{{Kind: Hold, Frames: 3}, {Kind: Sweep, Frames: 2, DX: 3}, {Kind: Focus, Frames: 2, MaxBlur: 2}}
	s.Rotation = 90
	if _, err := Write(filepath.Join(t.TempDir(), "m.mp4"), s); err != nil {
		t.Fatal(err)
	}
	if got := gocv.MatProfile.Count(); got != start {
		t.Fatalf("write: %d Mats open, want %d", got, start)
	}
}
