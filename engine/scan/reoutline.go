package scan

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"

	"gocv.io/x/gocv"

	"gradevault/engine/event"
)

// ErrBadOutline is returned by Reoutline for corners that do not make a
// usable outline.
var ErrBadOutline = errors.New("outline")

// ReoutlineOptions control Reoutline.
type ReoutlineOptions struct {
	Sink event.Sink
}

// Reoutline re-runs the rectification, defect analysis, centering and
// sub-grades of the scan in dir with the first golden frame's outline set
// by hand: corners TL, TR, BR, BL in that frame's pixels. It works from the
// saved golden frames (the video is not needed), is cancellable through
// ctx, reports progress to o.Sink like Reselect, and saves result.json
// with itemOutline.manual = true. Until the final rename of result.json
// the previous result stays valid.
func Reoutline(ctx context.Context, dir string, corners [4][2]float64, o ReoutlineOptions) (*Result, error) {
	res, err := ReadResult(dir)
	if err != nil {
		return nil, fmt.Errorf("no analysis in %s: %w", dir, err)
	}
	if len(res.GoldenFrames) == 0 {
		return nil, fmt.Errorf("%s has no golden frames", dir)
	}
	sink := event.Serialise(o.Sink)
	sink.Emit(event.PhaseChanged{Phase: event.PhaseExtract})
	var images []gocv.Mat
	defer func() { closeAll(images) }()
	for _, rel := range res.GoldenFrames {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		m := gocv.IMRead(filepath.Join(dir, filepath.FromSlash(rel)), gocv.IMReadColor)
		if m.Empty() {
			m.Close()
			return nil, fmt.Errorf("read golden frame %s: missing or unreadable", rel)
		}
		images = append(images, m)
	}
	if err := checkOutline(corners, images[0].Cols(), images[0].Rows()); err != nil {
		return nil, err
	}
	if res.Report != nil {
		res.Warnings = removeAll(res.Warnings, res.Report.Warnings)
	}
	if err := runGlintWith(ctx, res.Video.Path, dir, res, images, sink, &corners, nil); err != nil {
		return nil, err
	}
	if err := save(ctx, dir, res, sink); err != nil {
		return nil, err
	}
	sink.Emit(event.PhaseChanged{Phase: event.PhaseDone})
	return res, nil
}

// checkOutline accepts a convex quadrilateral, corners within 10% of the
// frame's size outside it, covering at least 1% of the frame.
func checkOutline(c [4][2]float64, w, h int) error {
	W, H := float64(w), float64(h)
	for i, p := range c {
		if math.IsNaN(p[0]) || math.IsNaN(p[1]) || p[0] < -0.1*W || p[0] > 1.1*W || p[1] < -0.1*H || p[1] > 1.1*H {
			return fmt.Errorf("%w: corner %d (%.0f, %.0f) is outside the %d×%d frame", ErrBadOutline, i+1, p[0], p[1], w, h)
		}
	}
	sign := 0.0
	area := 0.0
	for i := range 4 {
		a, b, d := c[i], c[(i+1)%4], c[(i+2)%4]
		cr := (b[0]-a[0])*(d[1]-b[1]) - (b[1]-a[1])*(d[0]-b[0])
		if cr == 0 || (sign != 0 && (cr > 0) != (sign > 0)) {
			return fmt.Errorf("%w: the corners do not make a convex quadrilateral (keep them in order TL, TR, BR, BL)", ErrBadOutline)
		}
		sign = cr
		area += a[0]*b[1] - b[0]*a[1]
	}
	if sign < 0 {
		return fmt.Errorf("%w: the corners are in the wrong order (want TL, TR, BR, BL clockwise on screen)", ErrBadOutline)
	}
	if math.Abs(area)/2 < 0.01*W*H {
		return fmt.Errorf("%w: the outline covers less than 1%% of the frame", ErrBadOutline)
	}
	return nil
}

// removeAll returns s without the strings in drop.
func removeAll(s, drop []string) []string {
	var out []string
	for _, x := range s {
		keep := true
		for _, d := range drop {
			if x == d {
				keep = false
				break
			}
		}
		if keep {
			out = append(out, x)
		}
	}
	return out
}
