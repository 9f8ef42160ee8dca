// Package assets holds the files shipped inside the GradeVault binary: the
// app icon and a small sample video for new users and demos.
package assets

import (
	"bytes"
	_ "embed"
	"fmt"
	"os"
	"path/filepath"

	"gradevault/engine/safefile"
)

// Icon is the app icon (PNG, 512×512).
//
//go:embed icon.png
var Icon []byte

//go:embed sample.mp4
var sample []byte

// SamplePath returns the path of the sample video on disk, writing it to the
// user's cache folder the first time (the decoder needs a file).
func SamplePath() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	path := filepath.Join(dir, "gradevault", "sample.mp4")
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, sample) {
		return path, nil
	}
	if err := safefile.WriteFile(path, sample, 0o644); err != nil {
		return "", fmt.Errorf("sample video: %w", err)
	}
	return path, nil
}
