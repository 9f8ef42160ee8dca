package glint

import (
	"context"
	"syscall"
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

// BenchmarkDefectAnalysis12x1080p is the defect analysis of 12 analysis
// frames of a creased, dented comic filling 75 % of a 1920×1080 frame
// (outline, rectification, alignment, defect map, defects; no images
// written). Target: ≤ 2 s on a 2-core machine.
func BenchmarkDefectAnalysis12x1080p(b *testing.B) {
	s := synth.DefaultScene(synth.Comic, 1920, 1080)
	s.ItemScale = 0.75
	s.Crease, s.Dent = true, true
	var frames []Frame
	for _, fi := range []int{3, 6, 9, 21, 24, 27, 39, 42, 45, 61, 64, 79} {
		m := synth.Render(s, fi)
		defer m.Close()
		frames = append(frames, Frame{Index: fi, Image: m, Role: RoleAnalysis})
	}
	// CPU seconds per analysis, beside the wall time: the machine is
	// shared, so the wall time depends on the load.
	var ru0, ru1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	n := 0
	for b.Loop() {
		n++
		rep, err := Analyze(context.Background(), frames, Options{ItemType: "comic"})
		if err != nil {
			b.Fatal(err)
		}
		if len(rep.AnalysisFrames) != 12 {
			b.Fatalf("analysis frames %v", rep.AnalysisFrames)
		}
	}
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := func(r syscall.Rusage) float64 {
		return float64(r.Utime.Sec+r.Stime.Sec) + float64(r.Utime.Usec+r.Stime.Usec)/1e6
	}
	b.ReportMetric((cpu(ru1)-cpu(ru0))/float64(n), "cpu-s/op")
}
