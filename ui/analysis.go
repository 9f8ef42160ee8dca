package ui

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/dustin/go-humanize"

	"gradevault/engine/event"
)

// analysisScreen shows a running analysis: overall progress, one bar per
// chunk and the live charts. It is fed by a pump, never by events directly.
type analysisScreen struct {
	c         *controller
	job       *analysisJob
	obj       fyne.CanvasObject
	title     *widget.Label
	phase     *widget.Label
	overall   *widget.ProgressBar
	stats     *widget.Label
	chunkBox  *fyne.Container
	chunkBars []*widget.ProgressBar
	chunkText []*widget.Label
	charts    *chartSet
	warnings  *widget.Label
	queue     *widget.Label
	cancel    *widget.Button
	threshold float64
	applied   int
}

func newAnalysisScreen(c *controller, job *analysisJob) *analysisScreen {
	s := &analysisScreen{c: c, job: job, threshold: c.analysisOptions().MotionThreshold}
	s.title = widget.NewLabelWithStyle("Analysing "+filepath.Base(job.video), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	s.phase = widget.NewLabel("Opening the video…")
	s.overall = widget.NewProgressBar()
	s.overall.TextFormatter = func() string {
		return fmt.Sprintf("%.0f%%", s.overall.Value*100)
	}
	s.stats = widget.NewLabel("")
	s.cancel = widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), func() {
		s.cancel.Disable()
		s.phase.SetText("Cancelling…")
		c.cancelAnalysis()
	})
	s.cancel.Importance = widget.DangerImportance
	s.queue = widget.NewLabel("")
	s.queue.Importance = widget.LowImportance
	s.warnings = widget.NewLabel("")
	s.warnings.Importance = widget.WarningImportance
	s.warnings.Wrapping = fyne.TextWrapWord
	s.warnings.Hide()
	s.chunkBox = container.NewVBox()
	s.charts = newChartSet(nil)
	s.updateQueue()

	top := container.NewVBox(
		container.NewBorder(nil, nil, nil, container.NewHBox(s.queue, s.cancel), container.NewHBox(s.title, s.phase)),
		s.overall, s.stats, s.warnings,
	)
	chunks := newSection("Workers", container.NewVScroll(s.chunkBox))
	charts := container.NewGridWithRows(2, s.charts.sharp, s.charts.motion)
	split := container.NewHSplit(chunks, charts)
	split.Offset = 0.34
	s.obj = container.NewPadded(container.NewBorder(top, nil, nil, nil, split))
	return s
}

func (s *analysisScreen) updateQueue() {
	if n := len(s.c.queue); n > 0 {
		s.queue.SetText(fmt.Sprintf("%d more queued", n))
	} else {
		s.queue.SetText("")
	}
}

// prepare renders the charts; pump goroutine. Rendering is rate limited
// (chartInterval) except for the final state.
func (s *analysisScreen) prepare(snap liveSnapshot, final bool) any {
	if !final && !s.chartDue() {
		return nil
	}
	cursor := -1
	return s.charts.render(snap.ChartVer, chartData{Frames: snap.Frames, Total: snap.Total(), Threshold: s.threshold, Picks: snap.Picks, Cursor: cursor})
}

// chartDue reports whether chartInterval passed since the last render;
// only the pump goroutine calls it for a given screen.
func (s *analysisScreen) chartDue() bool {
	s.charts.mu.Lock()
	defer s.charts.mu.Unlock()
	now := time.Now()
	if now.Sub(s.charts.lastRender) < chartInterval {
		return false
	}
	s.charts.lastRender = now
	return true
}

// apply updates the widgets from a snapshot; UI goroutine, ≤ 30 times/s.
func (s *analysisScreen) apply(snap liveSnapshot, prepared any) {
	s.applied++
	if r, ok := prepared.(*renderedCharts); ok {
		s.charts.apply(r)
	}
	if len(s.chunkBars) != len(snap.Chunks) {
		s.buildChunks(snap)
	}
	for i, cp := range snap.Chunks {
		bar := s.chunkBars[i]
		if cp.Total > 0 {
			bar.Max = float64(cp.Total)
		}
		bar.SetValue(float64(cp.Done))
		s.chunkText[i].SetText(chunkText(snap.Planned, cp))
		s.chunkText[i].Importance = chunkImportance(cp.State)
		s.chunkText[i].Refresh()
	}
	total := snap.Total()
	if total > 0 {
		s.overall.SetValue(float64(snap.Done) / float64(total))
	}
	s.phase.SetText(phaseText(snap))
	stats := fmt.Sprintf("%s / %s frames", humanize.Comma(int64(snap.Done)), humanize.Comma(int64(total)))
	if r := snap.Rate(); r > 0 {
		stats += fmt.Sprintf(" · %s frames/s", fmtNum(r))
	}
	stable := 0
	for _, cp := range snap.Chunks {
		stable += cp.Stable
	}
	stats += fmt.Sprintf(" · %d stable", stable)
	if eta, ok := snap.ETA(); ok && snap.Done < total {
		stats += " · " + etaText(eta)
	}
	if snap.Planned.Workers > 0 {
		stats += fmt.Sprintf(" · %d workers", snap.Planned.Workers)
	}
	if snap.Planned.Width > 0 {
		stats += fmt.Sprintf(" · %d×%d @ %s fps", snap.Planned.Width, snap.Planned.Height, fmtNum(snap.Planned.FPS))
	}
	s.stats.SetText(stats)
	if len(snap.Warnings) > 0 {
		s.warnings.SetText("⚠ " + strings.Join(snap.Warnings, "\n⚠ "))
		s.warnings.Show()
	}
}

func (s *analysisScreen) buildChunks(snap liveSnapshot) {
	s.chunkBox.Objects = nil
	s.chunkBars = nil
	s.chunkText = nil
	for range snap.Chunks {
		bar := widget.NewProgressBar()
		b := bar
		bar.TextFormatter = func() string { return fmt.Sprintf("%.0f / %.0f", b.Value, b.Max) }
		txt := widget.NewLabel("")
		s.chunkBars = append(s.chunkBars, bar)
		s.chunkText = append(s.chunkText, txt)
		s.chunkBox.Add(container.NewVBox(txt, bar))
	}
	s.chunkBox.Refresh()
}

func chunkText(p event.Planned, cp event.ChunkProgress) string {
	rng := ""
	if cp.Chunk < len(p.Chunks) {
		c := p.Chunks[cp.Chunk]
		rng = fmt.Sprintf("frames %d–%d", c.Start, c.End-1)
	}
	t := fmt.Sprintf("Chunk %d · %s · %s · %d stable", cp.Chunk+1, rng, cp.State, cp.Stable)
	if cp.Err != "" {
		t += " · " + cp.Err
	}
	return t
}

func chunkImportance(st event.ChunkState) widget.Importance {
	switch st {
	case event.ChunkDone:
		return widget.SuccessImportance
	case event.ChunkFailed:
		return widget.DangerImportance
	case event.ChunkQueued:
		return widget.LowImportance
	}
	return widget.MediumImportance
}

func phaseText(s liveSnapshot) string {
	switch s.Phase {
	case event.PhaseProbe:
		return "Opening the video…"
	case event.PhaseAnalyse:
		return "Measuring sharpness and motion of every frame…"
	case event.PhaseSelect:
		return "Choosing the golden frames…"
	case event.PhaseExtract:
		return "Saving the golden frames…"
	case event.PhaseGlint:
		if s.Progress.Phase == event.PhaseGlint && s.Progress.Total > 0 {
			return fmt.Sprintf("Looking for defects (glint analysis %d/%d)…", s.Progress.Done, s.Progress.Total)
		}
		return "Looking for defects (glint analysis)…"
	case event.PhaseSave:
		return "Saving the result…"
	case event.PhaseDone:
		return "Done."
	}
	return string(s.Phase)
}

// etaText says how long is left, in whole seconds rounded up: never "now"
// while frames remain.
func etaText(d time.Duration) string {
	secs := int(math.Ceil(d.Seconds()))
	switch {
	case secs <= 1:
		return "about 1 s left"
	case secs < 60:
		return fmt.Sprintf("about %d s left", secs)
	}
	return fmt.Sprintf("about %d min %02d s left", secs/60, secs%60)
}

// fmtNum formats a measurement with two decimals and thousands separators.
func fmtNum(v float64) string {
	return humanize.CommafWithDigits(v, 2)
}
