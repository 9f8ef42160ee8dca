package scan

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"gocv.io/x/gocv"

	"gradevault/engine/event"
	"gradevault/engine/glint"
)

// runGlint runs the glint analysis on the golden frames (images, in the
// order of res.GoldenFrameDetails) and stores its report in res. Its images
// go to the staging folder of dir; save moves them into place.
func runGlint(ctx context.Context, dir string, res *Result, images []gocv.Mat, sink event.Sink) error {
	return runGlintWith(ctx, dir, res, images, sink, nil)
}

// runGlintWith is runGlint with the reference frame's outline set by hand
// (nil: detected).
func runGlintWith(ctx context.Context, dir string, res *Result, images []gocv.Mat, sink event.Sink, outline *[4][2]float64) error {
	start := time.Now()
	staged := filepath.Join(dir, stagingDir)
	if err := os.RemoveAll(staged); err != nil {
		return fmt.Errorf("clear %s: %w", staged, err)
	}
	sink.Emit(event.PhaseChanged{Phase: event.PhaseGlint})
	frames := make([]glint.Frame, len(images))
	for i, m := range images {
		frames[i] = glint.Frame{Index: res.GoldenFrameDetails[i].Frame, Image: m}
	}
	rep, err := glint.Analyze(ctx, frames, glint.Options{ItemType: res.ItemType, OutDir: staged, Sink: sink, Outline: outline})
	if err != nil {
		return err
	}
	res.Report = rep
	res.Warnings = append(res.Warnings, rep.Warnings...)
	for _, w := range rep.Warnings {
		sink.Emit(event.Warning{Message: w})
	}
	applyGrade(res, images, outline)
	res.Timings.GlintSeconds = time.Since(start).Seconds()
	return nil
}
