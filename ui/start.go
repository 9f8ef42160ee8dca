package ui

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"gradevault/assets"
	"gradevault/engine/glint"
	"gradevault/engine/item"
	"gradevault/engine/library"
)

// startScreen: drop zone, open/sample buttons, item type, scan ID, recent
// scans of the library.
type startScreen struct {
	c        *controller
	obj      fyne.CanvasObject
	message  *widget.Label
	itemType *widget.RadioGroup
	scanID   *widget.Entry
	queue    *widget.Label
	open     *widget.Button
	sample   *widget.Button
	recent   *widget.List
	entries  []library.Entry
	empty    *widget.Label
	thumbs   map[string]image.Image // library thumbnails by scan folder (small)
	loading  map[string]bool
	openPath *widget.Entry // the open dialog's path field, while it is shown
	openErr  *widget.Label
	openDlg  dialog.Dialog
}

func newStartScreen(c *controller) *startScreen {
	s := &startScreen{c: c, thumbs: map[string]image.Image{}, loading: map[string]bool{}}
	s.message = widget.NewLabel("")
	s.message.Wrapping = fyne.TextWrapWord
	s.message.Hide()

	s.open = widget.NewButtonWithIcon("Open video… (Ctrl+O)", theme.FolderOpenIcon(), s.openDialog)
	s.open.Importance = widget.HighImportance
	s.sample = widget.NewButtonWithIcon("Try the sample", theme.MediaPlayIcon(), s.trySample)

	s.itemType = widget.NewRadioGroup(item.Names(), func(v string) {
		if t, err := item.Parse(v); err == nil {
			c.itemType = t
		}
	})
	s.itemType.Horizontal = true
	s.itemType.Required = true
	s.itemType.SetSelected(string(c.itemType))

	s.scanID = widget.NewEntry()
	s.scanID.SetText(library.NewScanID())
	s.scanID.Validator = library.ValidScanID
	newID := widget.NewButtonWithIcon("", theme.ViewRefreshIcon(), func() { s.scanID.SetText(library.NewScanID()) })

	s.queue = widget.NewLabel("")
	s.queue.Hide()

	// The drop zone: a large rounded, outlined area.
	zoneBG := canvas.NewRectangle(color.Transparent)
	zoneBG.StrokeColor = theme.Color(theme.ColorNamePrimary)
	zoneBG.StrokeWidth = 2
	zoneBG.CornerRadius = 12
	icon := widget.NewIcon(theme.UploadIcon())
	iconBox := container.NewGridWrap(fyne.NewSize(64, 64), icon)
	big := canvas.NewText("Drop grading videos here", theme.Color(theme.ColorNameForeground))
	big.TextSize = theme.TextHeadingSize()
	big.TextStyle = fyne.TextStyle{Bold: true}
	big.Alignment = fyne.TextAlignCenter
	// Normal foreground, not the low-importance grey that is hard to read
	// on the dark theme.
	hint := widget.NewLabelWithStyle("mp4 · mov · m4v · avi · mkv · webm — several videos are analysed one after another",
		fyne.TextAlignCenter, fyne.TextStyle{})
	zone := container.NewStack(zoneBG, container.NewCenter(container.NewVBox(
		container.NewCenter(iconBox), big, hint,
		container.NewCenter(container.NewHBox(s.open, s.sample)),
	)))

	form := widget.NewForm(
		widget.NewFormItem("Item type", s.itemType),
		widget.NewFormItem("Scan ID", container.NewBorder(nil, nil, nil, newID, s.scanID)),
	)

	s.empty = widget.NewLabel("No scans yet. Your analysed scans appear here.")
	s.empty.Importance = widget.LowImportance
	s.recent = widget.NewList(
		func() int { return len(s.entries) },
		func() fyne.CanvasObject {
			img := canvas.NewImageFromImage(nil)
			img.FillMode = canvas.ImageFillContain
			img.SetMinSize(fyne.NewSize(80, 45))
			title := widget.NewLabelWithStyle("video.mp4 · comic", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
			title.Truncation = fyne.TextTruncateEllipsis
			meta := widget.NewLabel("2 hours ago · damage 12.5 · 5 frames")
			meta.Truncation = fyne.TextTruncateEllipsis
			state := widget.NewLabel("upload failed")
			return container.NewBorder(nil, nil, img, state, container.NewVBox(title, meta))
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			if i >= len(s.entries) {
				return
			}
			e := s.entries[i]
			b := o.(*fyne.Container)
			v := b.Objects[0].(*fyne.Container)
			v.Objects[0].(*widget.Label).SetText(entryTitle(e))
			v.Objects[1].(*widget.Label).SetText(entrySummary(e))
			img := b.Objects[1].(*canvas.Image)
			img.Image = s.thumbs[e.Dir]
			img.Refresh()
			s.loadThumb(e)
			st := b.Objects[2].(*widget.Label)
			text, imp := uploadStateText(e)
			st.SetText(text)
			st.Importance = imp
			st.Refresh()
		},
	)
	s.recent.OnSelected = func(i widget.ListItemID) {
		s.recent.UnselectAll()
		if i < len(s.entries) && !s.entries[i].Corrupt() {
			c.openScan(s.entries[i].Dir)
		}
	}
	libLabel := widget.NewLabel(c.libRoot)
	libLabel.Importance = widget.LowImportance
	libLabel.Truncation = fyne.TextTruncateEllipsis
	recent := container.NewBorder(
		container.NewVBox(widget.NewLabelWithStyle("Recent scans", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), libLabel),
		nil, nil, nil,
		container.NewStack(s.empty, s.recent))

	left := container.NewBorder(container.NewVBox(s.message, s.queue), form, nil, nil, zone)
	split := container.NewHSplit(container.NewPadded(left), container.NewPadded(recent))
	split.Offset = 0.62
	s.obj = split
	return s
}

// entryTitle is a library entry's first line: video name and item type.
func entryTitle(e library.Entry) string {
	return fmt.Sprintf("%s · %s", orDash(e.Video), orDash(string(e.ItemType)))
}

// entrySummary is its second line: damage score, date, frames, scan ID
// (most important first: the line is cut at the list's width).
func entrySummary(e library.Entry) string {
	if e.Corrupt() {
		return e.ID + " · unreadable: " + e.Err.Error()
	}
	parts := "no damage score"
	if e.HasGlint {
		parts = fmt.Sprintf("damage %s (%s)", fmtNum(e.DamageScore), glint.SeverityOf(e.DamageScore))
	}
	return parts + fmt.Sprintf(" · %s · %d frames · %s", e.CreatedAt.Format("2 Jan 2006 15:04"), e.GoldenFrames, e.ID)
}

// uploadStateText words a scan's upload state so that a failed upload never
// reads as a failed analysis.
func uploadStateText(e library.Entry) (string, widget.Importance) {
	if e.Corrupt() {
		return "unreadable scan", widget.DangerImportance
	}
	switch e.Upload {
	case library.StateUploaded:
		return "uploaded", widget.SuccessImportance
	case library.StatePartial:
		return "upload incomplete", widget.WarningImportance
	case library.StateFailed:
		return "saved · upload failed", widget.WarningImportance
	}
	return "saved · not uploaded", widget.MediumImportance
}

// loadThumb decodes the entry's thumbnail in the background once.
func (s *startScreen) loadThumb(e library.Entry) {
	if e.Thumbnail == "" || s.thumbs[e.Dir] != nil || s.loading[e.Dir] {
		return
	}
	s.loading[e.Dir] = true
	path := filepath.Join(e.Dir, filepath.FromSlash(e.Thumbnail))
	dir := e.Dir
	s.c.goBG(func(context.Context) {
		img := loadThumb(path, 160)
		s.c.do(func() {
			if img != nil {
				s.thumbs[dir] = img
				s.recent.Refresh()
			}
		})
	})
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// refreshLibrary re-reads the library listing.
func (s *startScreen) refreshLibrary() {
	entries, err := library.List(s.c.libRoot)
	if err != nil {
		s.setMessage(err.Error(), true)
	}
	if len(entries) > 50 {
		entries = entries[:50]
	}
	s.entries = entries
	if len(entries) == 0 {
		s.empty.Show()
	} else {
		s.empty.Hide()
	}
	s.recent.Refresh()
}

func (s *startScreen) setMessage(msg string, show bool) {
	s.message.SetText(msg)
	s.message.Importance = widget.DangerImportance
	if msg != "" && show {
		s.message.Show()
	} else {
		s.message.Hide()
	}
	s.message.Refresh()
}

func (s *startScreen) updateQueue() {
	if n := len(s.c.queue); n > 0 {
		s.queue.SetText(fmt.Sprintf("%d video(s) queued", n))
		s.queue.Show()
	} else {
		s.queue.Hide()
	}
}

// takeScanID returns the scan ID to use and puts a fresh one in the entry
// for the next video.
func (s *startScreen) takeScanID() string {
	id := s.scanID.Text
	if id == "" {
		id = library.NewScanID()
	}
	if library.ValidScanID(id) == nil {
		s.scanID.SetText(library.NewScanID())
	}
	return id
}

// openDialog asks for a video: a path field (paste or type a path) and a
// Browse button for the file chooser, which only fills the field. Nothing
// is analysed until Analyse is pressed with a path to a video file.
func (s *startScreen) openDialog() {
	s.openPath = widget.NewEntry()
	s.openPath.SetPlaceHolder("/path/to/video.mp4")
	s.openErr = widget.NewLabel("")
	s.openErr.Importance = widget.DangerImportance
	s.openErr.Hide()
	browse := widget.NewButtonWithIcon("Browse…", theme.FolderOpenIcon(), func() {
		d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
			if err != nil {
				s.openErr.SetText(err.Error())
				s.openErr.Show()
				return
			}
			if r == nil {
				return
			}
			s.openPath.SetText(r.URI().Path())
			r.Close()
		}, s.c.win)
		d.SetFilter(storage.NewExtensionFileFilter(videoExts))
		d.Resize(fyne.NewSize(900, 560))
		d.Show()
	})
	content := container.NewVBox(
		widget.NewLabel("Path of the video to analyse:"),
		container.NewBorder(nil, nil, nil, browse, s.openPath),
		s.openErr,
	)
	var d dialog.Dialog
	analyse := func() {
		path := strings.TrimSpace(s.openPath.Text)
		if err := checkVideoFile(path); err != nil {
			s.openErr.SetText(err.Error())
			s.openErr.Show()
			return
		}
		d.Hide()
		s.c.enqueue(path)
	}
	s.openPath.OnSubmitted = func(string) { analyse() }
	ok := widget.NewButtonWithIcon("Analyse", theme.ConfirmIcon(), analyse)
	ok.Importance = widget.HighImportance
	cancel := widget.NewButton("Cancel", func() { d.Hide() })
	d = dialog.NewCustomWithoutButtons("Open a video", container.NewBorder(nil,
		container.NewVBox(widget.NewSeparator(), container.NewHBox(layout.NewSpacer(), cancel, ok)), nil, nil,
		container.NewGridWrap(fyne.NewSize(560, content.MinSize().Height), content)), s.c.win)
	s.openDlg = d
	s.c.lastDialog = d
	d.Show()
	s.c.win.Canvas().Focus(s.openPath)
}

// checkVideoFile says why path cannot be analysed: missing, a folder, or
// not a video; nil if it can.
func checkVideoFile(path string) error {
	if path == "" {
		return errors.New("type or browse to the path of a video file")
	}
	info, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("%s: no such file", filepath.Base(path))
	}
	if info.IsDir() {
		return fmt.Errorf("%s is a folder: choose a video file inside it", filepath.Base(path))
	}
	if !isVideoPath(path) {
		return fmt.Errorf("%s: %v (mp4, mov, m4v, avi, mkv or webm)", filepath.Base(path), errNotVideo)
	}
	return nil
}

func (s *startScreen) trySample() {
	path, err := assets.SamplePath()
	if err != nil {
		s.setMessage(err.Error(), true)
		return
	}
	s.c.enqueue(path)
}
