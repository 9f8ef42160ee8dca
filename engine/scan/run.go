package scan

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"time"

	"gocv.io/x/gocv"

	"gradevault/engine/analysis"
	"gradevault/engine/event"
	"gradevault/engine/fastpng"
	"gradevault/engine/item"
	"gradevault/engine/video"
	"gradevault/internal/cmem"
)

// ErrExists is returned when the output folder already holds an analysis
// and Force is not set.
var ErrExists = errors.New("folder already holds an analysis")

// Options describe one scan.
type Options struct {
	Video    string // source video; never modified
	Dir      string // scan folder to write
	ScanID   string
	ItemType item.Type // comic, card or toy
	Analysis analysis.Options
	Glint    bool // run the glint defect analysis on the golden frames
	Force    bool // replace an existing analysis in Dir
	Sink     event.Sink
}

// FramesDir is the folder, inside a scan folder, of the golden frames.
const FramesDir = "frames"

// GoldenFrameName is the file name of the n-th (from 1) golden frame, taken
// from video frame f.
func GoldenFrameName(n, f int) string {
	return fmt.Sprintf("golden_frame_%02d_f%05d.png", n, f)
}

// CheckDir refuses a folder that already holds an analysis, unless force.
func CheckDir(dir string, force bool) error {
	if _, err := os.Stat(filepath.Join(dir, ResultFile)); err == nil && !force {
		return fmt.Errorf("%s: %w (use --force to replace it)", dir, ErrExists)
	}
	return nil
}

// Run analyses the video, saves the golden frames, runs the glint analysis
// when asked, and writes result.json. Nothing is written until the frame
// analysis has succeeded, so a bad video leaves no folder behind. When it
// fails or is cancelled after writing, CleanupFailed removes what it wrote
// (the whole folder if Run created it). After success, files of an earlier
// analysis in the folder that the new result does not reference (more
// golden frames, glint and rectified images of an earlier run) are removed.
func Run(ctx context.Context, o Options) (_ *Result, err error) {
	start := time.Now()
	if err := CheckDir(o.Dir, o.Force); err != nil {
		return nil, err
	}
	t, err := item.Parse(string(o.ItemType))
	if err != nil {
		return nil, err
	}
	o.ItemType = t
	_, statErr := os.Stat(o.Dir)
	existed := statErr == nil
	defer func() {
		if err != nil {
			CleanupFailed(o.Dir, existed)
		}
	}()
	sink := event.Serialise(o.Sink)
	ao := o.Analysis
	ao.Sink = sink
	ao.Keep = true // the still runs' best frames: no second decode for the picks
	if o.Glint {
		ao.KeepFrames = max(ao.KeepFrames, MaxAnalysisFrames) // and for the defect analysis's frames
	}
	an, err := analysis.Run(ctx, o.Video, ao)
	if err != nil {
		return nil, err
	}
	defer an.Close()
	abs, err := filepath.Abs(o.Video)
	if err != nil {
		abs = o.Video
	}
	res := &Result{
		ScanID:    o.ScanID,
		ItemType:  o.ItemType,
		CreatedAt: start.UTC().Truncate(time.Second),
		Video: VideoInfo{
			Path: abs, Frames: an.Info.Frames, FPS: an.Info.FPS, Width: an.Info.Width, Height: an.Info.Height,
			Rotation: an.Info.Rotation, DurationSeconds: an.Info.Duration(),
		},
		Settings: Settings{
			Mode: string(an.Options.Mode), MotionThreshold: an.Options.MotionThreshold,
			MinGap: an.Options.MinGap, Count: an.Options.Count, Policy: string(an.Options.Policy),
			Workers: an.Options.Workers, Chunks: len(an.Chunks), MetricsCached: an.Cached,
		},
		Warnings:   append([]string{}, an.Warnings...),
		Confidence: an.Confidence,
		Poses:      an.Poses,
	}
	for _, f := range an.Frames {
		res.Frames = append(res.Frames, FrameRecord{
			Frame: f.Index, Timestamp: f.Timestamp, Sharpness: f.Sharpness, Motion: f.Motion, Stable: f.Stable, PTS: f.PTS,
		})
	}
	for _, p := range an.Picks {
		res.AutomaticPicks = append(res.AutomaticPicks, p.Index)
	}
	res.Timings.AnalysisSeconds = an.Elapsed.Seconds()

	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sink.Emit(event.PhaseChanged{Phase: event.PhaseExtract})
	picks := make([]Pick, len(an.Picks))
	for i, p := range an.Picks {
		picks[i] = Pick{Frame: p.Index, Relaxed: p.Relaxed, Pose: p.Pose, Rank: p.Rank}
	}
	t0 := time.Now()
	// Free the kept frames no later step takes before the memory-hungry ones.
	need := slices.Clone(res.AutomaticPicks)
	if o.Glint {
		need = append(need, AnalysisFrames(res)...)
	}
	an.KeepOnly(need)
	cmem.Trim() // the decoder's and the workers' buffers: give them back before the glint analysis
	images, err := goldenImages(ctx, o.Video, res, picks, an.TakeKept)
	if err != nil {
		return nil, err
	}
	defer closeAll(images)
	wait := writeGolden(o.Dir, res, images)
	defer wait() // before the images are closed, whatever happens
	if o.Glint {
		if err := runGlint(ctx, o.Video, o.Dir, res, images, sink, an.TakeKept); err != nil {
			return nil, firstFailure(wait, err)
		}
	}
	end, err := wait()
	if err != nil {
		return nil, err
	}
	res.Timings.ExtractSeconds = end.Sub(t0).Seconds()
	res.Timings.TotalSeconds = time.Since(start).Seconds()
	if err := save(ctx, o.Dir, res, sink); err != nil {
		return nil, err
	}
	sink.Emit(event.PhaseChanged{Phase: event.PhaseDone})
	return res, nil
}

// Pick is a frame chosen as a golden frame, automatically or by hand.
type Pick struct {
	Frame   int
	Relaxed bool
	Manual  bool
	Pose    int // still pose ID, -1 for none
	Rank    int // sharpness rank among the still frames, 0 if not still
}

// takeFrame hands over a frame already in memory (kept during the
// analysis), which the caller then owns; ok is false when it has to be
// decoded. A nil takeFrame has none.
type takeFrame func(frame int) (img gocv.Mat, ok bool)

// goldenImages gets the picked frames (from take, else decoded from the
// video) and fills the golden frame fields of res; writeGolden saves them.
// It returns the frames (BGR, upright), which the caller closes.
func goldenImages(ctx context.Context, path string, res *Result, picks []Pick, take takeFrame) (images []gocv.Mat, err error) {
	var r *video.Reader
	defer func() {
		if r != nil {
			r.Close()
		}
		if err != nil {
			closeAll(images)
			images = nil
		}
	}()
	byFrame := make(map[int]FrameRecord, len(res.Frames))
	for _, f := range res.Frames {
		byFrame[f.Frame] = f
	}
	// Decode what is not in memory in frame order with one reader (picks
	// are sorted, so it mostly reads forward).
	for _, p := range picks {
		if err := ctx.Err(); err != nil {
			return images, err
		}
		if take != nil {
			if m, ok := take(p.Frame); ok {
				images = append(images, m)
				continue
			}
		}
		if r == nil {
			if r, err = video.Open(path); err != nil {
				return images, err
			}
			// Identify frames by their timestamps, as the analysis saw them.
			r.SetIndex(res.frameIndex())
		}
		m := gocv.NewMat()
		if _, err := r.Frame(p.Frame, &m); err != nil {
			m.Close()
			return images, fmt.Errorf("decode golden frame %d: %w", p.Frame, err)
		}
		images = append(images, m)
	}
	res.GoldenFrames = []string{}
	res.FrameTimestamps = []float64{}
	res.GoldenFrameDetails = []GoldenFrame{}
	for i, p := range picks {
		fr := byFrame[p.Frame]
		rel := filepath.ToSlash(filepath.Join(FramesDir, GoldenFrameName(i+1, p.Frame)))
		res.GoldenFrames = append(res.GoldenFrames, rel)
		res.FrameTimestamps = append(res.FrameTimestamps, fr.Timestamp)
		res.GoldenFrameDetails = append(res.GoldenFrameDetails, GoldenFrame{
			Frame: p.Frame, Timestamp: fr.Timestamp, Sharpness: fr.Sharpness, Motion: fr.Motion,
			Relaxed: p.Relaxed, Manual: p.Manual, Pose: p.Pose, Rank: p.Rank, File: rel,
		})
	}
	return images, nil
}

// writeGolden starts saving the golden frames (images, in the order of
// res.GoldenFrames) as PNGs under dir, on as many goroutines as cores, and
// returns a function that waits for them and returns when the last one
// was written and the first error (the same each time it is called). The
// images must stay open until it has returned. The writes go on beside the
// glint analysis, filling the cores its serial steps and the disk syncs
// leave idle.
func writeGolden(dir string, res *Result, images []gocv.Mat) (wait func() (time.Time, error)) {
	errs := make([]error, len(images))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.NumCPU())
	for i := range images {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[i] = fastpng.WriteFile(filepath.Join(dir, filepath.FromSlash(res.GoldenFrames[i])), images[i])
		})
	}
	done := make(chan struct{})
	var end time.Time
	go func() {
		wg.Wait()
		end = time.Now()
		close(done)
	}()
	return func() (time.Time, error) {
		<-done
		for _, err := range errs {
			if err != nil {
				return end, err // the others failed alike (the same folder)
			}
		}
		return end, nil
	}
}

// firstFailure is err, from a step that ran beside the golden frames'
// writes, unless the writes failed too: then theirs, the first thing that
// failed (an unwritable folder fails both).
func firstFailure(wait func() (time.Time, error), err error) error {
	if _, werr := wait(); werr != nil {
		return werr
	}
	return err
}

func closeAll(ms []gocv.Mat) {
	for i := range ms {
		ms[i].Close()
	}
}
