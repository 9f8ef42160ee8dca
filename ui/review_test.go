package ui

import (
	"context"
	"errors"
	"image"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"gradevault/engine/analysis"
	"gradevault/engine/library"
	"gradevault/engine/scan"
	"gradevault/engine/upload"
	"gradevault/engine/video"
	"gradevault/internal/fakestorage"
)

// openFixture opens a fixture scan (three 64×64 golden frames, glint
// images) in review at the given window size.
func openFixture(t *testing.T, size fyne.Size, withGlint bool) *harness {
	t.Helper()
	lib := t.TempDir()
	dir := filepath.Join(lib, "scan-fixture")
	res := fakestorage.WriteScan(t, dir, "scan-fixture", withGlint)
	h := newHarness(t, nil, lib)
	h.w.Resize(size)
	h.c.openReview(dir, res)
	h.settle()
	return h
}

// absRect is an object's position and size on the canvas.
func absRect(o fyne.CanvasObject) (fyne.Position, fyne.Size) {
	return fyne.CurrentApp().Driver().AbsolutePositionForObject(o), o.Size()
}

// TestDialogButtonsBelowText shows each message dialog at the default
// window size and checks, from the laid-out objects, that every button is
// below the whole message and that the message has the room it needs.
func TestDialogButtonsBelowText(t *testing.T) {
	long := "/home/grader/GradeVault/scans/scan-20261201-143000-abcdef/with/a/rather/long/path/that/must/wrap"
	cases := []struct {
		name string
		show func(h *harness)
		text string
	}{
		{"not configured", func(h *harness) {
			h.c.env.LoadConfig = func() (upload.Config, error) { return upload.Config{URL: "https://x.supabase.co"}, nil }
			h.c.saveAndUpload(long)
		}, "missing key"},
		{"key not saved", func(h *harness) { h.c.notify("Key not saved", keyNotSavedMessage(upload.ErrNoKeychainFriendly)) }, "keychain service"},
		{"upload failed", func(h *harness) {
			f := &uploadFlow{dir: long, err: errors.New("put frames/golden_frame_01_f00012.png: 403 Forbidden: new row violates row-level security policy for table objects")}
			h.c.up = f
			h.c.showUploadFailure(f)
		}, "did not complete"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, nil, "")
			h.w.Resize(fyne.NewSize(1220, 700))
			tc.show(h)
			top := h.w.Canvas().Overlays().Top()
			if top == nil {
				t.Fatal("no dialog shown")
			}
			var msg *widget.Label
			var buttons []*widget.Button
			for _, o := range test.LaidOutObjects(top) {
				switch o := o.(type) {
				case *widget.Label:
					if strings.Contains(strings.ReplaceAll(o.Text, "\n", " "), tc.text) {
						msg = o
					}
				case *widget.Button:
					if o.Visible() {
						buttons = append(buttons, o)
					}
				}
			}
			if msg == nil || len(buttons) == 0 {
				t.Fatalf("message %v, %d buttons", msg, len(buttons))
			}
			mp, ms := absRect(msg)
			if min := msg.MinSize(); ms.Height < min.Height-0.5 || ms.Width < min.Width-0.5 {
				t.Errorf("message needs %v, has %v", min, ms)
			}
			if mp.X < 0 || mp.Y < 0 || mp.X+ms.Width > 1220 || mp.Y+ms.Height > 700 {
				t.Errorf("message at %v size %v is outside the window", mp, ms)
			}
			for _, b := range buttons {
				bp, _ := absRect(b)
				if bp.Y < mp.Y+ms.Height {
					t.Errorf("button %q at y=%v overlaps the message (%v–%v)", b.Text, bp.Y, mp.Y, mp.Y+ms.Height)
				}
			}
		})
	}
}

// TestPreviewGetsHalfTheWindow: the review's main picture takes at least
// half the window at 1220×700 and 1366×768.
func TestPreviewGetsHalfTheWindow(t *testing.T) {
	for _, size := range []fyne.Size{fyne.NewSize(1220, 700), fyne.NewSize(1366, 768)} {
		h := openFixture(t, size, true)
		_, s := absRect(h.c.review.pv.scroll)
		share := s.Width * s.Height / (size.Width * size.Height)
		t.Logf("%v: preview %v = %.0f%% of the window", size, s, share*100)
		if share < 0.5 {
			t.Errorf("%v: preview %v is %.0f%% of the window, want ≥ 50%%", size, s, share*100)
		}
	}
}

// TestFitAfterZoomShowsImage: zoom in, scroll away, back to Fit: the image
// fills the view again at once.
func TestFitAfterZoomShowsImage(t *testing.T) {
	h := openFixture(t, fyne.NewSize(1220, 700), true)
	p := h.c.review.pv
	p.imgSize = image.Pt(4000, 3000) // a large frame, so 100% scrolls
	p.zoom.SetSelected("400%")
	p.scroll.ScrollToOffset(fyne.NewPos(9000, 7000))
	if p.scroll.Offset.X == 0 {
		t.Fatal("could not scroll the zoomed preview")
	}
	p.zoom.SetSelected("Fit")
	if !p.scroll.Offset.IsZero() {
		t.Errorf("offset %v after Fit", p.scroll.Offset)
	}
	if cs, ss := p.scroll.Content.Size(), p.scroll.Size(); cs != ss {
		t.Errorf("content %v in a %v view after Fit", cs, ss)
	}
	pos, size := absRect(p.base)
	vpos, vsize := absRect(p.scroll)
	if pos != vpos || size != vsize || p.base.Image == nil {
		t.Errorf("image at %v %v, view at %v %v", pos, size, vpos, vsize)
	}
}

// TestLayersKeepGeometry: every layer draws in the same geometry, so
// flipping layers compares the same spot.
func TestLayersKeepGeometry(t *testing.T) {
	h := openFixture(t, fyne.NewSize(1220, 700), true)
	r := h.c.review
	var want image.Point
	for _, name := range layerNames {
		r.pv.layer.SetSelected(name)
		h.settle()
		if r.pv.base.Image == nil {
			t.Fatalf("%s: no image", name)
		}
		got := r.pv.base.Image.Bounds().Size()
		if want == (image.Point{}) {
			want = got
		}
		if got != want {
			t.Errorf("%s: base %v, want %v", name, got, want)
		}
		if o := r.pv.overlay.Image; name != layerOriginal && (o == nil || o.Bounds().Size() != want) {
			t.Errorf("%s: overlay %v, want %v", name, o, want)
		}
		if len(r.pv.cache) > 2 {
			t.Errorf("%s: %d full-size images held, want ≤ 2", name, len(r.pv.cache))
		}
	}
}

func typeShortcut(h *harness, sc fyne.Shortcut) {
	h.w.Canvas().(interface{ TypedShortcut(fyne.Shortcut) }).TypedShortcut(sc)
}

func typeKey(h *harness, k fyne.KeyName) {
	h.w.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: k})
}

// TestKeyboardShortcuts: Ctrl+O, Ctrl+, and Esc on the start screen;
// arrows and Esc on review.
func TestKeyboardShortcuts(t *testing.T) {
	h := openFixture(t, fyne.NewSize(1220, 700), true)
	c := h.c
	mod := fyne.KeyModifierShortcutDefault
	c.showStart("")
	typeShortcut(h, &desktop.CustomShortcut{KeyName: fyne.KeyO, Modifier: mod})
	if c.win.Canvas().Overlays().Top() == nil || c.start.openPath == nil {
		t.Fatal("Ctrl+O did not open the open dialog")
	}
	typeKey(h, fyne.KeyEscape)
	if c.win.Canvas().Overlays().Top() != nil {
		t.Fatal("Esc did not close the open dialog")
	}
	typeShortcut(h, &desktop.CustomShortcut{KeyName: fyne.KeyComma, Modifier: mod})
	if c.win.Canvas().Overlays().Top() == nil || c.settingsUI == nil {
		t.Fatal("Ctrl+, did not open the settings")
	}
	typeKey(h, fyne.KeyEscape)
	if c.win.Canvas().Overlays().Top() != nil {
		t.Fatal("Esc did not close the settings")
	}
	h.settle()

	c.openScan(c.start.entries[0].Dir)
	h.settle()
	r := c.review
	f0 := r.res.GoldenFrameDetails[0].Frame
	typeKey(h, fyne.KeyRight)
	if r.scrub != f0+1 {
		t.Errorf("→: previewing %d, want %d", r.scrub, f0+1)
	}
	typeKey(h, fyne.KeyLeft)
	typeKey(h, fyne.KeyLeft)
	if r.scrub != f0-1 {
		t.Errorf("← ←: previewing %d, want %d", r.scrub, f0-1)
	}
	typeKey(h, fyne.KeyEscape)
	if r.scrub != -1 || r.selected != 0 {
		t.Errorf("Esc: scrub %d slot %d, want back on slot 0", r.scrub, r.selected)
	}
	typeKey(h, fyne.KeyDown)
	if r.selected != 1 {
		t.Errorf("↓: slot %d, want 1", r.selected)
	}
	h.settle()
}

// TestReselectAddUndo: "Add as new slot" keeps every thumbnail on screen
// and names the slot the frame went to; Ctrl+Z and Undo restore earlier
// selections step by step.
func TestReselectAddUndo(t *testing.T) {
	video := testVideo(t)
	h := newHarness(t, scan.Run, "")
	c := h.c
	c.enqueue(video)
	h.settle()
	r := c.review
	if r == nil {
		t.Fatalf("no review: %s", c.start.message.Text)
	}
	orig := r.currentFrames()
	if !r.undoBtn.Disabled() {
		t.Error("Undo enabled before any change")
	}
	frame := pickOtherFrame(r)
	r.seek(frame)
	h.settle()
	test.Tap(r.add)
	// Run the re-selection's result alone: no thumbnail may wait for a
	// background load.
	c.wait()
	h.q.runPending()
	if r.busy {
		t.Fatal("still busy after the re-selection's result")
	}
	for i, card := range r.cards {
		if card.img.Image == nil {
			t.Errorf("card %d (frame %d) is blank after Add as new slot", i+1, card.g.Frame)
		}
	}
	slot := r.slotOf(frame)
	if slot < 0 || r.selected != slot {
		t.Fatalf("frame %d in slot %d, selected %d", frame, slot, r.selected)
	}
	if want := "golden slot " + itoa(slot+1) + " of 6"; !strings.Contains(r.status.Text, want) {
		t.Errorf("status %q does not say %q", r.status.Text, want)
	}
	h.settle()
	added := r.currentFrames()

	r.seek(pickOtherFrame(r))
	h.settle()
	test.Tap(r.use)
	h.settle()
	if slices.Equal(r.currentFrames(), added) {
		t.Fatal("Use this frame changed nothing")
	}
	typeShortcut(h, &desktop.CustomShortcut{KeyName: fyne.KeyZ, Modifier: fyne.KeyModifierShortcutDefault})
	h.settle()
	if got := r.currentFrames(); !slices.Equal(got, added) {
		t.Fatalf("after Ctrl+Z %v, want %v", got, added)
	}
	test.Tap(r.undoBtn)
	h.settle()
	if got := r.currentFrames(); !slices.Equal(sortedCopy(got), sortedCopy(orig)) {
		t.Fatalf("after the second undo %v, want %v", got, orig)
	}
	if !r.undoBtn.Disabled() || !strings.Contains(r.status.Text, "Undone") {
		t.Errorf("undo stack not empty (%v) or status %q", r.undo, r.status.Text)
	}
	onDisk, err := scan.ReadResult(r.dir)
	if err != nil || len(onDisk.GoldenFrameDetails) != len(orig) {
		t.Fatalf("result.json after undo: %v", err)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func secondsDur(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

func containerVBox(objs ...fyne.CanvasObject) fyne.CanvasObject { return container.NewVBox(objs...) }

// TestOpenDialogPathField: a typed folder path is refused with a message
// and starts nothing; a video path is analysed.
func TestOpenDialogPathField(t *testing.T) {
	var got []string
	h := newHarness(t, func(ctx context.Context, o scan.Options) (*scan.Result, error) {
		got = append(got, o.Video)
		return nil, errors.New("stub engine")
	}, "")
	s := h.c.start
	s.openDialog()
	s.openPath.SetText(t.TempDir())
	s.openPath.OnSubmitted(s.openPath.Text)
	if h.c.job != nil || len(got) != 0 || !s.openErr.Visible() || !strings.Contains(s.openErr.Text, "is a folder") {
		t.Fatalf("folder: job %v, runs %v, message %q", h.c.job, got, s.openErr.Text)
	}
	notVideo := filepath.Join(t.TempDir(), "notes.txt")
	os.WriteFile(notVideo, []byte("x"), 0o644)
	s.openPath.SetText(notVideo)
	s.openPath.OnSubmitted(s.openPath.Text)
	if h.c.job != nil || !strings.Contains(s.openErr.Text, "not a video") {
		t.Fatalf("text file: message %q", s.openErr.Text)
	}
	video := testVideo(t)
	s.openPath.SetText(video)
	s.openPath.OnSubmitted(s.openPath.Text)
	h.settle()
	if len(got) != 1 || got[0] != video || h.c.win.Canvas().Overlays().Top() != nil {
		t.Fatalf("video: runs %v", got)
	}
}

// TestChartAxes: one label format per axis, whole frame numbers, both
// charts' data areas aligned, and no "now" while frames remain.
func TestChartAxes(t *testing.T) {
	ticks := frameTicker{}.Ticks(0, 87)
	if len(ticks) < 5 {
		t.Errorf("%d frame ticks for 88 frames", len(ticks))
	}
	for _, tk := range ticks {
		if tk.Value != float64(int(tk.Value)) || strings.Contains(tk.Label, ".") {
			t.Errorf("frame tick %v %q is not a whole frame", tk.Value, tk.Label)
		}
	}
	for hi := 350.0; hi < 700; hi += 7 {
		for _, tk := range (valueTicker{}).Ticks(0, hi) {
			if strings.Contains(tk.Label, ".") {
				t.Fatalf("axis 0–%v: label %q changes format", hi, tk.Label)
			}
		}
	}
	dec := func(s string) int {
		if i := strings.IndexByte(s, '.'); i >= 0 {
			return len(s) - i - 1
		}
		return 0
	}
	for _, hi := range []float64{1.3, 2.7, 5.4, 0.37} {
		ts := valueTicker{}.Ticks(0, hi)
		for _, tk := range ts {
			if dec(tk.Label) != dec(ts[len(ts)-1].Label) {
				t.Errorf("axis 0–%v mixes formats: %q and %q", hi, tk.Label, ts[len(ts)-1].Label)
			}
		}
	}

	test.NewTempApp(t)
	cs := newChartSet(nil)
	w := test.NewTempWindow(t, containerVBox(cs.sharp, cs.motion))
	w.Resize(fyne.NewSize(700, 300))
	d := chartData{Total: 300, Threshold: 1, Cursor: -1}
	for i := 0; i < 300; i++ {
		d.Frames = append(d.Frames, frameMetric{Known: true, Sharpness: 12345.6 + float64(i), Motion: 0.25, Stable: true})
	}
	out := cs.render(1, d)
	if out == nil {
		t.Fatal("nothing rendered")
	}
	a, b := out.sharpArea, out.motionArea
	if a.Right <= a.Left || abs(a.Left-b.Left) > 0.5 || abs(a.Right-b.Right) > 0.5 {
		t.Errorf("data areas not aligned: sharpness %+v, motion %+v", a, b)
	}
	for _, d := range []float64{0.2, 0.9, 1.5, 30, 125} {
		if s := etaText(secondsDur(d)); strings.Contains(s, "now") || !strings.Contains(s, "left") {
			t.Errorf("ETA for %vs: %q", d, s)
		}
	}
}

// TestStartScreenRecentScans: each recent scan shows its thumbnail, video
// name, item type, date, damage score and upload state; a failed upload
// reads as a saved scan.
func TestStartScreenRecentScans(t *testing.T) {
	lib := t.TempDir()
	dir := filepath.Join(lib, "scan-fixture")
	fakestorage.WriteScan(t, dir, "scan-fixture", true)
	st := library.NewState()
	st.State = library.StateFailed
	if err := library.WriteState(dir, st); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, nil, lib)
	h.c.showStart("")
	h.settle()
	s := h.c.start
	if len(s.entries) != 1 {
		t.Fatalf("%d entries", len(s.entries))
	}
	e := s.entries[0]
	title, summary := entryTitle(e), entrySummary(e)
	if !strings.Contains(title, "item.mp4") || !strings.Contains(title, string(e.ItemType)) || e.ItemType == "" {
		t.Errorf("title %q", title)
	}
	if !strings.Contains(summary, "damage") || !strings.Contains(summary, e.CreatedAt.Format("2006")) {
		t.Errorf("summary %q", summary)
	}
	text, _ := uploadStateText(e)
	if !strings.Contains(text, "saved") || !strings.Contains(text, "upload failed") {
		t.Errorf("failed upload reads %q", text)
	}
	if s.thumbs[e.Dir] == nil {
		t.Error("no thumbnail loaded")
	}
}

// TestSettingsKeyHintAndTestConnection: the "keep the stored key" hint
// shows only when a key is stored; Test connection reports the answer and
// uses the stored key.
func TestSettingsKeyHintAndTestConnection(t *testing.T) {
	h := newHarness(t, nil, "")
	h.c.showSettings()
	h.settle()
	if strings.Contains(h.c.settingsUI.key.PlaceHolder, "keep") {
		t.Errorf("no stored key, yet the hint says %q", h.c.settingsUI.key.PlaceHolder)
	}
	typeKey(h, fyne.KeyEscape)
	const url = "https://abc.supabase.co"
	h.c.settings.URL = url
	upload.SaveKey(h.c.env.Keychain, url, "stored-key")
	h.c.env.LoadConfig = nil
	var seen upload.Config
	h.c.eng.TestConnection = func(_ context.Context, cfg upload.Config) (string, error) {
		seen = cfg
		return "", errors.New("test connection: the server answered 400 Bad Request: Bucket not found")
	}
	h.c.showSettings()
	h.settle()
	f := h.c.settingsUI
	if !strings.Contains(f.key.PlaceHolder, "keep the stored key") {
		t.Errorf("stored key, hint %q", f.key.PlaceHolder)
	}
	test.Tap(f.test)
	h.settle()
	if seen.Key != "stored-key" || seen.URL != url {
		t.Errorf("tested with %q at %q", seen.Key, seen.URL)
	}
	if !strings.Contains(strings.ReplaceAll(f.status.Text, "\n", " "), "Bucket not found") || f.status.Importance != widget.DangerImportance {
		t.Errorf("status %q", f.status.Text)
	}
}

// TestTenAnalysesMemoryDoesNotGrow runs ten analyses in one controller,
// opening and closing each scan, and checks the live heap after the last
// is no larger than after the second (plus slack), and that review holds
// no full-resolution frame it does not show.
func TestTenAnalysesMemoryDoesNotGrow(t *testing.T) {
	video := testVideo(t)
	h := newHarness(t, scan.Run, "")
	c := h.c
	heap := func() float64 {
		runtime.GC()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return float64(ms.HeapAlloc) / (1 << 20)
	}
	var after []float64
	for i := 0; i < 10; i++ {
		c.enqueue(video)
		h.settle()
		r := c.review
		if r == nil {
			t.Fatalf("run %d: %s", i, c.start.message.Text)
		}
		if len(r.pv.cache) > 2 {
			t.Errorf("run %d: preview holds %d full-size images", i, len(r.pv.cache))
		}
		for f, img := range r.thumbImg {
			if b := img.Bounds(); max(b.Dx(), b.Dy()) > thumbPixels {
				t.Errorf("run %d: thumbnail of frame %d is %v", i, f, b.Size())
			}
		}
		c.showStart("")
		h.settle()
		after = append(after, heap())
	}
	t.Logf("live heap after each closed scan (MB): %.1f", after)
	if growth := after[9] - after[1]; growth > 4 {
		t.Errorf("heap grew %.1f MB from scan 2 to scan 10", growth)
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// TestLowConfidenceBanner: a scan without a still frame says so at the top
// of review and marks its damage score; each frame says why it was picked.
func TestLowConfidenceBanner(t *testing.T) {
	lib := t.TempDir()
	dir := filepath.Join(lib, "scan-fixture")
	res := fakestorage.WriteScan(t, dir, "scan-fixture", true)
	h := newHarness(t, nil, lib)
	h.c.openReview(dir, res)
	h.settle()
	if h.c.review.banner.Visible() {
		t.Fatalf("banner %q on a scan rated high", h.c.review.banner.Text)
	}

	low := *res
	low.Confidence = analysis.Confidence{Level: analysis.Low, Reasons: []string{analysis.NoStillMessage}}
	low.Poses = []analysis.Pose{{ID: 0, Start: 0, End: 10, Best: 4}}
	low.GoldenFrameDetails = slices.Clone(res.GoldenFrameDetails)
	low.GoldenFrameDetails[0].Pose, low.GoldenFrameDetails[0].Rank = 0, 2
	low.GoldenFrameDetails[1].Pose = -1
	h.c.openReview(dir, &low)
	h.settle()
	r := h.c.review
	if !r.banner.Visible() || !strings.Contains(strings.ToLower(r.banner.Text), analysis.NoStillMessage) {
		t.Errorf("banner %q (visible %v)", r.banner.Text, r.banner.Visible())
	}
	if !strings.Contains(r.rep.damage.Text, "?") || !strings.Contains(r.rep.defect.Text, "LOW CONFIDENCE") {
		t.Errorf("score %q / %q not marked low-confidence", r.rep.damage.Text, r.rep.defect.Text)
	}
	if !strings.Contains(r.why.Text, "still pose 1 of 1, sharpness rank 2") {
		t.Errorf("slot 1: %q", r.why.Text)
	}
	r.selectSlot(1)
	if !strings.Contains(r.why.Text, "not still") {
		t.Errorf("slot 2: %q", r.why.Text)
	}

	// A result from before the engine rated confidence: derived from frames.
	old := *res
	old.Frames = []scan.FrameRecord{{Frame: 0, Motion: 5}, {Frame: 1, Motion: 4}}
	if c := confidenceOf(&old); !c.Low {
		t.Error("no still frame in an old result: not low confidence")
	}
}

// TestSettingsRechooseOpenScan changes the minimum gap with a scan open:
// the golden frames are chosen again from the measured frames (nothing
// decoded but the new golden frames) and the review shows them.
func TestSettingsRechooseOpenScan(t *testing.T) {
	path := testVideo(t)
	h := newHarness(t, scan.Run, "")
	c := h.c
	c.enqueue(path)
	h.settle()
	r := c.review
	if r == nil {
		t.Fatal("no review")
	}
	_, before := video.Counts()
	h.locked(func() { r.rechoose(1.0, 40) })
	h.settle()
	c.wait()
	h.settle()
	_, after := video.Counts()
	var res *scan.Result
	h.locked(func() { res = c.review.res })
	if res.Settings.MinGap != 40 {
		t.Fatalf("settings after rechoose: %+v", res.Settings)
	}
	for i := 1; i < len(res.GoldenFrameDetails); i++ {
		if d := res.GoldenFrameDetails[i].Frame - res.GoldenFrameDetails[i-1].Frame; d < 40 {
			t.Errorf("golden frames %d apart, gap 40", d)
		}
	}
	if n := after - before; n > int64(len(res.GoldenFrames))+12 {
		t.Errorf("rechoose decoded %d frames: more than the golden and analysis frames", n)
	}
}
