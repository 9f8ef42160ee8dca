package ui

import (
	"context"
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"gradevault/engine/scan"
)

// reviewOf analyses the shared test video into the library and opens it in
// review.
func reviewOf(t *testing.T, itemType string) (*harness, string, *scan.Result) {
	t.Helper()
	lib := t.TempDir()
	dir := filepath.Join(lib, "grade-ui")
	res, err := scan.Run(context.Background(), scan.Options{Video: testVideo(t), Dir: dir, ScanID: "grade-ui", ItemType: "comic", Glint: true})
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, nil, lib)
	// Tall enough that the grading panel is inside the report's scroll
	// viewport (drags only reach what is visible).
	h.w.Resize(fyne.NewSize(1400, 3200))
	h.locked(func() { h.c.openScan(dir) })
	h.c.wait()
	h.eventually("the outline editor", func() bool { return h.c.review != nil && h.c.review.grading.outline != nil })
	return h, dir, res
}

// TestDragOutlineCornerReruns drags a corner handle of the outline drawn
// on the first golden frame, re-runs, and checks the new result differs
// from the automatic one and is saved as manual.
func TestDragOutlineCornerReruns(t *testing.T) {
	h, dir, auto := reviewOf(t, "comic")
	g := h.c.review.grading
	// The automatic outline as drawn over the first golden frame, for the
	// image golden at the end.
	var frameImg image.Image
	var corners [4][2]float64
	h.locked(func() { frameImg, corners = g.outline.img.Image, g.outline.Corners() })

	var before [4][2]float64
	h.locked(func() {
		h.c.review.tabs.SelectIndex(3) // the Grades tab
		before = g.outline.Corners()
		if !g.rerun.Disabled() {
			t.Error("re-run enabled before any drag")
		}
		// Drag the bottom-right handle 25 units up and left, where it is
		// drawn on the canvas.
		hd := g.outline.handles[2]
		pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(hd).Add(fyne.NewPos(handleSize/2, handleSize/2))
		test.Drag(h.w.Canvas(), pos, -25, -25)
	})
	var after [4][2]float64
	h.locked(func() { after = g.outline.Corners() })
	if after[2] == before[2] || after[0] != before[0] {
		t.Fatalf("drag did not move (only) the bottom-right corner: %v → %v", before, after)
	}
	h.locked(func() {
		if g.rerun.Disabled() {
			t.Fatal("re-run not enabled after the drag")
		}
		test.Tap(g.rerun)
	})
	h.c.wait()
	h.eventually("the re-run result", func() bool { return strings.HasPrefix(g.status.Text, "Saved the outline") })
	saved, err := scan.ReadResult(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !saved.ItemOutline.Manual {
		t.Error("the re-run result is not marked manual")
	}
	if saved.DamageScore == auto.DamageScore && saved.RectifiedSize == auto.RectifiedSize {
		t.Errorf("the re-run result equals the automatic one (damage %.2f)", saved.DamageScore)
	}
	if d := saved.ItemOutline.Corners[2][0] - auto.ItemOutline.Corners[2][0]; d >= 0 {
		t.Errorf("saved bottom-right corner x moved by %+.1f, want left", d)
	}
	t.Logf("automatic damage %.2f, rectified %v; manual outline damage %.2f, rectified %v",
		auto.DamageScore, auto.RectifiedSize, saved.DamageScore, saved.RectifiedSize)

	ow := test.NewTempWindow(t, newOutlineEditor(frameImg, corners))
	ow.Resize(fyne.NewSize(400, 300))
	test.AssertRendersToImage(t, "outline_editor.png", ow.Canvas())
}

// TestCenteringGuidesAndExport drags a centering guide (ratios update
// live), saves it, and exports the report.
func TestCenteringGuidesAndExport(t *testing.T) {
	h, dir, _ := reviewOf(t, "comic")
	g := h.c.review.grading
	h.eventually("the centering editor", func() bool { return g.center != nil })
	var lr0, lr1 string
	h.locked(func() {
		h.c.review.tabs.SelectIndex(3) // the Grades tab
		lr0 = g.center.Centering().LRLabel
		gd := g.center.guides[0]
		pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(gd).Add(fyne.NewPos(guideGrip/2, gd.Size().Height/2))
		test.Drag(h.w.Canvas(), pos, 6, 0)
		lr1 = g.center.Centering().LRLabel
		if !strings.Contains(g.ratios.Text, lr1) {
			t.Errorf("ratios label %q does not show %s", g.ratios.Text, lr1)
		}
		test.Tap(g.saveGuide)
	})
	if lr0 == lr1 {
		t.Fatalf("dragging the left guide kept %s", lr0)
	}
	h.c.wait()
	h.eventually("saved centering", func() bool { return strings.Contains(g.status.Text, "centering set by hand") })
	saved, _ := scan.ReadResult(dir)
	if saved.Centering == nil || !saved.Centering.Manual || saved.Centering.LRLabel != lr1 {
		t.Fatalf("saved centering %+v, want %s manual", saved.Centering, lr1)
	}
	out := filepath.Join(t.TempDir(), "r.pdf")
	h.locked(func() { g.exportTo(out) })
	h.c.wait()
	h.eventually("export", func() bool { return strings.HasPrefix(g.status.Text, "Report saved") })
	if st, err := os.Stat(out); err != nil || st.Size() < 1000 {
		t.Fatalf("exported report: %v", err)
	}
}
