package scan

import (
	"context"
	"encoding/json"
	"image"
	"image/color"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"gocv.io/x/gocv"

	"gradevault/engine/glint"
	"gradevault/engine/grade"
	"gradevault/engine/synth"
	"gradevault/engine/synth/synthtest"
)

// TestRunGradesCard: the corpus's card with a printed border of known
// widths (60/40 left/right, 50/50 top/bottom), scanned end to end from its
// video, gets its centering within ±2 points and sub-grades with evidence.
func TestRunGradesCard(t *testing.T) {
	e, ok := synth.CorpusEntryNamed("card-centering", 640, 480)
	if !ok {
		t.Fatal("no card-centering corpus entry")
	}
	src, truth := synthtest.Corpus(t, e)
	dir := filepath.Join(t.TempDir(), "card")
	res, err := Run(context.Background(), Options{Video: src, Dir: dir, ScanID: "card", ItemType: "card", Glint: true})
	if err != nil {
		t.Fatal(err)
	}
	back, err := ReadResult(dir)
	if err != nil {
		t.Fatal(err)
	}
	c := back.Centering
	if c == nil || !c.Found {
		t.Fatalf("no centering in result.json: %+v", c)
	}
	t.Logf("centering %s %s (%.1f/%.1f), borders %.2f %.2f %.2f %.2f mm, confidence %.2f %q",
		c.LRLabel, c.TBLabel, c.LR, c.TB, c.LeftMM, c.RightMM, c.TopMM, c.BottomMM, c.Confidence, c.Reasons)
	if math.Abs(c.LR-truth.CenteringLR[0]) > 2 || math.Abs(c.TB-truth.CenteringTB[0]) > 2 {
		t.Errorf("centering %.1f/%.1f, the generated card is %.1f/%.1f", c.LR, c.TB, truth.CenteringLR[0], truth.CenteringTB[0])
	}
	sg := back.Subgrades
	if sg == nil || sg.Scale != grade.Scale || !sg.Centering.Available || !sg.Overall.Available {
		t.Fatalf("subgrades %+v", sg)
	}
	for _, x := range sg.List() {
		t.Logf("%-9s %4.1f (low %.1f) %s %.2f %q %q", x.Name, x.Grade, x.Low, x.ConfidenceLabel, x.Confidence, x.Evidence, x.Reasons)
	}
	if res.Subgrades.Overall.Grade != sg.Overall.Grade {
		t.Errorf("returned and saved results differ")
	}

	// Dragging the guides: Regrade saves the corrected centering.
	moved := *c
	moved.Guides.Inner[1] -= 0.5 * (moved.Guides.Outer[1] - moved.Guides.Inner[1]) // the right border 1.5× wider
	wmm, hmm := res.ItemType.SizeMM()
	_ = hmm
	moved.Recompute(centeringOptions(res))
	after, err := Regrade(dir, &moved)
	if err != nil {
		t.Fatal(err)
	}
	if after.Centering.LR >= c.LR-5 || !after.Centering.Manual || after.Centering.RightMM <= c.RightMM || wmm == 0 {
		t.Errorf("after moving the right guide: %.1f (was %.1f), manual %v", after.Centering.LR, c.LR, after.Centering.Manual)
	}
	if !strings.Contains(strings.Join(after.Subgrades.Centering.Evidence, " "), "by hand") {
		t.Errorf("manual centering not in evidence: %q", after.Subgrades.Centering.Evidence)
	}
}

func TestParseDefects(t *testing.T) {
	raw := json.RawMessage(`[
	 {"kind":"crease","region":"surface","bbox":[10,20,30,40],"polyline":[[1,2],[3,4]],"severity":0.5,"length_mm":42},
	 {"kind":"corner_wear","region":"corner_br","bbox":{"px":{"x":1,"y":2,"w":3,"h":4},"mm":{"x":0.1}},"polyline":{"px":[[5,6]]},"severity":0.7},
	 {"region":"surface","bbox":{"x":5,"y":6,"width":7,"height":8},"severity":0.1},
	 {"kind":"crease","region":"surface","bboxPx":[10,20,40,60],"bboxMm":[1,2,4,6],"polylinePx":[[10,20],[40,60]],"lengthPx":50,"length_mm":5,"severity":0.8,"frames":[1,2]}]`)
	d := ParseDefects(raw)
	if len(d) != 4 || d[3].BBox != [4]float64{10, 20, 30, 40} || len(d[3].Polyline) != 2 || d[3].LengthMM != 5 || d[0].BBox != [4]float64{10, 20, 30, 40} || len(d[0].Polyline) != 2 || d[0].LengthMM != 42 ||
		d[1].BBox != [4]float64{1, 2, 3, 4} || len(d[1].Polyline) != 1 || d[2].BBox != [4]float64{5, 6, 7, 8} || d[2].Kind != "unknown" {
		t.Fatalf("parsed %+v", d)
	}
	if got := ParseDefects(json.RawMessage(`{"not":"a list"}`)); len(got) != 0 {
		t.Fatalf("garbage parsed as %+v", got)
	}
}

// outlineOf takes a golden frame's outline from the glint analysis's
// outline checks, and searches the image only for a frame the analysis
// did not see.
func TestOutlineOfUsesTheGlintOutline(t *testing.T) {
	q := [][2]float64{{10, 20}, {110, 21}, {111, 160}, {9, 159}}
	rep := &glint.Report{OutlineChecks: []glint.OutlineCheck{
		{Frame: 7, Found: true, Corners: q},
		{Frame: 9, Found: false},
	}}
	// An empty image: any search in it would find nothing.
	empty := gocv.NewMatWithSize(120, 160, gocv.MatTypeCV8UC3)
	defer empty.Close()
	corners, found := outlineOf(rep, 7, empty, "comic")
	if !found || corners != [4][2]float64(q) {
		t.Errorf("frame 7: got %v %v, want the analysis's corners %v", corners, found, q)
	}
	if _, found := outlineOf(rep, 9, empty, "comic"); found {
		t.Error("frame 9: the analysis found no outline, but outlineOf did")
	}
	// A frame the analysis did not see: searched for, as FindOutline does.
	img := gocv.NewMatWithSize(240, 320, gocv.MatTypeCV8UC3)
	defer img.Close()
	gocv.Rectangle(&img, image.Rect(80, 30, 240, 210), color.RGBA{240, 240, 240, 0}, -1)
	wantC, wantF := glint.FindOutline(img, "comic")
	if c, f := outlineOf(rep, 11, img, "comic"); c != wantC || f != wantF || !f {
		t.Errorf("frame 11: got %v %v, FindOutline gives %v %v (want found)", c, f, wantC, wantF)
	}
}
