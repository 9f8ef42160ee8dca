package analysis

import (
	"context"
	"testing"

	"gradevault/engine/synth"
	"gradevault/engine/synth/synthtest"
)

// benchVideo generates a 150-frame video of the given size once per
// benchmark run (not timed).
func benchVideo(b *testing.B, w, h int) string {
	b.Helper()
	s := synth.DefaultScene(synth.Comic, w, h)
	// About 5 s at 30 fps: the default script, once and two thirds.
	s.Phases = append(s.Phases, s.Phases[:len(s.Phases)*2/3]...)
	path, _ := synthtest.Video(b, s)
	return path
}

func benchmarkRun(b *testing.B, w, h int, mode Mode) {
	path := benchVideo(b, w, h)
	b.ResetTimer()
	frames := 0
	for i := 0; i < b.N; i++ {
		res, err := Run(context.Background(), path, Options{Mode: mode})
		if err != nil {
			b.Fatal(err)
		}
		frames = len(res.Frames)
	}
	b.StopTimer()
	perRun := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(float64(frames)/perRun, "frames/s")
	b.ReportMetric(perRun*300/float64(frames), "s/300frames")
}

func BenchmarkRun1080pFast(b *testing.B)    { benchmarkRun(b, 1920, 1080, Fast) }
func BenchmarkRun1080pPrecise(b *testing.B) { benchmarkRun(b, 1920, 1080, Precise) }
func BenchmarkRun4KFast(b *testing.B)       { benchmarkRun(b, 3840, 2160, Fast) }
func BenchmarkRun720pFast(b *testing.B)     { benchmarkRun(b, 1280, 720, Fast) }
