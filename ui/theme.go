package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// gvTheme is Fyne's theme with secondary text that can be read. Fyne draws
// low-importance labels (hints, the library path, "No scans yet") in its
// "disabled" colour, #e3e3e3 on a white background and #39393a on a black
// one: about 1.3:1 contrast. Here that colour is a mid grey, still clearly
// quieter than the text (4.5:1 on white, 6:1 on black).
type gvTheme struct{ fyne.Theme }

func newTheme() fyne.Theme { return gvTheme{theme.DefaultTheme()} }

var (
	secondaryOnLight = color.NRGBA{R: 0x75, G: 0x75, B: 0x75, A: 0xff}
	secondaryOnDark  = color.NRGBA{R: 0x9a, G: 0x9a, B: 0x9a, A: 0xff}
)

func (t gvTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	if n == theme.ColorNameDisabled {
		if v == theme.VariantLight {
			return secondaryOnLight
		}
		return secondaryOnDark
	}
	return t.Theme.Color(n, v)
}
