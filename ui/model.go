package ui

import (
	"sync"
	"time"

	"gradevault/engine/event"
)

// frameMetric is one analysed frame as the live model knows it.
type frameMetric struct {
	Known     bool
	Timestamp float64
	Sharpness float64
	Motion    float64
	Stable    bool
}

// liveModel records the engine's events for one job. The engine calls Sink
// from its worker goroutines; the UI only ever reads a snapshot. Nothing in
// here touches a widget.
type liveModel struct {
	mu       sync.Mutex
	version  uint64 // bumped on every change
	chartVer uint64 // bumped when something the charts draw changes
	start    time.Time
	phase    event.Phase
	planned  event.Planned
	chunks   []event.ChunkProgress
	frames   []frameMetric
	done     int
	picks    []int
	relaxed  []bool
	progress event.Progress
	warnings []string
	items    []string // Progress items in the order they first appeared
	files    map[string]event.FileProgress
	events   int
}

func newLiveModel() *liveModel {
	return &liveModel{start: time.Now(), phase: event.PhaseProbe}
}

// Sink records one engine event. It is cheap and never blocks on the UI.
func (m *liveModel) Sink(e event.Event) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.events++
	m.version++
	switch e := e.(type) {
	case event.PhaseChanged:
		m.phase = e.Phase
	case event.Planned:
		m.planned = e
		m.chunks = make([]event.ChunkProgress, len(e.Chunks))
		for i, c := range e.Chunks {
			m.chunks[i] = event.ChunkProgress{Chunk: c.Index, State: event.ChunkQueued, Total: c.Len()}
		}
		m.frames = make([]frameMetric, e.Frames)
		m.start = time.Now()
		m.chartVer++
	case event.ChunkProgress:
		if e.Chunk >= 0 && e.Chunk < len(m.chunks) {
			m.chunks[e.Chunk] = e
		}
	case event.FrameAnalysed:
		if e.Frame >= len(m.frames) {
			grown := make([]frameMetric, e.Frame+1)
			copy(grown, m.frames)
			m.frames = grown
		}
		if e.Frame >= 0 {
			if !m.frames[e.Frame].Known {
				m.done++
			}
			m.frames[e.Frame] = frameMetric{Known: true, Timestamp: e.Timestamp, Sharpness: e.Sharpness, Motion: e.Motion, Stable: e.Stable}
		}
		m.chartVer++
	case event.Picked:
		m.picks = append([]int(nil), e.Frames...)
		m.relaxed = append([]bool(nil), e.Relaxed...)
		m.chartVer++
	case event.Progress:
		m.progress = e
		if e.Item != "" && (len(m.items) == 0 || !containsStr(m.items, e.Item)) {
			m.items = append(m.items, e.Item)
		}
	case event.FileProgress:
		if m.files == nil {
			m.files = map[string]event.FileProgress{}
		}
		m.files[e.Path] = e
	case event.Warning:
		m.warnings = append(m.warnings, e.Message)
	}
}

// liveSnapshot is a consistent copy of the model for the UI goroutine.
type liveSnapshot struct {
	Version  uint64
	ChartVer uint64
	Elapsed  time.Duration
	Phase    event.Phase
	Planned  event.Planned
	Chunks   []event.ChunkProgress
	Frames   []frameMetric
	Done     int
	Picks    []int
	Relaxed  []bool
	Progress event.Progress
	Warnings []string
	Items    []string
	Files    map[string]event.FileProgress
	Events   int
}

// snapshot copies the model. Frames are copied only when withFrames is set
// (the charts need them; the progress widgets do not).
func (m *liveModel) snapshot(withFrames bool) liveSnapshot {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := liveSnapshot{
		Version: m.version, ChartVer: m.chartVer, Elapsed: time.Since(m.start), Phase: m.phase,
		Planned: m.planned, Chunks: append([]event.ChunkProgress(nil), m.chunks...), Done: m.done,
		Picks: append([]int(nil), m.picks...), Relaxed: append([]bool(nil), m.relaxed...),
		Progress: m.progress, Warnings: append([]string(nil), m.warnings...), Items: append([]string(nil), m.items...), Events: m.events,
	}
	if len(m.files) > 0 {
		s.Files = make(map[string]event.FileProgress, len(m.files))
		for k, v := range m.files {
			s.Files[k] = v
		}
	}
	if withFrames {
		s.Frames = append([]frameMetric(nil), m.frames...)
	}
	return s
}

// Total is the number of frames expected.
func (s liveSnapshot) Total() int {
	if s.Planned.Frames > 0 {
		return s.Planned.Frames
	}
	return len(s.Frames)
}

// Rate is frames analysed per second so far.
func (s liveSnapshot) Rate() float64 {
	if s.Elapsed <= 0 || s.Done == 0 {
		return 0
	}
	return float64(s.Done) / s.Elapsed.Seconds()
}

// ETA estimates the time left for the frame analysis; ok is false until
// there is enough to go on.
func (s liveSnapshot) ETA() (time.Duration, bool) {
	r := s.Rate()
	if r <= 0 || s.Done < 3 {
		return 0, false
	}
	left := s.Total() - s.Done
	if left < 0 {
		left = 0
	}
	return time.Duration(float64(left) / r * float64(time.Second)), true
}

func containsStr(xs []string, x string) bool {
	for i := len(xs) - 1; i >= 0; i-- {
		if xs[i] == x {
			return true
		}
	}
	return false
}
