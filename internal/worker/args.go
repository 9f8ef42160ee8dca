// Package worker is GradeVault's server worker: an HTTP API compatible with
// the original worker's webhook, and River jobs (a job queue on PostgreSQL)
// that download a video, analyse it with the engine, upload the scan to
// Supabase Storage and record status, progress and results in the
// analysis_jobs table the web app reads. Any number of machines can run the
// jobs against one database. It never imports Fyne.
package worker

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"gradevault/engine/analysis"
	"gradevault/engine/item"
	"gradevault/engine/library"
)

// JobKind is the River kind of an analysis job.
const JobKind = "gradevault_analyze"

// Settings are the optional analysis settings of a job; zero values mean the
// engine's defaults (fast mode, motion threshold 1 px, gap 15, 5 frames,
// glint analysis on).
type Settings struct {
	Mode            string  `json:"mode,omitempty"` // fast or precise
	MotionThreshold float64 `json:"motionThreshold,omitempty"`
	MinGap          int     `json:"minGap,omitempty"`
	Count           int     `json:"count,omitempty"`
	NoGlint         bool    `json:"noGlint,omitempty"`
}

// AnalyzeArgs are a job's arguments: the original webhook's body plus
// optional settings. Jobs are unique by scan ID while queued or running.
type AnalyzeArgs struct {
	VideoURL string   `json:"videoUrl"`
	ScanID   string   `json:"scanId" river:"unique"`
	ItemType string   `json:"itemType"`
	Settings Settings `json:"settings"`
}

// Kind is the River job kind.
func (AnalyzeArgs) Kind() string { return JobKind }

// uniqueStates are the states in which a second job for the same scan ID is
// refused: everything before the job is finished. Once it is completed,
// cancelled or discarded the scan can be analysed again.
var uniqueStates = []rivertype.JobState{
	rivertype.JobStateAvailable,
	rivertype.JobStatePending,
	rivertype.JobStateRetryable,
	rivertype.JobStateRunning,
	rivertype.JobStateScheduled,
}

// InsertOpts makes jobs unique by scan ID while they are not finished.
func (AnalyzeArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: uniqueStates}}
}

// Validate checks the arguments and normalises the item type. The error is
// one line, fit for a 400 answer or a failed job.
func (a *AnalyzeArgs) Validate() error {
	if a.VideoURL == "" {
		return fmt.Errorf("videoUrl is required")
	}
	if len(a.VideoURL) > 4096 {
		return fmt.Errorf("videoUrl is longer than 4096 characters")
	}
	u, err := url.Parse(a.VideoURL)
	if err != nil {
		return fmt.Errorf("videoUrl is not a valid URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("videoUrl must be an http or https URL, not %q", u.Scheme+":")
	}
	if u.Host == "" {
		return fmt.Errorf("videoUrl has no host")
	}
	if a.ScanID == "" {
		return fmt.Errorf("scanId is required")
	}
	if err := library.ValidScanID(a.ScanID); err != nil {
		return fmt.Errorf("scanId: %v", err)
	}
	a.ItemType = strings.ToLower(strings.TrimSpace(a.ItemType))
	if a.ItemType == "" {
		return fmt.Errorf("itemType is required (one of %s)", strings.Join(item.Names(), ", "))
	}
	if _, err := item.Parse(a.ItemType); err != nil {
		return fmt.Errorf("itemType %q is unknown (one of %s)", a.ItemType, strings.Join(item.Names(), ", "))
	}
	s := a.Settings
	if s.Mode != "" {
		if _, err := analysis.ParseMode(s.Mode); err != nil {
			return fmt.Errorf("settings.mode must be fast or precise")
		}
	}
	switch {
	case s.MotionThreshold < 0 || s.MotionThreshold > 100:
		return fmt.Errorf("settings.motionThreshold must be between 0 and 100 pixels")
	case s.MinGap < 0 || s.MinGap > 10000:
		return fmt.Errorf("settings.minGap must be between 0 and 10000 frames")
	case s.Count < 0 || s.Count > 50:
		return fmt.Errorf("settings.count must be between 0 and 50")
	}
	return nil
}

// analysisOptions turns the settings into engine options.
func (s Settings) analysisOptions(workers int) analysis.Options {
	return analysis.Options{
		Mode:            analysis.Mode(s.Mode),
		Workers:         workers,
		MotionThreshold: s.MotionThreshold,
		MinGap:          s.MinGap,
		Count:           s.Count,
	}
}
