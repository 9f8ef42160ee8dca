package ui

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
	"github.com/dustin/go-humanize"

	"gradevault/engine/event"
	"gradevault/engine/upload"
)

// uploadFlow is the state of "Save & upload": the confirmation, the
// progress and the outcome dialogs. Kept on the controller so tests can
// inspect it. UI goroutine only.
type uploadFlow struct {
	dir     string
	cfg     upload.Config
	objects []upload.Object
	total   int64

	stage   string // "unconfigured", "confirm", "uploading", "done", "failed"
	dialog  dialog.Dialog
	summary *widget.Label
	bar     *widget.ProgressBar
	current *widget.Label
	files   *widget.Label
	fileBar map[string]*widget.ProgressBar // per object path
	report  *upload.Report
	err     error
	cancel  context.CancelFunc
}

func (c *controller) setDialog(d dialog.Dialog) {
	if c.up != nil && c.up.dialog != nil && c.up.dialog != d {
		c.up.dialog.Hide()
	}
	c.lastDialog = d
	d.Show()
}

// saveAndUpload starts the upload flow for the scan in dir. The scan is
// already saved in the library (result.json is written by the analysis).
func (c *controller) saveAndUpload(dir string) {
	f := &uploadFlow{dir: dir}
	c.up = f
	cfg, err := c.uploadConfig()
	f.cfg = cfg
	missing := missingConfig(cfg)
	if err == nil && len(missing) > 0 {
		err = upload.ErrConfig
	}
	if err != nil {
		f.stage = "unconfigured"
		msg := fmt.Sprintf("The scan is saved locally in your library:\n%s\n\n", dir)
		if len(missing) > 0 {
			msg += fmt.Sprintf("To upload it, set the missing %s in Settings (or %s).", strings.Join(missing, " and "), missingEnv(missing))
		}
		if !errors.Is(err, upload.ErrConfig) {
			msg = fmt.Sprintf("Cannot read the upload settings: %v\n\n%s", err, msg)
		}
		d := dialog.NewCustomConfirm("Supabase is not configured", "Open settings", "Close",
			messageLabel(msg, dialogTextWidth, widget.MediumImportance), func(ok bool) {
				if ok {
					c.showSettings()
				}
			}, c.win)
		f.dialog = d
		c.setDialog(d)
		return
	}
	objs, total, err := c.eng.Plan(dir, cfg)
	if err != nil {
		f.stage = "failed"
		f.err = err
		c.showUploadFailure(f)
		return
	}
	f.objects, f.total = objs, total
	f.stage = "confirm"
	c.showUploadConfirm(f)
}

// missingConfig names the upload settings that are empty.
func missingConfig(cfg upload.Config) []string {
	var m []string
	if strings.TrimSpace(cfg.URL) == "" {
		m = append(m, "Supabase URL")
	}
	if strings.TrimSpace(cfg.Key) == "" {
		m = append(m, "key")
	}
	return m
}

// missingEnv names the environment variables that can stand in for the
// missing settings.
func missingEnv(missing []string) string {
	var env []string
	for _, m := range missing {
		if m == "key" {
			env = append(env, upload.EnvKey)
		} else {
			env = append(env, upload.EnvURL)
		}
	}
	return strings.Join(env, " and ") + " in the environment or a .env file"
}

func (c *controller) showUploadConfirm(f *uploadFlow) {
	var rows []fyne.CanvasObject
	pending := 0
	for _, o := range f.objects {
		state := humanize.Bytes(uint64(o.Size))
		if o.Uploaded {
			state += " · already uploaded"
		} else {
			pending++
		}
		l := widget.NewLabel(o.Path)
		l.Truncation = fyne.TextTruncateEllipsis
		s := widget.NewLabel(state)
		s.Importance = widget.LowImportance
		rows = append(rows, container.NewBorder(nil, nil, nil, s, l))
	}
	f.summary = widget.NewLabel(fmt.Sprintf("%d files · %s to send (%d already in the bucket)",
		len(f.objects), humanize.Bytes(uint64(f.total)), len(f.objects)-pending))
	f.summary.TextStyle = fyne.TextStyle{Bold: true}
	dest := widget.NewLabel(fmt.Sprintf("Bucket %q at %s", f.cfg.Bucket, f.cfg.URL))
	dest.Wrapping = fyne.TextWrapWord
	list := container.NewVScroll(container.NewVBox(rows...))
	list.SetMinSize(fyne.NewSize(600, 260))
	content := container.NewBorder(container.NewVBox(dest, f.summary, widget.NewSeparator()), nil, nil, nil, list)
	d := dialog.NewCustomConfirm("Upload this scan?", "Upload", "Cancel", content, func(ok bool) {
		if ok {
			c.runUpload(f)
		} else {
			f.stage = "cancelled"
		}
	}, c.win)
	f.dialog = d
	c.setDialog(d)
}

// runUpload sends the scan in the background with live progress.
func (c *controller) runUpload(f *uploadFlow) {
	f.stage = "uploading"
	f.bar = widget.NewProgressBar()
	f.current = widget.NewLabel("Starting…")
	f.current.Truncation = fyne.TextTruncateEllipsis
	f.files = widget.NewLabel("")
	f.files.Importance = widget.LowImportance
	ctx, cancel := context.WithCancel(c.ctx)
	f.cancel = cancel
	// One row per file, with its own progress bar.
	f.fileBar = map[string]*widget.ProgressBar{}
	var rows []fyne.CanvasObject
	for _, o := range f.objects {
		name := widget.NewLabel(strings.TrimPrefix(o.Path, scanPrefix(o.Path)))
		name.Truncation = fyne.TextTruncateEllipsis
		bar := widget.NewProgressBar()
		if o.Uploaded {
			bar.SetValue(1)
			bar.TextFormatter = func() string { return "already uploaded" }
		} else {
			bar.TextFormatter = func() string { return "waiting" }
		}
		f.fileBar[o.Path] = bar
		rows = append(rows, container.NewGridWithColumns(2, name, bar))
	}
	list := container.NewVScroll(container.NewVBox(rows...))
	list.SetMinSize(fyne.NewSize(600, 260))
	d := dialog.NewCustom("Uploading", "Cancel",
		container.NewBorder(container.NewVBox(f.current, f.bar, f.files, widget.NewSeparator()), nil, nil, nil, list), c.win)
	d.SetOnClosed(func() {
		if f.stage == "uploading" {
			cancel()
		}
	})
	f.dialog = d
	c.setDialog(d)

	model := newLiveModel()
	p := startPump(c.do, model, nil, func(s liveSnapshot, _ any) {
		if f.stage != "uploading" {
			return
		}
		if s.Progress.Total > 0 {
			f.bar.SetValue(float64(s.Progress.Done) / float64(s.Progress.Total))
		}
		if s.Progress.Item != "" {
			f.current.SetText(fmt.Sprintf("Sending %s · %s of %s", s.Progress.Item,
				humanize.Bytes(uint64(s.Progress.Done)), humanize.Bytes(uint64(s.Progress.Total))))
		}
		done := 0
		for path, fp := range s.Files {
			bar := f.fileBar[path]
			if bar == nil {
				continue
			}
			setFileBar(bar, fp)
			if fp.State == event.FileDone {
				done++
			}
		}
		f.files.SetText(fmt.Sprintf("%d of %d files sent", done, len(f.objects)-f.already()))
	})
	dir, cfg := f.dir, f.cfg
	c.goBG(func(context.Context) {
		defer cancel()
		rep, err := c.eng.Upload(ctx, dir, cfg, model.Sink)
		p.finish()
		c.do(func() {
			f.report, f.err = rep, err
			if err != nil {
				f.stage = "failed"
				if errors.Is(err, context.Canceled) {
					f.err = errors.New("upload cancelled; nothing more was sent (files already sent are kept and skipped next time)")
				}
				c.showUploadFailure(f)
				return
			}
			f.stage = "done"
			c.showUploadSuccess(f)
			if c.start != nil {
				c.start.refreshLibrary()
			}
		})
	})
}

// setFileBar shows one file's progress in its bar.
func setFileBar(bar *widget.ProgressBar, fp event.FileProgress) {
	switch fp.State {
	case event.FileDone:
		bar.TextFormatter = func() string { return "sent" }
		bar.SetValue(1)
	case event.FileFailed:
		bar.TextFormatter = func() string { return "failed" }
		bar.SetValue(0)
	default:
		sent, size := fp.Sent, fp.Size
		bar.TextFormatter = func() string {
			return humanize.Bytes(uint64(sent)) + " of " + humanize.Bytes(uint64(size))
		}
		if size > 0 {
			bar.SetValue(float64(sent) / float64(size))
		} else {
			bar.Refresh()
		}
	}
}

// already is the number of planned files that were already in the bucket.
func (f *uploadFlow) already() int {
	n := 0
	for _, o := range f.objects {
		if o.Uploaded {
			n++
		}
	}
	return n
}

// scanPrefix is the "{scanId}/" at the start of an object path.
func scanPrefix(path string) string {
	if i := strings.IndexByte(path, '/'); i >= 0 {
		return path[:i+1]
	}
	return ""
}

func (c *controller) showUploadSuccess(f *uploadFlow) {
	rep := f.report
	head := widget.NewLabel(fmt.Sprintf("Uploaded %d files (%s), %d already there, to bucket %q.",
		rep.Uploaded, humanize.Bytes(uint64(rep.BytesSent)), rep.Skipped, rep.Bucket))
	head.Wrapping = fyne.TextWrapWord
	var links []fyne.CanvasObject
	addLink := func(label, raw string) {
		u, err := url.Parse(raw)
		if err != nil || raw == "" {
			return
		}
		h := widget.NewHyperlink(label, u)
		h.Truncation = fyne.TextTruncateEllipsis
		links = append(links, h)
	}
	addLink("result.json", rep.ResultURL)
	for _, o := range rep.Objects {
		if strings.HasSuffix(o.Path, "result.json") {
			continue
		}
		addLink(strings.TrimPrefix(o.Path, rep.ScanID+"/"), o.URL)
	}
	list := container.NewVScroll(container.NewVBox(links...))
	list.SetMinSize(fyne.NewSize(600, 240))
	d := dialog.NewCustom("Upload complete", "Close", container.NewBorder(head, nil, nil, nil, list), c.win)
	f.dialog = d
	c.setDialog(d)
}

func (c *controller) showUploadFailure(f *uploadFlow) {
	msg := fmt.Sprintf("The upload did not complete: %v\n\nThe scan is still saved locally in %s.", f.err, f.dir)
	if f.report != nil && f.report.Uploaded > 0 {
		msg += fmt.Sprintf(" %d files were sent before the error; Retry sends only the rest.", f.report.Uploaded)
	}
	d := dialog.NewCustomConfirm("Upload failed", "Retry", "Close", messageLabel(msg, dialogTextWidth, widget.DangerImportance), func(ok bool) {
		if ok {
			c.saveAndUpload(f.dir)
		}
	}, c.win)
	d.SetConfirmImportance(widget.HighImportance)
	f.dialog = d
	c.setDialog(d)
}
