package ui

import (
	"fmt"
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/dustin/go-humanize"

	"gradevault/assets"
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
}

func newStartScreen(c *controller) *startScreen {
	s := &startScreen{c: c}
	s.message = widget.NewLabel("")
	s.message.Wrapping = fyne.TextWrapWord
	s.message.Hide()

	s.open = widget.NewButtonWithIcon("Open video…", theme.FolderOpenIcon(), s.openDialog)
	s.open.Importance = widget.HighImportance
	s.sample = widget.NewButtonWithIcon("Try the sample", theme.MediaPlayIcon(), s.trySample)

	s.itemType = widget.NewRadioGroup([]string{"comic", "card", "toy"}, func(v string) {
		if v != "" {
			c.itemType = v
		}
	})
	s.itemType.Horizontal = true
	s.itemType.Required = true
	s.itemType.SetSelected(c.itemType)

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
	hint := widget.NewLabelWithStyle("mp4 · mov · m4v · avi · mkv · webm — several videos are analysed one after another",
		fyne.TextAlignCenter, fyne.TextStyle{})
	hint.Importance = widget.LowImportance
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
			id := widget.NewLabelWithStyle("scan-00000000-000000-000000", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
			meta := widget.NewLabel("comic · 5 frames")
			meta.Importance = widget.LowImportance
			state := widget.NewLabel("uploaded")
			return container.NewBorder(nil, nil, nil, state, container.NewVBox(id, meta))
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			if i >= len(s.entries) {
				return
			}
			e := s.entries[i]
			b := o.(*fyne.Container)
			v := b.Objects[0].(*fyne.Container)
			v.Objects[0].(*widget.Label).SetText(e.ID)
			v.Objects[1].(*widget.Label).SetText(entrySummary(e))
			st := b.Objects[1].(*widget.Label)
			st.SetText(string(e.Upload))
			st.Importance = map[library.State]widget.Importance{
				library.StateUploaded: widget.SuccessImportance, library.StateFailed: widget.DangerImportance,
				library.StatePartial: widget.WarningImportance,
			}[e.Upload]
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

func entrySummary(e library.Entry) string {
	if e.Corrupt() {
		return "unreadable: " + e.Err.Error()
	}
	parts := fmt.Sprintf("%s · %s · %d golden frames", orDash(string(e.ItemType)), humanize.Time(e.CreatedAt), e.GoldenFrames)
	if e.HasGlint {
		parts += fmt.Sprintf(" · damage %s", fmtNum(e.DamageScore))
	}
	return parts
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

func (s *startScreen) openDialog() {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil {
			s.setMessage(err.Error(), true)
			return
		}
		if r == nil {
			return
		}
		path := r.URI().Path()
		r.Close()
		s.c.enqueue(path)
	}, s.c.win)
	d.SetFilter(storage.NewExtensionFileFilter(videoExts))
	d.Resize(fyne.NewSize(900, 600))
	d.Show()
}

func (s *startScreen) trySample() {
	path, err := assets.SamplePath()
	if err != nil {
		s.setMessage(err.Error(), true)
		return
	}
	s.c.enqueue(path)
}
