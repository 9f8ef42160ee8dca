package ui

import (
	"context"
	"fmt"
	"image"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Preview layers. With a defect analysis every layer is drawn in the
// rectified item's geometry (the original too), so flipping layers compares
// the same spot; without one only the original frame exists.
const (
	layerOriginal = "Original"
	layerGlint    = "Glint"
	layerMask     = "Mask"
	layerHeatmap  = "Heatmap"
	layerOverlay  = "Overlay"
)

var layerNames = []string{layerOriginal, layerGlint, layerMask, layerHeatmap, layerOverlay}

// Zoom levels of the preview.
var zoomLevels = []string{"Fit", "100%", "200%", "400%"}

// previewPane is the review's main picture: caption, the image with its
// layer, and the layer, opacity and zoom controls. It keeps only the
// full-resolution images it shows (cache), loading others on demand.
type previewPane struct {
	r       *reviewScreen
	obj     fyne.CanvasObject
	layer   *widget.RadioGroup
	opacity *widget.Slider
	zoom    *widget.Select
	base    *canvas.Image
	overlay *canvas.Image
	caption *widget.Label
	noGlint *widget.Label
	scroll  *container.Scroll
	imgSize image.Point

	cache   map[string]image.Image // relative path → decoded image, only what is shown
	loading map[string]bool
	gen     int // bumped when the scan's files change (re-selection): older loads are stale
}

func newPreviewPane(r *reviewScreen) *previewPane {
	p := &previewPane{r: r, cache: map[string]image.Image{}, loading: map[string]bool{}}
	p.base = canvas.NewImageFromImage(nil)
	p.base.FillMode = canvas.ImageFillContain
	p.overlay = canvas.NewImageFromImage(nil)
	p.overlay.FillMode = canvas.ImageFillContain
	p.caption = widget.NewLabel("")
	p.caption.TextStyle = fyne.TextStyle{Bold: true}
	p.caption.Truncation = fyne.TextTruncateEllipsis
	p.noGlint = widget.NewLabel("No defect analysis for this scan: only the original frames can be shown.")
	p.noGlint.Importance = widget.WarningImportance
	p.noGlint.Truncation = fyne.TextTruncateEllipsis
	p.noGlint.Hide()
	p.layer = widget.NewRadioGroup(layerNames, func(string) { p.show() })
	p.layer.Horizontal = true
	p.layer.Required = true
	p.layer.SetSelected(layerOriginal)
	p.opacity = widget.NewSlider(0, 1)
	p.opacity.Step = 0.05
	p.opacity.SetValue(0.7)
	p.opacity.OnChanged = func(float64) { p.applyOpacity() }
	p.zoom = widget.NewSelect(zoomLevels, func(string) { p.applyZoom() })
	p.zoom.SetSelected("Fit")
	p.scroll = container.NewScroll(container.NewStack(p.base, p.overlay))
	bg := canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground))
	bg.CornerRadius = 6
	top := container.NewBorder(nil, nil, nil, container.NewHBox(widget.NewLabel("Zoom"), p.zoom), p.caption)
	opacity := container.NewBorder(nil, nil, widget.NewLabel("Opacity"), nil, p.opacity)
	controls := container.NewBorder(nil, nil, p.layer, nil, opacity)
	p.obj = container.NewBorder(container.NewVBox(top, p.noGlint), controls, nil, nil, container.NewStack(bg, p.scroll))
	return p
}

// wanted returns the base and overlay images the current state shows
// (relative paths, "" for none) and the caption.
func (p *previewPane) wanted() (base, over, caption string) {
	r := p.r
	rep := r.res.Report
	if r.selected >= len(r.res.GoldenFrameDetails) {
		return "", "", ""
	}
	i := r.selected
	g := r.res.GoldenFrameDetails[i]
	base = g.File
	layer := p.layer.Selected
	geometry := "whole frame"
	if rep != nil && i < len(rep.RectifiedFrames) && rep.RectifiedFrames[i] != "" {
		base = rep.RectifiedFrames[i]
		geometry = "aligned item"
		switch layer {
		case layerGlint:
			if i < len(rep.GlintFrames) {
				over = rep.GlintFrames[i]
			}
		case layerMask:
			over = rep.DefectMask
		case layerHeatmap:
			over = rep.VarianceHeatmap
		case layerOverlay:
			over = rep.DefectOverlay
		}
	}
	caption = fmt.Sprintf("Golden frame %d of %d · frame %d · %ss · %s · %s",
		i+1, len(r.res.GoldenFrameDetails), g.Frame, fmtNum(g.Timestamp), strings.ToLower(layer), geometry)
	return base, over, caption
}

// show draws the preview for the selected slot and layer, or the scrubbed
// frame, loading what is missing in the background.
func (p *previewPane) show() {
	r := p.r
	if !r.ready || r.closed {
		return
	}
	if r.res.Report == nil {
		p.noGlint.Show()
		if p.layer.Selected != layerOriginal {
			p.layer.SetSelected(layerOriginal)
			return
		}
		p.layer.Disable()
	} else {
		p.noGlint.Hide()
		p.layer.Enable()
	}
	var base, over image.Image
	if r.scrub >= 0 {
		p.drop("", "")
		base = r.scrubImg
		txt := r.frameCaption(r.scrub) + " · whole frame"
		if base == nil {
			txt += " — decoding…"
		}
		p.caption.SetText(txt)
	} else {
		b, o, caption := p.wanted()
		p.drop(b, o)
		p.load(b, o)
		base, over = p.cache[b], p.cache[o]
		if base == nil && b != "" {
			caption += " — loading…"
		}
		p.caption.SetText(caption)
	}
	p.base.Image = base
	p.overlay.Image = over
	if base != nil {
		p.imgSize = base.Bounds().Size()
	}
	p.overlay.Hidden = over == nil
	p.applyOpacity()
	p.applyZoom()
	p.base.Refresh()
	p.overlay.Refresh()
}

// drop forgets cached images other than keep.
func (p *previewPane) drop(keep ...string) {
	for k := range p.cache {
		if k != keep[0] && k != keep[1] {
			delete(p.cache, k)
		}
	}
}

// load decodes the given images in the background if they are missing,
// then shows the preview again.
func (p *previewPane) load(rels ...string) {
	var need []string
	for _, rel := range rels {
		if rel != "" && p.cache[rel] == nil && !p.loading[rel] {
			need = append(need, rel)
			p.loading[rel] = true
		}
	}
	if len(need) == 0 {
		return
	}
	gen := p.gen
	dir := p.r.dir
	c := p.r.c
	c.goBG(func(ctx context.Context) {
		imgs := loadImages(dir, need)
		c.do(func() {
			if gen != p.gen || p.r.closed || c.review != p.r {
				return
			}
			for _, rel := range need {
				delete(p.loading, rel)
			}
			b, o, _ := p.wanted()
			for rel, img := range imgs {
				if rel == b || rel == o {
					p.cache[rel] = img
				}
			}
			p.show()
		})
	})
}

func (p *previewPane) applyOpacity() {
	p.overlay.Translucency = 1 - p.opacity.Value
	p.overlay.Refresh()
}

// zoomFactor is the selected zoom, 0 for Fit.
func (p *previewPane) zoomFactor() float32 {
	switch p.zoom.Selected {
	case "100%":
		return 1
	case "200%":
		return 2
	case "400%":
		return 4
	}
	return 0
}

// applyZoom sizes the image for the zoom level. Going back to Fit scrolls to
// the origin and lays the content out at once: the scroll container would
// otherwise keep an offset into content that is no longer there.
func (p *previewPane) applyZoom() {
	if p.base == nil || p.scroll == nil {
		return
	}
	z := p.zoomFactor()
	size := fyne.NewSize(0, 0)
	if z > 0 && p.imgSize.X > 0 {
		// Image pixels at 100%, whatever the screen's scale.
		scale := float32(1)
		if cv := fyne.CurrentApp().Driver().CanvasForObject(p.base); cv != nil && cv.Scale() > 0 {
			scale = cv.Scale()
		}
		size = fyne.NewSize(float32(p.imgSize.X)*z/scale, float32(p.imgSize.Y)*z/scale)
	}
	p.base.SetMinSize(size)
	p.overlay.SetMinSize(size)
	content := p.scroll.Content
	content.Resize(content.MinSize().Max(p.scroll.Size()))
	if z == 0 {
		p.scroll.Offset = fyne.NewPos(0, 0)
	}
	p.scroll.Refresh()
}

// reset forgets every loaded image: the scan's files were rewritten (a
// re-selection rewrites rectified/golden_frame_01.png and the others under
// the same names).
func (p *previewPane) reset() {
	p.gen++
	p.cache = map[string]image.Image{}
	p.loading = map[string]bool{}
}

// release drops every image; the screen is closing.
func (p *previewPane) release() {
	p.reset()
	p.base.Image = nil
	p.overlay.Image = nil
	p.base.Refresh()
	p.overlay.Refresh()
}
