package ui

import (
	"context"
	"errors"
	"path/filepath"
	"strings"

	"gradevault/engine/event"
	"gradevault/engine/scan"
	"gradevault/engine/upload"
)

// Engine is the part of the engine the window drives. The zero value of a
// field means the real engine; tests replace fields to observe or gate it.
type Engine struct {
	Run      func(ctx context.Context, o scan.Options) (*scan.Result, error)
	Reselect func(ctx context.Context, dir string, frames []int, o scan.ReselectOptions) (*scan.Result, error)
	// Reoutline re-runs the analysis with the outline set by hand.
	Reoutline func(ctx context.Context, dir string, corners [4][2]float64, o scan.ReoutlineOptions) (*scan.Result, error)
	Plan      func(dir string, cfg upload.Config) ([]upload.Object, int64, error)
	Upload    func(ctx context.Context, dir string, cfg upload.Config, sink event.Sink) (*upload.Report, error)
	// TestConnection lists the bucket (the settings' Test connection).
	TestConnection func(ctx context.Context, cfg upload.Config) (string, error)
}

func (e Engine) withDefaults() Engine {
	if e.Run == nil {
		e.Run = scan.Run
	}
	if e.Reselect == nil {
		e.Reselect = scan.Reselect
	}
	if e.Reoutline == nil {
		e.Reoutline = scan.Reoutline
	}
	if e.Plan == nil {
		e.Plan = upload.Plan
	}
	if e.Upload == nil {
		e.Upload = upload.Upload
	}
	if e.TestConnection == nil {
		e.TestConnection = upload.TestConnection
	}
	return e
}

// Env is where the window keeps its state: the library root, the settings
// file and the keychain. The zero value means the user's real ones.
type Env struct {
	LibraryRoot  string          // "" → library.Root("") (after settings)
	SettingsPath string          // "" → upload.SettingsPath()
	Keychain     upload.Keychain // nil → the OS keychain
	// LoadConfig assembles the upload configuration; nil → upload.LoadConfig
	// with the settings path's folder and the keychain above.
	LoadConfig func() (upload.Config, error)

	// post hands a function to the UI goroutine; nil → fyne.Do. Tests set
	// a queue they drain themselves.
	post func(func())
}

// videoExts are the file types the window accepts.
var videoExts = []string{".mp4", ".mov", ".m4v", ".avi", ".mkv", ".webm"}

// isVideoPath reports whether path has a video extension.
func isVideoPath(path string) bool {
	ext := strings.ToLower(filepath.Ext(path))
	for _, e := range videoExts {
		if ext == e {
			return true
		}
	}
	return false
}

// errNotVideo is reported for dropped files that are not videos.
var errNotVideo = errors.New("not a video file")
