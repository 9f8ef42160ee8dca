// Package synthtest shares generated test videos between the tests of a
// package: each scene is written once per test binary into a temporary
// folder that Main removes at the end.
//
// GRADEVAULT_SYNTH_CACHE=DIR keeps the videos in DIR instead, named by a
// hash of their scene, and reuses them across runs (benchmarks at 1080p and
// 4K spend minutes generating their videos otherwise). The ground truth is
// recomputed from the scene (synth.TruthOf), never read back.
package synthtest

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"gradevault/engine/synth"
)

var (
	mu     sync.Mutex
	dir    string
	keep   bool // dir is GRADEVAULT_SYNTH_CACHE: reused, never removed
	videos = map[string]*entry{}
)

const cacheEnv = "GRADEVAULT_SYNTH_CACHE"

type entry struct {
	once  sync.Once
	path  string
	truth *synth.Truth
	err   error
}

// Video returns the path and ground truth of an .mp4 video of s,
// generating it on first use. Concurrent callers of the same scene wait for
// one generation.
func Video(tb testing.TB, s synth.Scene) (string, *synth.Truth) {
	tb.Helper()
	return VideoFile(tb, s, ".mp4")
}

// Corpus returns the path and ground truth of the corpus entry's video, in
// the entry's container (e.File's extension), generating it on first use:
//
//	for _, e := range synth.Corpus() {
//		path, truth := synthtest.Corpus(t, e)
//		…
//	}
func Corpus(tb testing.TB, e synth.CorpusEntry) (string, *synth.Truth) {
	tb.Helper()
	return VideoFile(tb, e.Scene, filepath.Ext(e.File))
}

// VideoFile is Video with a container chosen by its extension (".mp4",
// ".mov" or ".mkv").
func VideoFile(tb testing.TB, s synth.Scene, ext string) (string, *synth.Truth) {
	tb.Helper()
	key, err := json.Marshal(s)
	if err != nil {
		tb.Fatal(err)
	}
	if ext == "" {
		ext = ".mp4"
	}
	name := fmt.Sprintf("%x%s", sha256.Sum256(key), ext)
	mu.Lock()
	if dir == "" {
		dir = os.Getenv(cacheEnv)
		if dir != "" {
			keep = true
			err = os.MkdirAll(dir, 0o755)
		} else {
			dir, err = os.MkdirTemp("", "gv-synthtest-")
		}
		if err != nil {
			mu.Unlock()
			tb.Fatal(err)
		}
	}
	e, ok := videos[name]
	if !ok {
		e = &entry{path: filepath.Join(dir, name)}
		videos[name] = e
	}
	mu.Unlock()
	e.once.Do(func() {
		if keep {
			if st, err := os.Stat(e.path); err == nil && st.Size() > 0 {
				e.truth = synth.TruthOf(s)
				return
			}
		}
		e.truth, e.err = synth.Write(e.path, s)
	})
	if e.err != nil {
		tb.Fatalf("generate test video: %v", e.err)
	}
	return e.path, e.truth
}

// Main runs the tests and removes the generated videos; call it from
// TestMain.
func Main(m *testing.M) {
	code := m.Run()
	mu.Lock()
	if dir != "" && !keep {
		os.RemoveAll(dir)
	}
	mu.Unlock()
	os.Exit(code)
}
