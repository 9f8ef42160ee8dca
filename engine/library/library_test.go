package library

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gradevault/engine/glint"
	"gradevault/engine/safefile"
	"gradevault/engine/scan"
)

func TestRoot(t *testing.T) {
	home, err := os.UserHomeDir()
	if err != nil {
		t.Skip("no home folder")
	}
	t.Setenv(EnvLibrary, "")
	if got, want := Root(""), filepath.Join(home, "GradeVault", "scans"); got != want {
		t.Errorf("Root(\"\") = %q, want %q", got, want)
	}
	t.Setenv(EnvLibrary, "/tmp/envlib")
	if got := Root(""); got != "/tmp/envlib" {
		t.Errorf("Root with env = %q", got)
	}
	if got := Root("/tmp/flaglib/"); got != "/tmp/flaglib" {
		t.Errorf("Root with flag = %q", got)
	}
	if got, want := Root("~/x"), filepath.Join(home, "x"); got != want {
		t.Errorf("Root(~/x) = %q, want %q", got, want)
	}
	if got := ScanDir("/lib", "scan-1"); got != filepath.Join("/lib", "scan-1") {
		t.Errorf("ScanDir = %q", got)
	}
}

// TestScanIDs makes 20,000 IDs, most within one second: with six random
// hex digits alone two of them would be equal in 99 % of runs.
func TestScanIDs(t *testing.T) {
	seen := map[string]bool{}
	prev := ""
	for range 20_000 {
		id := NewScanID()
		if err := ValidScanID(id); err != nil {
			t.Fatalf("NewScanID() = %q is not valid: %v", id, err)
		}
		if seen[id] {
			t.Fatalf("duplicate ID %q", id)
		}
		seen[id] = true
		if prev != "" && id[:20] < prev[:20] {
			t.Fatalf("IDs not sortable by time: %q after %q", id, prev)
		}
		prev = id
	}
	if !strings.HasPrefix(prev, "scan-") || len(prev) != len("scan-20261126-013045-ab12cd") {
		t.Errorf("unexpected ID shape %q", prev)
	}
	for _, bad := range []string{"", "..", "a/b", `a\b`, "../etc", "a..b", ".hidden", "-x", "a b", "é", strings.Repeat("a", 129)} {
		if err := ValidScanID(bad); !errors.Is(err, ErrInvalidScanID) {
			t.Errorf("ValidScanID(%q) = %v, want ErrInvalidScanID", bad, err)
		}
	}
	for _, good := range []string{"scan-20261126-013045-ab12", "1b4e28ba-2fa1-11d2-883f-0016d3cca427", "a", "job_1.v2"} {
		if err := ValidScanID(good); err != nil {
			t.Errorf("ValidScanID(%q) = %v", good, err)
		}
	}
}

// writeScan writes a minimal scan folder with a result.json.
func writeScan(t *testing.T, root, id string, created time.Time, withGlint bool) string {
	t.Helper()
	dir := ScanDir(root, id)
	r := &scan.Result{ScanID: id, ItemType: "card", CreatedAt: created,
		GoldenFrames:       []string{"frames/golden_frame_01_f00001.png", "frames/golden_frame_02_f00020.png"},
		GoldenFrameDetails: []scan.GoldenFrame{{Frame: 1, File: "frames/golden_frame_01_f00001.png"}, {Frame: 20, File: "frames/golden_frame_02_f00020.png"}},
		Video:              scan.VideoInfo{Path: "/videos/" + id + ".mp4"}}
	if withGlint {
		r.Report = &glint.Report{DamageScore: 42.5, DefectMask: "defect_mask.png"}
	}
	if err := scan.WriteResult(dir, r); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestList(t *testing.T) {
	root := t.TempDir()
	t0 := time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC)
	writeScan(t, root, "scan-old", t0, false)
	newest := writeScan(t, root, "scan-new", t0.Add(2*time.Hour), true)
	partial := writeScan(t, root, "scan-mid", t0.Add(time.Hour), true)

	st := NewState()
	st.State = StatePartial
	st.Bucket, st.ProjectURL = "analysis-images", "https://example.supabase.co"
	st.Objects["scan-mid/defect_mask.png"] = ObjectState{File: "defect_mask.png", Size: 10, SHA256: "ab", State: StateUploaded}
	if err := WriteState(partial, st); err != nil {
		t.Fatal(err)
	}
	st.State = StateUploaded
	if err := WriteState(newest, st); err != nil {
		t.Fatal(err)
	}
	// A corrupt result.json, a folder with no result.json (analysis still
	// running), a leftover temporary folder, a hidden folder and a file.
	corrupt := filepath.Join(root, "scan-corrupt")
	os.MkdirAll(corrupt, 0o755)
	os.WriteFile(filepath.Join(corrupt, scan.ResultFile), []byte(`{"scanId": "scan-corrupt", "golden`), 0o644)
	os.MkdirAll(filepath.Join(root, "scan-running", "frames"), 0o755)
	os.MkdirAll(filepath.Join(root, ".trash"), 0o755)
	os.WriteFile(filepath.Join(root, "notes.txt"), []byte("hi"), 0o644)
	// A scan with a corrupt upload.json is still listed, as not uploaded.
	badState := writeScan(t, root, "scan-badstate", t0.Add(-time.Hour), false)
	os.WriteFile(filepath.Join(badState, StateFile), []byte("{nope"), 0o644)

	entries, err := List(root)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]Entry{}
	var order []string
	for _, e := range entries {
		byID[e.ID] = e
		if !e.Corrupt() {
			order = append(order, e.ID)
		}
	}
	if got, want := strings.Join(order, ","), "scan-new,scan-mid,scan-old,scan-badstate"; got != want {
		t.Errorf("order = %s, want %s", got, want)
	}
	if len(entries) != 5 {
		t.Errorf("got %d entries, want 5 (4 scans + 1 corrupt)", len(entries))
	}
	if e := byID["scan-new"]; e.Upload != StateUploaded || !e.HasGlint || e.DamageScore != 42.5 || e.GoldenFrames != 2 || e.ItemType != "card" ||
		e.Video != "scan-new.mp4" || e.Thumbnail != "frames/golden_frame_01_f00001.png" {
		t.Errorf("scan-new entry = %+v", e)
	}
	if e := byID["scan-mid"]; e.Upload != StatePartial {
		t.Errorf("scan-mid upload = %s, want partial", e.Upload)
	}
	if e := byID["scan-old"]; e.Upload != StateLocal || e.HasGlint {
		t.Errorf("scan-old entry = %+v", e)
	}
	if e := byID["scan-badstate"]; e.Upload != StateLocal || e.Note == "" {
		t.Errorf("scan-badstate entry = %+v, want local with a note", e)
	}
	if e, ok := byID["scan-corrupt"]; !ok || !e.Corrupt() {
		t.Errorf("corrupt scan not listed as corrupt: %+v", e)
	}
	if _, ok := byID["scan-running"]; ok {
		t.Error("folder without result.json listed")
	}

	// A missing library is empty, not an error.
	if entries, err := List(filepath.Join(root, "missing")); err != nil || len(entries) != 0 {
		t.Errorf("List(missing) = %v, %v", entries, err)
	}
}

func TestOpen(t *testing.T) {
	root := t.TempDir()
	dir := writeScan(t, root, "scan-a", time.Now(), true)
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if s.ID() != "scan-a" || s.Upload.State != StateLocal || s.Result.DamageScore != 42.5 {
		t.Errorf("Open = %+v", s)
	}
	if _, err := Open(filepath.Join(root, "nope")); err == nil {
		t.Error("Open of a missing folder succeeded")
	}
}

// TestCrashKeepsPreviousState simulates a crash in the middle of writing
// upload.json: a failed write, and the temporary file a killed process
// leaves behind. The previous state must still be what readers see.
func TestCrashKeepsPreviousState(t *testing.T) {
	root := t.TempDir()
	dir := writeScan(t, root, "scan-crash", time.Now(), false)
	st := NewState()
	st.State = StatePartial
	st.Objects["scan-crash/frames/golden_frame_01_f00001.png"] = ObjectState{Size: 5, SHA256: "aa", State: StateUploaded}
	if err := WriteState(dir, st); err != nil {
		t.Fatal(err)
	}

	// Step 2 fails half-way through writing its data.
	crash := errors.New("simulated crash")
	writeFile = func(path string, data []byte, perm os.FileMode) error {
		return safefile.Write(path, perm, func(f *os.File) error {
			f.Write(data[:len(data)/2])
			return crash
		})
	}
	defer func() { writeFile = safefile.WriteFile }()
	next := st.Clone()
	next.State = StateUploaded
	next.Objects["scan-crash/frames/golden_frame_02_f00020.png"] = ObjectState{Size: 6, SHA256: "bb", State: StateUploaded}
	if err := WriteState(dir, next); !errors.Is(err, crash) {
		t.Fatalf("WriteState = %v, want the simulated crash", err)
	}
	// And a killed process leaves a half-written temporary file.
	os.WriteFile(filepath.Join(dir, ".gv-tmp-upload.json-123"), []byte(`{"state":"uploaded","obj`), 0o644)

	got, err := ReadState(dir)
	if err != nil {
		t.Fatalf("previous state unreadable: %v", err)
	}
	if got.State != StatePartial || len(got.Objects) != 1 {
		t.Errorf("state after crash = %+v, want the previous one", got)
	}
	s, err := Open(dir)
	if err != nil || s.Upload.State != StatePartial || s.Note != "" {
		t.Errorf("Open after crash = %+v, %v", s, err)
	}
	entries, err := List(root)
	if err != nil || len(entries) != 1 || entries[0].Upload != StatePartial {
		t.Errorf("List after crash = %+v, %v", entries, err)
	}

	// The same for result.json: a failed rewrite leaves the old one.
	before, _ := os.ReadFile(filepath.Join(dir, scan.ResultFile))
	r, _ := scan.ReadResult(dir)
	r.Report = &glint.Report{DamageScore: 99}
	os.Chmod(dir, 0o500) // the temporary file cannot be created
	err = scan.WriteResult(dir, r)
	os.Chmod(dir, 0o755)
	if err == nil && os.Geteuid() != 0 {
		t.Fatal("WriteResult into a read-only folder succeeded")
	}
	if after, _ := os.ReadFile(filepath.Join(dir, scan.ResultFile)); err != nil && string(after) != string(before) {
		t.Error("failed WriteResult changed result.json")
	}
}

func TestStateDetail(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	later, earlier := now.Add(48*time.Hour), now.Add(-time.Hour)
	for _, tc := range []struct {
		st   UploadState
		want string
	}{
		{UploadState{State: StateUploaded, Access: "public"}, ""},
		{UploadState{State: StateFailed, Job: &JobState{State: StateFailed}}, ""},
		{UploadState{State: StateUploaded, Job: &JobState{State: StateFailed}}, "job row not updated"},
		{UploadState{State: StateUploaded, Access: "signed", LinksExpireAt: &earlier}, "links expired"},
		{UploadState{State: StateUploaded, Access: "signed", LinksExpireAt: &later}, "links expire " + later.Local().Format("2006-01-02 15:04")},
		{UploadState{State: StateUploaded, Access: "authenticated", Job: &JobState{State: StateFailed}}, "job row not updated; links need the key"},
	} {
		if got := tc.st.Detail(now); got != tc.want {
			t.Errorf("Detail(%+v) = %q, want %q", tc.st, got, tc.want)
		}
	}
}
