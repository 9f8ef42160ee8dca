package ui

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// dialogTextWidth is the width of a dialog's message, in Fyne units: it
// fits the window's smallest size (1220×700) with room to spare.
const dialogTextWidth = 460

// messageLabel is a dialog message broken into lines that fit width. A
// word-wrapping Label reports the height of its current size, which is
// zero before the dialog lays it out, so dialogs drew their buttons over
// the text; pre-broken lines give an exact minimum size instead.
func messageLabel(msg string, width float32, imp widget.Importance) *widget.Label {
	l := widget.NewLabel(wrapText(msg, width-2*theme.InnerPadding(), theme.TextSize(), fyne.TextStyle{}))
	l.Importance = imp
	return l
}

// wrapText breaks text into lines no wider than width (words longer than a
// line are split).
func wrapText(text string, width, size float32, style fyne.TextStyle) string {
	fits := func(s string) bool { return fyne.MeasureText(s, size, style).Width <= width }
	var out []string
	for _, para := range strings.Split(text, "\n") {
		line := ""
		for _, word := range strings.Fields(para) {
			for !fits(word) && len(word) > 1 {
				// Split an over-long word (a path) at the widest prefix that fits.
				cut := 1
				for cut < len(word) && fits(word[:cut+1]) {
					cut++
				}
				if line != "" {
					out = append(out, line)
					line = ""
				}
				out = append(out, word[:cut])
				word = word[cut:]
			}
			switch {
			case line == "":
				line = word
			case fits(line + " " + word):
				line += " " + word
			default:
				out = append(out, line)
				line = word
			}
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

func newInfoDialog(title, msg string, w fyne.Window) dialog.Dialog {
	return dialog.NewCustom(title, "Close", messageLabel(msg, dialogTextWidth, widget.MediumImportance), w)
}
