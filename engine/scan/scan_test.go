package scan

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"gradevault/engine/analysis"
	"gradevault/engine/safefile"
	"gradevault/engine/synth"
	"gradevault/engine/synth/synthtest"
	"gradevault/engine/video"
)

// sample is a small generated comic video with a crease, shared by the
// tests of this package.
func sample(t *testing.T) (string, *synth.Truth) {
	t.Helper()
	s := synth.DefaultScene(synth.Comic, 320, 240)
	s.Crease = true
	return synthtest.Video(t, s)
}

func TestMain(m *testing.M) { synthtest.Main(m) }

// files lists the files under dir, relative and sorted.
func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	sort.Strings(out)
	return out
}

func TestRunWritesScanFolder(t *testing.T) {
	src, truth := sample(t)
	before, _ := os.ReadFile(src)
	dir := filepath.Join(t.TempDir(), "scan-1")
	res, err := Run(context.Background(), Options{Video: src, Dir: dir, ScanID: "scan-1", ItemType: "comic", Glint: true})
	if err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadFile(src)
	if !reflect.DeepEqual(before, after) {
		t.Fatal("the source video was modified")
	}
	if len(res.GoldenFrames) != 5 || len(res.FrameTimestamps) != 5 || len(res.GoldenFrameDetails) != 5 {
		t.Fatalf("golden frames %v", res.GoldenFrames)
	}
	for i, g := range res.GoldenFrameDetails {
		want := "frames/" + GoldenFrameName(i+1, g.Frame)
		if res.GoldenFrames[i] != want || g.File != want {
			t.Fatalf("golden frame %d file %q / %q, want %q", i, res.GoldenFrames[i], g.File, want)
		}
		img := gocv.IMRead(filepath.Join(dir, want), gocv.IMReadColor)
		if img.Cols() != 320 || img.Rows() != 240 {
			t.Fatalf("%s is %dx%d", want, img.Cols(), img.Rows())
		}
		// Lossless: the PNG holds exactly the decoded frame.
		r, _ := video.Open(src)
		m := gocv.NewMat()
		r.Frame(g.Frame, &m)
		d := gocv.NewMat()
		gocv.AbsDiff(img, m, &d)
		if s := d.Sum(); s.Val1+s.Val2+s.Val3 != 0 {
			t.Fatalf("%s differs from decoded frame %d", want, g.Frame)
		}
		img.Close()
		m.Close()
		d.Close()
		r.Close()
	}
	if res.Report == nil || res.DefectMask == "" {
		t.Fatal("glint report missing")
	}
	// With room for one kept frame, the other golden and analysis frames
	// are decoded from the video again: the same result, byte for byte.
	dir1 := filepath.Join(t.TempDir(), "scan-1")
	res1, err := Run(context.Background(), Options{Video: src, Dir: dir1, ScanID: "scan-1", ItemType: "comic", Glint: true,
		Analysis: analysis.Options{KeepBytes: 320 * 240 * 3}})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(res.GoldenFrameDetails, res1.GoldenFrameDetails) || !reflect.DeepEqual(res.Report, res1.Report) {
		t.Fatal("a one-frame keep budget changed the golden frames or the defect report")
	}
	for _, f := range res.GoldenFrames {
		a, _ := os.ReadFile(filepath.Join(dir, f))
		b, _ := os.ReadFile(filepath.Join(dir1, f))
		if !bytes.Equal(a, b) {
			t.Fatalf("%s differs with a one-frame keep budget", f)
		}
	}
	for _, f := range files(t, dir) {
		if safefile.IsTemp(filepath.Base(f)) {
			t.Fatalf("temp file left: %s", f)
		}
	}
	// Every file the analysis wrote is referenced by result.json (so the
	// upload sends it and RemoveStale knows it), and lies where
	// RemoveStale may clean it up.
	want := append(Files(res), ResultFile)
	sort.Strings(want)
	if got := files(t, dir); !reflect.DeepEqual(got, want) {
		t.Fatalf("folder holds\n%v\nresult references\n%v", got, want)
	}
	for _, f := range Files(res) {
		if !IsManaged(f) {
			t.Errorf("%s is not in a folder RemoveStale manages", f)
		}
	}

	// result.json holds the documented keys.
	data, err := os.ReadFile(filepath.Join(dir, ResultFile))
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"scanId", "goldenFrames", "frameTimestamps", "goldenFrameDetails", "frames", "video",
		"settings", "warnings", "timings", "defectMask", "varianceHeatmap", "defectOverlay", "regionCrops",
		"defectPercentage", "damageScore", "regionScores", "regionDetails", "itemOutline", "alignment", "glintCoverage"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("result.json lacks %q", k)
		}
	}
	frames := raw["frames"].([]any)
	if len(frames) != truth.Scene.NumFrames() {
		t.Fatalf("%d frames in result.json, video has %d", len(frames), truth.Scene.NumFrames())
	}
	for _, k := range []string{"frame", "timestamp", "sharpness", "motion", "stable"} {
		if _, ok := frames[0].(map[string]any)[k]; !ok {
			t.Errorf("frames[0] lacks %q", k)
		}
	}
	v := raw["video"].(map[string]any)
	for _, k := range []string{"path", "frames", "fps", "width", "height", "rotation", "durationSeconds"} {
		if _, ok := v[k]; !ok {
			t.Errorf("video lacks %q", k)
		}
	}
	back, err := ReadResult(dir)
	if err != nil || back.ScanID != "scan-1" || back.DamageScore != res.DamageScore {
		t.Fatalf("ReadResult: %v %+v", err, back)
	}

	// A second run into the same folder is refused, and nothing changes.
	_, err = Run(context.Background(), Options{Video: src, Dir: dir, ScanID: "scan-1"})
	if !errors.Is(err, ErrExists) {
		t.Fatalf("second run: %v, want ErrExists", err)
	}
	again, _ := os.ReadFile(filepath.Join(dir, ResultFile))
	if !reflect.DeepEqual(again, data) {
		t.Fatal("refused run changed result.json")
	}
	// With Force it replaces the analysis; fewer picks leave no stale
	// golden, glint or rectified frames.
	res2, err := Run(context.Background(), Options{Video: src, Dir: dir, ScanID: "scan-1", Force: true, Glint: true,
		Analysis: analysis.Options{Count: 3}})
	if err != nil {
		t.Fatal(err)
	}
	pngs, _ := filepath.Glob(filepath.Join(dir, "frames", "*.png"))
	if len(pngs) != 3 || len(res2.GoldenFrames) != 3 {
		t.Fatalf("after --force with 3 picks: %d PNGs, %d golden frames", len(pngs), len(res2.GoldenFrames))
	}
	want = append(Files(res2), ResultFile)
	sort.Strings(want)
	if got := files(t, dir); !reflect.DeepEqual(got, want) {
		t.Fatalf("after --force with 3 picks the folder holds\n%v\nresult references\n%v", got, want)
	}
	if g, _ := filepath.Glob(filepath.Join(dir, "glint", "*.png")); len(g) != 3 {
		t.Fatalf("%d glint frames after --force with 3 picks", len(g))
	}
}

func TestBadVideoLeavesNothing(t *testing.T) {
	parent := t.TempDir()
	text := filepath.Join(parent, "notes.mp4")
	os.WriteFile(text, []byte("hello"), 0o644)
	for _, src := range []string{text, filepath.Join(parent, "missing.mov")} {
		dir := filepath.Join(parent, "out")
		if _, err := Run(context.Background(), Options{Video: src, Dir: dir, ScanID: "x"}); err == nil {
			t.Fatalf("%s: no error", src)
		}
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Fatalf("%s: output folder created", src)
		}
	}
}

// An output folder that cannot be made fails with the first thing that
// failed, once (the golden frames, written beside the glint analysis), and
// leaves the file in its way untouched.
func TestUnwritableFolder(t *testing.T) {
	src, _ := sample(t)
	parent := t.TempDir()
	blocker := filepath.Join(parent, "a-file")
	os.WriteFile(blocker, []byte("keep"), 0o644)
	for _, glint := range []bool{false, true} {
		_, err := Run(context.Background(), Options{Video: src, Dir: filepath.Join(blocker, "scan"), ScanID: "x", Glint: glint})
		if err == nil {
			t.Fatalf("glint %v: no error", glint)
		}
		msg := err.Error()
		if !strings.Contains(msg, "frames") || !strings.Contains(msg, "not a directory") || strings.Count(msg, "not a directory") != 1 {
			t.Errorf("glint %v: error %q, want the golden frames' folder, once", glint, msg)
		}
	}
	if data, _ := os.ReadFile(blocker); string(data) != "keep" {
		t.Errorf("the file in the way now holds %q", data)
	}
}

func TestResultIndependentOfWorkers(t *testing.T) {
	src, _ := sample(t)
	var ref []byte
	for _, w := range []int{1, 4} {
		dir := filepath.Join(t.TempDir(), "s")
		res, err := Run(context.Background(), Options{Video: src, Dir: dir, ScanID: "same", Glint: true,
			Analysis: analysis.Options{Workers: w}})
		if err != nil {
			t.Fatal(err)
		}
		res.Timings, res.Settings.Workers, res.CreatedAt = Timings{}, 0, time.Time{}
		data, _ := json.Marshal(res)
		if ref == nil {
			ref = data
		} else if string(ref) != string(data) {
			t.Fatalf("result with %d workers differs from 1 worker:\n%s\n%s", w, ref, data)
		}
	}
}

func TestReselect(t *testing.T) {
	src, truth := sample(t)
	dir := filepath.Join(t.TempDir(), "scan")
	res, err := Run(context.Background(), Options{Video: src, Dir: dir, ScanID: "r", Glint: true})
	if err != nil {
		t.Fatal(err)
	}
	auto := res.AutomaticPicks
	// Replace the third pick with a frame of a sweep (not still).
	sweep := truth.Sweeps[0][0] + 2
	chosen := []int{auto[0], auto[1], sweep, auto[3], auto[4]}
	got, err := Reselect(context.Background(), dir, chosen, ReselectOptions{Glint: true})
	if err != nil {
		t.Fatal(err)
	}
	var frames []int
	manual := 0
	for _, g := range got.GoldenFrameDetails {
		frames = append(frames, g.Frame)
		if g.Manual {
			manual++
			if g.Frame != sweep || !g.Relaxed {
				t.Fatalf("manual pick %+v", g)
			}
		}
	}
	sort.Ints(chosen)
	if !reflect.DeepEqual(frames, chosen) || manual != 1 {
		t.Fatalf("frames %v (manual %d), want %v", frames, manual, chosen)
	}
	if !reflect.DeepEqual(got.AutomaticPicks, auto) {
		t.Fatalf("automatic picks changed: %v → %v", auto, got.AutomaticPicks)
	}
	if got.Report == nil || len(got.Alignment) == 0 {
		t.Fatal("glint did not re-run")
	}
	pngs, _ := filepath.Glob(filepath.Join(dir, "frames", "*.png"))
	if len(pngs) != 5 {
		t.Fatalf("%d golden frame files after reselect", len(pngs))
	}
	if !strings.Contains(strings.Join(pngs, " "), fmt.Sprintf("_f%05d.png", sweep)) {
		t.Fatalf("no file for frame %d in %v", sweep, pngs)
	}
	disk, err := ReadResult(dir)
	if err != nil || !reflect.DeepEqual(disk.GoldenFrames, got.GoldenFrames) {
		t.Fatalf("result.json not rewritten: %v", err)
	}
	for _, bad := range [][]int{{1}, {1, 1}, {0, 1, 2, 3, 4, 5, 6, 7, 8}, {0, 100000}} {
		if _, err := Reselect(context.Background(), dir, bad, ReselectOptions{}); err == nil {
			t.Errorf("Reselect(%v) accepted", bad)
		}
	}
}

// TestAnalysisFramesPerPose: the defect analysis uses the sharpest still
// frame of every still pose, the golden frames stay five, and result.json
// keeps the original formulas as seed scores beside the new ones.
func TestAnalysisFramesPerPose(t *testing.T) {
	src, truth := sample(t)
	dir := filepath.Join(t.TempDir(), "scan")
	res, err := Run(context.Background(), Options{Video: src, Dir: dir, ScanID: "s", ItemType: "comic", Glint: true})
	if err != nil {
		t.Fatal(err)
	}
	want := AnalysisFrames(res)
	t.Logf("poses %d, analysis frames %v, golden %v, damage %.2f (seed %.2f), defects %d",
		len(res.Poses), res.Report.AnalysisFrames, res.AutomaticPicks, res.DamageScore, res.SeedDamageScore, len(res.Defects))
	// The analysis's still poses (a still focus hunt may join two holds).
	if len(res.Poses) < 3 || len(res.Poses) > len(truth.Holds) || len(want) != len(res.Poses) {
		t.Fatalf("poses %v for holds %v; analysis frames %v", res.Poses, truth.Holds, want)
	}
	got := slices.Clone(res.Report.AnalysisFrames)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("analysis frames %v, want %v", got, want)
	}
	for i, f := range want {
		p := res.Poses[i]
		if f < p.Start || f >= p.End || !res.Frames[f].Stable {
			t.Errorf("analysis frame %d outside still pose %+v", f, p)
		}
	}
	if len(res.GoldenFrames) != 5 || len(res.RectifiedFrames) != 5 {
		t.Errorf("%d golden frames, %d rectified images", len(res.GoldenFrames), len(res.RectifiedFrames))
	}
	data, err := os.ReadFile(filepath.Join(dir, ResultFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"seedDamageScore"`, `"seedDefectPercentage"`, `"defects"`, `"analysisFrames"`, `"damageScore"`} {
		if !strings.Contains(string(data), key) {
			t.Errorf("result.json lacks %s", key)
		}
	}
}

// TestRechoose re-selects a scan's golden frames with other settings from
// its measured frames: no frame is measured again, the new picks follow
// the settings and are saved, and the golden frame files follow them.
func TestRechoose(t *testing.T) {
	src, truth := sample(t)
	dir := filepath.Join(t.TempDir(), "scan-r")
	if _, err := Run(context.Background(), Options{Video: src, Dir: dir, ScanID: "scan-r", ItemType: "comic"}); err != nil {
		t.Fatal(err)
	}
	_, readsBefore := video.Counts()
	res, err := Rechoose(context.Background(), dir, RechooseOptions{Count: 3, MinGap: 20, Policy: analysis.PolicySeed})
	if err != nil {
		t.Fatal(err)
	}
	_, readsAfter := video.Counts()
	// Extracting 3 golden frames decodes 3 frames (plus none for metrics).
	if n := readsAfter - readsBefore; n != 3 {
		t.Errorf("rechoose decoded %d frames, want only the 3 golden frames", n)
	}
	if len(res.GoldenFrames) != 3 || res.Settings.Count != 3 || res.Settings.MinGap != 20 || res.Settings.Policy != "seed" {
		t.Fatalf("rechoose: %d golden frames, settings %+v", len(res.GoldenFrames), res.Settings)
	}
	for i, g := range res.GoldenFrameDetails {
		if !truth.Frames[g.Frame].Hold {
			t.Errorf("pick %d (frame %d) is not in a hold", i, g.Frame)
		}
		if i > 0 && g.Frame-res.GoldenFrameDetails[i-1].Frame < 20 {
			t.Errorf("picks %d and %d closer than the gap", res.GoldenFrameDetails[i-1].Frame, g.Frame)
		}
	}
	back, err := ReadResult(dir)
	if err != nil || len(back.GoldenFrames) != 3 {
		t.Fatalf("saved result: %v, %d golden frames", err, len(back.GoldenFrames))
	}
	pngs, _ := filepath.Glob(filepath.Join(dir, FramesDir, "*.png"))
	if len(pngs) != 3 {
		t.Errorf("%d golden frame files, want 3", len(pngs))
	}
}
