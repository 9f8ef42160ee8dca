package upload

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"gradevault/engine/event"
	"gradevault/engine/glint"
	"gradevault/engine/library"
	"gradevault/engine/scan"
	"gradevault/internal/fakestorage"
)

// testConfig points at srv with short timeouts and no real backoff. The URL
// has a trailing slash on purpose: Upload must normalise it.
func testConfig(srv *fakestorage.Server) Config {
	return Config{
		URL:     srv.URL + "/",
		Key:     srv.Key("service_role"),
		Timeout: 2 * time.Second,
		Backoff: time.Millisecond,
		sleep:   func(<-chan struct{}, time.Duration) bool { return true },
	}
}

// expectedFiles lists the relative paths WriteScan creates.
func expectedFiles(withGlint bool) []string {
	files := []string{
		"frames/golden_frame_01_f00012.png", "frames/golden_frame_02_f00040.png", "frames/golden_frame_03_f00097.png",
		"report.pdf", // written by the upload itself
	}
	if withGlint {
		files = append(files, "defect_mask.png", "variance_heatmap.png", "defect_overlay.png")
		for _, r := range glint.RegionNames {
			files = append(files, "crops/"+r+".png", "crops/"+r+"_overlay.png")
		}
		for _, n := range []string{"01", "02", "03"} {
			files = append(files, "rectified/golden_frame_"+n+".png", "glint/golden_frame_"+n+".png")
		}
	}
	return files
}

// uploadPaths lists, in order, the object paths (without the scan ID) of
// the upload requests srv saw for scanID.
func uploadPaths(srv *fakestorage.Server, scanID string) []string {
	var out []string
	for _, r := range srv.Requests() {
		if p, ok := strings.CutPrefix(r.Path, "/storage/v1/object/analysis-images/"+scanID+"/"); ok && r.Method == http.MethodPost {
			out = append(out, p)
		}
	}
	return out
}

// onlyChecks reports whether every request srv saw is a bucket read or a
// listing (what Upload does before deciding nothing needs sending).
func onlyChecks(t *testing.T, srv *fakestorage.Server) {
	t.Helper()
	for _, r := range srv.Requests() {
		if !(r.Method == http.MethodGet && strings.HasPrefix(r.Path, "/storage/v1/bucket/")) &&
			!(r.Method == http.MethodPost && strings.HasPrefix(r.Path, "/storage/v1/object/list/")) {
			t.Errorf("unexpected request %s %s", r.Method, r.Path)
		}
	}
}

type recorder struct {
	mu     sync.Mutex
	events []event.Progress
}

func (r *recorder) sink(e event.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if p, ok := e.(event.Progress); ok {
		r.events = append(r.events, p)
	}
}

func (r *recorder) last() event.Progress {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.events) == 0 {
		return event.Progress{}
	}
	return r.events[len(r.events)-1]
}

func get(t *testing.T, url string) (int, string, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), data
}

func TestUploadFull(t *testing.T) {
	for _, withGlint := range []bool{true, false} {
		t.Run(map[bool]string{true: "glint", false: "no-glint"}[withGlint], func(t *testing.T) {
			srv := fakestorage.New(t)
			dir := filepath.Join(t.TempDir(), "scan-full")
			const id = "scan-20261126-013045-ab12"
			fakestorage.WriteScan(t, dir, id, withGlint)
			localBefore, _ := os.ReadFile(filepath.Join(dir, scan.ResultFile))
			cfg := testConfig(srv)
			base := srv.URL + "/storage/v1/object/public/analysis-images/"

			var rec recorder
			rep, err := Upload(context.Background(), dir, cfg, rec.sink)
			if err != nil {
				t.Fatal(err)
			}

			// Every object at its documented path, with its content type.
			want := []string{id + "/result.json"}
			for _, f := range expectedFiles(withGlint) {
				want = append(want, id+"/"+f)
			}
			sort.Strings(want)
			if got := srv.Paths("analysis-images"); !slices.Equal(got, want) {
				t.Fatalf("bucket holds\n%v\nwant\n%v", got, want)
			}
			for _, f := range expectedFiles(withGlint) {
				o, _ := srv.Object("analysis-images", id+"/"+f)
				local, _ := os.ReadFile(filepath.Join(dir, f))
				if o.ContentType != contentType(f) || string(o.Data) != string(local) {
					t.Errorf("%s: content type %q, %d bytes (local %d)", f, o.ContentType, len(o.Data), len(local))
				}
			}
			if o, _ := srv.Object("analysis-images", id+"/result.json"); o.ContentType != "application/json" {
				t.Errorf("result.json content type %q", o.ContentType)
			}

			// Every upload request carried full, non-leaked options.
			var reqs []fakestorage.Request
			for _, r := range srv.Requests() {
				if !r.HasAPIKey || !r.HasBearer || r.ContentTypes != 1 {
					t.Errorf("request %+v: want one Content-Type, apikey, bearer", r)
				}
				if strings.HasPrefix(r.Path, "/storage/v1/object/analysis-images/") {
					reqs = append(reqs, r)
				} else if r.Upsert != "" {
					t.Errorf("x-upsert leaked into %s %s", r.Method, r.Path)
				}
			}
			for _, r := range reqs {
				if r.ContentTypes != 1 || r.Upsert != "true" || !r.HasAPIKey || !r.HasBearer || r.ContentLength <= 0 {
					t.Errorf("request %+v: want one Content-Type, x-upsert true, apikey, bearer, Content-Length", r)
				}
				if strings.Contains(r.Path, "//") {
					t.Errorf("double slash in %s", r.Path)
				}
			}
			if last := reqs[len(reqs)-1]; last.Path != "/storage/v1/object/analysis-images/"+id+"/result.json" {
				t.Errorf("last request %s, want result.json", last.Path)
			}

			// The uploaded result.json points at the objects; GET them back.
			_, ctype, data := get(t, base+id+"/result.json")
			if ctype != "application/json" {
				t.Errorf("GET result.json content type %q", ctype)
			}
			var up scan.Result
			if err := json.Unmarshal(data, &up); err != nil {
				t.Fatal(err)
			}
			var urls []string
			urls = append(urls, up.GoldenFrames...)
			if withGlint {
				urls = append(urls, up.DefectMask, up.VarianceHeatmap, up.DefectOverlay)
				for _, u := range up.RegionCrops {
					urls = append(urls, u)
				}
				for _, u := range up.RegionOverlays {
					urls = append(urls, u)
				}
				if len(up.RegionOverlays) != 6 {
					t.Errorf("uploaded result has %d region overlays", len(up.RegionOverlays))
				}
				urls = append(urls, up.GlintFrames...)
				urls = append(urls, up.RectifiedFrames...)
				if len(up.RegionCrops) != 6 || len(up.GlintFrames) != 3 {
					t.Errorf("uploaded result lacks crops or glint frames: %+v", up.Report)
				}
			} else if up.Report != nil {
				t.Errorf("no-glint result has a glint report")
			}
			for _, u := range urls {
				if !strings.HasPrefix(u, base+id+"/") {
					t.Errorf("URL %q not under %s", u, base+id)
					continue
				}
				rel := strings.TrimPrefix(u, base+id+"/")
				status, ctype, body := get(t, u)
				local, _ := os.ReadFile(filepath.Join(dir, rel))
				if status != 200 || ctype != "image/png" || string(body) != string(local) {
					t.Errorf("GET %s: %d %s, %d bytes", u, status, ctype, len(body))
				}
			}
			if up.Video.Path != "item.mp4" {
				t.Errorf("uploaded video path %q, want the file name only", up.Video.Path)
			}

			// The local result.json keeps its relative paths.
			if localAfter, _ := os.ReadFile(filepath.Join(dir, scan.ResultFile)); string(localAfter) != string(localBefore) {
				t.Error("local result.json changed")
			}

			// Report, progress and upload.json.
			if rep.ResultURL != base+id+"/result.json" || rep.Uploaded != len(want) || rep.Skipped != 0 || len(rep.URLs) != len(want) {
				t.Errorf("report = %+v", rep)
			}
			if p := rec.last(); p.Done != p.Total || p.Total != rep.BytesSent || p.Phase != event.PhaseUpload {
				t.Errorf("last progress %+v, bytes sent %d", p, rep.BytesSent)
			}
			st, err := library.ReadState(dir)
			if err != nil || st.State != library.StateUploaded || len(st.Objects) != len(want) || st.Bucket != "analysis-images" ||
				st.ProjectURL != srv.URL || st.UploadedAt == nil {
				t.Fatalf("upload.json = %+v, %v", st, err)
			}

			// No string of the uploaded result.json names a local file.
			var doc any
			json.Unmarshal(data, &doc)
			var walk func(any)
			walk = func(v any) {
				switch v := v.(type) {
				case map[string]any:
					for _, x := range v {
						walk(x)
					}
				case []any:
					for _, x := range v {
						walk(x)
					}
				case string:
					if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(v))); err == nil && v != "" {
						t.Errorf("uploaded result.json still names the local file %q", v)
					}
				}
			}
			walk(doc)

			// Uploading again sends nothing: it only checks the server.
			srv.ResetRequests()
			stBefore, _ := os.ReadFile(filepath.Join(dir, library.StateFile))
			var rec2 recorder
			rep2, err := Upload(context.Background(), dir, cfg, rec2.sink)
			if err != nil {
				t.Fatal(err)
			}
			if p := rec2.last(); p.Done != 0 || p.Total != 0 {
				t.Errorf("nothing to send, but the last progress is %+v", p)
			}
			onlyChecks(t, srv)
			if rep2.Skipped != len(want) || rep2.BytesSent != 0 || rep2.Uploaded != 0 {
				t.Errorf("second upload: report %+v", rep2)
			}
			if stAfter, _ := os.ReadFile(filepath.Join(dir, library.StateFile)); string(stAfter) != string(stBefore) {
				t.Error("a second upload that sent nothing rewrote upload.json")
			}
		})
	}
}

func TestPlan(t *testing.T) {
	srv := fakestorage.New(t)
	dir := t.TempDir()
	fakestorage.WriteScan(t, dir, "scan-plan", true)
	cfg := testConfig(srv)
	cfg.Key = "" // Plan works before a key is configured

	objs, total, err := Plan(dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != len(expectedFiles(true))+1 {
		t.Fatalf("%d objects planned", len(objs))
	}
	var sum int64
	for _, o := range objs {
		sum += o.Size
		if o.Uploaded || o.SHA256 == "" || o.URL != srv.URL+"/storage/v1/object/public/analysis-images/"+o.Path {
			t.Errorf("object %+v", o)
		}
	}
	if last := objs[len(objs)-1]; last.Path != "scan-plan/result.json" || last.ContentType != TypeJSON {
		t.Errorf("last planned object %+v, want result.json", last)
	}
	if sum != total {
		t.Errorf("total %d, sum of sizes %d", total, sum)
	}

	if _, err := Upload(context.Background(), dir, testConfig(srv), nil); err != nil {
		t.Fatal(err)
	}
	objs, total, err = Plan(dir, cfg)
	if err != nil || total != 0 {
		t.Fatalf("after upload: total %d, err %v", total, err)
	}
	for _, o := range objs {
		if !o.Uploaded {
			t.Errorf("%s not marked uploaded", o.Path)
		}
	}
	// Another bucket: everything is to be sent again.
	cfg.Bucket = "other"
	objs, _, _ = Plan(dir, cfg)
	for _, o := range objs {
		if o.Uploaded {
			t.Errorf("other bucket: %s marked uploaded", o.Path)
		}
	}
}

func TestPlanRejectsBadScans(t *testing.T) {
	srv := fakestorage.New(t)
	cfg := testConfig(srv)
	for name, mutate := range map[string]func(dir string, r *scan.Result){
		"missing file": func(dir string, r *scan.Result) { os.Remove(filepath.Join(dir, r.DefectMask)) },
		"escape":       func(dir string, r *scan.Result) { r.DefectMask = "../secret.png" },
		"absolute":     func(dir string, r *scan.Result) { r.GoldenFrames[0] = "/etc/passwd" },
		"bad id":       func(dir string, r *scan.Result) { r.ScanID = "../x" },
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			r := fakestorage.WriteScan(t, dir, "scan-bad", true)
			mutate(dir, r)
			if err := scan.WriteResult(dir, r); err != nil {
				t.Fatal(err)
			}
			if _, _, err := Plan(dir, cfg); !errors.Is(err, ErrScan) {
				t.Errorf("Plan = %v, want ErrScan", err)
			}
			if _, err := Upload(context.Background(), dir, cfg, nil); !errors.Is(err, ErrScan) {
				t.Errorf("Upload = %v, want ErrScan", err)
			}
			if n := len(srv.Requests()); n != 0 {
				t.Errorf("%d requests sent for a bad scan", n)
			}
		})
	}
}

func TestRetriesTransientFailures(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault fakestorage.Fault
		match string
	}{
		{"500 then success", fakestorage.Fault500, "defect_mask.png"},
		{"503 twice then success", fakestorage.Fault503, "crops/spine.png"},
		{"connection reset mid-body", fakestorage.FaultReset, "frames/golden_frame_02"},
		{"reset on result.json", fakestorage.FaultReset, "result.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := fakestorage.New(t)
			dir := t.TempDir()
			fakestorage.WriteScan(t, dir, "scan-retry", true)
			times := 1
			if tc.fault == fakestorage.Fault503 {
				times = 2
			}
			srv.Fail(tc.match, tc.fault, times)
			rep, err := Upload(context.Background(), dir, testConfig(srv), nil)
			if err != nil {
				t.Fatalf("Upload = %v", err)
			}
			if n := srv.Count(http.MethodPost, tc.match); n < times+1 {
				t.Errorf("%d requests for %s, want at least %d (retried)", n, tc.match, times+1)
			}
			if len(srv.Paths("analysis-images")) != len(expectedFiles(true))+1 {
				t.Errorf("not everything landed: %v", srv.Paths("analysis-images"))
			}
			if st, _ := library.ReadState(dir); st.State != library.StateUploaded {
				t.Errorf("state %s", st.State)
			}
			var attempts int
			for _, o := range rep.Objects {
				if strings.Contains(o.Path, tc.match) {
					attempts = o.Attempts
				}
			}
			if attempts != times+1 {
				t.Errorf("report says %d attempts, want %d", attempts, times+1)
			}
		})
	}
}

func TestServerErrorGivesUpAfterAttempts(t *testing.T) {
	srv := fakestorage.New(t)
	dir := t.TempDir()
	fakestorage.WriteScan(t, dir, "scan-5xx", false)
	srv.Fail("golden_frame_01", fakestorage.Fault500, 100)
	cfg := testConfig(srv)
	var delays []time.Duration
	cfg.sleep = func(_ <-chan struct{}, d time.Duration) bool { delays = append(delays, d); return true }
	_, err := Upload(context.Background(), dir, cfg, nil)
	var ue *Error
	if !errors.Is(err, ErrServer) || !errors.As(err, &ue) || ue.Attempts != DefaultAttempts || ue.Status != 500 {
		t.Fatalf("Upload = %#v", err)
	}
	if n := srv.Count("", "golden_frame_01"); n != DefaultAttempts {
		t.Errorf("%d requests, want %d", n, DefaultAttempts)
	}
	if len(delays) != DefaultAttempts-1 || !(delays[0] < delays[1] && delays[1] < delays[2]) {
		t.Errorf("backoff delays %v, want 3 growing ones", delays)
	}
	if !strings.Contains(err.Error(), "HTTP 500") || !strings.Contains(err.Error(), "4 attempts") {
		t.Errorf("message %q", err)
	}
	if st, _ := library.ReadState(dir); st.State != library.StateFailed || st.Error == "" {
		t.Errorf("state %+v", st)
	}
}

func TestHangTimesOutThenResumes(t *testing.T) {
	srv := fakestorage.New(t)
	dir := t.TempDir()
	fakestorage.WriteScan(t, dir, "scan-hang", true)
	cfg := testConfig(srv)
	cfg.Timeout = 150 * time.Millisecond
	cfg.Attempts = 2
	srv.Fail("variance_heatmap.png", fakestorage.FaultHang, 2)

	start := time.Now()
	_, err := Upload(context.Background(), dir, cfg, nil)
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("Upload = %v, want ErrTimeout", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %v", d)
	}
	if !strings.Contains(err.Error(), "variance_heatmap.png") || !strings.Contains(err.Error(), "no bytes moving") {
		t.Errorf("message %q", err)
	}
	st, _ := library.ReadState(dir)
	if st.State != library.StateFailed {
		t.Errorf("state %s, want failed", st.State)
	}
	done := map[string]bool{}
	for p, o := range st.Objects {
		if o.State == library.StateUploaded {
			done[p] = true
		}
	}
	if obj := st.Objects["scan-hang/variance_heatmap.png"]; obj.State != library.StateFailed || obj.Error == "" {
		t.Errorf("failed object recorded as %+v", obj)
	}
	if len(done) == 0 || done["scan-hang/result.json"] {
		t.Fatalf("uploaded before the failure: %v", done)
	}

	// The retry sends only what is missing.
	srv.ResetRequests()
	rep, err := Upload(context.Background(), dir, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	total := len(expectedFiles(true)) + 1
	sent := map[string]bool{}
	for _, p := range uploadPaths(srv, "scan-hang") {
		p = "scan-hang/" + p
		if done[p] {
			t.Errorf("%s uploaded again", p)
		}
		sent[p] = true
	}
	if len(sent)+len(done) != total || rep.Skipped != len(done) || rep.Uploaded != len(sent) {
		t.Errorf("sent %d, skipped %d (report %d/%d), want %d in all", len(sent), len(done), rep.Uploaded, rep.Skipped, total)
	}
}

func TestRefusalsAreNotRetried(t *testing.T) {
	for _, tc := range []struct {
		name   string
		setup  func(srv *fakestorage.Server, cfg *Config)
		want   error
		phrase string
	}{
		{"key signed with another secret", func(srv *fakestorage.Server, cfg *Config) {
			cfg.Key = fakestorage.SignJWT([]byte("another secret"), map[string]any{"role": "service_role"})
		}, ErrUnauthorized, "signature verification failed"},
		{"not a JWT", func(srv *fakestorage.Server, cfg *Config) { cfg.Key = "not-a-jwt" }, ErrUnauthorized, "Invalid Compact JWS"},
		{"expired key", func(srv *fakestorage.Server, cfg *Config) {
			cfg.Key = fakestorage.SignJWT(srv.Secret, map[string]any{"role": "service_role", "exp": 1})
		}, ErrUnauthorized, "exp"},
		{"anon key without policy", func(srv *fakestorage.Server, cfg *Config) { cfg.Key = srv.Key("anon") }, ErrUnauthorized, "row-level security"},
		{"gateway 401", func(srv *fakestorage.Server, cfg *Config) { srv.Fail("/storage/", fakestorage.Fault401, 100) }, ErrUnauthorized, "HTTP 401"},
		{"unknown bucket", func(srv *fakestorage.Server, cfg *Config) { cfg.Bucket = "no-such-bucket" }, ErrBucketNotFound, `"no-such-bucket" not found`},
		{"bucket size limit", func(srv *fakestorage.Server, cfg *Config) {
			srv.CreateBucket("tiny", true, 100)
			cfg.Bucket = "tiny"
		}, ErrTooLarge, "413"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := fakestorage.New(t)
			dir := t.TempDir()
			fakestorage.WriteScan(t, dir, "scan-refused", true)
			cfg := testConfig(srv)
			cfg.sleep = func(<-chan struct{}, time.Duration) bool { t.Error("slept before a retry"); return true }
			tc.setup(srv, &cfg)
			_, err := Upload(context.Background(), dir, cfg, nil)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Upload = %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.phrase) {
				t.Errorf("message %q lacks %q", err, tc.phrase)
			}
			// One refused request; at most the bucket read and the
			// listing before it (which an anon key may pass).
			if n := len(srv.Requests()); n < 1 || n > 3 {
				t.Errorf("%d requests, want 1 to 3", n)
			}
			if up := uploadPaths(srv, "scan-refused"); len(up) > 1 {
				t.Errorf("%d upload requests, want at most 1", len(up))
			}
			if st, _ := library.ReadState(dir); st.State != library.StateFailed {
				t.Errorf("state %s", st.State)
			}
		})
	}
}

func TestTooLargeCheckedBeforeUploading(t *testing.T) {
	srv := fakestorage.New(t)
	dir := t.TempDir()
	fakestorage.WriteScan(t, dir, "scan-big", true)
	cfg := testConfig(srv)
	cfg.MaxObjectBytes = 1000
	_, err := Upload(context.Background(), dir, cfg, nil)
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "limit") {
		t.Fatalf("Upload = %v, want ErrTooLarge", err)
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

func TestResumeAfterCrash(t *testing.T) {
	srv := fakestorage.New(t)
	dir := t.TempDir()
	fakestorage.WriteScan(t, dir, "scan-crash", true)
	cfg := testConfig(srv)
	if _, err := Upload(context.Background(), dir, cfg, nil); err != nil {
		t.Fatal(err)
	}
	// Pretend the process died after some objects: upload.json says
	// partial and lacks two objects and result.json.
	st, _ := library.ReadState(dir)
	st.State = library.StatePartial
	delete(st.Objects, "scan-crash/crops/spine.png")
	delete(st.Objects, "scan-crash/glint/golden_frame_02.png")
	delete(st.Objects, "scan-crash/result.json")
	if err := library.WriteState(dir, st); err != nil {
		t.Fatal(err)
	}
	// And a local file changed since: it must be sent again.
	os.WriteFile(filepath.Join(dir, "defect_overlay.png"), []byte("new content"), 0o644)

	srv.ResetRequests()
	rep, err := Upload(context.Background(), dir, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	sent := uploadPaths(srv, "scan-crash")
	sort.Strings(sent)
	want := []string{"crops/spine.png", "defect_overlay.png", "glint/golden_frame_02.png", "result.json"}
	if !slices.Equal(sent, want) {
		t.Errorf("sent %v, want %v", sent, want)
	}
	if o, _ := srv.Object("analysis-images", "scan-crash/defect_overlay.png"); string(o.Data) != "new content" {
		t.Error("changed file not re-uploaded")
	}
	if rep.Uploaded != 4 || rep.Skipped != len(expectedFiles(true))+1-4 {
		t.Errorf("report %+v", rep)
	}
}

func TestCancel(t *testing.T) {
	srv := fakestorage.New(t)
	dir := t.TempDir()
	fakestorage.WriteScan(t, dir, "scan-cancel", false)
	srv.Fail("golden_frame_02", fakestorage.FaultHang, 100)
	cfg := testConfig(srv)
	cfg.Timeout = time.Minute
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	start := time.Now()
	_, err := Upload(ctx, dir, cfg, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Upload = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("cancel took %v", d)
	}
	if st, _ := library.ReadState(dir); st.State != library.StatePartial || st.Error != "cancelled" {
		t.Errorf("state %+v", st)
	}
}

func TestJobTable(t *testing.T) {
	srv := fakestorage.New(t)
	dir := t.TempDir()
	fakestorage.WriteScan(t, dir, "scan-job", true)
	cfg := testConfig(srv)
	cfg.JobTable = true
	rep, err := Upload(context.Background(), dir, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.JobTable {
		t.Error("report says the job table was not updated")
	}
	row, ok := srv.Job("scan-job")
	if !ok {
		t.Fatal("no analysis_jobs row")
	}
	if row["frames_status"] != "complete" || row["cv_status"] != "complete" || row["progress_percentage"] != float64(100) {
		t.Errorf("row %v", row)
	}
	frames, _ := row["golden_frames"].([]any)
	if len(frames) != 3 || !strings.HasPrefix(frames[0].(string), srv.URL+"/storage/v1/object/public/analysis-images/scan-job/frames/") {
		t.Errorf("golden_frames %v", row["golden_frames"])
	}
	cv, _ := row["cv_results"].(map[string]any)
	if cv["scanId"] != "scan-job" || !strings.HasPrefix(cv["defectMask"].(string), "http") {
		t.Errorf("cv_results %v", cv)
	}
	var jobReq fakestorage.Request
	for _, r := range srv.Requests() {
		if r.Path == "/rest/v1/analysis_jobs" {
			jobReq = r
		}
	}
	if !strings.Contains(jobReq.Prefer, "resolution=merge-duplicates") || jobReq.Query != "on_conflict=id" || !jobReq.HasAPIKey || !jobReq.HasBearer {
		t.Errorf("job request %+v", jobReq)
	}

	// Again: nothing to send, the row is up to date.
	srv.ResetRequests()
	if _, err := Upload(context.Background(), dir, cfg, nil); err != nil {
		t.Fatal(err)
	}
	onlyChecks(t, srv)
}

// TestJobTableFailureIsReportedSeparately: a refused job row does not make
// the upload fail: the files are up (report complete, upload.json
// "uploaded"), the error says so, and the next run sends only the row.
func TestJobTableFailureIsReportedSeparately(t *testing.T) {
	srv := fakestorage.New(t)
	dir := t.TempDir()
	fakestorage.WriteScan(t, dir, "scan-jobfail", false)
	cfg := testConfig(srv)
	cfg.JobTable = true
	srv.Fail("/rest/v1/", fakestorage.Fault401, 1)
	rep, err := Upload(context.Background(), dir, cfg, nil)
	var je *JobError
	if !errors.As(err, &je) || !errors.Is(err, ErrJobTable) || !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("Upload = %v, want a *JobError wrapping ErrUnauthorized", err)
	}
	msg := err.Error()
	if !strings.Contains(msg, "all files are uploaded") || !strings.Contains(msg, "analysis_jobs") ||
		!strings.Contains(msg, "Invalid API key") || strings.Contains(msg, "()") {
		t.Errorf("message %q", msg)
	}
	// Three frames, report.pdf and result.json.
	if rep == nil || rep.Uploaded != 5 || rep.JobTable || rep.ResultURL == "" {
		t.Fatalf("report %+v", rep)
	}
	if len(srv.Paths("analysis-images")) != 5 {
		t.Errorf("bucket holds %v", srv.Paths("analysis-images"))
	}
	if st, _ := library.ReadState(dir); st.State != library.StateUploaded || st.Job == nil || st.Job.State != library.StateFailed ||
		strings.Contains(st.Job.Error, "()") {
		t.Errorf("state %+v job %+v", st, st.Job)
	}
	srv.ResetRequests()
	rep, err = Upload(context.Background(), dir, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if up := uploadPaths(srv, "scan-jobfail"); len(up) != 0 || !rep.JobTable || srv.Count(http.MethodPost, "/rest/v1/analysis_jobs") != 1 {
		t.Errorf("second run sent %v, job %v; want only the job row", up, rep.JobTable)
	}
	if st, _ := library.ReadState(dir); st.State != library.StateUploaded || st.Job.State != library.StateUploaded {
		t.Errorf("state %s", st.State)
	}
}

// TestJobTableOfTheWorker: when analysis_jobs is gradevault-worker's table
// (bigint job ids), the scan's row is refused in one clear line, the files
// stay uploaded, and the job row is not retried.
func TestJobTableOfTheWorker(t *testing.T) {
	srv := fakestorage.New(t)
	srv.WorkerJobTable()
	dir := t.TempDir()
	fakestorage.WriteScan(t, dir, "scan-worker", false)
	cfg := testConfig(srv)
	cfg.JobTable = true
	rep, err := Upload(context.Background(), dir, cfg, nil)
	var je *JobError
	if !errors.As(err, &je) {
		t.Fatalf("Upload = %v, want a *JobError", err)
	}
	msg := err.Error()
	if !strings.Contains(msg, "all files are uploaded") || !strings.Contains(msg, "gradevault-worker's table") ||
		!strings.Contains(msg, "without the job table option") || strings.Contains(msg, "\n") {
		t.Errorf("message %q", msg)
	}
	t.Log(msg)
	if rep == nil || rep.Uploaded != 5 || rep.JobTable {
		t.Fatalf("report %+v", rep)
	}
	if n := srv.Count(http.MethodPost, "/rest/v1/analysis_jobs"); n != 1 {
		t.Errorf("job row sent %d times, want 1 (a refused key is not retried)", n)
	}
	if _, ok := srv.Job("scan-worker"); ok {
		t.Error("the fake stored a row keyed by the scan id")
	}
}

func TestPostgrestMessage(t *testing.T) {
	for in, want := range map[string]string{
		"() Invalid API key":                  "Invalid API key",
		"(42501) permission denied for table": "permission denied for table (code 42501)",
		"error parsing error response: EOF":   "error parsing error response: EOF",
	} {
		if got := postgrestMessage(errors.New(in)); got != want {
			t.Errorf("postgrestMessage(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	fakestorage.WriteScan(t, dir, "scan-cfg", false)
	for _, cfg := range []Config{{}, {URL: "https://x.supabase.co"}, {URL: "ftp://x", Key: "k"}, {URL: "x.supabase.co", Key: "k"}} {
		if _, err := Upload(context.Background(), dir, cfg, nil); !errors.Is(err, ErrConfig) {
			t.Errorf("Upload(%v) = %v, want ErrConfig", cfg, err)
		}
	}
}

func TestNetworkDown(t *testing.T) {
	srv := fakestorage.New(t)
	dir := t.TempDir()
	fakestorage.WriteScan(t, dir, "scan-down", false)
	cfg := testConfig(srv)
	srv.Close()
	_, err := Upload(context.Background(), dir, cfg, nil)
	var ue *Error
	if !errors.Is(err, ErrNetwork) || !errors.As(err, &ue) || ue.Attempts != DefaultAttempts {
		t.Fatalf("Upload = %v, want ErrNetwork after %d attempts", err, DefaultAttempts)
	}
	if !strings.Contains(err.Error(), "cannot reach") {
		t.Errorf("message %q", err)
	}
}

// TestLocalReferenceGuard: the last guard finds an analysis file left as
// a local path anywhere in the uploaded document, and ignores other
// strings (a video file name that happens to sit in the folder).
func TestLocalReferenceGuard(t *testing.T) {
	dir := t.TempDir()
	fakestorage.WriteScan(t, dir, "scan-guard", true)
	os.WriteFile(filepath.Join(dir, "item.mp4"), []byte("video"), 0o644)
	if got := localReference(dir, []byte(`{"video":{"path":"item.mp4"},"x":["http://h/a.png"]}`)); got != "" {
		t.Errorf("flagged %q", got)
	}
	if got := localReference(dir, []byte(`{"newField":{"deep":["crops/spine_overlay.png"]}}`)); got != "crops/spine_overlay.png" {
		t.Errorf("missed a local path, got %q", got)
	}
}
