//go:build tour

package ui

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"

	"fyne.io/fyne/v2"

	"gradevault/assets"
	"gradevault/engine/event"
	"gradevault/engine/scan"
	"gradevault/engine/upload"
)

// tour drives the real window through the flow on the bundled sample and
// captures each screen (GRADEVAULT_TOUR). Its engine is the real one, except
// that the frame analysis pauses half-way until the "analysis in progress"
// screenshot is taken (the sample analyses in well under a second), and the
// upload configuration is a placeholder so the confirmation can be shown
// (nothing is uploaded: the tour never confirms).
type tour struct {
	dir     string
	halfway chan struct{}
	resume  chan struct{}
	once    sync.Once
}

// newTourRunner is the screenshot tour into dir (this build has it).
func newTourRunner(dir string) (tourRunner, error) { return newTour(dir), nil }

func newTour(dir string) *tour {
	return &tour{dir: dir, halfway: make(chan struct{}), resume: make(chan struct{})}
}

func (t *tour) engine() Engine {
	return Engine{Run: func(ctx context.Context, o scan.Options) (*scan.Result, error) {
		inner := o.Sink
		total, seen := 0, 0
		o.Sink = func(e event.Event) {
			inner(e)
			switch e := e.(type) {
			case event.Planned:
				total = e.Frames
			case event.FrameAnalysed:
				seen++
				if total > 0 && seen == total*3/5 {
					t.once.Do(func() { close(t.halfway) })
					select {
					case <-t.resume:
					case <-ctx.Done():
					case <-time.After(20 * time.Second):
					}
				}
			}
		}
		return scan.Run(ctx, o)
	}}
}

func (t *tour) env() Env {
	return Env{LoadConfig: func() (upload.Config, error) {
		return upload.Config{URL: "https://your-project.supabase.co", Key: "tour-placeholder", Bucket: upload.DefaultBucket}, nil
	}}
}

// run is the tour itself; it runs on its own goroutine.
func (t *tour) run(c *controller) error {
	if err := os.MkdirAll(t.dir, 0o755); err != nil {
		return err
	}
	ui := func(f func()) {
		fyne.DoAndWait(f)
	}
	settle := func() {
		c.wait()
		time.Sleep(700 * time.Millisecond) // let charts render and the GPU draw
		c.wait()
		// On review, wait until the preview and every thumbnail are drawn.
		waitFor(func() bool {
			ok := true
			ui(func() {
				r := c.review
				if c.screen != screenReview || r == nil {
					return
				}
				ok = r.scrub >= 0 && r.scrubImg != nil || r.scrub < 0 && r.pv.base.Image != nil
				for _, card := range r.cards {
					ok = ok && card.img.Image != nil
				}
			})
			return ok
		}, 20*time.Second)
		c.wait()
		time.Sleep(300 * time.Millisecond)
	}
	time.Sleep(1500 * time.Millisecond)
	if err := t.capture(c, "01-start.png"); err != nil {
		return err
	}

	sample, err := assets.SamplePath()
	if err != nil {
		return err
	}
	ui(func() { c.enqueue(sample) })
	select {
	case <-t.halfway:
	case <-time.After(60 * time.Second):
		return errors.New("tour: the analysis did not start")
	}
	time.Sleep(900 * time.Millisecond)
	err = t.capture(c, "02-analysis.png")
	close(t.resume)
	if err != nil {
		return err
	}

	if !waitFor(func() bool { return screenIs(c, ui, screenReview) }, 90*time.Second) {
		return errors.New("tour: the review screen did not appear")
	}
	settle()
	if err := t.capture(c, "03-review.png"); err != nil {
		return err
	}
	ui(func() { c.review.pv.layer.SetSelected(layerOverlay) })
	settle()
	if err := t.capture(c, "04-review-defects.png"); err != nil {
		return err
	}

	// Re-selection: preview a frame that is not golden, then use it.
	var frame int
	ui(func() {
		r := c.review
		r.pv.layer.SetSelected(layerOriginal)
		frame = pickOtherFrame(r)
		r.selectSlot(len(r.res.GoldenFrameDetails) - 1)
		r.seek(frame)
	})
	settle()
	if err := t.capture(c, "05-reselect-preview.png"); err != nil {
		return err
	}
	ui(func() { c.review.useFrame() })
	settle()
	if err := t.capture(c, "06-reselected.png"); err != nil {
		return err
	}

	ui(func() { c.saveAndUpload(c.review.dir) })
	settle()
	if err := t.capture(c, "07-confirm-upload.png"); err != nil {
		return err
	}
	ui(func() { c.lastDialog.Hide(); c.showSettings() })
	settle()
	if err := t.capture(c, "08-settings.png"); err != nil {
		return err
	}
	ui(func() { c.lastDialog.Hide(); c.showStart("") })
	settle()
	if err := t.capture(c, "09-library.png"); err != nil {
		return err
	}
	// Every dialog, at the window's default size.
	ui(func() { c.win.Resize(fyne.NewSize(1220, 700)) })
	settle()
	dialogs := []struct {
		name string
		show func()
	}{
		{"10-open-dialog.png", func() { c.start.openDialog() }},
		{"11-not-configured.png", func() {
			load := c.env.LoadConfig
			c.env.LoadConfig = func() (upload.Config, error) { return upload.Config{}, nil }
			c.openScan(c.start.entries[0].Dir)
			c.saveAndUpload(c.review.dir)
			c.env.LoadConfig = load
		}},
		{"12-upload-failed.png", func() {
			f := &uploadFlow{dir: c.review.dir, stage: "failed", err: errors.New("put frames/golden_frame_01.png: 403 Forbidden: new row violates row-level security policy")}
			c.up = f
			c.showUploadFailure(f)
		}},
		{"13-key-not-saved.png", func() { c.notify("Key not saved", keyNotSavedMessage(upload.ErrNoKeychainFriendly)) }},
		{"14-review-report.png", func() { c.review.tabs.SelectIndex(2) }},
	}
	for _, d := range dialogs {
		ui(func() {
			if c.lastDialog != nil {
				c.lastDialog.Hide()
			}
			d.show()
		})
		settle()
		if err := t.capture(c, d.name); err != nil {
			return err
		}
	}
	return nil
}

func screenIs(c *controller, ui func(func()), name string) bool {
	var ok bool
	ui(func() { ok = c.screen == name && c.job == nil })
	return ok
}

func waitFor(cond func() bool, limit time.Duration) bool {
	end := time.Now().Add(limit)
	for time.Now().Before(end) {
		if cond() {
			return true
		}
		time.Sleep(100 * time.Millisecond)
	}
	return false
}

// capture saves the window as name in the tour folder: the canvas capture,
// or the X root window via ImageMagick's import if the capture is empty.
func (t *tour) capture(c *controller, name string) error {
	var img image.Image
	fyne.DoAndWait(func() { img = c.win.Canvas().Capture() })
	path := filepath.Join(t.dir, name)
	if img != nil && img.Bounds().Dx() > 10 && !blank(img) {
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		if err := png.Encode(f, img); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "import", "-window", "root", path).CombinedOutput(); err != nil {
		return fmt.Errorf("capture %s: %v: %s", name, err, out)
	}
	return nil
}

// blank reports whether img is one flat colour (a failed GL read).
func blank(img image.Image) bool {
	b := img.Bounds()
	r0, g0, b0, _ := img.At(b.Min.X, b.Min.Y).RGBA()
	for y := b.Min.Y; y < b.Max.Y; y += 7 {
		for x := b.Min.X; x < b.Max.X; x += 7 {
			r, g, bb, _ := img.At(x, y).RGBA()
			if r != r0 || g != g0 || bb != b0 {
				return false
			}
		}
	}
	return true
}
