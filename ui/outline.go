package ui

import (
	"image"
	"image/color"
	"math"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// fitImage is how an image of size img is shown, contained and centred, in
// an area of size area: its scale and top-left offset.
type fitImage struct {
	scale  float32
	offset fyne.Position
}

func fitIn(area fyne.Size, img image.Point) fitImage {
	if img.X <= 0 || img.Y <= 0 || area.Width <= 0 || area.Height <= 0 {
		return fitImage{scale: 1}
	}
	s := min(area.Width/float32(img.X), area.Height/float32(img.Y))
	return fitImage{scale: s, offset: fyne.NewPos((area.Width-s*float32(img.X))/2, (area.Height-s*float32(img.Y))/2)}
}

// toScreen maps image pixel coordinates (pixel centres at integers, as the
// engine uses) to widget coordinates.
func (f fitImage) toScreen(x, y float64) fyne.Position {
	return fyne.NewPos(f.offset.X+float32(x+0.5)*f.scale, f.offset.Y+float32(y+0.5)*f.scale)
}

// handleSize is the side of a draggable handle, in Fyne units.
const handleSize = 18

// dragHandle is a small draggable square; the editor owning it moves it.
type dragHandle struct {
	widget.BaseWidget
	rect   *canvas.Rectangle
	onDrag func(dx, dy float32)
	onEnd  func()
}

func newDragHandle(onDrag func(dx, dy float32), onEnd func()) *dragHandle {
	h := &dragHandle{onDrag: onDrag, onEnd: onEnd}
	h.rect = canvas.NewRectangle(color.NRGBA{255, 210, 0, 90})
	h.rect.StrokeColor = color.NRGBA{255, 210, 0, 255}
	h.rect.StrokeWidth = 2
	h.rect.CornerRadius = 3
	h.ExtendBaseWidget(h)
	return h
}

func (h *dragHandle) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(h.rect) }

// Dragged moves the handle by the drag's delta.
func (h *dragHandle) Dragged(e *fyne.DragEvent) {
	if h.onDrag != nil {
		h.onDrag(e.Dragged.DX, e.Dragged.DY)
	}
}

// DragEnd reports the end of a drag.
func (h *dragHandle) DragEnd() {
	if h.onEnd != nil {
		h.onEnd()
	}
}

// outlineEditor shows a frame with the item's outline drawn over it and a
// handle on each corner that the grader drags to correct the outline.
type outlineEditor struct {
	widget.BaseWidget
	img     *canvas.Image
	size    image.Point
	corners [4][2]float64 // TL, TR, BR, BL in frame pixels
	lines   [4]*canvas.Line
	handles [4]*dragHandle
	fit     fitImage
	moved   bool
	// OnChanged runs after a drag ends.
	OnChanged func()
}

func newOutlineEditor(frame image.Image, corners [4][2]float64) *outlineEditor {
	e := &outlineEditor{corners: corners}
	e.img = canvas.NewImageFromImage(frame)
	e.img.FillMode = canvas.ImageFillStretch // laid out to the contained size by the renderer
	if frame != nil {
		e.size = frame.Bounds().Size()
	}
	for i := range e.lines {
		e.lines[i] = canvas.NewLine(color.NRGBA{0, 200, 255, 255})
		e.lines[i].StrokeWidth = 2
	}
	for i := range e.handles {
		e.handles[i] = newDragHandle(func(dx, dy float32) { e.drag(i, dx, dy) }, func() {
			if e.OnChanged != nil {
				e.OnChanged()
			}
		})
	}
	e.ExtendBaseWidget(e)
	return e
}

// drag moves corner i by a screen delta, keeping it inside the frame.
func (e *outlineEditor) drag(i int, dx, dy float32) {
	if e.fit.scale <= 0 {
		return
	}
	c := &e.corners[i]
	c[0] = math.Max(0, math.Min(float64(e.size.X-1), c[0]+float64(dx/e.fit.scale)))
	c[1] = math.Max(0, math.Min(float64(e.size.Y-1), c[1]+float64(dy/e.fit.scale)))
	e.moved = true
	e.Refresh()
}

// Corners returns the outline as it is now.
func (e *outlineEditor) Corners() [4][2]float64 { return e.corners }

// handleCentre is where corner i's handle is drawn, in widget coordinates.
func (e *outlineEditor) handleCentre(i int) fyne.Position {
	return e.fit.toScreen(e.corners[i][0], e.corners[i][1])
}

func (e *outlineEditor) MinSize() fyne.Size { return fyne.NewSize(320, 240) }

func (e *outlineEditor) CreateRenderer() fyne.WidgetRenderer {
	objs := []fyne.CanvasObject{e.img}
	for _, l := range e.lines {
		objs = append(objs, l)
	}
	for _, h := range e.handles {
		objs = append(objs, h)
	}
	return &outlineRenderer{e: e, objs: objs}
}

type outlineRenderer struct {
	e    *outlineEditor
	objs []fyne.CanvasObject
}

func (r *outlineRenderer) Layout(size fyne.Size) {
	e := r.e
	e.fit = fitIn(size, e.size)
	e.img.Move(e.fit.offset)
	e.img.Resize(fyne.NewSize(float32(e.size.X)*e.fit.scale, float32(e.size.Y)*e.fit.scale))
	for i := range 4 {
		a, b := e.handleCentre(i), e.handleCentre((i+1)%4)
		e.lines[i].Position1, e.lines[i].Position2 = a, b
		e.handles[i].Resize(fyne.NewSquareSize(handleSize))
		e.handles[i].Move(a.Subtract(fyne.NewPos(handleSize/2, handleSize/2)))
	}
}

func (r *outlineRenderer) MinSize() fyne.Size { return r.e.MinSize() }

func (r *outlineRenderer) Refresh() {
	r.Layout(r.e.Size())
	for _, l := range r.e.lines {
		l.StrokeColor = theme.Color(theme.ColorNamePrimary)
		if r.e.moved {
			l.StrokeColor = color.NRGBA{255, 120, 0, 255}
		}
		l.Refresh()
	}
	r.e.img.Refresh()
}

func (r *outlineRenderer) Objects() []fyne.CanvasObject { return r.objs }
func (r *outlineRenderer) Destroy()                     {}
