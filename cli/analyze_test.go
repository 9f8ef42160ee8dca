package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gocv.io/x/gocv"

	"gradevault/engine/scan"
	"gradevault/engine/synth"
	"gradevault/engine/synth/synthtest"
)

func testVideo(t *testing.T) string {
	t.Helper()
	path, _ := synthtest.Video(t, synth.DefaultScene(synth.Card, 320, 240))
	return path
}

func TestMain(m *testing.M) { synthtest.Main(m) }

func run(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = Main(context.Background(), args, &o, &e)
	return code, o.String(), e.String()
}

func TestAnalyzeWritesScan(t *testing.T) {
	src := testVideo(t)
	out := filepath.Join(t.TempDir(), "scan")
	code, stdout, stderr := run("analyze", src, "--out", out, "--item-type", "card", "--workers", "2", "--scan-id", "card-1")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if strings.TrimSpace(stdout) != out {
		t.Fatalf("stdout %q, want the folder %q", stdout, out)
	}
	if !strings.HasPrefix(stderr, "analysed ") || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
		t.Fatalf("not on a terminal, stderr should be one summary line: %q", stderr)
	}
	res, err := scan.ReadResult(out)
	if err != nil {
		t.Fatal(err)
	}
	if res.ScanID != "card-1" || res.ItemType != "card" || len(res.GoldenFrames) != 5 || res.Report == nil {
		t.Fatalf("result %+v", res)
	}

	// The folder now holds an analysis: refused without --force.
	code, _, stderr = run("analyze", src, "--out", out)
	if code != 1 || !strings.HasPrefix(stderr, "error: ") || !strings.Contains(stderr, "--force") {
		t.Fatalf("second analyze: exit %d, %q", code, stderr)
	}
	code, _, stderr = run("analyze", src, "--out", out, "--force", "--no-glint", "--count", "3", "--quiet")
	if code != 0 || stderr != "" {
		t.Fatalf("--force --quiet: exit %d, %q", code, stderr)
	}
	res, _ = scan.ReadResult(out)
	if len(res.GoldenFrames) != 3 || res.Report != nil {
		t.Fatalf("after --force --no-glint --count 3: %d frames, report %v", len(res.GoldenFrames), res.Report != nil)
	}

	// Re-run glint on chosen frames.
	code, _, stderr = run("glint", src, "--frames", "3,30,60,80", "--out", out)
	if code != 0 {
		t.Fatalf("glint: exit %d, %s", code, stderr)
	}
	res, _ = scan.ReadResult(out)
	if len(res.GoldenFrames) != 4 || res.Report == nil || res.GoldenFrameDetails[1].Frame != 30 {
		t.Fatalf("after glint: %+v", res.GoldenFrameDetails)
	}
}

func TestAnalyzeDefaultsToLibrary(t *testing.T) {
	lib := t.TempDir()
	t.Setenv("GRADEVAULT_LIBRARY", lib)
	code, stdout, stderr := run("analyze", testVideo(t), "--no-glint", "--scan-id", "lib-1")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if want := filepath.Join(lib, "lib-1"); strings.TrimSpace(stdout) != want {
		t.Fatalf("wrote to %q, want %q", stdout, want)
	}
}

func TestBadInputsGiveOneErrorLine(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.mp4")
	os.WriteFile(empty, nil, 0o644)
	text := filepath.Join(dir, "readme.mp4")
	os.WriteFile(text, []byte("not a video"), 0o644)
	unreadable := filepath.Join(dir, "locked.mp4")
	data, _ := os.ReadFile(testVideo(t))
	os.WriteFile(unreadable, data, 0o000)
	tiny := filepath.Join(dir, "tiny.mp4")
	os.WriteFile(tiny, data[:3000], 0o644)
	cases := []string{filepath.Join(dir, "missing.mp4"), empty, text, tiny, dir}
	if os.Getuid() != 0 { // root can read anything
		cases = append(cases, unreadable)
	}
	for _, src := range cases {
		out := filepath.Join(t.TempDir(), "out")
		code, stdout, stderr := run("analyze", src, "--out", out)
		if code != 1 {
			t.Errorf("%s: exit %d", filepath.Base(src), code)
		}
		if stdout != "" || !strings.HasPrefix(stderr, "error: ") || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%s: stdout %q stderr %q, want one error line", filepath.Base(src), stdout, stderr)
		}
		if _, err := os.Stat(filepath.Join(out, scan.ResultFile)); !os.IsNotExist(err) {
			t.Errorf("%s: result.json left behind", filepath.Base(src))
		}
	}
	for _, args := range [][]string{
		{"analyze", testVideo(t), "--mode", "turbo"},
		{"analyze", testVideo(t), "--item-type", "stamp"},
		{"analyze", testVideo(t), "--scan-id", "../escape"},
		{"glint", testVideo(t), "--frames", "a,b", "--out", dir},
		{"glint", testVideo(t), "--frames", "1,2", "--out", filepath.Join(dir, "nothing-here")},
	} {
		code, _, stderr := run(args...)
		if code != 1 || !strings.HasPrefix(stderr, "error: ") || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
		}
	}
	if code, _, _ := run("frobnicate"); code != 2 {
		t.Errorf("unknown command: exit %d", code)
	}
}

func TestVersion(t *testing.T) {
	code, stdout, _ := run("--version")
	want := fmt.Sprintf("(gocv %s, OpenCV %s, ", gocv.Version(), gocv.OpenCVVersion())
	if code != 0 || !strings.Contains(stdout, want) {
		t.Fatalf("version: %d %q", code, stdout)
	}
}
