// Package synthtest shares generated test videos between the tests of a
// package: each scene is written once per test binary into a temporary
// folder that Main removes at the end.
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
	videos = map[string]*entry{}
)

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
		if dir, err = os.MkdirTemp("", "gv-synthtest-"); err != nil {
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
	e.once.Do(func() { e.truth, e.err = synth.Write(e.path, s) })
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
	if dir != "" {
		os.RemoveAll(dir)
	}
	mu.Unlock()
	os.Exit(code)
}
