package report

import (
	"os"
	"syscall"
	"testing"
	"time"

	"gradevault/engine/synth"
)

// BenchmarkReport1080p builds the report of a 1080p card scan (five 1080p
// golden frames, 1000 px rectified images): decoding, downscaling and
// JPEG-encoding the images and laying out the PDF. Target ≤ 1 s.
func BenchmarkReport1080p(b *testing.B) {
	dir := os.Getenv("GV_BENCH_SCAN") // an existing 1080p scan folder, to skip generating one
	if dir == "" {
		dir = scanOf(b, synth.Card, 1920, 1080, "bench-1080p")
	}
	var before, after syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &before)
	b.ResetTimer()
	var size int
	for b.Loop() {
		data, err := Build(dir, Options{Version: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		size = len(data)
	}
	syscall.Getrusage(syscall.RUSAGE_SELF, &after)
	cpu := time.Duration(after.Utime.Nano()+after.Stime.Nano()-before.Utime.Nano()-before.Stime.Nano()) / time.Duration(b.N)
	b.ReportMetric(float64(size)/1e6, "MB")
	b.ReportMetric(cpu.Seconds(), "cpu-s/op")
	if os.Getenv("GV_KEEP_REPORT") != "" {
		Write(dir, Options{Out: os.Getenv("GV_KEEP_REPORT")})
	}
}
