package analysis

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"gradevault/engine/safefile"
	"gradevault/engine/video"
)

// EngineVersion names the way frames are measured. It is part of every
// cache key: change it whenever a metric would come out differently.
const EngineVersion = "2"

// Cache keeps per-frame metrics between analyses of the same video, so
// re-selecting with other settings, reopening a scan or analysing the same
// file again decodes nothing.
type Cache interface {
	// Get returns the metrics stored under key, if any.
	Get(key string) (*Measured, bool)
	// Put stores the metrics under key.
	Put(key string, m *Measured) error
}

// Measured is what a cache keeps of an analysis: the video's description
// and every frame's metrics.
type Measured struct {
	Info     video.Info `json:"info"`
	Frames   []Frame    `json:"frames"`
	Warnings []string   `json:"warnings,omitempty"`
}

// CacheKey identifies a video's metrics: the SHA-256 of its content, the
// mode and EngineVersion. A file changed in any byte gets another key.
func CacheKey(path string, mode Mode) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	return fmt.Sprintf("%s-%s-v%s", hex.EncodeToString(h.Sum(nil)), mode, EngineVersion), nil
}

// DirCache is a Cache of JSON files in a folder.
type DirCache string

// Get implements Cache. A missing, unreadable or damaged entry is a miss.
func (d DirCache) Get(key string) (*Measured, bool) {
	data, err := os.ReadFile(filepath.Join(string(d), key+".json"))
	if err != nil {
		return nil, false
	}
	var m Measured
	if json.Unmarshal(data, &m) != nil || len(m.Frames) < 2 {
		return nil, false
	}
	return &m, true
}

// Put implements Cache, atomically.
func (d DirCache) Put(key string, m *Measured) error {
	data, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(string(d), 0o755); err != nil {
		return err
	}
	return safefile.WriteFile(filepath.Join(string(d), key+".json"), data, 0o644)
}
