// Package analysis measures every frame of a video (sharpness and motion) on
// a pool of goroutine workers and picks the golden frames.
//
// The video is split into chunks (PlanChunks); each worker opens its own
// decoder, seeks to its chunk and decodes it in order. A chunk's worker
// also decodes the frame before the chunk, so the chunk's first frame gets
// its true motion: every frame's metrics, and so the picks, are identical
// whatever the number of workers, and equal to one sequential pass.
package analysis

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sort"
	"sync"
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
	Sink            event.Sink
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
	return o
}

// Frame is one frame's metrics.
type Frame struct {
	Index     int     // frame number, from 0
	Timestamp float64 // seconds
	Sharpness float64 // variance of the Laplacian of the grey frame
	Motion    float64 // mean optical-flow magnitude from the previous frame, full-resolution px
	Stable    bool    // Motion ≤ the threshold
}

// Result is the outcome of Run.
type Result struct {
	Info     video.Info
	Options  Options // with defaults filled in
	Chunks   []event.Chunk
	Frames   []Frame // every decoded frame, in order
	Picks    []Pick
	Warnings []string
	Elapsed  time.Duration
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
	info, err := video.Probe(path)
	if err != nil {
		return nil, err
	}
	chunks := PlanChunks(info.Frames)
	workers := min(opts.Workers, len(chunks))
	sink.Emit(event.Planned{Frames: info.Frames, FPS: info.FPS, Width: info.Width, Height: info.Height,
		Workers: workers, Chunks: chunks})
	for _, c := range chunks {
		sink.Emit(event.ChunkProgress{Chunk: c.Index, State: event.ChunkQueued, Total: c.Len()})
	}

	sink.Emit(event.PhaseChanged{Phase: event.PhaseAnalyse})
	frames, err := analyseChunks(ctx, path, info, chunks, workers, opts, sink)
	if err != nil {
		return nil, err
	}

	res := &Result{Info: info, Options: opts, Chunks: chunks}
	res.Options.Sink = nil
	res.Frames, res.Warnings = contiguous(frames, info.Frames)
	if len(res.Frames) < 2 {
		return nil, fmt.Errorf("%s: %w", path, ErrTooFewFrames)
	}
	res.Info.Frames = len(res.Frames)
	for _, w := range res.Warnings {
		sink.Emit(event.Warning{Message: w})
	}

	sink.Emit(event.PhaseChanged{Phase: event.PhaseSelect})
	picks, warns := Select(res.Frames, opts.MotionThreshold, opts.MinGap, opts.Count)
	res.Picks = picks
	res.Warnings = append(res.Warnings, warns...)
	for _, w := range warns {
		sink.Emit(event.Warning{Message: w})
	}
	p := event.Picked{}
	for _, pk := range picks {
		p.Frames = append(p.Frames, pk.Index)
		p.Relaxed = append(p.Relaxed, pk.Relaxed)
	}
	sink.Emit(p)
	res.Elapsed = time.Since(start)
	return res, nil
}

// contiguous sorts frames and keeps the run 0, 1, 2, … that decoded without
// a gap, with a warning when the video ended well before the frame count
// its header announced. Containers without a stored count (Matroska, WebM)
// get one estimated from the duration, which can be a frame or two off:
// a shortfall of up to max(2, 1%) frames is taken for that, not damage.
func contiguous(frames []Frame, expected int) ([]Frame, []string) {
	sort.Slice(frames, func(i, j int) bool { return frames[i].Index < frames[j].Index })
	n := 0
	for n < len(frames) && frames[n].Index == n {
		n++
	}
	var warnings []string
	if expected-n > max(2, expected/100) {
		warnings = append(warnings, fmt.Sprintf(
			"video is truncated or damaged: %d of the %d frames its header announces decoded; analysed those", n, expected))
	}
	return frames[:n], warnings
}

// analyseChunks runs the chunks on a pool of workers and gathers every
// frame's metrics. Each worker keeps one decoder and, when the chunk after
// the one it finished is still queued, takes that one and simply reads on:
// a worker seeks about once, not once per chunk, which matters for videos
// with long keyframe intervals, where every seek decodes from the last
// keyframe.
func analyseChunks(ctx context.Context, path string, info video.Info, chunks []event.Chunk,
	workers int, opts Options, sink event.Sink) ([]Frame, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	queue := newChunkQueue(len(chunks), workers)
	var (
		mu       sync.Mutex
		frames   = make([]Frame, 0, info.Frames)
		firstErr error
		wg       sync.WaitGroup
	)
	fail := func(err error) {
		mu.Lock()
		firstErr = cmp.Or(firstErr, err)
		mu.Unlock()
		cancel()
	}
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wk, err := newWorker(path, opts.Mode, info)
			if err != nil {
				fail(err)
				return
			}
			defer wk.Close()
			prev := -1
			for ctx.Err() == nil {
				i, ok := queue.take(w, prev)
				if !ok {
					return
				}
				last := i == len(chunks)-1
				got, err := wk.analyseChunk(ctx, chunks[i], last, opts.MotionThreshold, sink)
				mu.Lock()
				frames = append(frames, got...)
				mu.Unlock()
				if err != nil {
					fail(err)
					return
				}
				prev = i
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil && firstErr == nil {
		firstErr = err
	}
	if firstErr != nil {
		return nil, firstErr
	}
	return frames, nil
}

// chunkQueue hands out chunks so that each worker works through a
// contiguous run: worker w starts at w/workers of the way through the
// video, continues with the next chunk while it is free, and otherwise
// takes the middle of the longest run of chunks nobody has taken, which
// leaves the start of that run to the worker already reading towards it.
type chunkQueue struct {
	mu      sync.Mutex
	taken   []bool
	workers int
}

func newChunkQueue(n, workers int) *chunkQueue {
	return &chunkQueue{taken: make([]bool, n), workers: workers}
}

// take returns the chunk worker w should analyse after chunk prev (-1 at
// the start), or false when none is left.
func (q *chunkQueue) take(w, prev int) (int, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := len(q.taken)
	want := prev + 1
	if prev < 0 {
		want = w * n / q.workers
	}
	if want < n && !q.taken[want] {
		q.taken[want] = true
		return want, true
	}
	bestStart, bestLen := -1, 0
	for i := 0; i < n; {
		if q.taken[i] {
			i++
			continue
		}
		j := i
		for j < n && !q.taken[j] {
			j++
		}
		if j-i > bestLen {
			bestStart, bestLen = i, j-i
		}
		i = j
	}
	if bestStart < 0 {
		return 0, false
	}
	i := bestStart + bestLen/2
	q.taken[i] = true
	return i, true
}

// worker is one goroutine's decoder and metrics. next is the frame the
// decoder reads next, and the metrics hold the frame before it, so a chunk
// that starts at next continues without seeking.
type worker struct {
	r *video.Reader
	m *metrics
}

func newWorker(path string, mode Mode, info video.Info) (*worker, error) {
	r, err := video.Open(path)
	if err != nil {
		return nil, err
	}
	m, err := newMetrics(mode, info.Width, info.Height)
	if err != nil {
		r.Close()
		return nil, err
	}
	return &worker{r: r, m: m}, nil
}

func (w *worker) Close() {
	w.m.Close()
	w.r.Close()
}

// analyseChunk decodes one chunk and measures its frames. The last chunk
// reads to the end of the stream, whatever the container's count said. A
// frame that does not decode ends the chunk early; that is not an error
// (Run reports truncation), but cancellation is.
func (w *worker) analyseChunk(ctx context.Context, c event.Chunk, last bool,
	threshold float64, sink event.Sink) ([]Frame, error) {
	progress := event.ChunkProgress{Chunk: c.Index, State: event.ChunkRunning, Total: c.Len()}
	sink.Emit(progress)
	finish := func(state event.ChunkState, err error) {
		progress.State = state
		if err != nil {
			progress.Err = err.Error()
		}
		sink.Emit(progress)
	}

	r, m := w.r, w.m
	from := max(c.Start-1, 0)
	end := c.End
	if last {
		end = math.MaxInt
	}
	if m.hasPrev && r.Next() == c.Start && c.Start > 0 {
		from = c.Start // the metrics already hold frame Start-1: read on
	} else {
		m.reset()
		if err := r.Seek(from); err != nil {
			finish(event.ChunkDone, nil) // past the end of a truncated video
			return nil, nil
		}
	}
	bgr := gocv.NewMat()
	defer bgr.Close()
	out := make([]Frame, 0, c.Len())
	for f := from; f < end; f++ {
		if err := ctx.Err(); err != nil {
			finish(event.ChunkFailed, err)
			return out, err
		}
		_, ts, err := r.Read(&bgr)
		if err != nil {
			break // end of stream or damaged data
		}
		sharp, motion, err := m.add(bgr)
		if err != nil {
			err = fmt.Errorf("frame %d: %w", f, err)
			finish(event.ChunkFailed, err)
			return out, err
		}
		if f < c.Start {
			continue // the overlap frame: decoded only for the next frame's motion
		}
		fr := Frame{Index: f, Timestamp: ts, Sharpness: sharp, Motion: motion, Stable: motion <= threshold}
		out = append(out, fr)
		progress.Done++
		if fr.Stable {
			progress.Stable++
		}
		if last && progress.Done > progress.Total {
			progress.Total = progress.Done
		}
		sink.Emit(event.FrameAnalysed{Frame: f, Timestamp: ts, Sharpness: sharp, Motion: motion, Stable: fr.Stable})
		sink.Emit(progress)
	}
	progress.Total = progress.Done
	finish(event.ChunkDone, nil)
	return out, nil
}
