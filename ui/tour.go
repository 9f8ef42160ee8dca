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
		fyne.DoAndWait(func() {
			c.uiMu.Lock()
			defer c.uiMu.Unlock()
			f()
		})
	}
	settle := func() {
		c.wait()
		time.Sleep(700 * time.Millisecond) // let charts render and the GPU draw
		c.wait()
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
	ui(func() { c.review.layer.SetSelected(layerOverlay) })
	settle()
	if err := t.capture(c, "04-review-defects.png"); err != nil {
		return err
	}

	// Re-selection: preview a frame that is not golden, then use it.
	var frame int
	ui(func() {
		r := c.review
		r.layer.SetSelected(layerOriginal)
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
	return t.capture(c, "09-library.png")
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

// pickOtherFrame returns the sharpest stable frame that is not golden, or
// any frame that is not.
func pickOtherFrame(r *reviewScreen) int {
	best, bestSharp := -1, -1.0
	far := func(n int) bool {
		for _, g := range r.res.GoldenFrameDetails {
			if n-g.Frame < 10 && g.Frame-n < 10 {
				return false
			}
		}
		return true
	}
	for _, f := range r.res.Frames {
		if r.slotOf(f.Frame) >= 0 || !far(f.Frame) {
			continue
		}
		if f.Stable && f.Sharpness > bestSharp {
			best, bestSharp = f.Frame, f.Sharpness
		}
	}
	if best < 0 {
		for _, f := range r.res.Frames {
			if r.slotOf(f.Frame) < 0 {
				return f.Frame
			}
		}
		return 0
	}
	return best
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
