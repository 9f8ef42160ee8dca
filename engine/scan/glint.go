package scan

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"gocv.io/x/gocv"

	"gradevault/engine/analysis"
	"gradevault/engine/event"
	"gradevault/engine/glint"
	"gradevault/engine/video"
)

// MaxAnalysisFrames is the largest number of analysis frames the defect
// analysis uses (the golden frames, shown to the grader, stay as chosen).
const MaxAnalysisFrames = 12

// AnalysisFrames picks the frames the defect analysis uses: the sharpest
// still frame of every still pose, so that every light angle the grader
// filmed is seen, spread evenly over the poses when there are more than
// MaxAnalysisFrames. It returns nil when the video has no still pose.
func AnalysisFrames(res *Result) []int {
	var best []int
	for _, p := range res.Poses {
		if p.Best >= 0 && p.Best < len(res.Frames) {
			best = append(best, p.Best)
		}
	}
	slices.Sort(best)
	best = slices.Compact(best)
	if len(best) <= MaxAnalysisFrames {
		return best
	}
	out := make([]int, MaxAnalysisFrames)
	for i := range out {
		out[i] = best[(i*(len(best)-1)+(MaxAnalysisFrames-1)/2)/(MaxAnalysisFrames-1)]
	}
	return slices.Compact(out)
}

// closer frees ms[i] when called (glint.Frame.Release); closing it again
// later, with the others, does nothing. ms must not be reallocated
// meanwhile.
func closer(ms []gocv.Mat, i int) func() {
	return func() { ms[i].Close() }
}

// runGlint runs the glint analysis: the golden frames (images, in the
// order of res.GoldenFrameDetails) are drawn and keep the original
// formulas, the analysis frames (AnalysisFrames; decoded from the video
// when they are not golden frames) make the defect map. With fewer than
// three still poses the golden frames join the analysis frames. It stores
// the report in res and lowers res.Confidence with the report's reasons.
// Its images go to the staging folder of dir; save moves them into place.
func runGlint(ctx context.Context, path, dir string, res *Result, images []gocv.Mat, sink event.Sink, take takeFrame) error {
	return runGlintWith(ctx, path, dir, res, images, sink, nil, take)
}

// runGlintWith is runGlint with the reference frame's outline set by hand
// (nil: detected).
func runGlintWith(ctx context.Context, path, dir string, res *Result, images []gocv.Mat, sink event.Sink, outline *[4][2]float64, take takeFrame) error {
	start := time.Now()
	staged := filepath.Join(dir, stagingDir)
	if err := os.RemoveAll(staged); err != nil {
		return fmt.Errorf("clear %s: %w", staged, err)
	}
	sink.Emit(event.PhaseChanged{Phase: event.PhaseGlint})
	anal := AnalysisFrames(res)
	inAnal := map[int]bool{}
	for _, f := range anal {
		inAnal[f] = true
	}
	few := len(anal) < 3
	frames := make([]glint.Frame, 0, len(images)+len(anal))
	golden := map[int]bool{}
	for i, m := range images {
		f := res.GoldenFrameDetails[i].Frame
		golden[f] = true
		role := glint.RoleDisplay
		if few || inAnal[f] {
			role = glint.RoleBoth
		}
		frames = append(frames, glint.Frame{Index: f, Image: m, Role: role})
	}
	// Never grown past its capacity: the Release closures point into it.
	extra := make([]gocv.Mat, 0, len(anal))
	defer func() { closeAll(extra) }()
	var missing []int
	for _, f := range anal {
		if golden[f] {
			continue
		}
		if take != nil {
			if m, ok := take(f); ok {
				extra = append(extra, m)
				frames = append(frames, glint.Frame{Index: f, Image: m, Role: glint.RoleAnalysis, Release: closer(extra, len(extra)-1)})
				continue
			}
		}
		missing = append(missing, f)
	}
	var r *video.Reader
	if len(missing) > 0 {
		var err error
		if r, err = video.Open(path); err != nil {
			// The source video moved: analyse the golden frames alone.
			w := fmt.Sprintf("the defect analysis used the golden frames only: %v", err)
			res.Warnings = append(res.Warnings, w)
			sink.Emit(event.Warning{Message: w})
			for i := range frames {
				frames[i].Role = glint.RoleBoth
			}
			missing = nil
		}
	}
	if len(missing) > 0 {
		r.SetIndex(res.frameIndex())
		for _, f := range missing {
			if err := ctx.Err(); err != nil {
				r.Close()
				return err
			}
			m := gocv.NewMat()
			if _, err := r.Frame(f, &m); err != nil {
				m.Close()
				r.Close()
				return fmt.Errorf("decode analysis frame %d: %w", f, err)
			}
			extra = append(extra, m)
			frames = append(frames, glint.Frame{Index: f, Image: m, Role: glint.RoleAnalysis, Release: closer(extra, len(extra)-1)})
		}
		r.Close()
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
	for _, reason := range rep.ConfidenceReasons {
		res.Confidence.Lower(analysis.Medium, reason)
	}
	applyGrade(res, images, outline)
	res.Timings.GlintSeconds = time.Since(start).Seconds()
	return nil
}
