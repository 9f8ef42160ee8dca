package ui

import (
	"image"
	"image/color"
	"math"
	"strconv"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/recorder"
	"gonum.org/v1/plot/vg/vgimg"
)

// chartKind selects the metric a chart shows.
type chartKind int

const (
	chartSharpness chartKind = iota
	chartMotion
)

func (k chartKind) title() string {
	if k == chartMotion {
		return "Motion (px) — lower is steadier"
	}
	return "Sharpness — higher is crisper"
}

// chartData is everything a chart draws. It is a value: the pump renders it
// off the UI goroutine.
type chartData struct {
	Frames    []frameMetric
	Total     int
	Threshold float64
	Picks     []int
	Cursor    int // frame under the timeline cursor, -1 for none
}

// chartStyle carries the theme colours, read on the UI goroutine.
type chartStyle struct {
	FG, Grid, Line, Accent, Cursor, Stable, Threshold color.Color
}

func currentChartStyle(k chartKind) chartStyle {
	th := fyne.CurrentApp().Settings().Theme()
	v := fyne.CurrentApp().Settings().ThemeVariant()
	line := color.Color(color.NRGBA{R: 0x29, G: 0x79, B: 0xff, A: 0xff})
	if k == chartMotion {
		line = color.NRGBA{R: 0xf5, G: 0x7c, B: 0x00, A: 0xff}
	}
	return chartStyle{
		FG:        th.Color(theme.ColorNameForeground, v),
		Grid:      th.Color(theme.ColorNameSeparator, v),
		Line:      line,
		Accent:    color.NRGBA{R: 0xd8, G: 0x1b, B: 0x60, A: 0xff},
		Cursor:    th.Color(theme.ColorNameForeground, v),
		Stable:    color.NRGBA{R: 0x43, G: 0xa0, B: 0x47, A: 0x38},
		Threshold: color.NRGBA{R: 0xe5, G: 0x39, B: 0x35, A: 0xff},
	}
}

// plotArea maps widget x positions (Fyne units) to frames.
type plotArea struct {
	Left, Right float64 // data area in units from the widget's left edge
	MinX, MaxX  float64 // frame numbers at Left and Right
}

func (a plotArea) frameAt(x float32) (int, bool) {
	if a.Right <= a.Left || a.MaxX <= a.MinX {
		return 0, false
	}
	t := (float64(x) - a.Left) / (a.Right - a.Left)
	t = math.Max(0, math.Min(1, t))
	return int(math.Round(a.MinX + t*(a.MaxX-a.MinX))), true
}

// renderChart draws one chart at w×h units and the given scale (pixels per
// unit) with gonum/plot (used alone; chartSet.render aligns two).
func renderChart(k chartKind, d chartData, st chartStyle, w, h float32, scale float32) (image.Image, plotArea) {
	if w < 10 || h < 10 {
		return image.NewNRGBA(image.Rect(0, 0, 1, 1)), plotArea{}
	}
	p := makePlot(k, d, st)
	l, r := plotMargins(p, w, h)
	return drawPlot(p, w, h, scale, l, r)
}

// makePlot builds one chart's plot.
func makePlot(k chartKind, d chartData, st chartStyle) *plot.Plot {
	p := plot.New()
	p.BackgroundColor = color.Transparent
	p.Title.Text = k.title()
	p.Title.TextStyle.Color = st.FG
	p.Title.TextStyle.Font = sans(12)
	p.Title.Padding = 2
	for _, ax := range []*plot.Axis{&p.X, &p.Y} {
		ax.Color = st.Grid
		ax.Tick.Color = st.Grid
		ax.Tick.Label.Color = st.FG
		ax.Tick.Label.Font = sans(10)
		ax.Label.TextStyle.Color = st.FG
		ax.Label.TextStyle.Font = sans(10)
	}
	p.X.Label.Text = "frame"
	p.X.Tick.Marker = frameTicker{}
	p.Y.Tick.Marker = valueTicker{}
	total := d.Total
	if total < len(d.Frames) {
		total = len(d.Frames)
	}
	if total < 2 {
		total = 2
	}
	p.X.Min, p.X.Max = 0, float64(total-1)
	p.Y.Min = 0
	ymax := 0.0
	for _, f := range d.Frames {
		if f.Known {
			ymax = math.Max(ymax, metricOf(k, f))
		}
	}
	if k == chartMotion {
		ymax = math.Max(ymax, d.Threshold*1.5)
	}
	if ymax <= 0 {
		ymax = 1
	}
	p.Y.Max = ymax * 1.08

	p.Add(&stableBands{frames: d.Frames, fill: st.Stable})
	if k == chartMotion && d.Threshold > 0 {
		p.Add(&hLine{y: d.Threshold, style: draw.LineStyle{Color: st.Threshold, Width: vg.Points(1.2), Dashes: []vg.Length{vg.Points(4), vg.Points(3)}}})
	}
	for _, run := range knownRuns(d.Frames, k) {
		if len(run) == 1 {
			s, _ := plotter.NewScatter(run)
			s.GlyphStyle = draw.GlyphStyle{Color: st.Line, Radius: vg.Points(1.2), Shape: draw.CircleGlyph{}}
			p.Add(s)
			continue
		}
		l, err := plotter.NewLine(run)
		if err == nil {
			l.LineStyle = draw.LineStyle{Color: st.Line, Width: vg.Points(1.4)}
			p.Add(l)
		}
	}
	p.Add(&vLines{xs: d.Picks, style: draw.LineStyle{Color: st.Accent, Width: vg.Points(1.6)}, marker: true})
	if d.Cursor >= 0 {
		p.Add(&vLines{xs: []int{d.Cursor}, style: draw.LineStyle{Color: st.Cursor, Width: vg.Points(1), Dashes: []vg.Length{vg.Points(2), vg.Points(2)}}})
	}
	return p
}

// plotMargins are the widths left and right of p's data area when drawn
// at w×h units (measured on a recorder, nothing is drawn).
func plotMargins(p *plot.Plot, w, h float32) (left, right vg.Length) {
	c := draw.Canvas{Canvas: &recorder.Canvas{}, Rectangle: vg.Rectangle{Max: vg.Point{X: vg.Length(w), Y: vg.Length(h)}}}
	da := p.DataCanvas(c)
	return da.Min.X - c.Min.X, c.Max.X - da.Max.X
}

// drawPlot renders p at w×h units with its data area left and right
// units from the edges (at least its own margins), so that charts stacked
// in one column share their x-axis.
func drawPlot(p *plot.Plot, w, h, scale float32, left, right vg.Length) (image.Image, plotArea) {
	if scale <= 0 {
		scale = 1
	}
	ownL, ownR := plotMargins(p, w, h)
	dpi := int(math.Round(72 * float64(scale)))
	c := vgimg.NewWith(vgimg.UseWH(vg.Length(w), vg.Length(h)), vgimg.UseDPI(dpi), vgimg.UseBackgroundColor(color.Transparent))
	dc := draw.Crop(draw.New(c), max(0, left-ownL), -max(0, right-ownR), 0, 0)
	p.Draw(dc)
	da := p.DataCanvas(dc)
	area := plotArea{Left: float64(da.Min.X), Right: float64(da.Max.X), MinX: p.X.Min, MaxX: p.X.Max}
	return c.Image(), area
}

// frameTicker puts ticks on whole frame numbers at a round step, labelled
// as integers.
type frameTicker struct{}

func (frameTicker) Ticks(lo, hi float64) []plot.Tick {
	step := math.Max(1, niceStep((hi-lo)/6))
	var ticks []plot.Tick
	for v := math.Ceil(lo/step) * step; v <= hi+1e-9; v += step {
		ticks = append(ticks, plot.Tick{Value: v, Label: strconv.Itoa(int(math.Round(v)))})
	}
	return ticks
}

// valueTicker labels a metric axis with one format for every tick: the
// number of decimals follows from the step, so labels never switch format
// as the axis grows (400 → 500.00).
type valueTicker struct{}

func (valueTicker) Ticks(lo, hi float64) []plot.Tick {
	step := niceStep((hi - lo) / 4)
	if step <= 0 {
		return nil
	}
	decimals := max(0, int(-math.Floor(math.Log10(step)+1e-9)))
	var ticks []plot.Tick
	for v := math.Ceil(lo/step) * step; v <= hi+1e-9; v += step {
		ticks = append(ticks, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', decimals, 64)})
	}
	return ticks
}

// niceStep rounds x up to 1, 2 or 5 times a power of ten.
func niceStep(x float64) float64 {
	if x <= 0 || math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	p := math.Pow(10, math.Floor(math.Log10(x)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= x-1e-12 {
			return m * p
		}
	}
	return 10 * p
}

// sans is the chart font: Liberation Sans, like the window's sans text.
func sans(size vg.Length) font.Font {
	return font.Font{Typeface: "Liberation", Variant: "Sans", Size: size}
}

func metricOf(k chartKind, f frameMetric) float64 {
	if k == chartMotion {
		return f.Motion
	}
	return f.Sharpness
}

// knownRuns splits the known frames into contiguous runs (workers fill the
// timeline chunk by chunk, so there are gaps while the analysis runs).
func knownRuns(frames []frameMetric, k chartKind) []plotter.XYs {
	var runs []plotter.XYs
	var cur plotter.XYs
	for i, f := range frames {
		if !f.Known {
			if len(cur) > 0 {
				runs = append(runs, cur)
				cur = nil
			}
			continue
		}
		cur = append(cur, plotter.XY{X: float64(i), Y: metricOf(k, f)})
	}
	if len(cur) > 0 {
		runs = append(runs, cur)
	}
	return runs
}

// stableBands shades the runs of stable frames.
type stableBands struct {
	frames []frameMetric
	fill   color.Color
}

func (b *stableBands) Plot(c draw.Canvas, p *plot.Plot) {
	tx, _ := p.Transforms(&c)
	start := -1
	flush := func(end int) {
		if start < 0 {
			return
		}
		x0, x1 := tx(float64(start)-0.5), tx(float64(end)-0.5)
		x0 = max(x0, c.Min.X)
		x1 = min(x1, c.Max.X)
		if x1 > x0 {
			c.FillPolygon(b.fill, []vg.Point{{X: x0, Y: c.Min.Y}, {X: x1, Y: c.Min.Y}, {X: x1, Y: c.Max.Y}, {X: x0, Y: c.Max.Y}})
		}
		start = -1
	}
	for i, f := range b.frames {
		if f.Known && f.Stable {
			if start < 0 {
				start = i
			}
		} else {
			flush(i)
		}
	}
	flush(len(b.frames))
}

// hLine draws a horizontal line across the data area.
type hLine struct {
	y     float64
	style draw.LineStyle
}

func (l *hLine) Plot(c draw.Canvas, p *plot.Plot) {
	_, ty := p.Transforms(&c)
	y := ty(l.y)
	c.StrokeLine2(l.style, c.Min.X, y, c.Max.X, y)
}

// vLines draws vertical lines at frames (golden picks, the cursor).
type vLines struct {
	xs     []int
	style  draw.LineStyle
	marker bool
}

func (l *vLines) Plot(c draw.Canvas, p *plot.Plot) {
	tx, _ := p.Transforms(&c)
	for _, f := range l.xs {
		x := tx(float64(f))
		if x < c.Min.X || x > c.Max.X {
			continue
		}
		c.StrokeLine2(l.style, x, c.Min.Y, x, c.Max.Y)
		if l.marker {
			r := vg.Points(4)
			c.FillPolygon(l.style.Color, []vg.Point{{X: x - r, Y: c.Max.Y}, {X: x + r, Y: c.Max.Y}, {X: x, Y: c.Max.Y - r*1.6}})
		}
	}
}

// timelineChart shows a rendered chart and turns taps and drags into frame
// numbers, so the charts double as a timeline.
type timelineChart struct {
	widget.BaseWidget
	kind   chartKind
	img    *canvas.Image
	area   plotArea
	onSeek func(frame int)
	// onResize is called (UI goroutine) when the size changes.
	onResize func()

	mu    sync.Mutex // guards size and scale, read by the renderer goroutine
	size  fyne.Size
	scale float32
}

func newTimelineChart(k chartKind, onSeek func(int)) *timelineChart {
	c := &timelineChart{kind: k, onSeek: onSeek, scale: 1}
	c.img = canvas.NewImageFromImage(image.NewNRGBA(image.Rect(0, 0, 1, 1)))
	c.img.FillMode = canvas.ImageFillStretch
	c.img.ScaleMode = canvas.ImageScaleSmooth
	c.ExtendBaseWidget(c)
	return c
}

func (c *timelineChart) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(c.img)
}

func (c *timelineChart) MinSize() fyne.Size { return fyne.NewSize(240, 110) }

func (c *timelineChart) Resize(s fyne.Size) {
	c.BaseWidget.Resize(s)
	scale := float32(1)
	if cv := fyne.CurrentApp().Driver().CanvasForObject(c); cv != nil {
		scale = cv.Scale()
	}
	c.mu.Lock()
	changed := c.size != s || c.scale != scale
	c.size, c.scale = s, scale
	c.mu.Unlock()
	if changed && c.onResize != nil && s.Width > 10 && s.Height > 10 {
		c.onResize()
	}
}

// target is the size to render at; safe from any goroutine.
func (c *timelineChart) target() (fyne.Size, float32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.size, c.scale
}

// setImage installs a rendered chart; UI goroutine only.
func (c *timelineChart) setImage(img image.Image, a plotArea) {
	c.img.Image = img
	c.area = a
	c.img.Refresh()
}

func (c *timelineChart) Tapped(e *fyne.PointEvent) { c.seek(e.Position.X) }

func (c *timelineChart) Dragged(e *fyne.DragEvent) { c.seek(e.Position.X) }

func (c *timelineChart) DragEnd() {}

func (c *timelineChart) seek(x float32) {
	if c.onSeek == nil {
		return
	}
	if f, ok := c.area.frameAt(x); ok {
		c.onSeek(f)
	}
}

// chartSet is a sharpness and a motion chart that render together, off the
// UI goroutine, at most every minInterval and only when their data or size
// changed.
type chartSet struct {
	sharp, motion *timelineChart

	mu         sync.Mutex
	lastKey    chartKey
	styles     [2]chartStyle
	rendered   int       // renders done, for tests
	chartsVer  uint64    // review: latest render request (UI goroutine)
	lastRender time.Time // when the live view last asked for a render
}

type chartKey struct {
	ver    uint64
	cursor int
	sw, sh float32
	mw, mh float32
	scale  float32
}

func newChartSet(onSeek func(int)) *chartSet {
	cs := &chartSet{sharp: newTimelineChart(chartSharpness, onSeek), motion: newTimelineChart(chartMotion, onSeek)}
	cs.refreshStyle()
	return cs
}

// refreshStyle re-reads the theme colours; UI goroutine.
func (cs *chartSet) refreshStyle() {
	cs.mu.Lock()
	cs.styles = [2]chartStyle{currentChartStyle(chartSharpness), currentChartStyle(chartMotion)}
	cs.lastKey = chartKey{}
	cs.mu.Unlock()
}

// renderedCharts is the output of chartSet.render, applied on the UI
// goroutine by apply.
type renderedCharts struct {
	sharp, motion         image.Image
	sharpArea, motionArea plotArea
}

// render draws both charts if ver/cursor/size changed since the last
// render; nil means nothing to do. Any goroutine.
func (cs *chartSet) render(ver uint64, d chartData) *renderedCharts {
	ss, scale := cs.sharp.target()
	ms, _ := cs.motion.target()
	key := chartKey{ver: ver, cursor: d.Cursor, sw: ss.Width, sh: ss.Height, mw: ms.Width, mh: ms.Height, scale: scale}
	cs.mu.Lock()
	if key == cs.lastKey {
		cs.mu.Unlock()
		return nil
	}
	cs.lastKey = key
	styles := cs.styles
	cs.rendered++
	cs.mu.Unlock()
	out := &renderedCharts{}
	empty := image.NewNRGBA(image.Rect(0, 0, 1, 1))
	out.sharp, out.motion = empty, empty
	sp, mp := makePlot(chartSharpness, d, styles[0]), makePlot(chartMotion, d, styles[1])
	okS := ss.Width >= 10 && ss.Height >= 10
	okM := ms.Width >= 10 && ms.Height >= 10
	var left, right vg.Length
	if okS {
		left, right = plotMargins(sp, ss.Width, ss.Height)
	}
	// The charts are stacked in one column: give both data areas the same
	// left and right edges so their frame axes line up.
	if okM && ms.Width == ss.Width {
		l, r := plotMargins(mp, ms.Width, ms.Height)
		left, right = max(left, l), max(right, r)
	}
	if okS {
		out.sharp, out.sharpArea = drawPlot(sp, ss.Width, ss.Height, scale, left, right)
	}
	if okM {
		if ms.Width != ss.Width {
			left, right = plotMargins(mp, ms.Width, ms.Height)
		}
		out.motion, out.motionArea = drawPlot(mp, ms.Width, ms.Height, scale, left, right)
	}
	return out
}

// apply installs rendered charts; UI goroutine.
func (cs *chartSet) apply(r *renderedCharts) {
	if r == nil {
		return
	}
	cs.sharp.setImage(r.sharp, r.sharpArea)
	cs.motion.setImage(r.motion, r.motionArea)
}

// release drops the rendered chart images (the screen is closing).
func (cs *chartSet) release() {
	empty := image.NewNRGBA(image.Rect(0, 0, 1, 1))
	cs.sharp.setImage(empty, plotArea{})
	cs.motion.setImage(empty, plotArea{})
	cs.mu.Lock()
	cs.lastKey = chartKey{}
	cs.mu.Unlock()
}
