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
	// The phone features: dark mat, grain, flicker, frame code, card border,
	// busy cover, duplicated frames.
	for _, name := range []string{"card-dark-mat", "flicker-drift", "card-centering", "busy-damaged", "vfr-phone"} {
		e, _ := CorpusEntryNamed(name, 160, 120)
		tr := TruthOf(e.Scene)
		for _, f := range tr.Frames {
			if f.Index == 0 || f.Dup || f.Index == tr.Holds[1][0]+2 {
				m := Render(e.Scene, f.Index)
				if f.Index > 0 {
					if n, ok := ReadFrameCode(e.Scene, m); e.Scene.FrameCode && (!ok || n != f.Source) {
						t.Errorf("%s frame %d: code %d %v", name, f.Index, n, ok)
					}
				}
				m.Close()
			}
		}
	}
	if got := gocv.MatProfile.Count(); got != start {
		t.Fatalf("render: %d Mats open, want %d", got, start)
	}
	needFFmpeg(t)
	ph := DefaultScene(Comic, 160, 120)
	ph.Phases = []Phase{{Kind: Hold, Frames: 10}, {Kind: Sweep, Frames: 6, DX: 3}, {Kind: Hold, Frames: 10}}
	ph.VFRPattern, ph.Codec, ph.FrameCode, ph.ShotNoise, ph.Grain = VFRPhone, CodecHEVC, true, 0.5, 1
	if _, err := Write(filepath.Join(t.TempDir(), "p.mp4"), ph); err != nil {
		t.Fatal(err)
	}
	if got := gocv.MatProfile.Count(); got != start {
		t.Fatalf("write (phone): %d Mats open, want %d", got, start)
	}
	s.Phases = []Phase{{Kind: Hold, Frames: 3}, {Kind: Sweep, Frames: 2, DX: 3}, {Kind: Focus, Frames: 2, MaxBlur: 2}}
	s.Rotation = 90
	if _, err := Write(filepath.Join(t.TempDir(), "m.mp4"), s); err != nil {
		t.Fatal(err)
	}
	if got := gocv.MatProfile.Count(); got != start {
		t.Fatalf("write: %d Mats open, want %d", got, start)
	}
}
