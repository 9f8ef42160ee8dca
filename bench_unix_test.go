//go:build unix

package main

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"gradevault/engine/synth"
	"gradevault/engine/synth/synthtest"
)

// BenchmarkCLIAnalyze runs the real binary on generated videos, as a user
// would, and reports its wall time and its peak memory (the decoders and
// Mats are C memory, which -benchmem does not see).
func BenchmarkCLIAnalyze(b *testing.B) {
	dir := b.TempDir()
	bin := buildBinary(b, dir)
	for _, size := range [][2]int{{1920, 1080}, {3840, 2160}} {
		s := synth.DefaultScene(synth.Comic, size[0], size[1])
		s.Phases = append(s.Phases, s.Phases[:len(s.Phases)*2/3]...)
		video, _ := synthtest.Video(b, s)
		b.Run(fmt.Sprintf("%dp", size[1]), func(b *testing.B) {
			var peak int64
			for i := 0; i < b.N; i++ {
				cmd := exec.Command(bin, "analyze", video, "--out", filepath.Join(dir, "scan"), "--force", "--quiet")
				if out, err := cmd.CombinedOutput(); err != nil {
					b.Fatalf("analyze: %v\n%s", err, out)
				}
				if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
					peak = max(peak, int64(ru.Maxrss))
				}
			}
			b.ReportMetric(float64(s.NumFrames())*float64(b.N)/b.Elapsed().Seconds(), "frames/s")
			b.ReportMetric(float64(peak)/1024, "MB-peak-RSS") // Linux: KB
		})
	}
}

func TestMain(m *testing.M) { synthtest.Main(m) }
