package ui

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"gradevault/engine/glint"
	"gradevault/engine/scan"
)

// Preview layers.
const (
	layerOriginal = "Original"
	layerGlint    = "Glint"
	layerMask     = "Defect mask"
	layerHeatmap  = "Heatmap"
	layerOverlay  = "Defect overlay"
)

var layerNames = []string{layerOriginal, layerGlint, layerMask, layerHeatmap, layerOverlay}

// Zoom levels of the preview.
var zoomLevels = []string{"Fit", "100%", "200%", "400%"}

// reviewScreen shows a finished scan: golden frames, the preview with its
// defect layers, the damage report, and the timeline for re-selection.
type reviewScreen struct {
	c   *controller
	dir string
	res *scan.Result

	obj fyne.CanvasObject

	// golden frames
	thumbs   *fyne.Container
	cards    []*thumbCard
	selected int
	images   map[string]image.Image
	loadSeq  int

	// preview
	layer    *widget.RadioGroup
	opacity  *widget.Slider
	zoom     *widget.Select
	base     *canvas.Image
	overlay  *canvas.Image
	caption  *widget.Label
	noGlint  *widget.Label
	imgSize  image.Point
	scrub    int // frame shown from the timeline, -1 when a golden frame is shown
	scrubImg image.Image

	// report
	damage   *canvas.Text
	defect   *widget.Label
	regions  *fyne.Container
	crops    *fyne.Container
	warnings *widget.Label
	grading  *gradingPanel

	// timeline and re-selection
	charts   *chartSet
	slider   *widget.Slider
	info     *widget.Label
	use      *widget.Button
	add      *widget.Button
	remove   *widget.Button
	reset    *widget.Button
	status   *widget.Label
	progress *widget.ProgressBar
	upload   *widget.Button
	preview  *framePreviewer

	reselSeq    int
	reselCancel context.CancelFunc
	reselDone   chan struct{}
	busy        bool
	ready       bool // construction finished; widget callbacks before that are ignored
}

func newReviewScreen(c *controller, dir string, res *scan.Result) *reviewScreen {
	r := &reviewScreen{c: c, dir: dir, res: res, scrub: -1, images: map[string]image.Image{}}
	r.preview = newFramePreviewer(res.Video.Path)

	// Preview.
	r.base = canvas.NewImageFromImage(nil)
	r.base.FillMode = canvas.ImageFillContain
	r.overlay = canvas.NewImageFromImage(nil)
	r.overlay.FillMode = canvas.ImageFillContain
	r.caption = widget.NewLabel("")
	r.caption.TextStyle = fyne.TextStyle{Bold: true}
	r.caption.Truncation = fyne.TextTruncateEllipsis
	r.noGlint = widget.NewLabel("No defect analysis for this scan: only the original frames can be shown.")
	r.noGlint.Importance = widget.WarningImportance
	r.noGlint.Wrapping = fyne.TextWrapWord
	r.noGlint.Hide()
	r.layer = widget.NewRadioGroup(layerNames, func(string) { r.showPreview() })
	r.layer.Horizontal = true
	r.layer.Required = true
	r.layer.SetSelected(layerOriginal)
	r.opacity = widget.NewSlider(0, 1)
	r.opacity.Step = 0.05
	r.opacity.SetValue(0.7)
	r.opacity.OnChanged = func(float64) { r.applyOpacity() }
	r.zoom = widget.NewSelect(zoomLevels, func(string) { r.applyZoom() })
	r.zoom.SetSelected("Fit")
	zoomRow := container.NewHBox(widget.NewLabel("Zoom"), r.zoom)
	opacityRow := container.NewBorder(nil, nil, widget.NewLabel("Overlay opacity"), zoomRow, r.opacity)
	controls := container.NewVBox(r.layer, opacityRow)
	imgStack := container.NewStack(r.base, r.overlay)
	scroll := container.NewScroll(imgStack)
	bg := canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground))
	bg.CornerRadius = 6
	previewPane := container.NewBorder(container.NewVBox(r.caption, r.noGlint), controls, nil, nil,
		container.NewStack(bg, scroll))

	// Golden frames.
	r.thumbs = container.NewHBox()

	// Report.
	r.damage = canvas.NewText("—", theme.Color(theme.ColorNameForeground))
	r.damage.TextSize = 34
	r.damage.TextStyle = fyne.TextStyle{Bold: true}
	r.defect = widget.NewLabel("")
	r.regions = container.NewGridWithColumns(4)
	r.crops = container.NewGridWithColumns(3)
	r.warnings = widget.NewLabel("")
	r.warnings.Wrapping = fyne.TextWrapWord
	r.warnings.Importance = widget.WarningImportance
	// The re-selection's status and progress sit under the score they
	// update, which also keeps the timeline short.
	r.status = widget.NewLabel("")
	r.status.Importance = widget.LowImportance
	r.status.Wrapping = fyne.TextWrapWord
	r.status.Hide() // shown once there is something to say
	r.progress = widget.NewProgressBar()
	r.grading = newGradingPanel(r)
	// Warnings first: a doubtful result must be seen before its numbers.
	report := container.NewScroll(container.NewVBox(
		widget.NewLabelWithStyle("Warnings", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		r.warnings,
		widget.NewSeparator(),
		widget.NewLabelWithStyle("Damage score", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		r.damage, r.defect, r.status, r.progress,
		widget.NewSeparator(),
		r.grading.obj,
		widget.NewSeparator(),
		widget.NewLabelWithStyle("Regions (quality score: higher = worse)", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		r.regions,
		widget.NewSeparator(),
		widget.NewLabelWithStyle("Region crops", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		r.crops,
	))

	// Timeline.
	r.charts = newChartSet(func(f int) { r.seek(f) })
	r.charts.sharp.onResize = r.renderCharts
	frames := max(1, len(res.Frames))
	r.slider = widget.NewSlider(0, float64(frames-1))
	r.slider.Step = 1
	r.slider.OnChanged = func(v float64) { r.seek(int(v)) }
	r.info = widget.NewLabel("Click the charts or drag the slider to preview any frame.")
	r.use = widget.NewButtonWithIcon("Use this frame", theme.ConfirmIcon(), r.useFrame)
	r.use.Importance = widget.HighImportance
	r.add = widget.NewButtonWithIcon("Add as new slot", theme.ContentAddIcon(), r.addFrame)
	r.remove = widget.NewButtonWithIcon("Remove selected slot", theme.ContentRemoveIcon(), r.removeSlot)
	r.reset = widget.NewButtonWithIcon("Reset to automatic", theme.HistoryIcon(), r.resetAuto)
	r.progress.Hide()
	r.upload = widget.NewButtonWithIcon("Save & upload", theme.UploadIcon(), func() { c.saveAndUpload(r.dir) })
	r.upload.Importance = widget.HighImportance
	newScan := widget.NewButtonWithIcon("New scan", theme.HomeIcon(), func() { c.showStart("") })

	chartRow := container.NewGridWithColumns(2, r.charts.sharp, r.charts.motion)
	buttons := container.NewHBox(r.use, r.add, r.remove, r.reset)
	timeline := container.NewBorder(nil,
		container.NewVBox(r.slider, r.info, buttons),
		nil, nil, chartRow)

	goldenHeader := container.NewBorder(nil, nil,
		widget.NewLabelWithStyle("Golden frames", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		container.NewHBox(newScan, r.upload))
	top := container.NewVBox(goldenHeader, container.NewHScroll(r.thumbs))
	left := container.NewVSplit(previewPane, timeline)
	left.Offset = 0.6
	main := container.NewHSplit(left, container.NewPadded(report))
	main.Offset = 0.66
	r.obj = container.NewPadded(container.NewBorder(top, nil, nil, nil, main))

	r.ready = true
	r.setResult(res)
	r.selectSlot(0)
	return r
}

// setResult shows res (after opening or a re-selection); UI goroutine.
func (r *reviewScreen) setResult(res *scan.Result) {
	r.res = res
	if r.selected >= len(res.GoldenFrameDetails) {
		r.selected = max(0, len(res.GoldenFrameDetails)-1)
	}
	r.buildThumbs()
	r.showReport()
	r.grading.update(res)
	r.updateButtons()
	r.renderCharts()
	r.loadScanImages()
	r.c.header.update()
}

// imagePaths are every image of the result the screen shows.
func (r *reviewScreen) imagePaths() []string {
	var p []string
	for _, g := range r.res.GoldenFrameDetails {
		p = append(p, g.File)
	}
	if rep := r.res.Report; rep != nil {
		p = append(p, rep.DefectMask, rep.VarianceHeatmap, rep.DefectOverlay)
		p = append(p, rep.GlintFrames...)
		p = append(p, rep.RectifiedFrames...)
		for _, name := range glint.RegionNames {
			p = append(p, rep.RegionCrops[name])
		}
	}
	return p
}

// loadScanImages decodes the scan's PNGs in the background and shows them.
func (r *reviewScreen) loadScanImages() {
	r.loadSeq++
	seq := r.loadSeq
	dir, paths := r.dir, r.imagePaths()
	r.c.goBG(func(ctx context.Context) {
		imgs := loadImages(dir, paths)
		r.c.do(func() {
			if seq != r.loadSeq || r.c.review != r {
				return
			}
			r.images = imgs
			for i, card := range r.cards {
				if i < len(r.res.GoldenFrameDetails) {
					card.setImage(imgs[r.res.GoldenFrameDetails[i].File])
				}
			}
			r.showCrops()
			r.showPreview()
		})
	})
}

func (r *reviewScreen) buildThumbs() {
	r.thumbs.Objects = nil
	r.cards = nil
	for i, g := range r.res.GoldenFrameDetails {
		i := i
		card := newThumbCard(i, g, func() { r.selectSlot(i) })
		card.setImage(r.images[g.File])
		card.setSelected(i == r.selected)
		r.cards = append(r.cards, card)
		r.thumbs.Add(card)
	}
	r.thumbs.Refresh()
}

func (r *reviewScreen) selectSlot(i int) {
	r.selected = i
	r.scrub = -1
	r.scrubImg = nil
	for j, c := range r.cards {
		c.setSelected(j == i)
	}
	if i < len(r.res.GoldenFrameDetails) {
		r.slider.OnChanged = nil
		r.slider.SetValue(float64(r.res.GoldenFrameDetails[i].Frame))
		r.slider.OnChanged = func(v float64) { r.seek(int(v)) }
	}
	r.updateButtons()
	r.renderCharts()
	r.showPreview()
}

// showPreview draws the preview for the selected slot and layer, or the
// scrubbed frame.
func (r *reviewScreen) showPreview() {
	if !r.ready {
		return
	}
	rep := r.res.Report
	if rep == nil {
		r.noGlint.Show()
		if r.layer.Selected != layerOriginal {
			r.layer.SetSelected(layerOriginal)
			return
		}
		r.layer.Disable()
	} else {
		r.noGlint.Hide()
		r.layer.Enable()
	}
	var base, over image.Image
	if r.scrub >= 0 {
		base = r.scrubImg
		r.caption.SetText(r.frameCaption(r.scrub))
		if base == nil {
			r.caption.SetText(r.frameCaption(r.scrub) + " — decoding…")
		}
	} else if r.selected < len(r.res.GoldenFrameDetails) {
		g := r.res.GoldenFrameDetails[r.selected]
		base = r.images[g.File]
		layer := r.layer.Selected
		if rep != nil && layer != layerOriginal {
			if r.selected < len(rep.RectifiedFrames) {
				if img := r.images[rep.RectifiedFrames[r.selected]]; img != nil {
					base = img
				}
			}
			switch layer {
			case layerGlint:
				if r.selected < len(rep.GlintFrames) {
					over = r.images[rep.GlintFrames[r.selected]]
				}
			case layerMask:
				over = r.images[rep.DefectMask]
			case layerHeatmap:
				over = r.images[rep.VarianceHeatmap]
			case layerOverlay:
				over = r.images[rep.DefectOverlay]
			}
		}
		txt := fmt.Sprintf("Golden frame %d of %d · frame %d · %ss · sharpness %s · motion %s px",
			r.selected+1, len(r.res.GoldenFrameDetails), g.Frame, fmtNum(g.Timestamp), fmtNum(g.Sharpness), fmtNum(g.Motion))
		if layer != layerOriginal && rep != nil {
			txt += " · " + strings.ToLower(layer) + " over the aligned frame"
		}
		r.caption.SetText(txt)
	}
	r.base.Image = base
	r.overlay.Image = over
	if base != nil {
		r.imgSize = base.Bounds().Size()
	}
	if over == nil {
		r.overlay.Hide()
	} else {
		r.overlay.Show()
	}
	r.applyOpacity()
	r.applyZoom()
	r.base.Refresh()
	r.overlay.Refresh()
}

func (r *reviewScreen) frameCaption(f int) string {
	txt := fmt.Sprintf("Frame %d", f)
	if f < len(r.res.Frames) {
		fr := r.res.Frames[f]
		txt += fmt.Sprintf(" · %ss · sharpness %s · motion %s px", fmtNum(fr.Timestamp), fmtNum(fr.Sharpness), fmtNum(fr.Motion))
		if fr.Stable {
			txt += " · stable"
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

func (r *reviewScreen) applyOpacity() {
	if !r.ready {
		return
	}
	r.overlay.Translucency = 1 - r.opacity.Value
	r.overlay.Refresh()
}

func (r *reviewScreen) applyZoom() {
	if !r.ready {
		return
	}
	z := 0.0
	switch r.zoom.Selected {
	case "100%":
		z = 1
	case "200%":
		z = 2
	case "400%":
		z = 4
	}
	size := fyne.NewSize(0, 0)
	if z > 0 && r.imgSize.X > 0 {
		size = fyne.NewSize(float32(float64(r.imgSize.X)*z), float32(float64(r.imgSize.Y)*z))
	}
	r.base.SetMinSize(size)
	r.overlay.SetMinSize(size)
}

// showReport fills the damage score, region table and warnings.
func (r *reviewScreen) showReport() {
	rep := r.res.Report
	r.regions.Objects = nil
	if rep == nil {
		r.damage.Text = "—"
		r.defect.SetText("No defect analysis: the glint analysis did not run for this scan.")
	} else {
		r.damage.Text = fmtNum(rep.DamageScore) + " / 100"
		r.defect.SetText(fmt.Sprintf("Defect area %s %% of the item · %d frames analysed", fmtNum(rep.DefectPercentage), len(rep.Frames)))
		for _, h := range []string{"Region", "Score", "Defects %", "Edges %"} {
			r.regions.Add(widget.NewLabelWithStyle(h, fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
		}
		for _, name := range glint.RegionNames {
			d, ok := rep.RegionDetails[name]
			if !ok || !regionFits(name, r.res.ItemType) {
				continue
			}
			score := widget.NewLabel(fmtNum(rep.RegionScores[name]))
			score.Importance = scoreImportance(rep.RegionScores[name])
			r.regions.Add(widget.NewLabel(regionTitle(name)))
			r.regions.Add(score)
			r.regions.Add(widget.NewLabel(fmtNum(d.DefectCoverage)))
			r.regions.Add(widget.NewLabel(fmtNum(d.EdgeDensity)))
		}
	}
	r.damage.Refresh()
	r.regions.Refresh()
	var warns []string
	warns = append(warns, r.res.Warnings...)
	if rep != nil {
		for _, w := range rep.Warnings {
			if !slices.Contains(warns, w) {
				warns = append(warns, w)
			}
		}
	}
	if len(warns) == 0 {
		r.warnings.Importance = widget.SuccessImportance
		r.warnings.SetText("None.")
	} else {
		r.warnings.Importance = widget.WarningImportance
		r.warnings.SetText("⚠ " + strings.Join(warns, "\n⚠ "))
	}
	r.showCrops()
}

func (r *reviewScreen) showCrops() {
	r.crops.Objects = nil
	rep := r.res.Report
	if rep == nil {
		r.crops.Add(widget.NewLabel("—"))
		r.crops.Refresh()
		return
	}
	for _, name := range glint.RegionNames {
		rel, ok := rep.RegionCrops[name]
		if !ok || !regionFits(name, r.res.ItemType) {
			continue
		}
		img := canvas.NewImageFromImage(r.images[rel])
		img.FillMode = canvas.ImageFillContain
		img.SetMinSize(fyne.NewSize(96, 96))
		cap := widget.NewLabelWithStyle(fmt.Sprintf("%s · %s", regionTitle(name), fmtNum(rep.RegionScores[name])), fyne.TextAlignCenter, fyne.TextStyle{})
		cap.Truncation = fyne.TextTruncateEllipsis
		r.crops.Add(container.NewBorder(nil, cap, nil, nil, img))
	}
	r.crops.Refresh()
}

func scoreImportance(v float64) widget.Importance {
	switch {
	case v >= 40:
		return widget.DangerImportance
	case v >= 20:
		return widget.WarningImportance
	}
	return widget.SuccessImportance
}

var regionTitles = map[string]string{
	"corner_tl": "Top-left", "corner_tr": "Top-right", "corner_bl": "Bottom-left", "corner_br": "Bottom-right",
	"spine": "Spine", "surface": "Surface",
}

func regionTitle(name string) string {
	if t, ok := regionTitles[name]; ok {
		return t
	}
	return name
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
			if cs.chartsVer == ver {
				cs.apply(out)
			}
		})
	})
}

// seek previews frame f from the timeline.
func (r *reviewScreen) seek(f int) {
	if f < 0 || f >= len(r.res.Frames) {
		return
	}
	if r.scrub == f {
		return
	}
	r.scrub = f
	r.scrubImg = nil
	if int(r.slider.Value) != f {
		r.slider.OnChanged = nil
		r.slider.SetValue(float64(f))
		r.slider.OnChanged = func(v float64) { r.seek(int(v)) }
	}
	r.info.SetText(r.frameCaption(f))
	r.updateButtons()
	r.renderCharts()
	r.showPreview()
	r.preview.request(r.c, f, func(frame int, img image.Image, err error) {
		if r.c.review != r || r.scrub != frame {
			return
		}
		if err != nil {
			r.info.SetText(fmt.Sprintf("Cannot preview frame %d: %v", frame, err))
			return
		}
		r.scrubImg = img
		r.showPreview()
	})
}

func (r *reviewScreen) currentFrames() []int {
	var fs []int
	for _, g := range r.res.GoldenFrameDetails {
		fs = append(fs, g.Frame)
	}
	return fs
}

func (r *reviewScreen) updateButtons() {
	n := len(r.res.GoldenFrameDetails)
	inSet := r.scrub >= 0 && r.slotOf(r.scrub) >= 0
	setEnabled(r.use, !r.busy && r.scrub >= 0 && !inSet && n > 0)
	setEnabled(r.add, !r.busy && r.scrub >= 0 && !inSet && n < scan.MaxPicks)
	setEnabled(r.remove, !r.busy && n > scan.MinPicks)
	setEnabled(r.reset, !r.busy && !slices.Equal(sortedCopy(r.currentFrames()), sortedCopy(r.res.AutomaticPicks)) && len(r.res.AutomaticPicks) >= scan.MinPicks)
	setEnabled(r.upload, !r.busy)
}

func sortedCopy(s []int) []int {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func setEnabled(b *widget.Button, on bool) {
	if on {
		b.Enable()
	} else {
		b.Disable()
	}
}

func (r *reviewScreen) useFrame() {
	if r.scrub < 0 || r.selected >= len(r.res.GoldenFrameDetails) {
		return
	}
	fs := r.currentFrames()
	fs[r.selected] = r.scrub
	r.reselect(fs, r.scrub)
}

func (r *reviewScreen) addFrame() {
	if r.scrub < 0 {
		return
	}
	r.reselect(append(r.currentFrames(), r.scrub), r.scrub)
}

func (r *reviewScreen) removeSlot() {
	fs := r.currentFrames()
	if r.selected >= len(fs) {
		return
	}
	fs = slices.Delete(fs, r.selected, r.selected+1)
	r.reselect(fs, -1)
}

func (r *reviewScreen) resetAuto() {
	r.reselect(slices.Clone(r.res.AutomaticPicks), -1)
}

// reselect re-extracts the frames and re-runs the glint analysis in the
// background (scan.Reselect). A newer request cancels an older one; runs
// never overlap in the scan folder.
func (r *reviewScreen) reselect(frames []int, focus int) {
	if len(frames) < scan.MinPicks || len(frames) > scan.MaxPicks {
		r.status.SetText(fmt.Sprintf("Choose %d to %d frames.", scan.MinPicks, scan.MaxPicks))
		r.status.Show()
		return
	}
	if r.reselCancel != nil {
		r.reselCancel()
	}
	r.reselSeq++
	seq := r.reselSeq
	ctx, cancel := context.WithCancel(r.c.ctx)
	r.reselCancel = cancel
	prev := r.reselDone
	done := make(chan struct{})
	r.reselDone = done
	r.busy = true
	r.updateButtons()
	r.status.Importance = widget.MediumImportance
	r.status.SetText(fmt.Sprintf("Re-running the defect analysis on frames %s…", joinInts(sortedCopy(frames))))
	r.status.Show()
	r.progress.SetValue(0)
	r.progress.Show()

	model := newLiveModel()
	p := startPump(r.c.do, model, nil, func(s liveSnapshot, _ any) {
		if seq != r.reselSeq {
			return
		}
		if s.Progress.Total > 0 {
			r.progress.SetValue(float64(s.Progress.Done) / float64(s.Progress.Total))
		}
	})
	dir, itemType := r.dir, r.res.ItemType
	r.c.goBG(func(context.Context) {
		defer close(done)
		defer cancel()
		if prev != nil {
			<-prev
		}
		res, err := r.c.eng.Reselect(ctx, dir, frames, scan.ReselectOptions{ItemType: itemType, Glint: true, Sink: model.Sink})
		p.finish()
		r.c.do(func() {
			if seq != r.reselSeq || r.c.review != r {
				return
			}
			r.busy = false
			r.progress.Hide()
			if err != nil {
				if !errors.Is(err, context.Canceled) {
					r.status.Importance = widget.DangerImportance
					r.status.SetText("Re-selection failed: " + err.Error())
					r.status.Show()
				}
				r.updateButtons()
				return
			}
			r.status.Importance = widget.SuccessImportance
			msg := "Saved the new selection"
			if res.Report != nil {
				msg += fmt.Sprintf("; defect analysis updated (damage %s).", fmtNum(res.DamageScore))
			} else {
				msg += "; no defect analysis ran."
			}
			r.status.SetText(msg)
			r.status.Show()
			if focus >= 0 {
				for i, g := range res.GoldenFrameDetails {
					if g.Frame == focus {
						r.selected = i
					}
				}
			}
			r.scrub = -1
			r.scrubImg = nil
			r.setResult(res)
			r.selectSlot(r.selected)
			r.info.SetText(r.frameCaption(res.GoldenFrameDetails[r.selected].Frame))
		})
	})
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ", ")
}

// close stops background work of the screen; UI goroutine.
func (r *reviewScreen) close() {
	if r.reselCancel != nil {
		r.reselCancel()
	}
	p := r.preview
	r.c.goBG(func(context.Context) { p.close() })
}

// thumbCard is one golden frame: thumbnail, numbers, badges. Tapping it
// selects the slot.
type thumbCard struct {
	widget.BaseWidget
	index    int
	g        scan.GoldenFrame
	img      *canvas.Image
	border   *canvas.Rectangle
	title    *canvas.Text
	metrics  *canvas.Text
	badges   *fyne.Container
	onTapped func()
}

// captionText is a compact line of caption-sized text (canvas.Text has none
// of a Label's padding, which keeps the thumbnail row short).
func captionText(s string, bold bool, c color.Color) *canvas.Text {
	t := canvas.NewText(s, c)
	t.TextSize = theme.CaptionTextSize()
	t.TextStyle = fyne.TextStyle{Bold: bold}
	return t
}

func newThumbCard(i int, g scan.GoldenFrame, onTapped func()) *thumbCard {
	c := &thumbCard{index: i, g: g, onTapped: onTapped}
	c.img = canvas.NewImageFromImage(nil)
	c.img.FillMode = canvas.ImageFillContain
	c.img.SetMinSize(fyne.NewSize(144, 81))
	c.border = canvas.NewRectangle(color.Transparent)
	c.border.StrokeWidth = 2
	c.border.CornerRadius = 6
	fg := theme.Color(theme.ColorNameForeground)
	c.title = captionText(fmt.Sprintf("#%d · frame %d · %ss", i+1, g.Frame, fmtNum(g.Timestamp)), true, fg)
	c.metrics = captionText(fmt.Sprintf("sharp %s · motion %s", fmtNum(g.Sharpness), fmtNum(g.Motion)), false, fg)
	c.badges = container.NewHBox()
	if g.Relaxed {
		c.badges.Add(captionText("relaxed", true, theme.Color(theme.ColorNameWarning)))
	}
	if g.Manual {
		c.badges.Add(captionText("manual", true, theme.Color(theme.ColorNamePrimary)))
	}
	c.ExtendBaseWidget(c)
	return c
}

func (c *thumbCard) CreateRenderer() fyne.WidgetRenderer {
	body := container.NewVBox(c.img, container.NewHBox(c.title, c.badges), c.metrics)
	return widget.NewSimpleRenderer(container.NewStack(c.border, container.NewPadded(body)))
}

func (c *thumbCard) Tapped(*fyne.PointEvent) {
	if c.onTapped != nil {
		c.onTapped()
	}
}

func (c *thumbCard) setImage(img image.Image) {
	c.img.Image = img
	c.img.Refresh()
}

func (c *thumbCard) setSelected(on bool) {
	if on {
		c.border.StrokeColor = theme.Color(theme.ColorNamePrimary)
		c.border.FillColor = theme.Color(theme.ColorNameSelection)
	} else {
		c.border.StrokeColor = theme.Color(theme.ColorNameSeparator)
		c.border.FillColor = color.Transparent
	}
	c.border.Refresh()
}
