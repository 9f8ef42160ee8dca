package scan

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"gradevault/engine/analysis"
	"gradevault/engine/event"
	"gradevault/engine/glint"
)

// notFiles are the string fields of result.json that are not files of the
// scan folder. A new string field must be added either here or to
// visitFiles: TestEveryStringFieldIsClassified fails until it is.
var notFiles = []string{
	"scanId", "itemType", "video.path", "settings.mode", "settings.policy", "warnings[]", "glintWarnings[]",
	"confidence.level", "confidence.reasons[]",
	"regionCrops{key}", "regionOverlays{key}", "regionScores{key}", "regionDetails{key}",
	"centering.lrLabel", "centering.tbLabel", "centering.reasons[]", "centering.frames[].reason", "subgrades.scale",
	// The glint report's data fields (issue 10).
	"regions[]", "defects[].kind", "defects[].region", "seedRegionScores{key}", "defectMethod", "glintConfidenceReasons[]",
}

func init() {
	for _, g := range []string{"corners", "edges", "surface", "centering", "overall"} {
		for _, f := range []string{"name", "confidenceLabel", "evidence[]", "reasons[]"} {
			notFiles = append(notFiles, "subgrades."+g+"."+f)
		}
	}
}

// fill sets every string in v (recursively) to "@" + its JSON path and
// returns those paths.
func fill(v reflect.Value, path string, paths *[]string) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		fill(v.Elem(), path, paths)
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			p := path
			if !f.Anonymous {
				if name == "" {
					name = f.Name
				}
				p = strings.TrimPrefix(path+"."+name, ".")
			}
			fill(v.Field(i), p, paths)
		}
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fill(v.Index(0), path+"[]", paths)
	case reflect.Array:
		for i := range v.Len() {
			fill(v.Index(i), path+"[]", paths)
		}
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		key := reflect.New(v.Type().Key()).Elem()
		fill(key, path+"{key}", paths)
		val := reflect.New(v.Type().Elem()).Elem()
		fill(val, path+"{}", paths)
		m.SetMapIndex(key, val)
		v.Set(m)
	case reflect.String:
		v.SetString("@" + path)
		*paths = append(*paths, path)
	}
}

// TestEveryStringFieldIsClassified fills every string of a Result with its
// own path and checks that each is either listed by Files (so the upload
// turns it into a URL and RemoveStale keeps it) or declared not a file.
func TestEveryStringFieldIsClassified(t *testing.T) {
	var r Result
	var all []string
	fill(reflect.ValueOf(&r).Elem(), "", &all)
	var files []string
	for _, f := range Files(&r) {
		files = append(files, strings.TrimPrefix(f, "@"))
	}
	for _, p := range all {
		if !slices.Contains(files, p) && !slices.Contains(notFiles, p) {
			t.Errorf("result.json field %s is neither a file (scan.visitFiles) nor declared not a file (notFiles)", p)
		}
		if slices.Contains(files, p) && slices.Contains(notFiles, p) {
			t.Errorf("field %s is both a file and not a file", p)
		}
	}
	for _, want := range []string{"goldenFrames[]", "goldenFrameDetails[].file", "defectMask", "varianceHeatmap",
		"defectOverlay", "regionCrops{}", "regionOverlays{}", "glintFrames[]", "rectifiedFrames[]"} {
		if !slices.Contains(files, want) {
			t.Errorf("Files does not list %s", want)
		}
	}
	// RewriteFiles reaches the same fields.
	RewriteFiles(&r, func(s string) string { return "url:" + s })
	for _, f := range Files(&r) {
		if !strings.HasPrefix(f, "url:@") {
			t.Errorf("RewriteFiles left %q", f)
		}
	}
	if r.Video.Path != "@video.path" || r.ScanID != "@scanId" {
		t.Errorf("RewriteFiles touched a non-file field: %q %q", r.Video.Path, r.ScanID)
	}
}

func write(t *testing.T, dir string, rels ...string) {
	t.Helper()
	for _, rel := range rels {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(rel), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRemoveStale(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, ResultFile, "upload.json", "notes.txt",
		"frames/golden_frame_01_f00001.png", "frames/golden_frame_02_f00009.png",
		"defect_mask.png", "variance_heatmap.png", "defect_overlay.png",
		"crops/spine.png", "crops/spine_overlay.png", "glint/golden_frame_01.png", "glint/golden_frame_02.png",
		"rectified/golden_frame_01.png", "rectified/golden_frame_02.png")
	r := &Result{
		GoldenFrames:       []string{"frames/golden_frame_01_f00001.png"},
		GoldenFrameDetails: []GoldenFrame{{File: "frames/golden_frame_01_f00001.png"}},
		Report: &glint.Report{DefectMask: "defect_mask.png", RegionCrops: map[string]string{"spine": "crops/spine.png"},
			RegionOverlays: map[string]string{"spine": "crops/spine_overlay.png"},
			GlintFrames:    []string{"glint/golden_frame_01.png"}},
	}
	if err := RemoveStale(dir, r); err != nil {
		t.Fatal(err)
	}
	want := []string{"crops/spine.png", "crops/spine_overlay.png", "defect_mask.png", "frames/golden_frame_01_f00001.png",
		"glint/golden_frame_01.png", "notes.txt", ResultFile, "upload.json"}
	sort.Strings(want)
	if got := files(t, dir); !slices.Equal(got, want) {
		t.Errorf("left %v, want %v", got, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "rectified")); !os.IsNotExist(err) {
		t.Error("empty rectified/ folder kept")
	}
	// Without a result every analysis file goes; foreign files stay.
	if err := RemoveStale(dir, nil); err != nil {
		t.Fatal(err)
	}
	if got := files(t, dir); !slices.Equal(got, []string{"notes.txt", ResultFile, "upload.json"}) {
		t.Errorf("left %v", got)
	}
}

func TestCleanupFailed(t *testing.T) {
	// A folder the failed scan created, without result.json: removed.
	parent := t.TempDir()
	dir := filepath.Join(parent, "new")
	write(t, dir, "frames/golden_frame_01_f00001.png", "defect_mask.png")
	if err := CleanupFailed(dir, false); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Error("new folder kept")
	}
	// A folder that existed (a user's folder): only analysis files go.
	write(t, dir, "frames/golden_frame_01_f00001.png", "mine.txt")
	if err := CleanupFailed(dir, true); err != nil {
		t.Fatal(err)
	}
	if got := files(t, dir); !slices.Equal(got, []string{"mine.txt"}) {
		t.Errorf("left %v", got)
	}
}

// TestCancelledRunCleansUp cancels a scan in its glint phase (golden frames
// already written): a new folder disappears; an earlier analysis in the
// folder (--force) keeps exactly its files.
func TestCancelledRunCleansUp(t *testing.T) {
	src, _ := sample(t)
	cancelAt := func(phase event.Phase) (context.Context, event.Sink) {
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		return ctx, func(e event.Event) {
			if p, ok := e.(event.PhaseChanged); ok && p.Phase == phase {
				cancel()
			}
		}
	}
	parent := t.TempDir()
	dir := filepath.Join(parent, "fresh")
	ctx, sink := cancelAt(event.PhaseGlint)
	if _, err := Run(ctx, Options{Video: src, Dir: dir, ScanID: "c", Glint: true, Sink: sink}); err == nil {
		t.Fatal("cancelled run succeeded")
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("cancelled new scan left %v", files(t, dir))
	}

	// An earlier analysis with 3 frames, then a cancelled --force run with 5.
	dir = filepath.Join(parent, "old")
	old, err := Run(context.Background(), Options{Video: src, Dir: dir, ScanID: "c", Analysis: analysis.Options{Count: 3}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, sink = cancelAt(event.PhaseGlint)
	if _, err := Run(ctx, Options{Video: src, Dir: dir, ScanID: "c", Glint: true, Force: true, Sink: sink}); err == nil {
		t.Fatal("cancelled run succeeded")
	}
	want := append(Files(old), ResultFile)
	sort.Strings(want)
	if got := files(t, dir); !slices.Equal(got, want) {
		t.Errorf("after a cancelled --force run: %v, want the earlier analysis's %v", got, want)
	}

	// An earlier glint analysis, then a --force run with other settings
	// cancelled once its glint images are written (just before saving):
	// every image the earlier result.json references keeps its content.
	dir = filepath.Join(parent, "glint")
	old, err = Run(context.Background(), Options{Video: src, Dir: dir, ScanID: "c", Glint: true, Analysis: analysis.Options{Count: 3}})
	if err != nil {
		t.Fatal(err)
	}
	before := map[string]string{}
	for _, f := range append(Files(old), ResultFile) {
		data, _ := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f)))
		before[f] = string(data)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	wrote := false
	sink = func(e event.Event) {
		if p, ok := e.(event.Progress); ok && p.Phase == event.PhaseGlint && p.Item == "write images" {
			wrote = true
			cancel()
		}
	}
	if _, err := Run(ctx, Options{Video: src, Dir: dir, ScanID: "c", Glint: true, Force: true, Sink: sink,
		Analysis: analysis.Options{Count: 4, MinGap: 5}}); err == nil || !wrote {
		t.Fatalf("run cancelled after writing its images: err %v, images written %v", err, wrote)
	}
	want = append(Files(old), ResultFile)
	sort.Strings(want)
	if got := files(t, dir); !slices.Equal(got, want) {
		t.Errorf("after a cancelled glint run: %v, want %v", got, want)
	}
	for f, data := range before {
		if now, _ := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f))); string(now) != data {
			t.Errorf("%s was overwritten by the cancelled run", f)
		}
	}
}
