package ui

import (
	"context"
	"fmt"
	"image"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"gradevault/engine/analysis"
	"gradevault/engine/scan"
)

// reviewScreen shows a finished scan: the large preview with its defect
// layers (review_preview.go), the golden frames, the damage report
// (review_report.go) and the timeline for re-selection (reselect.go).
//
// Memory: the screen holds full-resolution images only for what the
// preview shows (the selected slot's base and overlay layer); golden-frame
// cards hold small thumbnails. close drops everything.
type reviewScreen struct {
	c   *controller
	dir string
	res *scan.Result

	obj fyne.CanvasObject

	// golden frames
	thumbs   *fyne.Container
	cards    []*thumbCard
	selected int
	thumbImg map[int]image.Image // thumbnails by video frame number
	thumbSeq int

	pv  *previewPane
	rep *reportPanel

	banner  *widget.Label // low-confidence warning and warnings at the top
	why     *widget.Label // why the selected frame was picked
	grading *gradingPanel // sub-grades, outline, centering, export

	// timeline and re-selection
	charts   *chartSet
	slider   *widget.Slider
	info     *widget.Label
	use      *widget.Button
	add      *widget.Button
	remove   *widget.Button
	reset    *widget.Button
	undoBtn  *widget.Button
	status   *widget.Label
	progress *widget.ProgressBar
	upload   *widget.Button
	tabs     *container.AppTabs
	preview  *framePreviewer

	scrub    int // frame shown from the timeline, -1 when a golden frame is shown
	scrubImg image.Image

	reselSeq    int
	reselCancel context.CancelFunc
	reselDone   chan struct{}
	busy        bool
	undo        [][]int // frame sets before each re-selection, newest last
	ready       bool    // construction finished; widget callbacks before that are ignored
	closed      bool
}

func newReviewScreen(c *controller, dir string, res *scan.Result) *reviewScreen {
	r := &reviewScreen{c: c, dir: dir, res: res, scrub: -1, thumbImg: map[int]image.Image{}}
	r.preview = newFramePreviewer(res.Video.Path)
	r.pv = newPreviewPane(r)
	r.rep = newReportPanel(r)

	r.banner = widget.NewLabel("")
	r.banner.Importance = widget.WarningImportance
	r.banner.Wrapping = fyne.TextWrapWord
	r.banner.TextStyle = fyne.TextStyle{Bold: true}
	r.banner.Hide()
	r.why = widget.NewLabel("")
	r.why.Wrapping = fyne.TextWrapWord
	r.why.Importance = widget.MediumImportance

	// Golden frames: small cards, several to a row.
	r.thumbs = container.NewGridWrap(fyne.NewSize(thumbSize.Width+16, thumbSize.Height+52))

	// Re-selection status under the score it updates.
	r.status = widget.NewLabel("")
	r.status.Importance = widget.LowImportance
	r.status.Wrapping = fyne.TextWrapWord
	r.status.Hide()
	r.progress = widget.NewProgressBar()
	r.progress.Hide()

	// Timeline.
	r.charts = newChartSet(func(f int) { r.seek(f) })
	r.charts.sharp.onResize = r.renderCharts
	frames := max(1, len(res.Frames), res.Video.Frames)
	r.slider = widget.NewSlider(0, float64(frames-1))
	r.slider.Step = 1
	r.slider.OnChanged = func(v float64) { r.seek(int(v)) }
	r.info = widget.NewLabel("Click the charts, drag the slider or press ← → to preview any frame.")
	r.info.Wrapping = fyne.TextWrapWord
	r.use = widget.NewButtonWithIcon("Use this frame", theme.ConfirmIcon(), r.useFrame)
	r.use.Importance = widget.HighImportance
	r.add = widget.NewButtonWithIcon("Add as new slot", theme.ContentAddIcon(), r.addFrame)
	r.remove = widget.NewButtonWithIcon("Remove slot", theme.ContentRemoveIcon(), r.removeSlot)
	r.reset = widget.NewButtonWithIcon("Reset to automatic", theme.HistoryIcon(), r.resetAuto)
	r.undoBtn = widget.NewButtonWithIcon("Undo", theme.ContentUndoIcon(), r.undoLast)
	r.upload = widget.NewButtonWithIcon("Save & upload", theme.UploadIcon(), func() { c.saveAndUpload(r.dir) })
	r.upload.Importance = widget.HighImportance
	newScan := widget.NewButtonWithIcon("New scan", theme.HomeIcon(), func() { c.showStart("") })

	timeline := container.NewVScroll(container.NewVBox(
		r.charts.sharp, r.charts.motion, r.slider, r.info,
		container.NewGridWithColumns(2, r.use, r.add, r.remove, r.reset, r.undoBtn),
	))
	r.grading = newGradingPanel(r)
	r.tabs = container.NewAppTabs(
		container.NewTabItem("Frames", container.NewVScroll(container.NewVBox(r.thumbs, r.why))),
		container.NewTabItem("Re-select", timeline),
		container.NewTabItem("Report", r.rep.obj),
		container.NewTabItem("Grades", container.NewVScroll(r.grading.obj)),
	)
	side := container.NewBorder(
		container.NewVBox(container.NewGridWithColumns(2, newScan, r.upload), r.rep.score, r.status, r.progress),
		nil, nil, nil, r.tabs)
	main := container.NewHSplit(r.pv.obj, side)
	main.Offset = 0.7
	r.obj = container.NewPadded(container.NewBorder(r.banner, nil, nil, nil, main))

	r.ready = true
	r.setResult(res)
	r.selectSlot(0)
	return r
}

// setResult shows res (after opening or a re-selection); UI goroutine.
func (r *reviewScreen) setResult(res *scan.Result) {
	r.res = res
	r.pv.reset()
	if r.selected >= len(res.GoldenFrameDetails) {
		r.selected = max(0, len(res.GoldenFrameDetails)-1)
	}
	conf := confidenceOf(res)
	switch {
	case conf.Low:
		r.banner.SetText("⚠ " + upperFirst(analysis.NoStillMessage) + ". The damage score is low-confidence. " + conf.reasonText())
		r.banner.Importance = widget.DangerImportance
		r.banner.Show()
	case conf.Medium:
		r.banner.SetText("Medium confidence: " + conf.reasonText())
		r.banner.Importance = widget.WarningImportance
		r.banner.Show()
	default:
		if len(res.Warnings) > 0 {
			r.banner.SetText("⚠ " + strings.Join(res.Warnings, "\n⚠ "))
			r.banner.Importance = widget.WarningImportance
			r.banner.Show()
		} else {
			r.banner.Hide()
		}
	}
	r.grading.update(res)
	r.buildThumbs()
	r.rep.show(res, r.dir, conf.Low)
	r.updateButtons()
	r.renderCharts()
	r.loadThumbs()
	r.c.header.update()
}

// loadThumbs decodes small thumbnails of the golden frames that have none
// yet, in the background.
func (r *reviewScreen) loadThumbs() {
	r.thumbSeq++
	seq := r.thumbSeq
	want := map[int]string{}
	for _, g := range r.res.GoldenFrameDetails {
		if r.thumbImg[g.Frame] == nil && g.File != "" {
			want[g.Frame] = filepath.Join(r.dir, filepath.FromSlash(g.File))
		}
	}
	// Forget thumbnails of frames no longer in the set.
	for f := range r.thumbImg {
		if r.slotOf(f) < 0 {
			delete(r.thumbImg, f)
		}
	}
	if len(want) == 0 {
		return
	}
	r.c.goBG(func(ctx context.Context) {
		got := map[int]image.Image{}
		for f, p := range want {
			if ctx.Err() != nil {
				return
			}
			got[f] = loadThumb(p, thumbPixels)
		}
		r.c.do(func() {
			if r.closed || seq != r.thumbSeq {
				return
			}
			for f, img := range got {
				if img != nil && r.slotOf(f) >= 0 {
					r.thumbImg[f] = img
				}
			}
			for _, card := range r.cards {
				card.setImage(r.thumbImg[card.g.Frame])
			}
		})
	})
}

func (r *reviewScreen) buildThumbs() {
	r.thumbs.Objects = nil
	r.cards = nil
	for i, g := range r.res.GoldenFrameDetails {
		i := i
		card := newThumbCard(i, g, func() { r.selectSlot(i) })
		card.setImage(r.thumbImg[g.Frame])
		card.setSelected(i == r.selected)
		r.cards = append(r.cards, card)
		r.thumbs.Add(card)
	}
	r.thumbs.Refresh()
}

func (r *reviewScreen) selectSlot(i int) {
	if i < 0 || (i >= len(r.res.GoldenFrameDetails) && len(r.res.GoldenFrameDetails) > 0) {
		return
	}
	r.selected = i
	r.scrub = -1
	r.scrubImg = nil
	for j, c := range r.cards {
		c.setSelected(j == i)
	}
	if i < len(r.res.GoldenFrameDetails) {
		g := r.res.GoldenFrameDetails[i]
		r.setSlider(g.Frame)
		r.why.SetText(fmt.Sprintf("Golden frame %d (frame %d): %s", i+1, g.Frame, pickReason(r.res, g)))
	}
	r.updateButtons()
	r.renderCharts()
	r.pv.show()
}

func (r *reviewScreen) setSlider(f int) {
	if int(r.slider.Value) == f {
		return
	}
	r.slider.OnChanged = nil
	r.slider.SetValue(float64(f))
	r.slider.OnChanged = func(v float64) { r.seek(int(v)) }
}

// currentFrame is the frame on screen: the scrubbed one or the selected
// golden frame.
func (r *reviewScreen) currentFrame() int {
	if r.scrub >= 0 {
		return r.scrub
	}
	if r.selected < len(r.res.GoldenFrameDetails) {
		return r.res.GoldenFrameDetails[r.selected].Frame
	}
	return 0
}

// frameCount is the number of frames of the scan's video.
func (r *reviewScreen) frameCount() int { return max(len(r.res.Frames), r.res.Video.Frames) }

// step moves the timeline by d frames (← →).
func (r *reviewScreen) step(d int) {
	f := min(max(r.currentFrame()+d, 0), r.frameCount()-1)
	r.seek(f)
}

// stepSlot selects the previous or next golden frame (↑ ↓).
func (r *reviewScreen) stepSlot(d int) {
	n := len(r.res.GoldenFrameDetails)
	if n == 0 {
		return
	}
	r.selectSlot(min(max(r.selected+d, 0), n-1))
}

func (r *reviewScreen) frameCaption(f int) string {
	txt := fmt.Sprintf("Frame %d", f)
	if f < len(r.res.Frames) {
		fr := r.res.Frames[f]
		txt += fmt.Sprintf(" · %ss · sharpness %s · motion %s px", fmtNum(fr.Timestamp), fmtNum(fr.Sharpness), fmtNum(fr.Motion))
		if fr.Stable {
			txt += " · still"
		} else {
			txt += " · moving"
		}
	}
	if slot := r.slotOf(f); slot >= 0 {
		txt += fmt.Sprintf(" · golden slot %d", slot+1)
	} else {
		txt += " · not in the set"
	}
	return txt
}

func (r *reviewScreen) slotOf(f int) int {
	for i, g := range r.res.GoldenFrameDetails {
		if g.Frame == f {
			return i
		}
	}
	return -1
}

// renderCharts draws the timeline charts with the picks and the cursor. A
// result has all its frames, so this happens rarely (selection changes,
// seeks, resizes) and runs in the background.
func (r *reviewScreen) renderCharts() {
	d := chartData{Total: len(r.res.Frames), Threshold: r.res.Settings.MotionThreshold, Cursor: r.scrub}
	if d.Threshold == 0 {
		d.Threshold = 1
	}
	d.Frames = make([]frameMetric, len(r.res.Frames))
	for i, f := range r.res.Frames {
		d.Frames[i] = frameMetric{Known: true, Timestamp: f.Timestamp, Sharpness: f.Sharpness, Motion: f.Motion, Stable: f.Stable}
	}
	for _, g := range r.res.GoldenFrameDetails {
		d.Picks = append(d.Picks, g.Frame)
	}
	if r.scrub < 0 && r.selected < len(r.res.GoldenFrameDetails) {
		d.Cursor = r.res.GoldenFrameDetails[r.selected].Frame
	}
	r.charts.chartsVer++
	ver := r.charts.chartsVer
	cs := r.charts
	r.c.goBG(func(ctx context.Context) {
		out := cs.render(ver, d)
		if out == nil {
			return
		}
		r.c.do(func() {
			if cs.chartsVer == ver && !r.closed {
				cs.apply(out)
			}
		})
	})
}

// seek previews frame f from the timeline.
func (r *reviewScreen) seek(f int) {
	if f < 0 || f >= r.frameCount() || r.scrub == f {
		return
	}
	r.scrub = f
	r.scrubImg = nil
	r.setSlider(f)
	r.info.SetText(r.frameCaption(f))
	r.updateButtons()
	r.renderCharts()
	r.pv.show()
	r.preview.request(r.c, f, func(frame int, img image.Image, err error) {
		if r.c.review != r || r.scrub != frame {
			return
		}
		if err != nil {
			r.info.SetText(fmt.Sprintf("Cannot preview frame %d: %v", frame, err))
			return
		}
		r.scrubImg = img
		r.pv.show()
	})
}

// close stops background work of the screen and lets go of every image;
// UI goroutine.
func (r *reviewScreen) close() {
	r.closed = true
	if r.reselCancel != nil {
		r.reselCancel()
	}
	r.thumbSeq++
	r.scrubImg = nil
	r.thumbImg = map[int]image.Image{}
	for _, card := range r.cards {
		card.setImage(nil)
	}
	r.pv.release()
	r.rep.release()
	r.grading.release()
	r.charts.release()
	p := r.preview
	r.c.goBG(func(context.Context) { p.close() })
}
