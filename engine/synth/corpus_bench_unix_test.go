//go:build unix

package synth

import (
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// BenchmarkCorpusWrite writes the whole test-size corpus (every entry,
// ffmpeg included) per iteration; run it once with -benchtime 1x. It reports
// the process's and ffmpeg's CPU seconds per corpus (the target: well under
// 40 s on one core).
func BenchmarkCorpusWrite(b *testing.B) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		b.Skip("ffmpeg not installed")
	}
	dir := b.TempDir()
	frames := 0
	cpu0 := cpuSeconds()
	for b.Loop() {
		for _, e := range Corpus() {
			tr, err := Write(filepath.Join(dir, e.File), e.Scene)
			if err != nil {
				b.Fatal(err)
			}
			frames += len(tr.Frames)
		}
	}
	b.ReportMetric((cpuSeconds()-cpu0)/float64(b.N), "cpu-s/corpus")
	b.ReportMetric(float64(frames)/float64(b.N), "frames/corpus")
}

// cpuSeconds returns the user+system CPU time of this process and its
// waited-for children.
func cpuSeconds() float64 {
	var self, kids syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	syscall.Getrusage(syscall.RUSAGE_CHILDREN, &kids)
	sec := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return sec(self.Utime) + sec(self.Stime) + sec(kids.Utime) + sec(kids.Stime)
}
