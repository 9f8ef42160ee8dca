package cli

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gradevault/engine/item"
)

func TestReportCommand(t *testing.T) {
	src := testVideo(t)
	dir := filepath.Join(t.TempDir(), "card-r")
	if code, _, stderr := run("analyze", src, "--out", dir, "--item-type", "card", "--scan-id", "card-r", "--quiet"); code != 0 {
		t.Fatalf("analyze: %s", stderr)
	}
	code, stdout, stderr := run("report", dir)
	if code != 0 || strings.TrimSpace(stdout) != filepath.Join(dir, "report.pdf") || stderr != "" {
		t.Fatalf("report: exit %d, %q, %q", code, stdout, stderr)
	}
	out := filepath.Join(t.TempDir(), "share")
	code, stdout, _ = run("report", "--out", out, dir)
	if code != 0 || strings.TrimSpace(stdout) != out+".pdf" {
		t.Fatalf("report --out: exit %d, %q", code, stdout)
	}
	data, err := os.ReadFile(out + ".pdf")
	if err != nil || !bytes.HasPrefix(data, []byte("%PDF-")) {
		t.Fatalf("not a PDF: %v", err)
	}
	if _, err := exec.LookPath("pdftotext"); err == nil {
		txt, _ := exec.Command("pdftotext", out+".pdf", "-").Output()
		if !strings.Contains(string(txt), "card-r") || !strings.Contains(string(txt), "not a PSA/CGC/BGS grade") {
			t.Errorf("report text lacks the scan id or scale label:\n%s", txt)
		}
	}
	// Bad input: one error line, exit 1; usage errors exit 2.
	for _, c := range []struct {
		args []string
		code int
	}{
		{[]string{"report", t.TempDir()}, 1},
		{[]string{"report"}, 2},
		{[]string{"report", "a", "b"}, 2},
		{[]string{"report", "--bogus", dir}, 2},
	} {
		code, _, stderr := run(c.args...)
		if code != c.code || (code == 1 && (!strings.HasPrefix(stderr, "error: ") || strings.Count(stderr, "\n") != 1)) {
			t.Errorf("%q: exit %d, %q", c.args, code, stderr)
		}
	}
}

func TestParseOpen(t *testing.T) {
	var e bytes.Buffer
	a, _, ok := ParseOpen([]string{"v.mp4", "--item-type", "card"}, &e)
	if !ok || a.Video != "v.mp4" || a.ItemType != item.Card {
		t.Fatalf("%+v %v", a, ok)
	}
	a, _, ok = ParseOpen([]string{"--item-type=toy", "v.mp4"}, &e)
	if !ok || a.ItemType != item.Toy {
		t.Fatalf("%+v", a)
	}
	if _, code, ok := ParseOpen([]string{"v.mp4", "--item-type", "vase"}, &e); ok || code != 1 || !strings.Contains(e.String(), "unknown item type") {
		t.Fatalf("bad type accepted: %d %q", code, e.String())
	}
}
