package analysis

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"gradevault/engine/event"
	"gradevault/engine/synth"
	"gradevault/engine/synth/synthtest"
	"gradevault/engine/video"
)

func TestEventsReportEveryFrameAndChunk(t *testing.T) {
	v := genVideo(t, "comic")
	var (
		mu     sync.Mutex
		seen   = map[int]bool{}
		phases []event.Phase
		plan   event.Planned
		last   = map[int]event.ChunkProgress{}
		picked event.Picked
	)
	res, err := Run(context.Background(), v.path, Options{Workers: 2, Sink: func(e event.Event) {
		mu.Lock()
		defer mu.Unlock()
		switch e := e.(type) {
		case event.PhaseChanged:
			phases = append(phases, e.Phase)
		case event.Planned:
			plan = e
		case event.FrameAnalysed:
			if seen[e.Frame] {
				t.Errorf("frame %d reported twice", e.Frame)
			}
			seen[e.Frame] = true
		case event.ChunkProgress:
			last[e.Chunk] = e
		case event.Picked:
			picked = e
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != len(res.Frames) {
		t.Fatalf("%d frames reported, %d analysed", len(seen), len(res.Frames))
	}
	if len(plan.Chunks) != len(PlanChunks(len(res.Frames))) || plan.Workers != 2 {
		t.Fatalf("plan %+v", plan)
	}
	stable := 0
	for _, f := range res.Frames {
		if f.Stable {
			stable++
		}
	}
	gotStable := 0
	for _, c := range plan.Chunks {
		p := last[c.Index]
		if p.State != event.ChunkDone || p.Done != c.Len() || p.Total != c.Len() {
			t.Fatalf("chunk %d ended as %+v, want done %d/%d", c.Index, p, c.Len(), c.Len())
		}
		gotStable += p.Stable
	}
	if gotStable != stable {
		t.Fatalf("chunks report %d stable frames, result has %d", gotStable, stable)
	}
	want := []event.Phase{event.PhaseProbe, event.PhaseAnalyse, event.PhaseSelect}
	if strings.Join(phaseNames(phases), ",") != strings.Join(phaseNames(want), ",") {
		t.Fatalf("phases %v, want %v", phases, want)
	}
	if len(picked.Frames) != len(res.Picks) {
		t.Fatalf("picked event %v, result picks %v", picked, res.Picks)
	}
}

func phaseNames(ps []event.Phase) []string {
	var s []string
	for _, p := range ps {
		s = append(s, string(p))
	}
	return s
}

func TestCancelStopsPromptlyAndLeavesNoGoroutine(t *testing.T) {
	v := genVideo(t, "card")
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	var once sync.Once
	cancelledAt := make(chan time.Time, 1)
	_, err := Run(ctx, v.path, Options{Mode: Precise, Workers: 2, Sink: func(e event.Event) {
		if _, ok := e.(event.FrameAnalysed); ok {
			once.Do(func() {
				cancelledAt <- time.Now()
				cancel()
			})
		}
	}})
	returned := time.Now()
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run after cancel: %v, want context.Canceled", err)
	}
	if d := returned.Sub(<-cancelledAt); d > time.Second {
		t.Fatalf("Run returned %v after cancel", d)
	}
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Fatalf("%d goroutines after cancel, %d before", n, before)
	}
}

// truncate writes the first n bytes of src to a new file.
func truncate(t *testing.T, src string, n int64) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "truncated"+filepath.Ext(src))
	if err := synth.WriteTruncated(src, path, n); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestTruncatedVideo(t *testing.T) {
	v := genVideo(t, "comic")
	full, err := video.Probe(v.path)
	if err != nil {
		t.Fatal(err)
	}
	// A phone that stops recording abruptly leaves a file whose index is at
	// the front (or a streamable container); cutting such a file keeps it
	// openable. Remux with the index first, then cut.
	fast := filepath.Join(t.TempDir(), "faststart.mp4")
	out, err := exec.Command("ffmpeg", "-loglevel", "error", "-y", "-i", v.path, "-c", "copy", "-movflags", "+faststart", fast).CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg: %v %s", err, out)
	}
	st, _ := os.Stat(fast)
	path := truncate(t, fast, st.Size()*6/10)
	res, err := Run(context.Background(), path, Options{Workers: 3})
	if err != nil {
		t.Fatalf("truncated video: %v", err)
	}
	if len(res.Frames) < 2 || len(res.Frames) >= full.Frames {
		t.Fatalf("%d frames decoded from a truncated copy of a %d-frame video", len(res.Frames), full.Frames)
	}
	if !strings.Contains(strings.Join(res.Warnings, " "), "truncated") {
		t.Fatalf("no truncation warning: %q", res.Warnings)
	}
	t.Logf("truncated to 60%%: %d of %d frames, warnings %q", len(res.Frames), full.Frames, res.Warnings)
}

func TestBadInputs(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.mp4")
	os.WriteFile(empty, nil, 0o644)
	text := filepath.Join(dir, "notes.mp4")
	os.WriteFile(text, []byte("this is not a video\n"), 0o644)
	v := genVideo(t, "comic")
	head := truncate(t, v.path, 2000)
	tests := []struct {
		path string
		want error
	}{
		{filepath.Join(dir, "missing.mp4"), video.ErrNotFound},
		{empty, video.ErrEmpty},
		{text, video.ErrNotVideo},
		{dir, video.ErrNotVideo},
	}
	for _, tt := range tests {
		_, err := Run(context.Background(), tt.path, Options{})
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.path, err, tt.want)
		}
	}
	if _, err := Run(context.Background(), head, Options{}); err == nil {
		t.Errorf("a 2000-byte video head should fail")
	}
	noise := filepath.Join(dir, "noise.mov")
	rnd := make([]byte, 64<<10)
	for i := range rnd {
		rnd[i] = byte(i*7919 + i/13)
	}
	os.WriteFile(noise, rnd, 0o644)
	if _, err := Run(context.Background(), noise, Options{}); !errors.Is(err, video.ErrNotVideo) {
		t.Errorf("random bytes: %v, want %v", err, video.ErrNotVideo)
	}

	// One frame: too few to measure motion. Twenty: analysed, with fewer
	// golden frames than asked for and a warning; a unicode file name.
	short := func(n int) synth.Scene {
		s := synth.DefaultScene(synth.Card, 160, 120)
		s.Phases = []synth.Phase{{Kind: synth.Hold, Frames: n}}
		return s
	}
	one, _ := synthtest.Video(t, short(1))
	if _, err := Run(context.Background(), one, Options{}); !errors.Is(err, ErrTooFewFrames) {
		t.Errorf("1-frame video: %v, want %v", err, ErrTooFewFrames)
	}
	twenty, _ := synthtest.Video(t, short(20))
	uni := filepath.Join(dir, "carte grisée – 卡片 ✓.mp4")
	data, _ := os.ReadFile(twenty)
	os.WriteFile(uni, data, 0o644)
	res, err := Run(context.Background(), uni, Options{})
	if err != nil {
		t.Fatalf("20 frames, unicode name: %v", err)
	}
	if len(res.Frames) != 20 || len(res.Picks) < 1 || len(res.Picks) > 2 || !strings.Contains(strings.Join(res.Warnings, " "), "golden frames found") {
		t.Errorf("20 frames: %d frames, %d picks, warnings %q", len(res.Frames), len(res.Picks), res.Warnings)
	}
}

// TestMetricsCache checks that a second analysis of the same file decodes
// nothing and gives identical results, that other selection settings are
// applied to the cached metrics, and that a changed file misses the cache.
func TestMetricsCache(t *testing.T) {
	src := genVideo(t, "card").path
	dir := t.TempDir()
	path := filepath.Join(dir, "card.mp4")
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(path, data, 0o644)
	cache := DirCache(filepath.Join(dir, "cache"))

	first, err := Run(context.Background(), path, Options{Cache: cache})
	if err != nil {
		t.Fatal(err)
	}
	if first.Cached {
		t.Fatal("first analysis came from the cache")
	}
	opens, reads := video.Counts()
	second, err := Run(context.Background(), path, Options{Cache: cache})
	if err != nil {
		t.Fatal(err)
	}
	o2, r2 := video.Counts()
	if !second.Cached || o2 != opens || r2 != reads {
		t.Fatalf("second analysis: cached %v, %d decoders opened, %d frames decoded; want none", second.Cached, o2-opens, r2-reads)
	}
	if fmt.Sprint(first.Frames) != fmt.Sprint(second.Frames) || fmt.Sprint(first.Picks) != fmt.Sprint(second.Picks) {
		t.Fatal("cached analysis differs from the first")
	}
	// Other settings, still nothing decoded.
	third, err := Run(context.Background(), path, Options{Cache: cache, Count: 3, MinGap: 30, Policy: PolicySeed})
	if err != nil {
		t.Fatal(err)
	}
	if o3, r3 := video.Counts(); o3 != opens || r3 != reads || len(third.Picks) != 3 {
		t.Fatalf("re-selection decoded (%d opens, %d reads) or picked %d", o3-opens, r3-reads, len(third.Picks))
	}
	// A changed file (one byte appended) is measured again.
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.Write([]byte{0})
	f.Close()
	fourth, err := Run(context.Background(), path, Options{Cache: cache})
	if err != nil {
		t.Fatal(err)
	}
	if o4, _ := video.Counts(); fourth.Cached || o4 == opens {
		t.Fatal("a changed file hit the cache")
	}
}

// TestVariableFrameRate analyses a variable-frame-rate video in mp4 and in
// Matroska: both must give every frame, with the same metrics, the stream's
// own timestamps, and results independent of the worker count.
func TestVariableFrameRate(t *testing.T) {
	s := scenes()["card"]
	s.VFR = true
	mp4, truth := synthtest.Video(t, s)
	mkv := filepath.Join(t.TempDir(), "vfr.mkv")
	if out, err := exec.Command("ffmpeg", "-loglevel", "error", "-y", "-i", mp4, "-c", "copy", mkv).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v %s", err, out)
	}
	info, err := video.Probe(mkv)
	if err != nil {
		t.Fatal(err)
	}
	if info.Frames != s.NumFrames() {
		t.Fatalf("mkv header says %d frames, the video has %d", info.Frames, s.NumFrames())
	}

	ref, err := Run(context.Background(), mp4, Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{mp4, mkv} {
		for _, w := range []int{1, 3} {
			res, err := Run(context.Background(), path, Options{Workers: w})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Frames) != s.NumFrames() || len(res.Warnings) != 0 {
				t.Fatalf("%s, %d workers: %d frames (want %d), warnings %q",
					filepath.Ext(path), w, len(res.Frames), s.NumFrames(), res.Warnings)
			}
			for i, f := range res.Frames {
				if f.Sharpness != ref.Frames[i].Sharpness || f.Motion != ref.Frames[i].Motion {
					t.Fatalf("%s, %d workers, frame %d: %+v, mp4 with 1 worker: %+v", filepath.Ext(path), w, i, f, ref.Frames[i])
				}
				// Odd frames are 0.3 frame late (10 ms): the timestamps must
				// be the stream's, not n/fps. OpenCV 4.6 reports the frames
				// it flushes out of the decoder at the end of the stream
				// only approximately, so the last two are not checked.
				if i < len(res.Frames)-2 && math.Abs(f.Timestamp-truth.Frames[i].Time) > 2e-3 {
					t.Fatalf("%s frame %d at %.4f s, generated at %.4f s", filepath.Ext(path), i, f.Timestamp, truth.Frames[i].Time)
				}
			}
		}
	}
}

// TestWrongFrameCountInHeader analyses a Matroska file with irregular
// timestamps, for which OpenCV estimates the frame count from the duration
// and gets it wrong: the analysis must still cover every frame that
// decodes, whatever the number of workers.
func TestWrongFrameCountInHeader(t *testing.T) {
	src, _ := synthtest.Video(t, scenes()["comic"])
	path := filepath.Join(t.TempDir(), "jitter.mkv")
	out, err := exec.Command("ffmpeg", "-loglevel", "error", "-y", "-i", src,
		"-vf", "setpts='(N+0.45*mod(N*N,7))/30/TB'", "-fps_mode", "passthrough",
		"-c:v", "libx264", "-preset", "veryfast", "-threads", "1", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg: %v %s", err, out)
	}
	info, err := video.Probe(path)
	if err != nil {
		t.Fatal(err)
	}
	decoded := len(sequentialPass(t, path, Fast))
	if info.Frames == decoded {
		t.Fatalf("the header's count (%d) is right: this file tests nothing", info.Frames)
	}
	t.Logf("header says %d frames, %d decode", info.Frames, decoded)
	var ref []Frame
	for _, w := range []int{1, 2, 3} {
		res, err := Run(context.Background(), path, Options{Workers: w})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Frames) != decoded || res.Info.Frames != decoded || len(res.Warnings) != 0 {
			t.Fatalf("%d workers: %d frames analysed, info says %d, %d decode, warnings %q",
				w, len(res.Frames), res.Info.Frames, decoded, res.Warnings)
		}
		if ref == nil {
			ref = res.Frames
			continue
		}
		for i := range ref {
			if ref[i] != res.Frames[i] {
				t.Fatalf("%d workers, frame %d: %+v, 1 worker %+v", w, i, res.Frames[i], ref[i])
			}
		}
	}
}
