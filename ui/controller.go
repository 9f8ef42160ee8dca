package ui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"sync/atomic"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"gradevault/engine/analysis"
	"gradevault/engine/item"
	"gradevault/engine/library"
	"gradevault/engine/scan"
	"gradevault/engine/upload"
	"gradevault/internal/cmem"
)

// Screen names, in the order a grader meets them.
const (
	screenStart    = "start"
	screenAnalysis = "analysis"
	screenReview   = "review"
)

// controller owns the window's state. Its methods run on the UI goroutine
// unless they say otherwise; background work (analysis, re-selection, frame
// decoding, upload) runs in goroutines tracked by bg and cancelled by ctx,
// and comes back to the UI only through fyne.Do.
type controller struct {
	app  fyne.App
	win  fyne.Window
	opts Options
	eng  Engine
	env  Env

	settings upload.Settings
	libRoot  string

	ctx     context.Context
	cancel  context.CancelFunc
	bg      sync.WaitGroup
	closing atomic.Bool
	post    func(func()) // hands a function to the UI goroutine: fyne.Do, or a test's queue

	// UI goroutine only.
	header     *appHeader
	body       *fyne.Container
	screen     string
	start      *startScreen
	live       *analysisScreen
	review     *reviewScreen
	job        *analysisJob
	queue      []string
	itemType   item.Type
	onScreen   func(name string) // test and tour hook
	lastDialog dialogCloser
	up         *uploadFlow
	settingsUI *settingsForm
}

type dialogCloser interface{ Hide() }

// analysisJob is one running analysis.
type analysisJob struct {
	video   string
	scanID  string
	dir     string
	existed bool
	model   *liveModel
	pump    *pump
	cancel  context.CancelFunc
	done    chan struct{}
	result  *scan.Result
	err     error
}

func newController(a fyne.App, w fyne.Window, opts Options, eng Engine, env Env) *controller {
	c := &controller{app: a, win: w, opts: opts, eng: eng.withDefaults(), env: env, itemType: opts.ItemType.OrDefault(), post: env.post}
	if c.post == nil {
		c.post = fyne.Do
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.loadSettings()
	c.header = newAppHeader(c)
	c.body = container.NewStack()
	w.SetContent(container.NewBorder(c.header.obj, nil, nil, nil, c.body))
	w.SetOnDropped(func(_ fyne.Position, uris []fyne.URI) { c.dropped(uris) })
	c.installKeys()
	c.showStart("")
	return c
}

func (c *controller) settingsPath() (string, error) {
	if c.env.SettingsPath != "" {
		return c.env.SettingsPath, nil
	}
	return upload.SettingsPath()
}

func (c *controller) keychain() upload.Keychain {
	if c.env.Keychain != nil {
		return c.env.Keychain
	}
	return upload.OSKeychain()
}

func (c *controller) loadSettings() {
	if p, err := c.settingsPath(); err == nil {
		if s, err := upload.LoadSettingsFile(p); err == nil {
			c.settings = s
		}
	}
	c.libRoot = c.env.LibraryRoot
	if c.libRoot == "" {
		c.libRoot = library.Root(c.settings.Library)
	}
}

func (c *controller) uploadConfig() (upload.Config, error) {
	if c.env.LoadConfig != nil {
		return c.env.LoadConfig()
	}
	o := upload.LoadOptions{Keychain: c.env.Keychain}
	if p, err := c.settingsPath(); err == nil {
		o.ConfigDir = filepath.Dir(p)
	}
	cfg, _, err := upload.LoadConfig(o)
	return cfg, err
}

// analysisOptions are the analysis settings from the settings screen.
func (c *controller) analysisOptions() analysis.Options {
	o := analysis.Options{Workers: c.settings.Workers, MotionThreshold: c.settings.MotionThreshold, MinGap: c.settings.MinGap}
	if m, err := analysis.ParseMode(c.settings.Mode); err == nil {
		o.Mode = m
	}
	// The same metrics cache as the command line: a video analysed before
	// is not decoded again.
	o.Cache = analysis.DirCache(library.CacheDir(c.libRoot))
	return o.Defaults()
}

// setScreen swaps the body.
func (c *controller) setScreen(name string, obj fyne.CanvasObject) {
	c.screen = name
	c.body.Objects = []fyne.CanvasObject{obj}
	c.body.Refresh()
	c.header.update()
	if c.onScreen != nil {
		c.onScreen(name)
	}
}

func (c *controller) showStart(message string) {
	c.closeReview()
	c.dropLive()
	if c.start == nil {
		c.start = newStartScreen(c)
	}
	c.start.refreshLibrary()
	c.start.setMessage(message, message != "")
	c.start.updateQueue()
	c.setScreen(screenStart, c.start.obj)
}

// dropLive forgets the analysis screen and its chart images (the widget
// renderers Fyne caches for a while would otherwise keep them).
func (c *controller) dropLive() {
	if c.live != nil {
		c.live.charts.release()
		c.live = nil
	}
}

// closeReview closes the scan on screen and gives its memory back to the
// system once its decoder is closed.
func (c *controller) closeReview() {
	if c.review == nil {
		return
	}
	r := c.review
	c.review = nil
	r.close()
	c.goBG(func(context.Context) {
		r.preview.close()
		releaseMemory()
	})
}

// dropped handles files dropped on the window.
func (c *controller) dropped(uris []fyne.URI) {
	var bad []string
	var videos []string
	for _, u := range uris {
		p := u.Path()
		if !isVideoPath(p) {
			bad = append(bad, filepath.Base(p))
			continue
		}
		videos = append(videos, p)
	}
	if len(bad) > 0 {
		msg := fmt.Sprintf("%s: not a video. Drop an mp4, mov, m4v, avi, mkv or webm file.", joinNames(bad))
		if c.start != nil {
			c.start.setMessage(msg, true)
		}
		if c.screen != screenStart {
			c.notify("Not a video", msg)
		}
	}
	for _, v := range videos {
		c.enqueue(v)
	}
}

func joinNames(names []string) string {
	if len(names) <= 3 {
		s := ""
		for i, n := range names {
			if i > 0 {
				s += ", "
			}
			s += n
		}
		return s
	}
	return fmt.Sprintf("%s, %s and %d more", names[0], names[1], len(names)-2)
}

// enqueue analyses path now, or after the running analysis.
func (c *controller) enqueue(path string) {
	if !isVideoPath(path) {
		c.start.setMessage(fmt.Sprintf("%s: %v", filepath.Base(path), errNotVideo), true)
		return
	}
	if c.job != nil {
		c.queue = append(c.queue, path)
		if c.live != nil {
			c.live.updateQueue()
		}
		return
	}
	c.startAnalysis(path)
}

// startAnalysis begins analysing path with the start screen's item type and
// scan ID.
func (c *controller) startAnalysis(path string) {
	if c.start == nil {
		c.start = newStartScreen(c)
	}
	id := c.start.takeScanID()
	if err := library.ValidScanID(id); err != nil {
		c.showStart(err.Error())
		return
	}
	dir := library.ScanDir(c.libRoot, id)
	if _, err := os.Stat(filepath.Join(dir, scan.ResultFile)); err == nil {
		c.showStart(fmt.Sprintf("Scan %s already exists in the library: choose another scan ID.", id))
		return
	}
	_, statErr := os.Stat(dir)
	ctx, cancel := context.WithCancel(c.ctx)
	job := &analysisJob{video: path, scanID: id, dir: dir, existed: statErr == nil, model: newLiveModel(), cancel: cancel, done: make(chan struct{})}
	c.job = job
	c.closeReview()
	c.dropLive()
	c.live = newAnalysisScreen(c, job)
	job.pump = startPump(c.do, job.model, c.live.prepare, c.live.apply)
	c.setScreen(screenAnalysis, c.live.obj)

	o := scan.Options{Video: path, Dir: dir, ScanID: id, ItemType: c.itemType, Analysis: c.analysisOptions(), Glint: true, Sink: job.model.Sink}
	c.bg.Add(1)
	go func() {
		defer c.bg.Done()
		res, err := c.eng.Run(ctx, o)
		if err != nil {
			scan.CleanupFailed(dir, job.existed) // idempotent: the engine cleaned up already
		}
		job.result, job.err = res, err
		job.pump.finish()
		close(job.done)
		c.do(func() { c.analysisDone(job) })
		// The analysis's buffers are garbage now: give them back.
		releaseMemory()
	}()
}

// cancelAnalysis stops the running analysis; analysisDone then returns to
// the start screen.
func (c *controller) cancelAnalysis() {
	if c.job != nil {
		c.job.cancel()
	}
}

func (c *controller) analysisDone(job *analysisJob) {
	if c.job != job {
		return
	}
	c.job = nil
	job.cancel()
	if errors.Is(job.err, context.Canceled) {
		dropped := len(c.queue)
		c.queue = nil
		msg := "Analysis cancelled. Nothing was saved."
		if dropped > 0 {
			msg += fmt.Sprintf(" %d queued video(s) were removed from the queue.", dropped)
		}
		c.showStart(msg)
		return
	}
	if job.err != nil {
		msg := fmt.Sprintf("Could not analyse %s: %v", filepath.Base(job.video), job.err)
		if len(c.queue) > 0 {
			c.notify("Analysis failed", msg)
			c.startNext()
			return
		}
		c.showStart(msg)
		return
	}
	if len(c.queue) > 0 {
		c.startNext()
		return
	}
	c.openReview(job.dir, job.result)
}

func (c *controller) startNext() {
	next := c.queue[0]
	c.queue = c.queue[1:]
	c.startAnalysis(next)
}

// openScan opens a library scan in review without re-analysing it.
func (c *controller) openScan(dir string) {
	s, err := library.Open(dir)
	if err != nil {
		c.showStart(err.Error())
		return
	}
	c.openReview(dir, s.Result)
}

func (c *controller) openReview(dir string, res *scan.Result) {
	c.closeReview()
	c.dropLive()
	c.review = newReviewScreen(c, dir, res)
	c.setScreen(screenReview, c.review.obj)
}

// notify shows a short message dialog.
func (c *controller) notify(title, msg string) {
	d := newInfoDialog(title, msg, c.win)
	c.lastDialog = d
	d.Show()
}

// go_ runs f in a tracked background goroutine (any goroutine may call it
// while holding a bg count; the UI goroutine always may).
func (c *controller) goBG(f func(ctx context.Context)) {
	c.bg.Add(1)
	go func() {
		defer c.bg.Done()
		f(c.ctx)
	}()
}

// do runs f on the UI goroutine unless the window is closing. It hands f to
// c.post: fyne.Do in the app; tests inject a queue they drain on their own
// goroutine, so they need neither sleeps nor locks. Never call do from code
// already running on the UI goroutine.
func (c *controller) do(f func()) {
	if c.closing.Load() {
		return
	}
	c.post(func() {
		if c.closing.Load() {
			return
		}
		f()
	})
}

// shutdown cancels every background job and waits for them (quitting).
// Safe from any goroutine; it never waits on the UI goroutine.
func (c *controller) shutdown() {
	c.closing.Store(true)
	c.cancel()
	c.bg.Wait()
	if r := c.review; r != nil {
		r.preview.close()
	}
}

// wait blocks until every background job has finished and queued its last
// UI update (tests and the tour).
func (c *controller) wait() { c.bg.Wait() }

// appHeader is the bar at the top: app name, current scan, actions.
type appHeader struct {
	c      *controller
	obj    fyne.CanvasObject
	title  *canvas.Text
	scan   *widget.Label
	status *widget.Label
}

func newAppHeader(c *controller) *appHeader {
	h := &appHeader{c: c}
	h.title = canvas.NewText("GradeVault", theme.Color(theme.ColorNamePrimary))
	h.title.TextSize = theme.TextHeadingSize()
	h.title.TextStyle = fyne.TextStyle{Bold: true}
	h.scan = widget.NewLabel("")
	h.scan.TextStyle = fyne.TextStyle{Bold: true}
	h.status = widget.NewLabel("")
	h.status.Importance = widget.LowImportance
	settings := widget.NewButtonWithIcon("Settings (Ctrl+,)", theme.SettingsIcon(), func() { c.showSettings() })
	settings.Importance = widget.LowImportance
	version := widget.NewLabel("v" + c.opts.Version)
	version.Importance = widget.LowImportance
	left := container.NewHBox(container.NewPadded(h.title), h.scan, h.status)
	h.obj = container.NewVBox(
		container.NewBorder(nil, nil, left, container.NewHBox(version, settings)),
		widget.NewSeparator(),
	)
	return h
}

// update shows the current scan; UI goroutine.
func (h *appHeader) update() {
	c := h.c
	switch {
	case c.screen == screenAnalysis && c.job != nil:
		h.scan.SetText("· " + c.job.scanID)
		h.status.SetText(fmt.Sprintf("analysing %s", filepath.Base(c.job.video)))
	case c.screen == screenReview && c.review != nil:
		r := c.review.res
		h.scan.SetText("· " + r.ScanID)
		h.status.SetText(fmt.Sprintf("%s · %s", r.ItemType, filepath.Base(r.Video.Path)))
	default:
		h.scan.SetText("")
		h.status.SetText("")
	}
}

// newSection is a titled block with consistent spacing.
func newSection(title string, content fyne.CanvasObject) fyne.CanvasObject {
	t := widget.NewLabelWithStyle(title, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	return container.NewBorder(t, nil, nil, nil, content)
}

// releaseMemory returns freed memory to the system (after an analysis and
// after closing a scan, when large buffers have just become garbage); any
// goroutine.
func releaseMemory() {
	debug.FreeOSMemory()
	cmem.Trim()
}
