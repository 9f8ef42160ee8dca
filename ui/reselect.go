package ui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"fyne.io/fyne/v2/widget"

	"gradevault/engine/scan"
)

// Re-selection: the timeline buttons change the golden frames through
// scan.Reselect in the background; each completed change can be undone.

func (r *reviewScreen) currentFrames() []int {
	var fs []int
	for _, g := range r.res.GoldenFrameDetails {
		fs = append(fs, g.Frame)
	}
	return fs
}

func (r *reviewScreen) updateButtons() {
	n := len(r.res.GoldenFrameDetails)
	inSet := r.scrub >= 0 && r.slotOf(r.scrub) >= 0
	setEnabled(r.use, !r.busy && r.scrub >= 0 && !inSet && n > 0)
	setEnabled(r.add, !r.busy && r.scrub >= 0 && !inSet && n < scan.MaxPicks)
	setEnabled(r.remove, !r.busy && n > scan.MinPicks)
	setEnabled(r.reset, !r.busy && !slices.Equal(sortedCopy(r.currentFrames()), sortedCopy(r.res.AutomaticPicks)) && len(r.res.AutomaticPicks) >= scan.MinPicks)
	setEnabled(r.undoBtn, !r.busy && len(r.undo) > 0)
	setEnabled(r.upload, !r.busy)
}

func sortedCopy(s []int) []int {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func setEnabled(b *widget.Button, on bool) {
	if on {
		b.Enable()
	} else {
		b.Disable()
	}
}

func (r *reviewScreen) useFrame() {
	if r.scrub < 0 || r.selected >= len(r.res.GoldenFrameDetails) {
		return
	}
	fs := r.currentFrames()
	fs[r.selected] = r.scrub
	r.reselect(fs, r.scrub, false)
}

func (r *reviewScreen) addFrame() {
	if r.scrub < 0 {
		return
	}
	r.reselect(append(r.currentFrames(), r.scrub), r.scrub, false)
}

func (r *reviewScreen) removeSlot() {
	fs := r.currentFrames()
	if r.selected >= len(fs) {
		return
	}
	fs = slices.Delete(fs, r.selected, r.selected+1)
	r.reselect(fs, -1, false)
}

func (r *reviewScreen) resetAuto() {
	r.reselect(slices.Clone(r.res.AutomaticPicks), -1, false)
}

// undoLast restores the frame set before the last completed re-selection.
func (r *reviewScreen) undoLast() {
	if r.busy || len(r.undo) == 0 {
		return
	}
	prev := r.undo[len(r.undo)-1]
	r.reselect(slices.Clone(prev), -1, true)
}

// reselect re-extracts the frames and re-runs the glint analysis in the
// background (scan.Reselect). A newer request cancels an older one; runs
// never overlap in the scan folder. focus is the frame to select afterwards
// (-1: keep the slot); undoing pops the undo stack instead of pushing.
func (r *reviewScreen) reselect(frames []int, focus int, undoing bool) {
	if len(frames) < scan.MinPicks || len(frames) > scan.MaxPicks {
		r.status.SetText(fmt.Sprintf("Choose %d to %d frames.", scan.MinPicks, scan.MaxPicks))
		r.status.Show()
		return
	}
	run := r.newRun()
	before := r.currentFrames()
	// Keep the thumbnail of a frame being added: it is on screen already.
	if focus >= 0 && r.scrubImg != nil && r.scrub == focus && r.thumbImg[focus] == nil {
		r.thumbImg[focus] = thumbOfImage(r.scrubImg, thumbPixels)
	}
	r.busy = true
	r.updateButtons()
	r.status.Importance = widget.MediumImportance
	r.status.SetText(fmt.Sprintf("Re-running the defect analysis on frames %s…", joinInts(sortedCopy(frames))))
	r.status.Show()
	r.progress.SetValue(0)
	r.progress.Show()

	model := newLiveModel()
	p := startPump(r.c.do, model, nil, func(s liveSnapshot, _ any) {
		if run.seq != r.reselSeq {
			return
		}
		if s.Progress.Total > 0 {
			r.progress.SetValue(float64(s.Progress.Done) / float64(s.Progress.Total))
		}
	})
	dir, itemType := r.dir, r.res.ItemType
	r.runBG(run, func(ctx context.Context) (*scan.Result, error) {
		defer p.finish()
		return r.c.eng.Reselect(ctx, dir, frames, scan.ReselectOptions{ItemType: itemType, Glint: true, Sink: model.Sink})
	}, func(res *scan.Result, err error) {
		r.progress.Hide()
		if err != nil {
			if !errors.Is(err, context.Canceled) {
				r.status.Importance = widget.DangerImportance
				r.status.SetText("Re-selection failed: " + err.Error())
				r.status.Show()
			}
			r.updateButtons()
			return
		}
		if undoing {
			r.undo = r.undo[:len(r.undo)-1]
		} else {
			r.undo = append(r.undo, before)
		}
		if focus >= 0 {
			for i, g := range res.GoldenFrameDetails {
				if g.Frame == focus {
					r.selected = i
				}
			}
		}
		r.scrub = -1
		r.scrubImg = nil
		r.setResult(res)
		r.selectSlot(r.selected)
		r.status.Importance = widget.SuccessImportance
		r.status.SetText(reselectMessage(res, focus, r.selected, undoing))
		r.status.Show()
		r.info.SetText(r.frameCaption(res.GoldenFrameDetails[r.selected].Frame))
	})
}

// reselectMessage is the status after a re-selection: which slot now holds
// the focused frame, and the new damage score.
func reselectMessage(res *scan.Result, focus, selected int, undoing bool) string {
	msg := "Saved the new selection"
	switch {
	case undoing:
		msg = "Undone: restored the previous selection"
	case focus >= 0 && selected < len(res.GoldenFrameDetails) && res.GoldenFrameDetails[selected].Frame == focus:
		msg = fmt.Sprintf("Saved the new selection: frame %d is golden slot %d of %d", focus, selected+1, len(res.GoldenFrameDetails))
	}
	if res.Report != nil {
		msg += fmt.Sprintf("; defect analysis updated (damage %s).", fmtNum(res.DamageScore))
	} else {
		msg += "; no defect analysis ran."
	}
	return msg
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ", ")
}

// pickOtherFrame returns the sharpest stable frame that is not golden, or
// any frame that is not.
func pickOtherFrame(r *reviewScreen) int {
	best, bestSharp := -1, -1.0
	far := func(n int) bool {
		for _, g := range r.res.GoldenFrameDetails {
			if n-g.Frame < 10 && g.Frame-n < 10 {
				return false
			}
		}
		return true
	}
	for _, f := range r.res.Frames {
		if r.slotOf(f.Frame) >= 0 || !far(f.Frame) {
			continue
		}
		if f.Stable && f.Sharpness > bestSharp {
			best, bestSharp = f.Frame, f.Sharpness
		}
	}
	if best < 0 {
		for _, f := range r.res.Frames {
			if r.slotOf(f.Frame) < 0 {
				return f.Frame
			}
		}
		return 0
	}
	return best
}

// rechoose picks the golden frames again from the measured frames with a
// new motion threshold and minimum gap (scan.Rechoose: nothing is decoded
// but the new golden frames) and re-runs the defect analysis, in the
// background, like a re-selection by hand.
func (r *reviewScreen) rechoose(threshold float64, gap int) {
	run := r.newRun()
	r.busy = true
	r.updateButtons()
	r.status.Importance = widget.MediumImportance
	r.status.SetText(fmt.Sprintf("Choosing the golden frames again (threshold %s px, gap %d)…", fmtNum(threshold), gap))
	r.status.Show()
	dir := r.dir
	r.runBG(run, func(ctx context.Context) (*scan.Result, error) {
		return scan.Rechoose(ctx, dir, scan.RechooseOptions{MotionThreshold: threshold, MinGap: gap, Glint: true})
	}, func(res *scan.Result, err error) {
		if err != nil {
			if !errors.Is(err, context.Canceled) {
				r.status.Importance = widget.DangerImportance
				r.status.SetText("New settings not applied: " + err.Error())
			}
			r.updateButtons()
			return
		}
		r.undo = nil // the automatic picks changed under the undo stack
		r.setResult(res)
		r.status.Importance = widget.SuccessImportance
		r.status.SetText("Golden frames chosen again with the new settings.")
		r.status.Show()
		r.updateButtons()
	})
}

// reselRun is one background change of the golden frames (a re-selection
// by hand, an undo, or a re-choice with new settings).
type reselRun struct {
	seq        int
	ctx        context.Context
	cancel     context.CancelFunc
	prev, done chan struct{} // the run before's end, this run's end
}

// newRun cancels the running change of the golden frames, if any, and
// starts the next one; UI goroutine.
func (r *reviewScreen) newRun() reselRun {
	if r.reselCancel != nil {
		r.reselCancel()
	}
	r.reselSeq++
	ctx, cancel := context.WithCancel(r.c.ctx)
	run := reselRun{seq: r.reselSeq, ctx: ctx, cancel: cancel, prev: r.reselDone, done: make(chan struct{})}
	r.reselCancel, r.reselDone = cancel, run.done
	return run
}

// runBG runs work in the background once the run before has left the scan
// folder (runs never overlap there), then hands its outcome to apply on the
// UI goroutine with busy cleared, unless a newer run started or the review
// closed meanwhile.
func (r *reviewScreen) runBG(run reselRun, work func(context.Context) (*scan.Result, error), apply func(*scan.Result, error)) {
	r.c.goBG(func(context.Context) {
		defer close(run.done)
		defer run.cancel()
		if run.prev != nil {
			<-run.prev
		}
		res, err := work(run.ctx)
		r.c.do(func() {
			if run.seq != r.reselSeq || r.c.review != r || r.closed {
				return
			}
			r.busy = false
			apply(res, err)
		})
	})
}
