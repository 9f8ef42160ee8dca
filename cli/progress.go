package cli

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/dustin/go-humanize"

	"gradevault/engine/event"
)

// progress draws a live view of an analysis on a terminal: one line per
// chunk and an overall line with frames/s and ETA, redrawn ten times a
// second. When not on a terminal it draws nothing.
type progress struct {
	w    io.Writer
	live bool

	mu      sync.Mutex
	phase   event.Phase
	started time.Time // the frame analysis started
	ended   time.Time // the frame analysis ended (zero while it runs)
	total   int
	chunks  []event.ChunkProgress
	lines   int // lines drawn last time, to move the cursor back up
	item    string
	done    chan struct{}
	stopped bool
	wg      sync.WaitGroup
}

func newProgress(w io.Writer, live bool) *progress {
	p := &progress{w: w, live: live, done: make(chan struct{})}
	if live {
		p.wg.Add(1)
		go p.loop()
	}
	return p
}

func (p *progress) loop() {
	defer p.wg.Done()
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-p.done:
			return
		case <-t.C:
			p.mu.Lock()
			p.draw()
			p.mu.Unlock()
		}
	}
}

// stop ends the live view, leaving its last state on screen. It may be
// called more than once.
func (p *progress) stop() {
	p.mu.Lock()
	if p.stopped {
		p.mu.Unlock()
		return
	}
	p.stopped = true
	close(p.done)
	p.mu.Unlock()
	p.wg.Wait()
	if p.live {
		p.mu.Lock()
		p.draw()
		p.mu.Unlock()
	}
}

// handle is the event sink.
func (p *progress) handle(e event.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch e := e.(type) {
	case event.PhaseChanged:
		if p.phase == event.PhaseAnalyse && e.Phase != event.PhaseAnalyse {
			p.ended = time.Now()
		}
		p.phase = e.Phase
		if e.Phase == event.PhaseAnalyse {
			p.started = time.Now()
		}
	case event.Planned:
		p.total = e.Frames
		p.chunks = make([]event.ChunkProgress, len(e.Chunks))
		for i, c := range e.Chunks {
			p.chunks[i] = event.ChunkProgress{Chunk: i, State: event.ChunkQueued, Total: c.Len()}
		}
	case event.ChunkProgress:
		if e.Chunk < len(p.chunks) {
			p.chunks[e.Chunk] = e
		}
	case event.Progress:
		p.item = fmt.Sprintf("%s %d/%d %s", e.Phase, e.Done, e.Total, e.Item)
	}
}

// draw redraws the view in place. Called with p.mu held.
func (p *progress) draw() {
	if !p.live || len(p.chunks) == 0 {
		return
	}
	var b strings.Builder
	if p.lines > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", p.lines)
	}
	done, stable := 0, 0
	for _, c := range p.chunks {
		done += c.Done
		stable += c.Stable
		fmt.Fprintf(&b, "\x1b[2K  chunk %2d  %s %4d/%-4d  still %4d  %s\n",
			c.Chunk+1, bar(c.Done, c.Total, 24), c.Done, c.Total, c.Stable, c.State)
	}
	line := fmt.Sprintf("%s: %d/%d frames, %d still", p.phase, done, p.total, stable)
	end := p.ended
	if end.IsZero() {
		end = time.Now()
	}
	if el := end.Sub(p.started).Seconds(); done > 0 && el > 0 {
		rate := float64(done) / el
		line += fmt.Sprintf(", %.0f frames/s", rate)
		if left := p.total - done; left > 0 && p.ended.IsZero() {
			now := time.Now()
			eta := now.Add(time.Duration(float64(left) / rate * float64(time.Second)))
			line += ", about " + humanize.RelTime(now, eta, "left", "left")
		}
	}
	if p.phase == event.PhaseGlint && p.item != "" {
		line += " · " + p.item
	}
	fmt.Fprintf(&b, "\x1b[2K%s\n", line)
	p.lines = len(p.chunks) + 1
	io.WriteString(p.w, b.String())
}

// bar draws a progress bar of width cells.
func bar(done, total, width int) string {
	n := 0
	if total > 0 {
		n = min(width, done*width/total)
	}
	return "[" + strings.Repeat("█", n) + strings.Repeat("·", width-n) + "]"
}
