package ui

import (
	"image"
	"image/color"
	"math"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/widget"

	"gradevault/engine/centering"
)

// guideGrip is the width, in Fyne units, of the draggable band around a
// centering guide line.
const guideGrip = 12

// guide is one draggable centering line: vertical (left/right) or
// horizontal (top/bottom).
type guide struct {
	widget.BaseWidget
	line     *canvas.Rectangle
	vertical bool
	onDrag   func(d float32)
	onEnd    func()
}

func newGuide(vertical bool, onDrag func(d float32), onEnd func()) *guide {
	g := &guide{vertical: vertical, onDrag: onDrag, onEnd: onEnd}
	g.line = canvas.NewRectangle(color.NRGBA{255, 40, 120, 255})
	g.ExtendBaseWidget(g)
	return g
}

func (g *guide) CreateRenderer() fyne.WidgetRenderer { return &guideRenderer{g: g} }

// Dragged moves the guide across its axis.
func (g *guide) Dragged(e *fyne.DragEvent) {
	d := e.Dragged.DY
	if g.vertical {
		d = e.Dragged.DX
	}
	if g.onDrag != nil {
		g.onDrag(d)
	}
}

// DragEnd reports the end of a drag.
func (g *guide) DragEnd() {
	if g.onEnd != nil {
		g.onEnd()
	}
}

type guideRenderer struct{ g *guide }

func (r *guideRenderer) Layout(size fyne.Size) {
	if r.g.vertical {
		r.g.line.Move(fyne.NewPos(size.Width/2-1, 0))
		r.g.line.Resize(fyne.NewSize(2, size.Height))
	} else {
		r.g.line.Move(fyne.NewPos(0, size.Height/2-1))
		r.g.line.Resize(fyne.NewSize(size.Width, 2))
	}
}
func (r *guideRenderer) MinSize() fyne.Size           { return fyne.NewSize(guideGrip, guideGrip) }
func (r *guideRenderer) Refresh()                     { r.g.line.Refresh() }
func (r *guideRenderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{r.g.line} }
func (r *guideRenderer) Destroy()                     {}

// centeringEditor shows the rectified item with the centering guide lines
// (the printed frame, draggable) and the item's edges (fixed), and keeps
// the ratios up to date while the grader drags.
type centeringEditor struct {
	widget.BaseWidget
	img    *canvas.Image
	size   image.Point // rectified image size
	c      centering.Result
	opts   centering.Options
	outer  [4]*canvas.Rectangle
	guides [4]*guide
	fit    fitImage
	// OnChanged runs after every move with the recomputed centering.
	OnChanged func(c centering.Result)
}

func newCenteringEditor(rect image.Image, c centering.Result, o centering.Options) *centeringEditor {
	e := &centeringEditor{c: c, opts: o}
	e.img = canvas.NewImageFromImage(rect)
	e.img.FillMode = canvas.ImageFillStretch
	e.size = image.Pt(c.RectifiedSize[0], c.RectifiedSize[1])
	if rect != nil {
		e.size = rect.Bounds().Size()
	}
	for i := range e.outer {
		e.outer[i] = canvas.NewRectangle(color.NRGBA{0, 160, 255, 200})
	}
	for i := range e.guides {
		e.guides[i] = newGuide(i < 2, func(d float32) { e.drag(i, d) }, nil)
	}
	e.ExtendBaseWidget(e)
	return e
}

// drag moves guide i (left, right, top, bottom) by d screen units, kept
// between the item's edge and the middle.
func (e *centeringEditor) drag(i int, d float32) {
	if e.fit.scale <= 0 {
		return
	}
	g := &e.c.Guides
	v := g.Inner[i] + float64(d/e.fit.scale)
	w, h := float64(e.size.X), float64(e.size.Y)
	switch i {
	case centering.Left:
		v = math.Max(g.Outer[0], math.Min(w/2, v))
	case centering.Right:
		v = math.Max(w/2, math.Min(g.Outer[1], v))
	case centering.Top:
		v = math.Max(g.Outer[2], math.Min(h/2, v))
	case centering.Bottom:
		v = math.Max(h/2, math.Min(g.Outer[3], v))
	}
	g.Inner[i] = v
	e.c.Recompute(e.opts)
	e.Refresh()
	if e.OnChanged != nil {
		e.OnChanged(e.c)
	}
}

// Centering returns the centering as the guides now stand.
func (e *centeringEditor) Centering() centering.Result { return e.c }

func (e *centeringEditor) MinSize() fyne.Size { return fyne.NewSize(240, 320) }

func (e *centeringEditor) CreateRenderer() fyne.WidgetRenderer {
	objs := []fyne.CanvasObject{e.img}
	for _, o := range e.outer {
		objs = append(objs, o)
	}
	for _, g := range e.guides {
		objs = append(objs, g)
	}
	return &centeringRenderer{e: e, objs: objs}
}

type centeringRenderer struct {
	e    *centeringEditor
	objs []fyne.CanvasObject
}

// at maps a rectified coordinate (outer pixel edges at 0 and w) to widget
// units along x or y.
func (r *centeringRenderer) at(v float64, vertical bool) float32 {
	f := r.e.fit
	if vertical {
		return f.offset.X + float32(v)*f.scale
	}
	return f.offset.Y + float32(v)*f.scale
}

func (r *centeringRenderer) Layout(size fyne.Size) {
	e := r.e
	e.fit = fitIn(size, e.size)
	iw, ih := float32(e.size.X)*e.fit.scale, float32(e.size.Y)*e.fit.scale
	e.img.Move(e.fit.offset)
	e.img.Resize(fyne.NewSize(iw, ih))
	g := e.c.Guides
	for i := range 4 {
		vertical := i < 2
		o, in := r.at(g.Outer[i], vertical), r.at(g.Inner[i], vertical)
		if vertical {
			e.outer[i].Move(fyne.NewPos(o-0.5, e.fit.offset.Y))
			e.outer[i].Resize(fyne.NewSize(1, ih))
			e.guides[i].Move(fyne.NewPos(in-guideGrip/2, e.fit.offset.Y))
			e.guides[i].Resize(fyne.NewSize(guideGrip, ih))
		} else {
			e.outer[i].Move(fyne.NewPos(e.fit.offset.X, o-0.5))
			e.outer[i].Resize(fyne.NewSize(iw, 1))
			e.guides[i].Move(fyne.NewPos(e.fit.offset.X, in-guideGrip/2))
			e.guides[i].Resize(fyne.NewSize(iw, guideGrip))
		}
	}
}

func (r *centeringRenderer) MinSize() fyne.Size { return r.e.MinSize() }

func (r *centeringRenderer) Refresh() {
	r.Layout(r.e.Size())
	for _, o := range r.objs {
		o.Refresh()
	}
}

func (r *centeringRenderer) Objects() []fyne.CanvasObject { return r.objs }
func (r *centeringRenderer) Destroy()                     {}
