package ui

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"

	"gradevault/engine/event"
	"gradevault/engine/library"
	"gradevault/engine/safefile"
	"gradevault/engine/scan"
	"gradevault/engine/synth"
	"gradevault/engine/synth/synthtest"
	"gradevault/engine/upload"
	"gradevault/internal/fakestorage"
)

// testVideo is an 88-frame 320×240 synthetic comic video (five holds),
// generated once per test binary.
func testVideo(t *testing.T) string {
	t.Helper()
	s := synth.DefaultScene(synth.Comic, 320, 240)
	s.Crease = true
	path, _ := synthtest.Video(t, s)
	return path
}

func TestMain(m *testing.M) { synthtest.Main(m) }

// gate pauses the analysis (inside the event sink) once `at` frames have
// been analysed, until released or the job is cancelled.
type gate struct {
	at      int
	reached chan struct{}
	release chan struct{}
	once    sync.Once
}

func newGate(at int) *gate {
	return &gate{at: at, reached: make(chan struct{}), release: make(chan struct{})}
}

func (g *gate) run(ctx context.Context, o scan.Options) (*scan.Result, error) {
	inner := o.Sink
	n := 0
	o.Sink = func(e event.Event) {
		inner(e)
		if _, ok := e.(event.FrameAnalysed); ok {
			n++
			if n == g.at {
				g.once.Do(func() { close(g.reached) })
				select {
				case <-g.release:
				case <-ctx.Done():
				}
			}
		}
	}
	return scan.Run(ctx, o)
}

type harness struct {
	t       *testing.T
	c       *controller
	w       fyne.Window
	lib     string
	server  *fakestorage.Server
	reselec atomic.Int32
}

func newHarness(t *testing.T, run func(context.Context, scan.Options) (*scan.Result, error), libRoot string) *harness {
	t.Helper()
	test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	w.Resize(fyne.NewSize(1280, 820))
	h := &harness{t: t, w: w, lib: libRoot}
	if h.lib == "" {
		h.lib = t.TempDir()
	}
	h.server = fakestorage.New(t)
	key := h.server.Key("service_role")
	env := Env{
		LibraryRoot:  h.lib,
		SettingsPath: filepath.Join(t.TempDir(), "settings.json"),
		LoadConfig: func() (upload.Config, error) {
			return upload.Config{URL: h.server.URL, Key: key, Bucket: fakestorage.DefaultBucket}, nil
		},
	}
	eng := Engine{Run: run, Reselect: func(ctx context.Context, dir string, frames []int, o scan.ReselectOptions) (*scan.Result, error) {
		h.reselec.Add(1)
		return scan.Reselect(ctx, dir, frames, o)
	}}
	h.c = newController(fyne.CurrentApp(), w, Options{Version: "test"}, eng, env)
	h.c.settings.Workers = 2
	t.Cleanup(func() { h.c.shutdown() })
	return h
}

// locked runs f while no background update can touch the widgets.
func (h *harness) locked(f func()) {
	h.c.uiMu.Lock()
	defer h.c.uiMu.Unlock()
	f()
}

// eventually polls cond (under the UI lock) until it holds.
func (h *harness) eventually(what string, cond func() bool) {
	h.t.Helper()
	end := time.Now().Add(10 * time.Second)
	for time.Now().Before(end) {
		ok := false
		h.locked(func() { ok = cond() })
		if ok {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	h.t.Fatalf("timed out waiting for %s", what)
}

func TestFlowOpenAnalyseReviewReselectUpload(t *testing.T) {
	video := testVideo(t)
	g := newGate(40)
	h := newHarness(t, g.run, "")
	c := h.c

	// Start screen; a dropped non-video changes nothing.
	if c.screen != screenStart {
		t.Fatalf("screen = %q, want start", c.screen)
	}
	h.locked(func() { c.dropped([]fyne.URI{storage.NewFileURI("/tmp/notes.txt")}) })
	if c.screen != screenStart || !c.start.message.Visible() || !strings.Contains(c.start.message.Text, "not a video") {
		t.Fatalf("non-video drop: screen %q, message %q", c.screen, c.start.message.Text)
	}
	if c.job != nil {
		t.Fatal("a non-video started a job")
	}
	h.locked(func() {
		c.start.scanID.SetText("")
		test.Type(c.start.scanID, "scan-flow-test")
	})

	// Drop the video: live analysis.
	h.locked(func() {
		c.dropped([]fyne.URI{storage.NewFileURI(video)})
		if c.screen != screenAnalysis {
			t.Errorf("screen = %q, want analysis", c.screen)
		}
	})
	<-g.reached
	h.eventually("live progress", func() bool {
		s := c.live
		return s != nil && len(s.chunkBars) > 0 && s.overall.Value > 0 && strings.Contains(s.stats.Text, "frames")
	})
	h.locked(func() {
		s := c.live
		snap := c.job.model.snapshot(false)
		if len(s.chunkBars) != len(snap.Planned.Chunks) {
			t.Errorf("%d chunk bars for %d chunks", len(s.chunkBars), len(snap.Planned.Chunks))
		}
		if !strings.Contains(c.header.scan.Text, "scan-flow-test") {
			t.Errorf("header %q does not name the scan", c.header.scan.Text)
		}
		if s.overall.Value >= 1 {
			t.Errorf("overall progress %v while paused half-way", s.overall.Value)
		}
	})
	close(g.release)
	c.wait()

	// Review with five golden frames.
	if c.screen != screenReview {
		t.Fatalf("screen = %q, want review (start message %q)", c.screen, c.start.message.Text)
	}
	r := c.review
	if len(r.cards) != 5 {
		t.Fatalf("%d thumbnails, want 5", len(r.cards))
	}
	for i, card := range r.cards {
		if card.img.Image == nil {
			t.Errorf("thumbnail %d has no image", i)
		}
	}
	if r.base.Image == nil {
		t.Error("preview shows no image")
	}
	if r.charts.sharp.img.Image.Bounds().Dx() < 50 {
		t.Error("timeline chart not rendered")
	}
	dir := library.ScanDir(h.lib, "scan-flow-test")
	if r.dir != dir {
		t.Fatalf("review dir %s, want %s", r.dir, dir)
	}

	// Layers: the report decides what can be shown.
	if r.res.Report == nil {
		if !r.noGlint.Visible() || !r.layer.Disabled() {
			t.Error("nil report: the 'no defect analysis' note should show and layers be disabled")
		}
	} else {
		h.locked(func() { r.layer.SetSelected(layerOverlay) })
		c.wait()
		if r.overlay.Image == nil || !r.overlay.Visible() {
			t.Error("defect overlay layer shows nothing")
		}
		h.locked(func() { r.opacity.SetValue(0.4) })
		if got := r.overlay.Translucency; got < 0.59 || got > 0.61 {
			t.Errorf("overlay translucency %v, want 0.6", got)
		}
		h.locked(func() { r.layer.SetSelected(layerOriginal) })
	}

	// Re-select: preview a frame that is not golden, use it for slot 2.
	frame := pickOtherFrame(r)
	h.locked(func() {
		r.selectSlot(1)
		r.seek(frame)
	})
	c.wait()
	if r.scrubImg == nil || r.base.Image != r.scrubImg {
		t.Fatalf("frame %d was not previewed (info %q)", frame, r.info.Text)
	}
	if r.use.Disabled() {
		t.Fatal("'Use this frame' is disabled for a frame outside the set")
	}
	h.locked(func() { test.Tap(r.use) })
	c.wait()
	if h.reselec.Load() != 1 {
		t.Fatalf("Reselect called %d times", h.reselec.Load())
	}
	if c.review != r || r.busy {
		t.Fatal("review screen replaced or still busy after re-selection")
	}
	if !strings.Contains(r.status.Text, "Saved the new selection") {
		t.Fatalf("status %q", r.status.Text)
	}
	frames := r.currentFrames()
	if !slices.Contains(frames, frame) || len(frames) != 5 {
		t.Fatalf("frames after re-selection %v, want 5 including %d", frames, frame)
	}
	if g := r.res.GoldenFrameDetails[r.selected]; g.Frame != frame || !g.Manual {
		t.Errorf("selected slot %+v, want manual frame %d", g, frame)
	}
	onDisk, err := scan.ReadResult(dir)
	if err != nil {
		t.Fatal(err)
	}
	var diskFrames []int
	for _, gf := range onDisk.GoldenFrameDetails {
		diskFrames = append(diskFrames, gf.Frame)
	}
	if !slices.Equal(diskFrames, frames) {
		t.Errorf("result.json frames %v, screen %v", diskFrames, frames)
	}
	if (onDisk.Report == nil) != (r.res.Report == nil) {
		t.Error("glint report on screen and on disk disagree")
	}
	if r.reset.Disabled() {
		t.Error("'Reset to automatic' disabled after a manual pick")
	}

	// Remove a slot, then reset to automatic.
	h.locked(func() { test.Tap(r.remove) })
	c.wait()
	if n := len(r.res.GoldenFrameDetails); n != 4 {
		t.Fatalf("%d slots after remove, want 4", n)
	}
	h.locked(func() { test.Tap(r.reset) })
	c.wait()
	if !slices.Equal(sortedCopy(r.currentFrames()), sortedCopy(r.res.AutomaticPicks)) {
		t.Fatalf("after reset %v, automatic %v", r.currentFrames(), r.res.AutomaticPicks)
	}

	// Save & upload: the confirmation lists the files.
	h.locked(func() { test.Tap(r.upload) })
	f := c.up
	if f == nil || f.stage != "confirm" {
		t.Fatalf("upload stage %+v, want confirm", f)
	}
	if len(f.objects) < 6 || f.total <= 0 || !strings.Contains(f.summary.Text, "files") {
		t.Fatalf("confirmation: %d objects, %d bytes, %q", len(f.objects), f.total, f.summary.Text)
	}
	h.locked(func() { c.runUpload(f) })
	c.wait()
	if f.stage != "done" || f.report == nil || f.report.Uploaded == 0 {
		t.Fatalf("upload stage %q err %v", f.stage, f.err)
	}
	if _, ok := h.server.Object(fakestorage.DefaultBucket, "scan-flow-test/result.json"); !ok {
		t.Error("result.json not in the bucket")
	}
	// Every file had its own progress bar, and each ended full as "sent".
	h.locked(func() {
		if len(f.fileBar) != len(f.objects) {
			t.Fatalf("%d file bars for %d files", len(f.fileBar), len(f.objects))
		}
		for path, bar := range f.fileBar {
			if bar.Value != 1 || bar.TextFormatter() != "sent" {
				t.Errorf("%s: bar at %v, %q", path, bar.Value, bar.TextFormatter())
			}
		}
	})
}

func TestUploadNotConfigured(t *testing.T) {
	h := newHarness(t, nil, "")
	h.c.env.LoadConfig = func() (upload.Config, error) { return upload.Config{}, nil }
	dir := filepath.Join(h.lib, "scan-fixture")
	res := fakestorage.WriteScan(t, dir, "scan-fixture", false)
	h.locked(func() { h.c.openReview(dir, res) })
	h.c.wait()
	if h.c.review.res.Report != nil || !h.c.review.noGlint.Visible() {
		t.Fatal("a scan without glint should say there is no defect analysis")
	}
	h.locked(func() { test.Tap(h.c.review.upload) })
	if h.c.up.stage != "unconfigured" {
		t.Fatalf("stage %q, want unconfigured", h.c.up.stage)
	}
}

func TestLibraryOpensWithoutAnalysing(t *testing.T) {
	lib := t.TempDir()
	fakestorage.WriteScan(t, filepath.Join(lib, "scan-old"), "scan-old", true)
	ran := false
	h := newHarness(t, func(context.Context, scan.Options) (*scan.Result, error) { ran = true; return nil, nil }, lib)
	h.locked(func() {
		h.c.showStart("")
		if len(h.c.start.entries) != 1 {
			t.Errorf("%d library entries, want 1", len(h.c.start.entries))
		}
		h.c.start.recent.Select(0)
	})
	h.c.wait()
	if h.c.screen != screenReview || ran {
		t.Fatalf("screen %q, analysed %v", h.c.screen, ran)
	}
	if len(h.c.review.cards) != 3 || h.c.review.res.Report == nil {
		t.Fatalf("%d thumbnails", len(h.c.review.cards))
	}
}

func TestQueueAnalysesOneAfterAnother(t *testing.T) {
	video := testVideo(t)
	var mu sync.Mutex
	var order []string
	h := newHarness(t, func(ctx context.Context, o scan.Options) (*scan.Result, error) {
		mu.Lock()
		order = append(order, o.ScanID)
		mu.Unlock()
		return scan.Run(ctx, o)
	}, "")
	h.c.settings.Workers = 1
	h.locked(func() {
		h.c.dropped([]fyne.URI{storage.NewFileURI(video), storage.NewFileURI(video)})
		if len(h.c.queue) != 1 {
			t.Errorf("queue %v, want one waiting", h.c.queue)
		}
	})
	h.c.wait()
	entries, err := library.List(h.lib)
	if err != nil || len(entries) != 2 || len(order) != 2 {
		t.Fatalf("library %v (%v), runs %v", entries, err, order)
	}
	if h.c.screen != screenReview {
		t.Fatalf("screen %q after the queue, want review", h.c.screen)
	}
}

func TestCancelStopsPromptlyAndLeavesNothing(t *testing.T) {
	video := testVideo(t)
	for _, mode := range []string{"cancel", "quit"} {
		t.Run(mode, func(t *testing.T) {
			g := newGate(20)
			h := newHarness(t, g.run, "")
			h.c.wait()
			base := runtime.NumGoroutine()
			var job *analysisJob
			h.locked(func() {
				h.c.start.scanID.SetText("scan-cancel")
				h.c.enqueue(video)
				job = h.c.job
			})
			<-g.reached
			start := time.Now()
			if mode == "cancel" {
				h.locked(func() { test.Tap(h.c.live.cancel) })
			} else {
				h.c.shutdown()
			}
			select {
			case <-job.done:
			case <-time.After(time.Second):
				t.Fatal("analysis still running 1 s after cancel")
			}
			t.Logf("stopped in %v", time.Since(start))
			h.c.wait()
			if mode == "cancel" {
				if h.c.screen != screenStart || !strings.Contains(h.c.start.message.Text, "cancelled") {
					t.Fatalf("screen %q message %q", h.c.screen, h.c.start.message.Text)
				}
			}
			dir := library.ScanDir(h.lib, "scan-cancel")
			if _, err := os.Stat(filepath.Join(dir, scan.ResultFile)); err == nil {
				t.Error("a cancelled scan left result.json")
			}
			filepath.WalkDir(h.lib, func(p string, d os.DirEntry, err error) error {
				if err == nil && safefile.IsTemp(d.Name()) {
					t.Errorf("temp file left: %s", p)
				}
				return nil
			})
			if _, err := os.Stat(dir); err == nil {
				t.Errorf("scan folder %s left behind", dir)
			}
			deadline := time.Now().Add(3 * time.Second)
			for runtime.NumGoroutine() > base && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if n := runtime.NumGoroutine(); n > base {
				buf := make([]byte, 1<<16)
				t.Fatalf("%d goroutines, %d before:\n%s", n, base, buf[:runtime.Stack(buf, true)])
			}
		})
	}
}

func TestPumpCoalesces(t *testing.T) {
	test.NewTempApp(t)
	m := newLiveModel()
	var mu sync.Mutex
	applies := 0
	do := func(f func()) { mu.Lock(); defer mu.Unlock(); f() }
	p := startPump(do, m, nil, func(liveSnapshot, any) { applies++ })
	m.Sink(event.Planned{Frames: 100000, Chunks: []event.Chunk{{Index: 0, Start: 0, End: 100000}}})
	start := time.Now()
	for i := 0; i < 100000; i++ {
		m.Sink(event.FrameAnalysed{Frame: i, Sharpness: float64(i)})
		if i%1000 == 0 {
			time.Sleep(3 * time.Millisecond)
		}
	}
	elapsed := time.Since(start)
	p.finish()
	mu.Lock()
	defer mu.Unlock()
	limit := int(elapsed/uiInterval) + 2
	if applies > limit || applies < 1 {
		t.Fatalf("%d UI updates for 100000 events in %v (limit %d)", applies, elapsed, limit)
	}
	if s := m.snapshot(false); s.Done != 100000 {
		t.Fatalf("model recorded %d frames", s.Done)
	}
}

func TestChartTapSeeks(t *testing.T) {
	test.NewTempApp(t)
	var got []int
	cs := newChartSet(func(f int) { got = append(got, f) })
	w := test.NewTempWindow(t, cs.sharp)
	w.Resize(fyne.NewSize(600, 200))
	d := chartData{Total: 100, Threshold: 1, Cursor: -1}
	for i := 0; i < 100; i++ {
		d.Frames = append(d.Frames, frameMetric{Known: true, Sharpness: float64(i), Motion: 0.5, Stable: i%2 == 0})
	}
	out := cs.render(1, d)
	if out == nil {
		t.Fatal("nothing rendered")
	}
	cs.apply(out)
	a := cs.sharp.area
	if a.Right <= a.Left {
		t.Fatalf("bad plot area %+v", a)
	}
	test.TapAt(cs.sharp, fyne.NewPos(float32(a.Left+a.Right)/2, 50))
	test.TapAt(cs.sharp, fyne.NewPos(float32(a.Left), 50))
	test.TapAt(cs.sharp, fyne.NewPos(float32(a.Right), 50))
	if len(got) != 3 || got[1] != 0 || got[2] != 99 || got[0] < 40 || got[0] > 60 {
		t.Fatalf("seeks %v", got)
	}
	if cs.render(1, d) != nil {
		t.Error("re-rendered unchanged data")
	}
}

func TestMarkupStartAndSettings(t *testing.T) {
	h := newHarness(t, nil, filepath.Join("testdata", "no-library"))
	h.c.start.scanID.SetText("scan-markup")
	test.AssertRendersToMarkup(t, "start.xml", h.w.Canvas())
	h.c.showSettings()
	test.AssertRendersToMarkup(t, "settings.xml", h.w.Canvas())
}

func TestDropNonVideoChangesNothing(t *testing.T) {
	h := newHarness(t, nil, "")
	for _, name := range []string{"a.txt", "b.png", "c"} {
		h.c.dropped([]fyne.URI{storage.NewFileURI(filepath.Join(t.TempDir(), name))})
	}
	if h.c.job != nil || h.c.screen != screenStart || len(h.c.queue) != 0 {
		t.Fatal("non-video drop changed the state")
	}
	for _, ok := range []string{"x.mp4", "x.MOV", "x.m4v", "x.avi", "x.mkv", "x.webm"} {
		if !isVideoPath(ok) {
			t.Errorf("%s rejected", ok)
		}
	}
}

// TestScreensFitALaptop checks that no screen asks for more room than the
// window's default size, which fits a 1366×768 laptop screen.
func TestScreensFitALaptop(t *testing.T) {
	video := testVideo(t)
	g := newGate(40)
	h := newHarness(t, g.run, "")
	c := h.c
	limit := fyne.NewSize(1220, 700)
	fits := func(screen string) {
		t.Helper()
		h.locked(func() {
			if m := h.w.Content().MinSize(); m.Width > limit.Width || m.Height > limit.Height {
				t.Errorf("%s screen needs %v, more than %v", screen, m, limit)
			}
		})
	}
	fits("start")
	h.locked(func() { c.enqueue(video) })
	<-g.reached
	h.eventually("live progress", func() bool { return c.live != nil && len(c.live.chunkBars) > 0 })
	fits("analysis")
	close(g.release)
	c.wait()
	if c.screen != screenReview {
		t.Fatalf("screen %q, want review", c.screen)
	}
	fits("review")
}

// TestMarkupReview pins the review screen of a fixture scan opened from the
// library: thumbnails, preview, layers, timeline and report.
func TestMarkupReview(t *testing.T) {
	lib := t.TempDir()
	fakestorage.WriteScan(t, filepath.Join(lib, "scan-fixture"), "scan-fixture", true)
	h := newHarness(t, nil, lib)
	h.locked(func() {
		h.c.showStart("")
		h.c.start.recent.Select(0)
	})
	h.c.wait()
	if h.c.screen != screenReview {
		t.Fatalf("screen %q, want review", h.c.screen)
	}
	h.locked(func() { test.AssertRendersToMarkup(t, "review.xml", h.w.Canvas()) })
}
