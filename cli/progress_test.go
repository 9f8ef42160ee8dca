package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"gradevault/engine/event"
)

func TestProgressDraw(t *testing.T) {
	var buf bytes.Buffer
	p := &progress{w: &buf, live: true, done: make(chan struct{})}
	p.handle(event.PhaseChanged{Phase: event.PhaseAnalyse})
	p.started = time.Now().Add(-time.Second)
	p.handle(event.Planned{Frames: 60, Chunks: []event.Chunk{{Index: 0, Start: 0, End: 30}, {Index: 1, Start: 30, End: 60}}})
	p.handle(event.ChunkProgress{Chunk: 0, State: event.ChunkRunning, Done: 15, Total: 30, Stable: 9})
	p.mu.Lock()
	p.draw()
	p.mu.Unlock()
	out := buf.String()
	for _, want := range []string{"chunk  1", "15/30", "still    9", "running", "chunk  2", "queued", "15/60 frames", "frames/s", "left"} {
		if !strings.Contains(out, want) {
			t.Errorf("progress view lacks %q:\n%s", want, out)
		}
	}
	// Once the analysis is over the rate freezes and no ETA is shown.
	p.handle(event.ChunkProgress{Chunk: 0, State: event.ChunkDone, Done: 30, Total: 30})
	p.handle(event.ChunkProgress{Chunk: 1, State: event.ChunkDone, Done: 30, Total: 30})
	p.handle(event.PhaseChanged{Phase: event.PhaseGlint})
	buf.Reset()
	p.mu.Lock()
	p.draw()
	p.mu.Unlock()
	last := buf.String()
	if !strings.Contains(last, "60/60 frames") || strings.Contains(last, "left") || !strings.Contains(last, "\x1b[3A") {
		t.Errorf("final view (redrawn in place over 3 lines):\n%q", last)
	}
}
