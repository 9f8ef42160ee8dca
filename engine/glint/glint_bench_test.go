package glint

import (
	"context"
	"testing"

	"gradevault/engine/synth"
)

// BenchmarkAnalyze1080p analyses five 1920×1080 synthetic frames of a
// creased comic, writing every output image.
func BenchmarkAnalyze1080p(b *testing.B) {
	s := synth.DefaultScene(synth.Comic, 1920, 1080)
	s.Crease = true
	var frames []Frame
	for _, fi := range goldenFrames {
		m := synth.Render(s, fi)
		defer m.Close()
		frames = append(frames, Frame{Index: fi, Image: m})
	}
	for _, tc := range []struct {
		name  string
		write bool
	}{{"write", true}, {"compute", false}} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				opts := Options{ItemType: "comic"}
				if tc.write {
					opts.OutDir = b.TempDir()
				}
				if _, err := Analyze(context.Background(), frames, opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
