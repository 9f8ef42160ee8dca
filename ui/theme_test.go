package ui

import (
	"image/color"
	"math"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// contrast is the WCAG contrast ratio of two colours.
func contrast(a, b color.Color) float64 {
	lum := func(c color.Color) float64 {
		r, g, bl, _ := c.RGBA()
		lin := func(v uint32) float64 {
			s := float64(v) / 0xffff
			if s <= 0.03928 {
				return s / 12.92
			}
			return math.Pow((s+0.055)/1.055, 2.4)
		}
		return 0.2126*lin(r) + 0.7152*lin(g) + 0.0722*lin(bl)
	}
	la, lb := lum(a), lum(b)
	return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
}

// TestSecondaryTextIsReadable: low-importance labels (hints, the library
// path, "No scans yet") reach 4.5:1 against the background in the light and
// the dark variant, and stay quieter than the normal text.
func TestSecondaryTextIsReadable(t *testing.T) {
	th := newTheme()
	for name, v := range map[string]fyne.ThemeVariant{"light": theme.VariantLight, "dark": theme.VariantDark} {
		bg := th.Color(theme.ColorNameBackground, v)
		fg := th.Color(theme.ColorNameForeground, v)
		low := th.Color(theme.ColorNameDisabled, v)
		if c := contrast(low, bg); c < 4.5 {
			t.Errorf("%s: secondary text contrast %.2f:1, want ≥ 4.5:1", name, c)
		}
		if contrast(low, bg) >= contrast(fg, bg) {
			t.Errorf("%s: secondary text is not quieter than the text", name)
		}
	}
}
