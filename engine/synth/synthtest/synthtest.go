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

// Video returns the path and ground truth of a video of s, generating it on
// first use. Concurrent callers of the same scene wait for one generation.
func Video(tb testing.TB, s synth.Scene) (string, *synth.Truth) {
	tb.Helper()
	key, err := json.Marshal(s)
	if err != nil {
		tb.Fatal(err)
	}
	name := fmt.Sprintf("%x.mp4", sha256.Sum256(key))
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
