package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// buildBinary builds the real gradevault binary, Fyne and all, into dir.
func buildBinary(tb testing.TB, dir string) string {
	tb.Helper()
	bin := filepath.Join(dir, "gradevault")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		tb.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestBinaryCommandLine checks what a user of the real binary sees on the
// command line, under the locales that make Fyne log while it initialises.
func TestBinaryCommandLine(t *testing.T) {
	dir := t.TempDir()
	bin := buildBinary(t, dir)
	notVideo := filepath.Join(dir, "notes.mp4")
	os.WriteFile(notVideo, []byte("not a video"), 0o644)

	for _, lang := range []string{"C.UTF-8", "en_US.UTF-8", "C", ""} {
		env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "LANG=" + lang}
		cmd := exec.Command(bin, "analyze", notVideo, "--out", filepath.Join(dir, "out"))
		cmd.Env = env
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		if code := cmd.ProcessState.ExitCode(); code != 1 {
			t.Errorf("LANG=%q: exit %d (%v), want 1", lang, code, err)
		}
		if stdout.Len() != 0 || !strings.HasPrefix(stderr.String(), "error: ") || strings.Count(stderr.String(), "\n") != 1 {
			t.Errorf("LANG=%q: stdout %q, stderr %q: want one error line", lang, stdout.String(), stderr.String())
		}

		cmd = exec.Command(bin, "--version")
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.HasPrefix(string(out), "GradeVault ") || strings.Count(string(out), "\n") != 1 {
			t.Errorf("LANG=%q: --version: %v %q", lang, err, out)
		}
	}
}
