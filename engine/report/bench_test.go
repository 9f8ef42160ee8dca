package report

import (
	"os"
	"testing"

	"gradevault/engine/synth"
)

// BenchmarkReport1080p builds the report of a 1080p card scan (five 1080p
// golden frames, 1000 px rectified images): decoding, downscaling and
// JPEG-encoding the images and laying out the PDF. Target ≤ 1 s.
func BenchmarkReport1080p(b *testing.B) {
	dir := scanOf(b, synth.Card, 1920, 1080, "bench-1080p")
	b.ResetTimer()
	var size int
	for b.Loop() {
		data, err := Build(dir, Options{Version: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		size = len(data)
	}
	b.ReportMetric(float64(size)/1e6, "MB")
	if os.Getenv("GV_KEEP_REPORT") != "" {
		Write(dir, Options{Out: os.Getenv("GV_KEEP_REPORT")})
	}
}
