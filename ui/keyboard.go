package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
)

// Keyboard: Ctrl+O open a video, Ctrl+, settings, Ctrl+Z undo the last
// re-selection, Esc closes the dialog on top (or cancels the analysis, or
// leaves a timeline preview), ← → step one frame, ↑ ↓ step golden frames.
// (Cmd instead of Ctrl on macOS.)

// shortcuts are the window's shortcuts, for installKeys and tests.
func (c *controller) shortcuts() map[fyne.Shortcut]func() {
	mod := fyne.KeyModifierShortcutDefault
	return map[fyne.Shortcut]func(){
		&desktop.CustomShortcut{KeyName: fyne.KeyO, Modifier: mod}:     c.openVideo,
		&desktop.CustomShortcut{KeyName: fyne.KeyComma, Modifier: mod}: c.showSettings,
		&desktop.CustomShortcut{KeyName: fyne.KeyZ, Modifier: mod}:     c.undo,
		&fyne.ShortcutUndo{}: c.undo,
	}
}

func (c *controller) installKeys() {
	cv := c.win.Canvas()
	for sc, f := range c.shortcuts() {
		f := f
		cv.AddShortcut(sc, func(fyne.Shortcut) { f() })
	}
	cv.SetOnTypedKey(func(e *fyne.KeyEvent) { c.typedKey(e.Name) })
}

// openVideo shows the open dialog (Ctrl+O) from any screen; a video chosen
// during an analysis is queued.
func (c *controller) openVideo() {
	if c.start == nil {
		c.start = newStartScreen(c)
	}
	c.start.openDialog()
}

// undo undoes the last re-selection (Ctrl+Z) on the review screen.
func (c *controller) undo() {
	if c.screen == screenReview && c.review != nil && !c.dialogShown() {
		c.review.undoLast()
	}
}

// dialogShown reports whether a dialog covers the window.
func (c *controller) dialogShown() bool { return c.win.Canvas().Overlays().Top() != nil }

// typedKey handles keys nothing focused took.
func (c *controller) typedKey(k fyne.KeyName) {
	if k == fyne.KeyEscape {
		switch {
		case c.dialogShown():
			if c.lastDialog != nil {
				c.lastDialog.Hide()
			}
			if top := c.win.Canvas().Overlays().Top(); top != nil {
				c.win.Canvas().Overlays().Remove(top)
			}
		case c.screen == screenAnalysis && c.live != nil:
			if !c.live.cancel.Disabled() {
				c.live.cancel.OnTapped()
			}
		case c.screen == screenReview && c.review != nil && c.review.scrub >= 0:
			c.review.selectSlot(c.review.selected)
		}
		return
	}
	if c.screen != screenReview || c.review == nil || c.dialogShown() {
		return
	}
	switch k {
	case fyne.KeyLeft:
		c.review.step(-1)
	case fyne.KeyRight:
		c.review.step(1)
	case fyne.KeyUp:
		c.review.stepSlot(-1)
	case fyne.KeyDown:
		c.review.stepSlot(1)
	}
}
