//go:build unix

package ui

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"gradevault/engine/synth"
	"gradevault/engine/synth/synthtest"
)

// envWindowChild makes the test binary act as the window's analysis (see
// windowChild) instead of running tests: the benchmark re-executes itself
// with it so that the window's peak RSS is measured in a process of its own,
// like the CLI's.
const envWindowChild = "GRADEVAULT_WINDOW_BENCH_CHILD"

// childReport is what a window child prints as its last line.
type childReport struct {
	AnalyseSeconds float64 // enqueue → review shown
	IdleRSSMB      float64 // before the analysis, after GC
	PeakRSSMB      float64 // whole process
	ReviewRSSMB    float64 // review open, images loaded
	ClosedRSSMB    float64 // after closing the scan (back on the start screen)
	IdleHeapMB     float64 // live heap before the analysis, after GC
	ClosedHeapMB   float64 // live heap after closing, after GC
	IdleAnonMB     float64 // anonymous RSS (heaps, not library pages) before the analysis
	ClosedAnonMB   float64 // anonymous RSS after closing the scan
}

// windowChild runs one analysis of video through the controller with the
// Fyne test driver (the same engine path as the window), opens review,
// closes the scan and prints a childReport as JSON. heapProfile, if set,
// receives a heap profile taken in review.
func windowChild(video, heapProfile string) error {
	a := test.NewApp()
	defer a.Quit()
	w := a.NewWindow("bench")
	w.Resize(fyne.NewSize(1220, 700))
	lib, err := os.MkdirTemp("", "gv-window-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(lib)
	c := newController(a, w, Options{Version: "bench"}, Engine{}, Env{LibraryRoot: lib, SettingsPath: filepath.Join(lib, "settings.json")})
	defer c.shutdown()
	var rep childReport
	runtime.GC()
	debug.FreeOSMemory()
	rep.IdleRSSMB = rssMB()
	rep.IdleAnonMB = procStatusMB("RssAnon:")
	var ms0 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	rep.IdleHeapMB = float64(ms0.HeapAlloc) / (1 << 20)
	start := time.Now()
	c.enqueue(video)
	c.wait()
	if c.screen != screenReview {
		return fmt.Errorf("screen %q after the analysis: %s", c.screen, c.start.message.Text)
	}
	rep.AnalyseSeconds = time.Since(start).Seconds()
	rep.ReviewRSSMB = rssMB()
	if heapProfile != "" {
		f, err := os.Create(heapProfile)
		if err != nil {
			return err
		}
		runtime.GC()
		pprof.WriteHeapProfile(f)
		f.Close()
	}
	c.showStart("")
	c.wait()
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	rep.ClosedHeapMB = float64(ms.HeapAlloc) / (1 << 20)
	if heapProfile != "" {
		f, err := os.Create(heapProfile + ".closed")
		if err != nil {
			return err
		}
		pprof.WriteHeapProfile(f)
		f.Close()
	}
	rep.ClosedRSSMB = rssMB()
	rep.ClosedAnonMB = procStatusMB("RssAnon:")
	rep.PeakRSSMB = procStatusMB("VmHWM:")
	if f := os.Getenv("GRADEVAULT_SMAPS"); f != "" { // where the memory is, for profiling
		if b, err := os.ReadFile("/proc/self/smaps"); err == nil {
			os.WriteFile(f, b, 0o644)
		}
	}
	b, _ := json.Marshal(rep)
	fmt.Println(string(b))
	return nil
}

// rssMB is the resident set size of this process (Linux), 0 if unknown.
func rssMB() float64 { return procStatusMB("VmRSS:") }

// procStatusMB reads a kB field of /proc/self/status (VmRSS, VmHWM: the
// peak RSS of this process image, which unlike getrusage's ru_maxrss is not
// inherited from the parent across fork and exec).
func procStatusMB(field string) float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == field {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

// scene1080p is a generated 1080p comic video of at least 300 frames.
func scene1080p() synth.Scene {
	s := synth.DefaultScene(synth.Comic, 1920, 1080)
	base := s.Phases
	for s.NumFrames() < 300 {
		s.Phases = append(s.Phases, base...)
	}
	return s
}

// BenchmarkWindowVsCLI analyses the same generated 1080p video with the
// real CLI binary and with the window's controller (each in a process of
// its own) and reports the time ratio and both peak RSS figures, plus the
// window's RSS back on the start screen compared with its idle RSS.
// GRADEVAULT_HEAP_PROFILE=file writes the window's heap profile in review
// (and file.closed after closing the scan).
func BenchmarkWindowVsCLI(b *testing.B) {
	timeBin, err := exec.LookPath("/usr/bin/time")
	if err != nil {
		b.Fatal("GNU time is needed to measure the CLI's peak RSS (apt-get install time)")
	}
	dir := b.TempDir()
	bin := filepath.Join(dir, "gradevault")
	if out, err := exec.Command("go", "build", "-o", bin, "gradevault").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	// GRADEVAULT_BENCH_VIDEO names an existing video to use instead of
	// generating one (generation takes minutes on a busy machine).
	video := os.Getenv("GRADEVAULT_BENCH_VIDEO")
	if video == "" {
		video, _ = synthtest.Video(b, scene1080p())
	}
	var cliT, winT time.Duration
	var cliPeak, winPeak int64
	var last childReport
	for i := 0; i < b.N; i++ {
		// GNU time reports the peak RSS of its own child: the rusage of a
		// child of this (large) test process would include this process's
		// high-water mark, inherited through fork.
		peakFile := filepath.Join(dir, "cli-peak")
		cmd := exec.Command(timeBin, "-f", "%M", "-o", peakFile, bin, "analyze", video, "--out", filepath.Join(dir, "scan"), "--force", "--quiet", "--no-cache")
		t0 := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("analyze: %v\n%s", err, out)
		}
		cliT += time.Since(t0)
		kb, err := os.ReadFile(peakFile)
		if err != nil {
			b.Fatal(err)
		}
		k, _ := strconv.ParseInt(strings.TrimSpace(string(kb)), 10, 64)
		cliPeak = max(cliPeak, k)

		child := exec.Command(os.Args[0], "-test.run=^$")
		child.Env = append(os.Environ(), envWindowChild+"="+video)
		t0 = time.Now()
		out, err := child.Output()
		if err != nil {
			b.Fatalf("window child: %v\n%s", err, out)
		}
		winT += time.Since(t0)
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil {
			b.Fatalf("window child report %q: %v", out, err)
		}
		winPeak = max(winPeak, int64(last.PeakRSSMB*1024))
	}
	b.ReportMetric(winT.Seconds()/cliT.Seconds(), "window/CLI-time")
	b.ReportMetric(cliT.Seconds()/float64(b.N), "CLI-s")
	b.ReportMetric(winT.Seconds()/float64(b.N), "window-s")
	b.ReportMetric(float64(cliPeak)/1024, "CLI-MB-peak-RSS")
	b.ReportMetric(float64(winPeak)/1024, "window-MB-peak-RSS")
	b.ReportMetric(last.ReviewRSSMB, "window-MB-RSS-review")
	b.ReportMetric(last.ClosedRSSMB-last.IdleRSSMB, "window-MB-RSS-closed-over-idle")
	b.ReportMetric(last.ClosedHeapMB, "window-MB-heap-closed")
	b.ReportMetric(last.ClosedAnonMB-last.IdleAnonMB, "window-MB-anon-RSS-closed-over-idle")
}
