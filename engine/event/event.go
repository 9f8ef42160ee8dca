// Package event defines the progress events the engine reports while it
// works. They are plain values with no GUI dependency: the command line
// prints them and the window turns them into widgets.
//
// A Sink may be called from several goroutines, but the engine serialises
// its calls: a Sink never runs concurrently with itself for one job. Sinks
// must return quickly; anything slow belongs on the receiver's side.
package event

import "sync"

// Sink receives events. A nil Sink discards them.
type Sink func(Event)

// Emit sends e to s if s is not nil.
func (s Sink) Emit(e Event) {
	if s != nil {
		s(e)
	}
}

// Event is one of the types below.
type Event interface{ isEvent() }

// Phase names a stage of a scan.
type Phase string

// The phases of a scan, in order.
const (
	PhaseProbe   Phase = "probe"   // opening the video, reading its metadata
	PhaseAnalyse Phase = "analyse" // per-frame sharpness and motion
	PhaseSelect  Phase = "select"  // choosing the golden frames
	PhaseExtract Phase = "extract" // decoding and saving the golden frames
	PhaseGlint   Phase = "glint"   // multi-frame defect analysis
	PhaseSave    Phase = "save"    // writing result.json
	PhaseUpload  Phase = "upload"  // sending files to Supabase
	PhaseDone    Phase = "done"
)

// PhaseChanged says a new phase has started.
type PhaseChanged struct {
	Phase Phase
}

// ChunkState is the state of one chunk of frames.
type ChunkState string

// Chunk states.
const (
	ChunkQueued  ChunkState = "queued"
	ChunkRunning ChunkState = "running"
	ChunkDone    ChunkState = "done"
	ChunkFailed  ChunkState = "failed"
)

// Chunk is a contiguous range of frames [Start, End) analysed by one worker.
type Chunk struct {
	Index int
	Start int
	End   int
}

// Len is the number of frames in the chunk.
func (c Chunk) Len() int { return c.End - c.Start }

// Planned is sent once the video is open and the chunks are planned.
type Planned struct {
	Frames  int     // frames expected (may be revised when decoding ends)
	FPS     float64 // frames per second
	Width   int     // upright frame width
	Height  int     // upright frame height
	Workers int
	Chunks  []Chunk
	Cached  bool // the metrics come from the cache: the chunks are done already
}

// ChunkProgress reports the progress of one chunk.
type ChunkProgress struct {
	Chunk  int
	State  ChunkState
	Done   int // frames of this chunk analysed so far
	Total  int // frames in this chunk
	Stable int // stable frames found so far in this chunk
	Err    string
}

// FrameAnalysed carries one frame's metrics as soon as they are known.
type FrameAnalysed struct {
	Frame     int
	Timestamp float64
	Sharpness float64
	Motion    float64
	Stable    bool
}

// Picked announces the golden frames once they are chosen.
type Picked struct {
	Frames  []int
	Relaxed []bool
}

// Progress reports the progress of a phase that is not split into chunks
// (glint analysis, upload). Done and Total are in the phase's own units
// (steps, bytes); Item names what is being worked on, if anything.
type Progress struct {
	Phase Phase
	Done  int64
	Total int64
	Item  string
}

// FileState is the state of one file of an upload.
type FileState string

// File states.
const (
	FileSending FileState = "sending" // bytes are going out (again, after a retry)
	FileDone    FileState = "done"    // stored on the server
	FileFailed  FileState = "failed"  // given up on
)

// FileProgress reports one file of an upload: bytes of it sent so far in
// the current attempt, its size, and its state.
type FileProgress struct {
	Path  string
	Sent  int64
	Size  int64
	State FileState
	Err   string
}

// Warning is something the user should know that did not stop the work.
type Warning struct {
	Message string
}

func (PhaseChanged) isEvent()  {}
func (Planned) isEvent()       {}
func (ChunkProgress) isEvent() {}
func (FrameAnalysed) isEvent() {}
func (Picked) isEvent()        {}
func (Progress) isEvent()      {}
func (FileProgress) isEvent()  {}
func (Warning) isEvent()       {}

// Serialise wraps s so that calls from concurrent goroutines never overlap.
func Serialise(s Sink) Sink {
	if s == nil {
		return nil
	}
	var mu sync.Mutex
	return func(e Event) {
		mu.Lock()
		defer mu.Unlock()
		s(e)
	}
}
