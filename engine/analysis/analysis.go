// Package analysis measures every frame of a video (sharpness and motion) on
// a pool of goroutine workers and picks the golden frames.
//
// One decoder reads the video sequentially, exactly as a plain OpenCV read
// loop does, so frame N is always the N-th frame in presentation order —
// whatever the frame rate does (phones record variable frame rate, drop
// and duplicate timestamps), with B-frames and open GOPs. It hands each
// decoded frame to a pool of workers: a worker turns it grey, measures its
// sharpness and prepares its optical-flow input, then measures the motion
// from the frame before, which another worker prepared. Every frame's
// metrics, and so the picks, are identical whatever the number of workers,
// and equal to one sequential pass. The video's frames are still grouped
// in the original worker's chunks (PlanChunks) for progress.
package analysis

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"time"

	"gocv.io/x/gocv"

	"gradevault/engine/event"
	"gradevault/engine/video"
)

// Mode selects how motion is measured.
type Mode string

const (
	// Fast computes DIS optical flow on a reduced pyramid level and scales
	// it back to full-resolution pixels. The default.
	Fast Mode = "fast"
	// Precise computes optical flow on the full-resolution frames with the
	// original worker's parameters, matching it exactly.
	Precise Mode = "precise"
)

// ParseMode checks a mode name.
func ParseMode(s string) (Mode, error) {
	switch Mode(s) {
	case Fast, Precise:
		return Mode(s), nil
	}
	return "", fmt.Errorf("unknown mode %q (want fast or precise)", s)
}

// Defaults of the golden-frame selection, the original worker's values.
const (
	DefaultMotionThreshold = 1.0 // px: a frame is still when its motion is at most this
	DefaultMinGap          = 15  // frames between two picks, at least
	DefaultCount           = 5   // golden frames
)

// Options control an analysis. The zero value of a field means its default.
type Options struct {
	Mode            Mode
	Workers         int     // goroutine workers; default runtime.NumCPU()
	MotionThreshold float64 // px; a frame is stable when motion ≤ this; default 1.0
	MinGap          int     // minimum distance between picks in frames; default 15
	Count           int     // golden frames to pick; default 5
	Policy          Policy  // golden-frame selection; default PolicyPoses
	// Cache, when set, keeps every frame's metrics by the video's content:
	// a video measured before in the same mode is not decoded again.
	Cache Cache
	Sink  event.Sink
	// Keep keeps the sharpest frame of every run of still frames in memory
	// while the video is decoded (Result.Kept), so that the golden frames
	// and the defect analysis's frames need no second decode; the caller
	// must call Result.Close. At most KeepBytes of frames are kept
	// (default DefaultKeepBytes); the least promising runs' frames go
	// first. Nothing is kept when the metrics come from the cache.
	Keep      bool
	KeepBytes int
	// KeepFrames is how many kept frames the caller will take (default
	// Count; the defect analysis takes up to a dozen): the default budget
	// stretches, up to twice itself, to hold that many (see keepBudget).
	KeepFrames int
}

// Defaults returns o with every unset field given its default value.
func (o Options) Defaults() Options {
	if o.Mode == "" {
		o.Mode = Fast
	}
	if o.Workers <= 0 {
		o.Workers = runtime.NumCPU()
	}
	if o.MotionThreshold <= 0 {
		o.MotionThreshold = DefaultMotionThreshold
	}
	if o.MinGap <= 0 {
		o.MinGap = DefaultMinGap
	}
	if o.Count <= 0 {
		o.Count = DefaultCount
	}
	if o.Policy == "" {
		o.Policy = PolicyPoses
	}
	if o.KeepBytes <= 0 {
		o.KeepBytes = DefaultKeepBytes
	}
	if o.KeepFrames <= 0 {
		o.KeepFrames = o.Count
	}
	return o
}

// Frame is one frame's metrics.
type Frame struct {
	Index     int     // frame number, from 0, in presentation order
	Timestamp float64 // seconds
	PTS       float64 // the stream's timestamp as OpenCV reports it, ms: identifies the frame (video.Reader.SetIndex)
	Sharpness float64 // variance of the Laplacian of the grey frame
	Motion    float64 // mean optical-flow magnitude from the previous frame, full-resolution px
	Stable    bool    // Motion ≤ the threshold
}

// Result is the outcome of Run.
type Result struct {
	Info       video.Info
	Options    Options // with defaults filled in
	Chunks     []event.Chunk
	Frames     []Frame // every decoded frame, in order
	Picks      []Pick
	Poses      []Pose
	Confidence Confidence
	Warnings   []string
	Elapsed    time.Duration
	Cached     bool // the metrics came from the cache: nothing was decoded
	// Kept are the frames kept in memory (Options.Keep), in frame order.
	Kept []*Kept
}

// Close releases the kept frames.
func (r *Result) Close() {
	discard(r.Kept)
	r.Kept = nil
}

// KeepOnly closes the kept frames not in frames.
func (r *Result) KeepOnly(frames []int) {
	r.Kept = slices.DeleteFunc(r.Kept, func(c *Kept) bool {
		if slices.Contains(frames, c.Index) {
			return false
		}
		c.Image.Close()
		return true
	})
}

// TakeKept removes frame i from the kept frames and returns its image, which
// the caller then owns; ok is false when i was not kept.
func (r *Result) TakeKept(i int) (img gocv.Mat, ok bool) {
	for k, c := range r.Kept {
		if c.Index == i {
			r.Kept = slices.Delete(r.Kept, k, k+1)
			return c.Image, true
		}
	}
	return gocv.Mat{}, false
}

// PTS returns every frame's stream timestamp, the index video.Reader.SetIndex
// takes to seek exactly.
func (r *Result) PTS() []float64 { return FramePTS(r.Frames) }

// FramePTS returns the frames' stream timestamps.
func FramePTS(frames []Frame) []float64 {
	out := make([]float64, len(frames))
	for i, f := range frames {
		out[i] = f.PTS
	}
	return out
}

// ErrTooFewFrames is returned when fewer than two frames decode.
var ErrTooFewFrames = errors.New("fewer than 2 frames decode")

// Run analyses every frame of the video at path and picks golden frames.
// Cancelling ctx stops the workers promptly; Run then returns ctx.Err().
func Run(ctx context.Context, path string, opts Options) (*Result, error) {
	start := time.Now()
	opts = opts.Defaults()
	sink := event.Serialise(opts.Sink)
	opts.Sink = nil

	sink.Emit(event.PhaseChanged{Phase: event.PhaseProbe})
	var key string
	if opts.Cache != nil {
		if _, err := video.Check(path); err != nil {
			return nil, err
		}
		var err error
		if key, err = CacheKey(path, opts.Mode); err != nil {
			return nil, err
		}
		if m, ok := opts.Cache.Get(key); ok {
			return fromCache(path, m, opts, sink, start), nil
		}
	}
	r, err := video.OpenCounted(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	info := r.Info()
	chunks := PlanChunks(info.Frames)
	workers := max(1, opts.Workers)
	sink.Emit(event.Planned{Frames: info.Frames, FPS: info.FPS, Width: info.Width, Height: info.Height,
		Workers: workers, Chunks: chunks})
	for _, c := range chunks {
		sink.Emit(event.ChunkProgress{Chunk: c.Index, State: event.ChunkQueued, Total: c.Len()})
	}

	sink.Emit(event.PhaseChanged{Phase: event.PhaseAnalyse})
	frames, kept, err := analyse(ctx, r, chunks, workers, opts, sink)
	if err != nil {
		return nil, err
	}
	res := &Result{Info: info, Options: opts, Chunks: chunks, Frames: frames, Kept: kept}
	if len(frames) < 2 {
		res.Close()
		return nil, fmt.Errorf("%s: %w", path, ErrTooFewFrames)
	}
	if w := truncation(len(frames), info.Frames); w != "" {
		res.Warnings = append(res.Warnings, w)
		sink.Emit(event.Warning{Message: w})
	}
	res.Info.Frames = len(frames)
	if opts.Cache != nil {
		// A cache that cannot be written costs only speed next time.
		_ = opts.Cache.Put(key, &Measured{Info: res.Info, Frames: frames, Warnings: res.Warnings})
	}
	res.finish(sink)
	res.Elapsed = time.Since(start)
	return res, nil
}

// fromCache replays cached metrics as if the video had been analysed: the
// same events (every chunk and frame), then selection with opts.
func fromCache(path string, m *Measured, opts Options, sink event.Sink, start time.Time) *Result {
	info := m.Info
	info.Path = path
	chunks := PlanChunks(len(m.Frames))
	sink.Emit(event.Planned{Frames: len(m.Frames), FPS: info.FPS, Width: info.Width, Height: info.Height,
		Workers: opts.Workers, Chunks: chunks, Cached: true})
	sink.Emit(event.PhaseChanged{Phase: event.PhaseAnalyse})
	res := &Result{Info: info, Options: opts, Chunks: chunks, Frames: slices.Clone(m.Frames), Cached: true}
	res.Warnings = append(res.Warnings, m.Warnings...)
	for _, c := range chunks {
		pr := event.ChunkProgress{Chunk: c.Index, State: event.ChunkDone, Total: c.Len()}
		for i := c.Start; i < c.End; i++ {
			f := &res.Frames[i]
			f.Stable = f.Motion <= opts.MotionThreshold
			sink.Emit(event.FrameAnalysed{Frame: f.Index, Timestamp: f.Timestamp, Sharpness: f.Sharpness, Motion: f.Motion, Stable: f.Stable})
			pr.Done++
			if f.Stable {
				pr.Stable++
			}
		}
		sink.Emit(pr)
	}
	res.finish(sink)
	res.Elapsed = time.Since(start)
	return res
}

// Reselect picks the golden frames again from already measured frames with
// other settings (threshold, gap, count, policy): no decoding.
func Reselect(info video.Info, frames []Frame, opts Options) *Result {
	opts = opts.Defaults()
	res := &Result{Info: info, Options: opts, Chunks: PlanChunks(len(frames)), Frames: slices.Clone(frames)}
	res.Options.Sink = nil
	for i := range res.Frames {
		res.Frames[i].Stable = res.Frames[i].Motion <= opts.MotionThreshold
	}
	res.finish(event.Serialise(opts.Sink))
	return res
}

// finish selects the golden frames and assesses confidence.
func (res *Result) finish(sink event.Sink) {
	opts := res.Options
	res.Options.Sink = nil
	sink.Emit(event.PhaseChanged{Phase: event.PhaseSelect})
	sel := Select(res.Frames, SelectOptions{Threshold: opts.MotionThreshold, MinGap: opts.MinGap, Count: opts.Count, Policy: opts.Policy})
	res.Picks, res.Poses = sel.Picks, sel.Poses
	res.Warnings = append(res.Warnings, sel.Warnings...)
	for _, w := range sel.Warnings {
		sink.Emit(event.Warning{Message: w})
	}
	res.Confidence = Assess(res)
	p := event.Picked{}
	for _, pk := range res.Picks {
		p.Frames = append(p.Frames, pk.Index)
		p.Relaxed = append(p.Relaxed, pk.Relaxed)
	}
	sink.Emit(p)
}

// truncation warns when the video ended well before the frame count its
// header announced. Containers without a stored count (Matroska, WebM) get
// one estimated from the duration, which can be a frame or two off: a
// shortfall of up to max(2, 1%) frames is taken for that, not damage.
func truncation(decoded, expected int) string {
	if expected-decoded > max(2, expected/100) {
		return fmt.Sprintf("video is truncated or damaged: %d of the %d frames its header announces decoded; analysed those", decoded, expected)
	}
	return ""
}
