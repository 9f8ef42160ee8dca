package analysis

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"

	"gocv.io/x/gocv"

	"gradevault/engine/event"
	"gradevault/engine/video"
)

// slot is one decoded frame travelling through the pipeline. The frame's
// own job and the next frame's job both use it (refs), so it goes back to
// the pool when both are done.
type slot struct {
	index int
	ts    float64
	pts   float64
	bgr   gocv.Mat
	in    flowInput // prepared by the frame's own job
	sharp float64
	ready chan struct{} // closed when in and sharp are set (or err)
	err   error
	refs  atomic.Int32
}

// pipeline is one analysis run: a decoder goroutine, workers, a slot pool.
type pipeline struct {
	mode      Mode
	levels    int
	threshold float64
	chunks    []event.Chunk
	sink      event.Sink

	free chan *slot
	all  []*slot
	keep *keeper // nil unless Options.Keep
	refs int32   // uses of a slot: its own job, the next frame's, the keeper

	mu       sync.Mutex
	frames   []Frame
	progress []event.ChunkProgress
}

// bigFrameBytes: frames larger than this (BGR, bytes; 4K is 24.9 MB) get
// fewer pipeline slots.
const bigFrameBytes = 16 << 20

// analyse decodes the video from r (positioned before frame 0) once, in
// order, and measures every frame on workers goroutines. Per-chunk
// progress is reported as frames finish. With opts.Keep it also returns the sharpest frame of every still run
// (see keeper), which the caller closes.
func analyse(ctx context.Context, r *video.Reader, chunks []event.Chunk,
	workers int, opts Options, sink event.Sink) (_ []Frame, kept []*Kept, err error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	info := r.Info()

	p := &pipeline{mode: opts.Mode, threshold: opts.MotionThreshold, chunks: chunks, sink: sink,
		frames: make([]Frame, 0, info.Frames), refs: 2}
	if opts.Mode == Fast {
		p.levels = FastLevels(max(info.Width, info.Height))
	}
	// Two slots per worker keep every worker busy while the decoder reads
	// ahead; more would only hold more frames in memory.
	// The keeper holds one more: the open still run's sharpest frame.
	n := 2*workers + 2
	fb := info.Width * info.Height * 3 // bytes of a BGR frame
	if fb > bigFrameBytes {
		// 4K: a frame takes long enough to decode and measure that one
		// slot of read-ahead per worker keeps them busy, and each slot
		// is 25 MB.
		n = workers + 2
	}
	if opts.Keep {
		n++
	}
	p.free = make(chan *slot, n)
	for i := 0; i < n; i++ {
		s := &slot{bgr: gocv.NewMat(), in: newFlowInput()}
		p.all = append(p.all, s)
		p.free <- s
	}
	defer func() {
		for _, s := range p.all {
			s.bgr.Close()
			s.in.Close()
		}
	}()
	if opts.Keep {
		p.keep = newKeeper(opts.MotionThreshold, fb, keepBudget(opts.KeepBytes, fb, opts.KeepFrames), p.release)
		p.refs = 3
		defer func() { // before the slots close: the last run's frame is still in one
			kept = p.keep.finish()
			if err != nil {
				discard(kept)
				kept = nil
			}
		}()
	}
	p.progress = make([]event.ChunkProgress, len(chunks))
	for i, c := range chunks {
		p.progress[i] = event.ChunkProgress{Chunk: c.Index, State: event.ChunkQueued, Total: c.Len()}
	}

	type job struct{ prev, cur *slot }
	jobs := make(chan job, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		m, err := newMetrics(opts.Mode, p.levels)
		if err != nil {
			cancel(err)
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer m.Close()
			lowerWorkerPriority() // behind the decoder, which paces the pass
			for j := range jobs {
				if err := p.measure(ctx, m, j.prev, j.cur); err != nil {
					cancel(err)
				}
			}
		}()
	}

	// The decoder: this goroutine.
	var prev *slot
	decoded := 0
	for ctx.Err() == nil {
		var s *slot
		select {
		case s = <-p.free:
		case <-ctx.Done():
		}
		if s == nil {
			break
		}
		idx, ts, err := r.Read(&s.bgr)
		if err != nil {
			p.free <- s
			break // end of stream, or where the file is damaged
		}
		s.index, s.ts, s.pts, s.err = idx, ts, r.PTS(), nil
		s.ready = make(chan struct{})
		s.refs.Store(p.refs)
		p.started(idx)
		select {
		case jobs <- job{prev, s}:
		case <-ctx.Done():
			for range p.refs {
				p.release(s)
			}
			s = nil
		}
		if s == nil {
			break
		}
		prev = s
		decoded++
	}
	close(jobs)
	wg.Wait()
	if prev != nil {
		p.release(prev) // no next frame will use it
	}
	if err := context.Cause(ctx); err != nil {
		return nil, nil, err
	}
	p.finishChunks()
	sort.Slice(p.frames, func(i, j int) bool { return p.frames[i].Index < p.frames[j].Index })
	if len(p.frames) != decoded {
		return nil, nil, fmt.Errorf("internal error: %d frames decoded, %d measured", decoded, len(p.frames))
	}
	return p.frames, nil, nil
}

// measure prepares cur, then measures its motion from prev (nil for frame
// 0), then releases both (cur's keeper reference goes with it to the
// keeper).
func (p *pipeline) measure(ctx context.Context, m *metrics, prev, cur *slot) error {
	offered := false
	defer func() {
		if prev != nil {
			p.release(prev)
		}
		p.release(cur)
		if p.keep != nil && !offered {
			p.release(cur)
		}
	}()
	cur.sharp, cur.err = m.prepare(cur.bgr, &cur.in)
	close(cur.ready)
	if cur.err != nil {
		return fmt.Errorf("frame %d: %w", cur.index, cur.err)
	}
	motion := 0.0
	if prev != nil {
		select {
		case <-prev.ready:
		case <-ctx.Done():
			return nil
		}
		if prev.err != nil {
			return nil // reported by prev's own job
		}
		var err error
		if motion, err = m.motion(prev.in, cur.in); err != nil {
			return fmt.Errorf("frame %d: %w", cur.index, err)
		}
	}
	f := Frame{Index: cur.index, Timestamp: cur.ts, PTS: cur.pts, Sharpness: cur.sharp, Motion: motion,
		Stable: motion <= p.threshold}
	p.done(f)
	if p.keep != nil {
		offered = true
		p.keep.offer(f, cur)
	}
	return nil
}

// release drops one use of s; the last one returns it to the pool.
func (p *pipeline) release(s *slot) {
	if s.refs.Add(-1) == 0 {
		p.free <- s
	}
}

// chunkOf is the chunk that reports frame i (frames past the header's
// count belong to the last chunk).
func (p *pipeline) chunkOf(i int) int {
	c := sort.Search(len(p.chunks), func(k int) bool { return p.chunks[k].End > i })
	return min(c, len(p.chunks)-1)
}

// started marks the chunk of frame i running when i is its first frame.
func (p *pipeline) started(i int) {
	if len(p.chunks) == 0 {
		return
	}
	c := p.chunkOf(i)
	p.mu.Lock()
	defer p.mu.Unlock()
	if pr := &p.progress[c]; pr.State == event.ChunkQueued {
		pr.State = event.ChunkRunning
		p.sink.Emit(*pr)
	}
}

// done records a measured frame and reports it.
func (p *pipeline) done(f Frame) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.frames = append(p.frames, f)
	p.sink.Emit(event.FrameAnalysed{Frame: f.Index, Timestamp: f.Timestamp, Sharpness: f.Sharpness, Motion: f.Motion, Stable: f.Stable})
	if len(p.chunks) == 0 {
		return
	}
	pr := &p.progress[p.chunkOf(f.Index)]
	pr.Done++
	if f.Stable {
		pr.Stable++
	}
	if pr.Done > pr.Total {
		pr.Total = pr.Done // the header under-counted: the last chunk grows
	}
	if pr.Done == pr.Total && pr.Chunk != len(p.chunks)-1 {
		pr.State = event.ChunkDone
	}
	p.sink.Emit(*pr)
}

// finishChunks closes every chunk at the end of the stream: the last one
// (which reads to the end), and those a short stream never reached.
func (p *pipeline) finishChunks() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := range p.progress {
		pr := &p.progress[i]
		if pr.State != event.ChunkDone {
			pr.State, pr.Total = event.ChunkDone, pr.Done
			p.sink.Emit(*pr)
		}
	}
}
