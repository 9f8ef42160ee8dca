package report

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"gradevault/engine/item"
	"gradevault/engine/scan"
	"gradevault/engine/synth"
	"gradevault/engine/synth/synthtest"
)

func TestMain(m *testing.M) { synthtest.Main(m) }

// scanOf analyses a small generated video into a scan folder.
func scanOf(t testing.TB, it synth.Item, w, h int, id string) string {
	t.Helper()
	s := synth.DefaultScene(it, w, h)
	s.Crease = true
	s.Dent = true
	s.ItemScale = 0.8
	src, _ := synthtest.Video(t, s)
	dir := filepath.Join(t.TempDir(), id)
	if _, err := scan.Run(context.Background(), scan.Options{Video: src, Dir: dir, ScanID: id, ItemType: item.Type(it), Glint: true}); err != nil {
		t.Fatal(err)
	}
	return dir
}

func need(t *testing.T, tools ...string) {
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is missing: install poppler-utils (make deps)", tool)
		}
	}
}

// TestReportReadBack writes the report of a comic and a card scan and
// reads it back with poppler: 1–3 pages, the scan ID, the scale label and
// every sub-grade present, under 5 MB.
func TestReportReadBack(t *testing.T) {
	need(t, "pdftotext", "pdfinfo")
	for _, c := range []struct {
		it   synth.Item
		id   string
		want []string
	}{
		{synth.Comic, "comic-report-1", []string{"spine"}},
		{synth.Card, "card-report-1", []string{"Left/right", "Top/bottom"}},
	} {
		t.Run(string(c.it), func(t *testing.T) {
			dir := scanOf(t, c.it, 480, 360, c.id)
			out, err := Write(dir, Options{Version: "test", Now: time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC)})
			if err != nil {
				t.Fatal(err)
			}
			if out != filepath.Join(dir, File) {
				t.Errorf("written to %s", out)
			}
			st, _ := os.Stat(out)
			info, err := exec.Command("pdfinfo", out).Output()
			if err != nil {
				t.Fatalf("pdfinfo: %v", err)
			}
			m := regexp.MustCompile(`Pages:\s+(\d+)`).FindSubmatch(info)
			pages, _ := strconv.Atoi(string(m[1]))
			txt, err := exec.Command("pdftotext", "-layout", out, "-").Output()
			if err != nil {
				t.Fatalf("pdftotext: %v", err)
			}
			text := string(txt)
			t.Logf("%s: %d pages, %d bytes", c.id, pages, st.Size())
			if pages < 1 || pages > 3 {
				t.Errorf("%d pages, want 1–3", pages)
			}
			if st.Size() > 5<<20 {
				t.Errorf("report is %d bytes, over 5 MB", st.Size())
			}
			res, _ := scan.ReadResult(dir)
			want := append([]string{c.id, "Sub-grades", "not a PSA/CGC/BGS grade", "Corners", "Edges", "Surface", "Centering", "Overall",
				"Golden frames", "Defects", "GradeVault grading report", strconv.FormatFloat(res.Subgrades.Overall.Grade, 'f', 1, 64)}, c.want...)
			for _, w := range want {
				if !strings.Contains(text, w) {
					t.Errorf("%q missing from the PDF text", w)
				}
			}
			if c.it == synth.Card && !strings.Contains(text, res.Centering.LRLabel) {
				t.Errorf("centering %s missing", res.Centering.LRLabel)
			}
		})
	}
}

// TestReportBadScan: a folder without result.json is a clear error and
// writes nothing.
func TestReportBadScan(t *testing.T) {
	dir := t.TempDir()
	if _, err := Write(dir, Options{}); err == nil || !strings.Contains(err.Error(), "no analysis") {
		t.Fatalf("err = %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, File)); err == nil {
		t.Fatal("a report was written for no scan")
	}
}
