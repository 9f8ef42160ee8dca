package ui

import (
	"fmt"
	"image"
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"gradevault/engine/scan"
)

// Thumbnail size of a golden frame card, in Fyne units. Thumbnails are
// decoded at most twice this size (thumbPixels): the cards never hold a
// full-resolution frame.
var thumbSize = fyne.NewSize(104, 59)

const thumbPixels = 256

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
// of a Label's padding, which keeps the cards short).
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
	c.img.SetMinSize(thumbSize)
	c.border = canvas.NewRectangle(color.Transparent)
	c.border.StrokeWidth = 2
	c.border.CornerRadius = 6
	fg := theme.Color(theme.ColorNameForeground)
	c.title = captionText(fmt.Sprintf("#%d · f%d · %ss", i+1, g.Frame, fmtNum(g.Timestamp)), true, fg)
	c.metrics = captionText(fmt.Sprintf("sharp %.0f", g.Sharpness), false, fg)
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
	body := container.NewVBox(c.img, c.title, container.NewHBox(c.metrics, c.badges))
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
