//go:build unix

package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"gradevault/engine/scan"
	"gradevault/engine/synth"
	"gradevault/engine/synth/synthtest"
	"gradevault/engine/video"
)

// benchScene is a 300-frame (10 s at 30 fps) grading video at w×h.
func benchScene(w, h int) synth.Scene {
	s := synth.DefaultScene(synth.Comic, w, h)
	s.ItemScale = 0.75
	base := s.Phases
	s.Phases = nil
	for n := 0; n < 300; {
		for _, p := range base {
			p.Frames = min(p.Frames, 300-n)
			if p.Frames == 0 {
				break
			}
			s.Phases = append(s.Phases, p)
			n += p.Frames
		}
	}
	return s
}

// decodeOnly reads every frame of path in order, as a plain OpenCV read
// loop does, and returns the time it took.
func decodeOnly(tb testing.TB, path string) time.Duration {
	start := time.Now()
	r, err := video.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer r.Close()
	m := gocv.NewMat()
	defer m.Close()
	for {
		if _, _, err := r.Read(&m); err != nil {
			break
		}
	}
	return time.Since(start)
}

// BenchmarkCLIAnalyze runs the real binary on generated 300-frame videos,
// as a user would (metrics cache off), and compares its wall time with a
// plain sequential decode of the same file measured in the same run. It
// reports the ratios, the phases' seconds from result.json, and the
// binary's peak memory (the decoder and Mats are C memory, which -benchmem
// does not see).
func BenchmarkCLIAnalyze(b *testing.B) {
	dir := b.TempDir()
	bin := buildBinary(b, dir)
	for _, size := range [][2]int{{1920, 1080}, {3840, 2160}} {
		s := benchScene(size[0], size[1])
		path, _ := synthtest.Video(b, s)
		for _, glint := range []bool{false, true} {
			name := fmt.Sprintf("%dp", size[1])
			if !glint {
				name += "-no-glint"
			}
			b.Run(name, func(b *testing.B) {
				var peak int64
				var decode, total time.Duration
				var res scan.Result
				for i := 0; i < b.N; i++ {
					decode += decodeOnly(b, path)
					out := filepath.Join(dir, "scan")
					args := []string{"analyze", path, "--out", out, "--force", "--quiet", "--no-cache"}
					if !glint {
						args = append(args, "--no-glint")
					}
					cmd := exec.Command(bin, args...)
					start := time.Now()
					if out, err := cmd.CombinedOutput(); err != nil {
						b.Fatalf("analyze: %v\n%s", err, out)
					}
					total += time.Since(start)
					if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
						peak = max(peak, int64(ru.Maxrss))
					}
					data, err := os.ReadFile(filepath.Join(out, "result.json"))
					if err != nil || json.Unmarshal(data, &res) != nil {
						b.Fatalf("result.json: %v", err)
					}
				}
				n := float64(b.N)
				b.ReportMetric(float64(s.NumFrames())*n/total.Seconds(), "frames/s")
				b.ReportMetric(decode.Seconds()/n, "s-decode-only")
				b.ReportMetric(total.Seconds()/decode.Seconds(), "x-decode")
				b.ReportMetric(res.Timings.AnalysisSeconds, "s-analysis")
				b.ReportMetric(res.Timings.ExtractSeconds, "s-write")
				b.ReportMetric(res.Timings.GlintSeconds, "s-glint")
				b.ReportMetric(float64(peak)/1024, "MB-peak-RSS") // Linux: KB
			})
		}
	}
}

func TestMain(m *testing.M) { synthtest.Main(m) }
