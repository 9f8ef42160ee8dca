package synth

import (
	"math"
	"testing"
)

// TestCorpusScenes checks every corpus scene at test size and at 1080p:
// valid, 60–130 frames, the item inside the frame on every frame, the
// still poses it promises.
func TestCorpusScenes(t *testing.T) {
	for _, size := range [][2]int{{320, 240}, {1920, 1080}} {
		names := map[string]bool{}
		for _, e := range CorpusAt(size[0], size[1]) {
			s := e.Scene
			if err := s.Validate(); err != nil {
				t.Errorf("%s: %v", e.Name, err)
				continue
			}
			if names[e.Name] {
				t.Errorf("duplicate name %s", e.Name)
			}
			names[e.Name] = true
			n := s.NumFrames()
			if n < 60 || n > 130 {
				t.Errorf("%s: %d frames, want 60–130", e.Name, n)
			}
			tr := TruthOf(s)
			minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
			for _, f := range tr.Frames {
				for _, c := range f.Corners {
					minX, maxX = math.Min(minX, c[0]), math.Max(maxX, c[0])
					minY, maxY = math.Min(minY, c[1]), math.Max(maxY, c[1])
				}
			}
			margin := 0.01 * float64(s.Height)
			if minX < margin || minY < margin || maxX > float64(s.Width)-1-margin || maxY > float64(s.Height)-1-margin {
				t.Errorf("%s at %dx%d: item reaches x %.1f..%.1f y %.1f..%.1f of %dx%d", e.Name, s.Width, s.Height, minX, maxX, minY, maxY, s.Width, s.Height)
			}
			if size[0] == 320 {
				t.Logf("%-17s %3dx%-3d %3d frames, %d holds, %d sweeps, %d focus, item y %.0f..%.0f",
					e.Name, s.Width, s.Height, n, len(tr.Holds), len(tr.Sweeps), len(tr.Focus), minY, maxY)
			}
		}
	}
}
