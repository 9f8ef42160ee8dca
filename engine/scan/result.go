// Package scan runs a whole scan of one video (frame analysis, golden frame
// extraction, glint analysis) and owns the scan folder it writes:
// frames/, the glint images and result.json.
package scan

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"gradevault/engine/analysis"
	"gradevault/engine/glint"
	"gradevault/engine/item"
	"gradevault/engine/safefile"
)

// ResultFile is the name of the result file inside a scan folder.
const ResultFile = "result.json"

// Result is result.json. Keys known to the original worker keep their names
// and meanings; the glint keys come from the embedded glint report.
type Result struct {
	ScanID             string        `json:"scanId"`
	ItemType           item.Type     `json:"itemType"`
	CreatedAt          time.Time     `json:"createdAt"`
	GoldenFrames       []string      `json:"goldenFrames"`
	FrameTimestamps    []float64     `json:"frameTimestamps"`
	GoldenFrameDetails []GoldenFrame `json:"goldenFrameDetails"`
	AutomaticPicks     []int         `json:"automaticPicks"`
	Frames             []FrameRecord `json:"frames"`
	Video              VideoInfo     `json:"video"`
	Settings           Settings      `json:"settings"`
	Warnings           []string      `json:"warnings"`
	// Confidence says how far the golden frames, and the damage score
	// measured on them, can be trusted; low means "re-film".
	Confidence analysis.Confidence `json:"confidence"`
	// Poses are the video's still poses (runs of still frames).
	Poses   []analysis.Pose `json:"poses"`
	Timings Timings         `json:"timings"`
	*glint.Report
}

// GoldenFrame describes one picked frame.
type GoldenFrame struct {
	Frame     int     `json:"frame"`
	Timestamp float64 `json:"timestamp"`
	Sharpness float64 `json:"sharpness"`
	Motion    float64 `json:"motion"`
	Relaxed   bool    `json:"relaxed"`
	Manual    bool    `json:"manual,omitempty"`
	Pose      int     `json:"pose"` // still pose ID, -1 for none
	Rank      int     `json:"rank"` // sharpness rank among still frames (1 = sharpest), 0 if not still
	File      string  `json:"file"`
}

// FrameRecord is one analysed frame.
type FrameRecord struct {
	Frame     int     `json:"frame"`
	Timestamp float64 `json:"timestamp"`
	Sharpness float64 `json:"sharpness"`
	Motion    float64 `json:"motion"`
	Stable    bool    `json:"stable"`
	PTS       float64 `json:"pts"` // stream timestamp (ms) that identifies the frame when seeking
}

// VideoInfo describes the source video.
type VideoInfo struct {
	Path            string  `json:"path"`
	Frames          int     `json:"frames"`
	FPS             float64 `json:"fps"`
	Width           int     `json:"width"`
	Height          int     `json:"height"`
	Rotation        int     `json:"rotation"`
	DurationSeconds float64 `json:"durationSeconds"`
}

// Settings are the parameters the analysis ran with.
type Settings struct {
	Mode            string  `json:"mode"`
	MotionThreshold float64 `json:"motionThreshold"`
	MinGap          int     `json:"minGap"`
	Count           int     `json:"count"`
	Policy          string  `json:"policy"`
	Workers         int     `json:"workers"`
	Chunks          int     `json:"chunks"`
	MetricsCached   bool    `json:"metricsCached,omitempty"` // metrics from the cache: the video was not decoded again
}

// Timings are wall-clock durations in seconds.
type Timings struct {
	AnalysisSeconds float64 `json:"analysisSeconds"`
	ExtractSeconds  float64 `json:"extractSeconds"` // decoding and writing the golden frames
	GlintSeconds    float64 `json:"glintSeconds,omitempty"`
	TotalSeconds    float64 `json:"totalSeconds"`
}

// ReadResult loads result.json from a scan folder.
func ReadResult(dir string) (*Result, error) {
	data, err := os.ReadFile(filepath.Join(dir, ResultFile))
	if err != nil {
		return nil, err
	}
	var r Result
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("read %s: %w", filepath.Join(dir, ResultFile), err)
	}
	return &r, nil
}

// WriteResult writes result.json into a scan folder atomically.
func WriteResult(dir string, r *Result) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return safefile.WriteFile(filepath.Join(dir, ResultFile), append(data, '\n'), 0o644)
}

// AnalysisFrames returns the scan's per-frame metrics as the analysis
// package has them.
func (r *Result) AnalysisFrames() []analysis.Frame {
	out := make([]analysis.Frame, len(r.Frames))
	for i, f := range r.Frames {
		out[i] = analysis.Frame{Index: f.Frame, Timestamp: f.Timestamp, PTS: f.PTS, Sharpness: f.Sharpness, Motion: f.Motion, Stable: f.Stable}
	}
	return out
}

// frameIndex is every frame's stream timestamp, for exact seeking; nil
// for a result written before timestamps were kept.
func (r *Result) frameIndex() []float64 {
	out := make([]float64, len(r.Frames))
	known := false
	for i, f := range r.Frames {
		out[i] = f.PTS
		known = known || f.PTS != 0
	}
	if !known {
		return nil
	}
	return out
}
