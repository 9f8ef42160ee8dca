package worker

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"gradevault/engine/event"
)

// Progress ranges of the steps of a job, in percent.
const (
	pctDownload = 5  // 0–5: downloading the video
	pctAnalyse  = 70 // 5–70: per-frame analysis
	pctExtract  = 75 // 70–75: choosing and saving golden frames
	pctGlint    = 85 // 75–85: glint analysis, result.json
	pctUpload   = 99 // 85–99: upload
)

// progress turns engine events into the row's progress columns and writes
// them at most once per interval (plus once at each step boundary), however
// fast events arrive.
type progress struct {
	pool     *pgxpool.Pool
	id       int64
	interval time.Duration
	log      *slog.Logger

	mu     sync.Mutex
	dirty  bool
	step   string
	msg    string
	pct    int
	chunks []ChunkProgress

	// onChunk, when set (tests), is called once, outside the lock, after the
	// first chunk progress with frames done.
	onChunk   func()
	chunkSeen bool

	stopOnce sync.Once
	stopc    chan struct{}
	done     chan struct{}
}

func newProgress(pool *pgxpool.Pool, id int64, interval time.Duration, log *slog.Logger) *progress {
	return &progress{pool: pool, id: id, interval: interval, log: log, stopc: make(chan struct{}), done: make(chan struct{})}
}

// run writes dirty progress every interval until stop.
func (p *progress) run(ctx context.Context) {
	defer close(p.done)
	t := time.NewTicker(p.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-p.stopc:
			return
		case <-t.C:
			p.flush(ctx)
		}
	}
}

// stop ends run and waits for it; later events are kept in memory only.
func (p *progress) stop() {
	p.stopOnce.Do(func() { close(p.stopc) })
	<-p.done
}

// set changes the step, message and percentage.
func (p *progress) set(step, msg string, pct int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.step, p.msg = step, msg
	if pct > p.pct {
		p.pct = pct
	}
	p.dirty = true
}

// flush writes the progress now if it changed. Errors are logged: progress is
// best effort and never fails the job.
func (p *progress) flush(ctx context.Context) {
	p.mu.Lock()
	if !p.dirty {
		p.mu.Unlock()
		return
	}
	p.dirty = false
	step, msg, pct := p.step, p.msg, p.pct
	chunks, _ := json.Marshal(p.chunks)
	p.mu.Unlock()
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, err := p.pool.Exec(wctx, `UPDATE analysis_jobs SET progress_step = $2, progress_message = $3,
		progress_percentage = $4, progress_chunks = $5, updated_at = now() WHERE id = $1 AND status = 'running'`,
		p.id, step, msg, pct, chunks)
	if err != nil {
		p.log.Debug("progress not written", "error", err.Error())
		p.mu.Lock()
		p.dirty = true
		p.mu.Unlock()
	}
}

// chunksJSON returns the chunk progress for the final row.
func (p *progress) chunksJSON() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	b, _ := json.Marshal(p.chunks)
	return b
}

// downloaded records download progress.
func (p *progress) downloaded(done, total int64) {
	pct := 0
	msg := fmt.Sprintf("downloading video: %d KB", done>>10)
	if total > 0 {
		pct = int(float64(pctDownload) * float64(done) / float64(total))
		msg = fmt.Sprintf("downloading video: %d of %d KB", done>>10, total>>10)
	}
	p.set("download", msg, pct)
}

// sink receives the engine's events (serialised by the engine).
func (p *progress) sink(e event.Event) {
	p.mu.Lock()
	fire := p.update(e)
	p.mu.Unlock()
	if fire && p.onChunk != nil {
		p.onChunk()
	}
}

// update applies e; it reports the first chunk progress with frames done.
func (p *progress) update(e event.Event) (firstChunk bool) {
	switch e := e.(type) {
	case event.Planned:
		p.chunks = make([]ChunkProgress, len(e.Chunks))
		for i, c := range e.Chunks {
			p.chunks[i] = ChunkProgress{Chunk: c.Index, Start: c.Start, End: c.End, State: string(event.ChunkQueued), Total: c.Len()}
		}
		p.step = "analyse"
		p.msg = fmt.Sprintf("analysing %d frames in %d chunks", e.Frames, len(e.Chunks))
		p.pct = max(p.pct, pctDownload)
	case event.ChunkProgress:
		if e.Chunk < 0 || e.Chunk >= len(p.chunks) {
			return false
		}
		if e.Done > 0 && !p.chunkSeen {
			p.chunkSeen, firstChunk = true, true
		}
		c := &p.chunks[e.Chunk]
		c.State, c.Done = string(e.State), e.Done
		if e.Total > 0 {
			c.Total = e.Total
		}
		done, total := 0, 0
		for _, c := range p.chunks {
			done += c.Done
			total += c.Total
		}
		if total > 0 {
			p.pct = max(p.pct, pctDownload+(pctAnalyse-pctDownload)*done/total)
			p.msg = fmt.Sprintf("analysed %d of %d frames", done, total)
		}
	case event.PhaseChanged:
		switch e.Phase {
		case event.PhaseSelect, event.PhaseExtract:
			p.step, p.msg, p.pct = "extract", "saving golden frames", max(p.pct, pctAnalyse)
		case event.PhaseGlint:
			p.step, p.msg, p.pct = "glint", "glint defect analysis", max(p.pct, pctExtract)
		case event.PhaseSave:
			p.step, p.msg, p.pct = "save", "writing result.json", max(p.pct, pctGlint)
		case event.PhaseUpload:
			p.step, p.msg, p.pct = "upload", "uploading to Supabase", max(p.pct, pctGlint)
		}
	case event.Progress:
		if e.Total <= 0 {
			break
		}
		switch e.Phase {
		case event.PhaseGlint:
			p.pct = max(p.pct, pctExtract+int(float64(pctGlint-pctExtract)*float64(e.Done)/float64(e.Total)))
		case event.PhaseUpload:
			p.step = "upload"
			p.pct = max(p.pct, pctGlint+int(float64(pctUpload-pctGlint)*float64(e.Done)/float64(e.Total)))
			p.msg = fmt.Sprintf("uploading: %d of %d KB", e.Done>>10, e.Total>>10)
		}
	default:
		return false
	}
	p.dirty = true
	return firstChunk
}
