package ui

import (
	"context"
	"errors"
	"fmt"
	"image"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"gradevault/engine/centering"
	"gradevault/engine/item"
	"gradevault/engine/report"
	"gradevault/engine/scan"
)

// gradingPanel is the review screen's grading part: the sub-grades on
// GradeVault's own scale, the outline drawn on the first golden frame with
// draggable corners (re-run in the background), the centering guides
// (draggable, ratios updating live) and the Export report… button.
type gradingPanel struct {
	r   *reviewScreen
	obj fyne.CanvasObject

	overall   *widget.Label
	table     *fyne.Container
	outlineC  *fyne.Container // holds the outline editor once the frame is loaded
	outline   *outlineEditor
	rerun     *widget.Button
	centerC   *fyne.Container
	center    *centeringEditor
	ratios    *widget.Label
	saveGuide *widget.Button
	status    *widget.Label
	progress  *widget.ProgressBar
	export    *widget.Button

	loadSeq int
	runSeq  int
	cancel  context.CancelFunc
}

func newGradingPanel(r *reviewScreen) *gradingPanel {
	g := &gradingPanel{r: r}
	g.overall = widget.NewLabel("")
	g.overall.TextStyle = fyne.TextStyle{Bold: true}
	g.overall.Wrapping = fyne.TextWrapWord
	g.table = container.NewVBox()
	g.outlineC = container.NewStack()
	g.rerun = widget.NewButtonWithIcon("Re-run with this outline", theme.ViewRefreshIcon(), g.reoutline)
	g.rerun.Disable()
	g.centerC = container.NewStack()
	g.ratios = widget.NewLabel("")
	g.saveGuide = widget.NewButtonWithIcon("Save centering", theme.DocumentSaveIcon(), g.saveCentering)
	g.saveGuide.Disable()
	g.status = widget.NewLabel("")
	g.status.Wrapping = fyne.TextWrapWord
	g.status.Hide()
	g.progress = widget.NewProgressBar()
	g.progress.Hide()
	g.export = widget.NewButtonWithIcon("Export report…", theme.DocumentPrintIcon(), g.exportDialog)
	scale := widget.NewLabel(gradeScaleNote)
	scale.Importance = widget.LowImportance
	scale.Wrapping = fyne.TextWrapWord
	g.obj = container.NewVBox(
		container.NewBorder(nil, nil, widget.NewLabelWithStyle("Grades", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), g.export),
		g.overall, scale, g.table, g.status, g.progress,
		widget.NewSeparator(),
		widget.NewLabelWithStyle("Outline (drag a corner to correct it)", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		g.outlineC, g.rerun,
		widget.NewSeparator(),
		widget.NewLabelWithStyle("Centering (drag the pink guides)", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		g.ratios, g.centerC, g.saveGuide,
	)
	return g
}

const gradeScaleNote = "GradeVault's own scale — not a PSA/CGC/BGS grade. 0–10 in half points."

// update shows res; UI goroutine.
func (g *gradingPanel) update(res *scan.Result) {
	sub := res.Subgrades
	if sub == nil {
		sub = scan.GradeOf(res)
	}
	o := sub.Overall
	if o.Available {
		g.overall.SetText(fmt.Sprintf("Overall suggestion %s · confidence %s (%.2f)", gradeText(o.Grade, o.Low), o.ConfidenceLabel, o.Confidence))
	} else {
		g.overall.SetText("Not graded: " + strings.Join(o.Evidence, "; "))
	}
	g.table.Objects = nil
	for _, s := range sub.List()[:4] {
		gr := "n/a"
		if s.Available {
			gr = gradeText(s.Grade, s.Low) + " · " + s.ConfidenceLabel
		}
		head := widget.NewLabelWithStyle(strings.ToUpper(s.Name[:1])+s.Name[1:]+": "+gr, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		ev := widget.NewLabel(strings.Join(s.Evidence, "; "))
		ev.Wrapping = fyne.TextWrapWord
		ev.Importance = widget.LowImportance
		g.table.Add(container.NewVBox(head, ev))
	}
	g.table.Refresh()
	g.showCentering(res)
	g.loadFrames(res)
}

func gradeText(grade, low float64) string {
	if low < grade {
		return fmt.Sprintf("%.1f (%.1f–%.1f)", grade, low, grade)
	}
	return fmt.Sprintf("%.1f", grade)
}

func (g *gradingPanel) showCentering(res *scan.Result) {
	c := res.Centering
	switch {
	case res.ItemType.OrDefault() == item.Toy:
		g.ratios.SetText("Not measured for toys.")
	case c == nil:
		g.ratios.SetText("Not measured (no defect analysis).")
	case !c.Found:
		g.ratios.SetText("No printed border found. " + strings.Join(c.Reasons, "; "))
	default:
		g.ratios.SetText(ratioText(*c))
	}
}

func ratioText(c centering.Result) string {
	s := fmt.Sprintf("Left/right %s · top/bottom %s · borders %.1f/%.1f mm, %.1f/%.1f mm", c.LRLabel, c.TBLabel, c.LeftMM, c.RightMM, c.TopMM, c.BottomMM)
	if c.Manual {
		s += " · set by hand"
	}
	return s
}

// loadFrames decodes the first golden frame and the first rectified frame
// in the background and builds the editors on them.
func (g *gradingPanel) loadFrames(res *scan.Result) {
	g.loadSeq++
	seq := g.loadSeq
	var rels []string
	if len(res.GoldenFrames) > 0 {
		rels = append(rels, res.GoldenFrames[0])
	}
	rect := ""
	if res.Report != nil && len(res.Report.RectifiedFrames) > 0 {
		rect = res.Report.RectifiedFrames[0]
		rels = append(rels, rect)
	}
	dir := g.r.dir
	g.r.c.goBG(func(context.Context) {
		imgs := loadImages(dir, rels)
		g.r.c.do(func() {
			if seq != g.loadSeq {
				return
			}
			g.build(res, imgs[firstOr(res.GoldenFrames)], imgs[rect])
		})
	})
}

func firstOr(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// build makes the editors for res on the loaded frames.
func (g *gradingPanel) build(res *scan.Result, frame, rect image.Image) {
	g.outlineC.Objects = nil
	g.outline = nil
	g.rerun.Disable()
	if frame != nil && res.Report != nil && res.ItemOutline != nil && len(res.ItemOutline.Corners) == 4 {
		var c [4][2]float64
		copy(c[:], res.ItemOutline.Corners)
		g.outline = newOutlineEditor(frame, c)
		g.outline.OnChanged = func() { g.rerun.Enable() }
		g.outlineC.Add(g.outline)
	} else {
		g.outlineC.Add(widget.NewLabel("No outline: run the defect analysis first."))
	}
	g.outlineC.Refresh()
	g.centerC.Objects = nil
	g.center = nil
	g.saveGuide.Disable()
	if c := res.Centering; rect != nil && c != nil && c.Found {
		wmm, hmm := res.ItemType.SizeMM()
		g.center = newCenteringEditor(rect, *c, centering.Options{WidthMM: wmm, HeightMM: hmm})
		g.center.OnChanged = func(c centering.Result) {
			g.ratios.SetText(ratioText(c))
			g.saveGuide.Enable()
		}
		g.centerC.Add(g.center)
	}
	g.centerC.Refresh()
}

// reoutline re-runs the analysis with the dragged outline in the
// background (cancellable; a newer run cancels an older one).
func (g *gradingPanel) reoutline() {
	if g.outline == nil {
		return
	}
	if g.cancel != nil {
		g.cancel()
	}
	g.runSeq++
	seq := g.runSeq
	ctx, cancel := context.WithCancel(g.r.c.ctx)
	g.cancel = cancel
	corners := g.outline.Corners()
	g.rerun.Disable()
	g.status.Importance = widget.MediumImportance
	g.status.SetText("Re-running the rectification, defect analysis and centering with the new outline…")
	g.status.Show()
	g.progress.SetValue(0)
	g.progress.Show()
	model := newLiveModel()
	p := startPump(g.r.c.do, model, nil, func(s liveSnapshot, _ any) {
		if seq == g.runSeq && s.Progress.Total > 0 {
			g.progress.SetValue(float64(s.Progress.Done) / float64(s.Progress.Total))
		}
	})
	dir := g.r.dir
	g.r.c.goBG(func(context.Context) {
		defer cancel()
		res, err := g.r.c.eng.Reoutline(ctx, dir, corners, scan.ReoutlineOptions{Sink: model.Sink})
		p.finish()
		g.r.c.do(func() {
			if seq != g.runSeq || g.r.c.review != g.r {
				return
			}
			g.progress.Hide()
			if err != nil {
				if !errors.Is(err, context.Canceled) {
					g.status.Importance = widget.DangerImportance
					g.status.SetText("Re-run failed: " + err.Error())
				}
				g.rerun.Enable()
				return
			}
			g.status.Importance = widget.SuccessImportance
			g.status.SetText(fmt.Sprintf("Saved the outline set by hand; damage %s.", fmtNum(res.DamageScore)))
			g.r.setResult(res)
		})
	})
}

// saveCentering saves the dragged guides and the grades they give.
func (g *gradingPanel) saveCentering() {
	if g.center == nil {
		return
	}
	c := g.center.Centering()
	c.Manual = true
	dir := g.r.dir
	g.saveGuide.Disable()
	g.r.c.goBG(func(context.Context) {
		res, err := scan.Regrade(dir, &c)
		g.r.c.do(func() {
			if g.r.c.review != g.r {
				return
			}
			if err != nil {
				g.status.Importance = widget.DangerImportance
				g.status.SetText("Saving the centering failed: " + err.Error())
				g.status.Show()
				g.saveGuide.Enable()
				return
			}
			g.status.Importance = widget.SuccessImportance
			g.status.SetText("Saved the centering set by hand.")
			g.status.Show()
			g.r.setResult(res)
		})
	})
}

// exportDialog asks where to save the PDF.
func (g *gradingPanel) exportDialog() {
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil || w == nil {
			return
		}
		path := w.URI().Path()
		w.Close()
		g.exportTo(path)
	}, g.r.c.win)
	name := "report.pdf"
	if g.r.res.ScanID != "" {
		name = g.r.res.ScanID + "-report.pdf"
	}
	d.SetFileName(name)
	d.SetFilter(storage.NewExtensionFileFilter([]string{".pdf"}))
	d.Show()
}

// exportTo writes the report in the background and says where it went.
func (g *gradingPanel) exportTo(path string) {
	dir := g.r.dir
	g.export.Disable()
	g.status.Importance = widget.MediumImportance
	g.status.SetText("Writing the report…")
	g.status.Show()
	g.r.c.goBG(func(context.Context) {
		out, err := report.Write(dir, report.Options{Out: path, Version: g.r.c.opts.Version})
		g.r.c.do(func() {
			g.export.Enable()
			if err != nil {
				g.status.Importance = widget.DangerImportance
				g.status.SetText("Report failed: " + err.Error())
				return
			}
			g.status.Importance = widget.SuccessImportance
			g.status.SetText("Report saved: " + filepath.Base(out))
		})
	})
}

// regionFits reports whether a region belongs to an item type: only comics
// have a spine.
func regionFits(name string, t item.Type) bool {
	return name != "spine" || t.HasSpine()
}

// release drops the editors and their frames; UI goroutine. A load still
// running is ignored when it finishes.
func (g *gradingPanel) release() {
	g.loadSeq++
	if g.cancel != nil {
		g.cancel()
	}
	// Fyne keeps the renderers of removed widgets for a while: let go of
	// the frames themselves, not only of the widgets.
	if g.outline != nil {
		g.outline.img.Image = nil
	}
	if g.center != nil {
		g.center.img.Image = nil
	}
	g.outline, g.center = nil, nil
	g.outlineC.Objects = nil
	g.centerC.Objects = nil
}
