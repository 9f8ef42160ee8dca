package ui

import (
	"context"
	"fmt"
	"image"
	imgcolor "image/color"
	"path/filepath"
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

// reportPanel is the damage report: the score (always visible) and the
// region table, crops and warnings (a tab).
type reportPanel struct {
	r        *reviewScreen
	score    fyne.CanvasObject
	damage   *canvas.Text
	defect   *widget.Label
	regions  *fyne.Container
	crops    *fyne.Container
	warnings *widget.Label
	obj      fyne.CanvasObject
	cropSeq  int
}

func newReportPanel(r *reviewScreen) *reportPanel {
	p := &reportPanel{r: r}
	p.damage = canvas.NewText("—", theme.Color(theme.ColorNameForeground))
	p.damage.TextSize = 28
	p.damage.TextStyle = fyne.TextStyle{Bold: true}
	p.defect = widget.NewLabel("")
	p.defect.Wrapping = fyne.TextWrapWord
	p.regions = container.NewGridWithColumns(4)
	p.crops = container.NewGridWithColumns(3)
	p.warnings = widget.NewLabel("")
	p.warnings.Wrapping = fyne.TextWrapWord
	p.warnings.Importance = widget.WarningImportance
	p.score = container.NewBorder(nil, nil,
		container.NewVBox(widget.NewLabelWithStyle("Damage score", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), p.damage),
		nil, p.defect)
	bold := func(s string) *widget.Label {
		return widget.NewLabelWithStyle(s, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	p.obj = container.NewVScroll(container.NewVBox(
		bold("Regions (quality score: higher = worse)"), p.regions,
		widget.NewSeparator(), bold("Region crops"), p.crops,
		widget.NewSeparator(), bold("Warnings"), p.warnings,
	))
	return p
}

// show fills the report for res; lowConfidence marks the score.
func (p *reportPanel) show(res *scan.Result, dir string, lowConfidence bool) {
	rep := res.Report
	p.regions.Objects = nil
	if rep == nil {
		p.damage.Text = "—"
		p.damage.Color = theme.Color(theme.ColorNameForeground)
		p.defect.SetText("No defect analysis: the glint analysis did not run for this scan.")
	} else {
		p.damage.Text = fmtNum(rep.DamageScore) + " / 100"
		p.damage.Color = severityColor(glint.SeverityOf(rep.DamageScore))
		txt := fmt.Sprintf("%s damage · defect area %s %% · %d frames analysed",
			glint.SeverityOf(rep.DamageScore), fmtNum(rep.DefectPercentage), len(rep.Frames))
		if lowConfidence {
			p.damage.Text += " ?"
			txt = "LOW CONFIDENCE: no still frame, the score may be wrong. " + txt
		}
		p.defect.SetText(txt)
		for _, h := range []string{"Region", "Score", "Defects %", "Edges %"} {
			p.regions.Add(widget.NewLabelWithStyle(h, fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
		}
		for _, name := range glint.RegionNamesFor(res.ItemType) {
			d, ok := rep.RegionDetails[name]
			if !ok || !regionFits(name, res.ItemType) {
				continue
			}
			score := widget.NewLabel(fmtNum(rep.RegionScores[name]))
			score.Importance = severityImportance(glint.SeverityOf(rep.RegionScores[name]))
			p.regions.Add(widget.NewLabel(regionTitle(name)))
			p.regions.Add(score)
			p.regions.Add(widget.NewLabel(fmtNum(d.DefectCoverage)))
			p.regions.Add(widget.NewLabel(fmtNum(d.EdgeDensity)))
		}
	}
	p.damage.Refresh()
	p.regions.Refresh()
	var warns []string
	warns = append(warns, res.Warnings...)
	if rep != nil {
		for _, w := range rep.Warnings {
			if !slices.Contains(warns, w) {
				warns = append(warns, w)
			}
		}
	}
	if len(warns) == 0 {
		p.warnings.Importance = widget.SuccessImportance
		p.warnings.SetText("None.")
	} else {
		p.warnings.Importance = widget.WarningImportance
		p.warnings.SetText("⚠ " + strings.Join(warns, "\n⚠ "))
	}
	p.showCrops(res, dir)
}

// showCrops lays out the region crops and loads small versions of them in
// the background.
func (p *reportPanel) showCrops(res *scan.Result, dir string) {
	p.crops.Objects = nil
	p.cropSeq++
	rep := res.Report
	if rep == nil {
		p.crops.Add(widget.NewLabel("—"))
		p.crops.Refresh()
		return
	}
	imgs := map[string]*canvas.Image{}
	paths := map[string]string{}
	for _, name := range glint.RegionNamesFor(res.ItemType) {
		rel, ok := rep.RegionCrops[name]
		if !ok || !regionFits(name, res.ItemType) {
			continue
		}
		img := canvas.NewImageFromImage(nil)
		img.FillMode = canvas.ImageFillContain
		img.SetMinSize(fyne.NewSize(88, 88))
		imgs[name] = img
		paths[name] = filepath.Join(dir, filepath.FromSlash(rel))
		cap := widget.NewLabelWithStyle(fmt.Sprintf("%s · %s", regionTitle(name), fmtNum(rep.RegionScores[name])), fyne.TextAlignCenter, fyne.TextStyle{})
		cap.Truncation = fyne.TextTruncateEllipsis
		p.crops.Add(container.NewBorder(nil, cap, nil, nil, img))
	}
	p.crops.Refresh()
	seq := p.cropSeq
	c := p.r.c
	c.goBG(func(ctx context.Context) {
		got := map[string]image.Image{}
		for name, path := range paths {
			if ctx.Err() != nil {
				return
			}
			got[name] = loadThumb(path, 176)
		}
		c.do(func() {
			if seq != p.cropSeq || p.r.closed {
				return
			}
			for name, img := range got {
				imgs[name].Image = img
				imgs[name].Refresh()
			}
		})
	})
}

// release drops the crop images.
func (p *reportPanel) release() {
	p.cropSeq++
	p.crops.Objects = nil
}

func severityImportance(s glint.Severity) widget.Importance {
	switch s {
	case glint.SeverityHigh:
		return widget.DangerImportance
	case glint.SeverityModerate:
		return widget.WarningImportance
	}
	return widget.SuccessImportance
}

func severityColor(s glint.Severity) imgcolor.Color {
	switch s {
	case glint.SeverityHigh:
		return theme.Color(theme.ColorNameError)
	case glint.SeverityModerate:
		return theme.Color(theme.ColorNameWarning)
	}
	return theme.Color(theme.ColorNameSuccess)
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
