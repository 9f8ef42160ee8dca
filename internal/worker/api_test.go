package worker

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gradevault/internal/fakestorage"
	"gradevault/internal/pgtest"
)

// TestAnalyzeRejectsBadInput: every bad request gets a 400 with a JSON error
// and nothing is queued.
func TestAnalyzeRejectsBadInput(t *testing.T) {
	dbURL, pool := testDB(t)
	cfg := testConfig(t, dbURL, nil)
	cfg.Concurrency = 0 // API only: nothing would run anyway
	_, api := startService(t, cfg, nil)

	good := func(mod func(m map[string]any)) []byte {
		m := map[string]any{"videoUrl": "https://example.com/v.mp4", "scanId": "scan-1", "itemType": "comic"}
		mod(m)
		b, _ := json.Marshal(m)
		return b
	}
	huge := append([]byte(`{"videoUrl":"https://example.com/v.mp4","scanId":"scan-1","itemType":"comic","pad":"`),
		bytes.Repeat([]byte("x"), 10<<20)...)
	huge = append(huge, `"}`...)
	cases := []struct {
		name, want string
		body       []byte
	}{
		{"malformed JSON", "malformed JSON", []byte(`{"videoUrl": "https://example.com/v.mp4", "scanId":`)},
		{"not an object", "malformed JSON", []byte(`["https://example.com/v.mp4"]`)},
		{"trailing data", "malformed JSON", []byte(`{"videoUrl":"https://example.com/v.mp4","scanId":"a","itemType":"comic"} {}`)},
		{"10 MB body", "larger than", huge},
		{"empty body", "malformed JSON", nil},
		{"unknown item type", "itemType \"stamp\" is unknown", good(func(m map[string]any) { m["itemType"] = "stamp" })},
		{"missing item type", "itemType is required", good(func(m map[string]any) { delete(m, "itemType") })},
		{"file URL", "http or https", good(func(m map[string]any) { m["videoUrl"] = "file:///etc/passwd" })},
		{"ftp URL", "http or https", good(func(m map[string]any) { m["videoUrl"] = "ftp://example.com/v.mp4" })},
		{"URL without host", "no host", good(func(m map[string]any) { m["videoUrl"] = "http:///v.mp4" })},
		{"missing URL", "videoUrl is required", good(func(m map[string]any) { delete(m, "videoUrl") })},
		{"scanId with ../", "invalid scan ID", good(func(m map[string]any) { m["scanId"] = "../etc" })},
		{"scanId with slash", "invalid scan ID", good(func(m map[string]any) { m["scanId"] = "a/b" })},
		{"missing scanId", "scanId is required", good(func(m map[string]any) { delete(m, "scanId") })},
		{"scanId wrong type", "malformed JSON", good(func(m map[string]any) { m["scanId"] = 12 })},
		{"bad mode", "settings.mode", good(func(m map[string]any) { m["settings"] = map[string]any{"mode": "turbo"} })},
		{"bad count", "settings.count", good(func(m map[string]any) { m["settings"] = map[string]any{"count": 500} })},
	}
	for _, c := range cases {
		code, m := post(t, api.URL+"/analyze", "", c.body)
		msg, _ := m["error"].(string)
		if code != http.StatusBadRequest || !strings.Contains(msg, c.want) {
			t.Errorf("%s: got %d %q, want 400 with %q", c.name, code, msg, c.want)
		}
		if strings.Contains(msg, "\n") {
			t.Errorf("%s: error is not one line: %q", c.name, msg)
		}
	}
	if r, rows := countRows(t, pool); r != 0 || rows != 0 {
		t.Errorf("bad requests queued %d River jobs and %d rows", r, rows)
	}

	// Other endpoints answer JSON errors too.
	for _, c := range []struct {
		path string
		code int
	}{{"/jobs/123", 404}, {"/jobs/abc", 400}, {"/nope", 404}} {
		resp, err := http.Get(api.URL + c.path)
		if err != nil {
			t.Fatal(err)
		}
		m := decode(t, resp)
		resp.Body.Close()
		if resp.StatusCode != c.code || m["error"] == nil {
			t.Errorf("GET %s: %d %v, want %d with an error", c.path, resp.StatusCode, m, c.code)
		}
	}
	resp, err := http.Get(api.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	if m := decode(t, resp); resp.StatusCode != 200 || m["status"] != "ok" {
		t.Errorf("healthz: %d %v", resp.StatusCode, m)
	}
	resp.Body.Close()
}

// TestAnalyzeDuplicateScanID: the same scan ID while its job is queued gives
// the same job, even from concurrent requests; another scan gets a new job.
func TestAnalyzeDuplicateScanID(t *testing.T) {
	dbURL, pool := testDB(t)
	cfg := testConfig(t, dbURL, nil)
	cfg.Concurrency = 0 // nothing runs: the job stays queued
	_, api := startService(t, cfg, nil)

	body := []byte(`{"videoUrl":"https://example.com/v.mp4","scanId":"dup-1","itemType":"card"}`)
	code, first := post(t, api.URL+"/analyze", "", body)
	if code != http.StatusAccepted || first["status"] != "queued" || first["scanId"] != "dup-1" || first["jobId"] == nil {
		t.Fatalf("first POST: %d %v", code, first)
	}
	var wg sync.WaitGroup
	ids := make([]any, 8)
	codes := make([]int, 8)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var m map[string]any
			codes[i], m = post(t, api.URL+"/analyze", "", body)
			ids[i] = m["jobId"]
		}()
	}
	wg.Wait()
	for i := range ids {
		if codes[i] != http.StatusOK || ids[i] != first["jobId"] {
			t.Errorf("duplicate POST %d: %d job %v, want 200 job %v", i, codes[i], ids[i], first["jobId"])
		}
	}
	if r, rows := countRows(t, pool); r != 1 || rows != 1 {
		t.Errorf("%d River jobs and %d rows for one scan, want 1 and 1", r, rows)
	}
	code, other := post(t, api.URL+"/analyze", "", []byte(`{"videoUrl":"https://example.com/v.mp4","scanId":"dup-2","itemType":"toy"}`))
	if code != http.StatusAccepted || other["jobId"] == first["jobId"] {
		t.Errorf("another scan: %d %v", code, other)
	}
	if r, _ := countRows(t, pool); r != 2 {
		t.Errorf("%d River jobs, want 2", r)
	}
}

// TestAnalyzeToken: with a token, requests without it are refused (401 JSON)
// and nothing is queued; the health check stays open.
func TestAnalyzeToken(t *testing.T) {
	dbURL, pool := testDB(t)
	cfg := testConfig(t, dbURL, nil)
	cfg.Concurrency = 0
	cfg.Token = "s3cret-token"
	_, api := startService(t, cfg, nil)
	body := []byte(`{"videoUrl":"https://example.com/v.mp4","scanId":"tok-1","itemType":"comic"}`)
	for _, tok := range []string{"", "wrong"} {
		code, m := post(t, api.URL+"/analyze", tok, body)
		if code != http.StatusUnauthorized || m["error"] == nil {
			t.Errorf("token %q: %d %v, want 401", tok, code, m)
		}
	}
	if r, _ := countRows(t, pool); r != 0 {
		t.Fatalf("unauthorised requests queued %d jobs", r)
	}
	code, m := post(t, api.URL+"/analyze", "s3cret-token", body)
	if code != http.StatusAccepted {
		t.Fatalf("with the token: %d %v", code, m)
	}
	req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/jobs/%.0f", api.URL, m["jobId"]), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET /jobs without the token: %d, want 401", resp.StatusCode)
	}
	resp, err = http.Get(api.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("healthz with a token configured: %d", resp.StatusCode)
	}
}

func TestCheckAddr(t *testing.T) {
	for _, c := range []struct {
		addr, token string
		ok          bool
	}{
		{"127.0.0.1:8080", "", true},
		{"localhost:0", "", true},
		{"[::1]:8080", "", true},
		{"0.0.0.0:8080", "", false},
		{":8080", "", false},
		{"10.0.0.5:8080", "", false},
		{"0.0.0.0:8080", "t", true},
	} {
		err := Config{Addr: c.addr, Token: c.token}.CheckAddr()
		if (err == nil) != c.ok {
			t.Errorf("CheckAddr(%q, token %q) = %v", c.addr, c.token, err)
		}
	}
	if got := (Config{}).WithDefaults().Addr; got != "127.0.0.1:8080" {
		t.Errorf("default address without a token: %s", got)
	}
	if got := RedactedDatabaseURL("postgres://user:pw@db.example.com:5432/postgres?sslmode=require"); strings.Contains(got, "pw") || strings.Contains(got, "user") {
		t.Errorf("redacted URL shows credentials: %s", got)
	}
}

func TestSniffVideo(t *testing.T) {
	mp4 := append([]byte{0, 0, 0, 0x20}, []byte("ftypisom\x00\x00\x02\x00isomiso2avc1mp41")...)
	mov := append([]byte{0, 0, 0, 0x14}, []byte("ftypqt  \x00\x00\x00\x00qt  ")...)
	heic := append([]byte{0, 0, 0, 0x18}, []byte("ftypheic\x00\x00\x00\x00mif1heic")...)
	for _, c := range []struct {
		name string
		head []byte
		ok   bool
	}{
		{"mp4", mp4, true},
		{"mov", mov, true},
		{"webm", []byte{0x1A, 0x45, 0xDF, 0xA3, 0x9F, 0x42, 0x86, 0x81}, true},
		{"avi", []byte("RIFF\x00\x00\x00\x00AVI LIST"), true},
		{"heic", heic, false},
		{"html", []byte("<!DOCTYPE html><html><body>Not found</body></html>"), false},
		{"png", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), false},
		{"json", []byte(`{"error":"nope"}`), false},
		{"empty", nil, false},
	} {
		if kind, ok := sniffVideo(c.head); ok != c.ok {
			t.Errorf("%s: sniffVideo = %q, %v; want %v", c.name, kind, ok, c.ok)
		}
	}
}

// TestMigrate: migrations are idempotent and safe to run concurrently, and
// River's tables get row-level security (PostgREST must not expose them).
func TestMigrate(t *testing.T) {
	url := pgtest.Shared(t).CreateDB(t)
	pool, err := OpenPool(context.Background(), url, 10)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if err := CheckSchema(context.Background(), pool); err == nil || !strings.Contains(err.Error(), "migrate") {
		t.Errorf("CheckSchema before migrating: %v", err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = Migrate(context.Background(), pool)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("concurrent migrate %d: %v", i, err)
		}
	}
	if v, err := Migrate(context.Background(), pool); err != nil || len(v) != 0 {
		t.Errorf("second migrate applied %v: %v", v, err)
	}
	if err := CheckSchema(context.Background(), pool); err != nil {
		t.Error(err)
	}
	var noRLS []string
	rows, err := pool.Query(context.Background(), `SELECT relname FROM pg_class WHERE relname LIKE 'river\_%' AND relkind = 'r' AND NOT relrowsecurity`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		rows.Scan(&n)
		noRLS = append(noRLS, n)
	}
	rows.Close()
	if len(noRLS) > 0 {
		t.Errorf("River tables without row-level security: %v", noRLS)
	}
	var cols int
	pool.QueryRow(context.Background(), `SELECT count(*) FROM information_schema.columns WHERE table_name = 'analysis_jobs'
		AND column_name IN ('id','scan_id','video_url','status','progress_percentage','progress_message','progress_step',
		'progress_chunks','cv_results','golden_frames','error','created_at','updated_at','completed_at','frames_status','cv_status')`).Scan(&cols)
	if cols != 16 {
		t.Errorf("analysis_jobs has %d of the 16 expected columns", cols)
	}
}

func TestRemoveStale(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "gradevault-job-1")
	young := filepath.Join(dir, "gradevault-job-2")
	other := filepath.Join(dir, "something-else")
	for _, d := range []string{old, young, other} {
		if err := os.MkdirAll(filepath.Join(d, "scan"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	past := time.Now().Add(-2 * time.Hour)
	os.Chtimes(old, past, past)
	os.Chtimes(other, past, past)
	if n := removeStale(dir, time.Hour); n != 1 {
		t.Errorf("removed %d folders, want 1", n)
	}
	for d, want := range map[string]bool{old: false, young: true, other: true} {
		if _, err := os.Stat(d); (err == nil) != want {
			t.Errorf("%s exists: %v, want %v", filepath.Base(d), err == nil, want)
		}
	}
}

// TestVideoHosts: with an allow-list, the API refuses other hosts and a
// worker refuses a redirect away from the allowed hosts, without retrying.
func TestVideoHosts(t *testing.T) {
	for _, c := range []struct {
		hosts []string
		url   string
		ok    bool
	}{
		{nil, "https://anything.example/v.mp4", true},
		{[]string{"abc.supabase.co"}, "https://abc.supabase.co/storage/v1/object/sign/v.mp4", true},
		{[]string{"abc.supabase.co"}, "https://evil.example/v.mp4", false},
		{[]string{".supabase.co"}, "https://abc.supabase.co/v.mp4", true},
		{[]string{".supabase.co"}, "https://supabase.co.evil.example/v.mp4", false},
		{[]string{"127.0.0.1"}, "http://127.0.0.1:8080/v.mp4", true},
		{[]string{"127.0.0.1"}, "http://169.254.169.254/latest/meta-data", false},
	} {
		if err := hostAllowed(c.hosts, c.url); (err == nil) != c.ok {
			t.Errorf("hostAllowed(%v, %s) = %v", c.hosts, c.url, err)
		}
	}
	if got := ParseHosts(" a.example, .B.example ,,"); len(got) != 2 || got[1] != ".b.example" {
		t.Errorf("ParseHosts: %q", got)
	}

	dbURL, pool := testDB(t)
	fake := fakestorage.New(t)
	videos := newVideoServer(t)
	videos.handle("/redirect.mp4", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://localhost:1/elsewhere.mp4", http.StatusFound)
	})
	cfg := testConfig(t, dbURL, fake)
	cfg.VideoHosts = []string{"127.0.0.1"}
	_, srv := startService(t, cfg, nil)
	code, m := post(t, srv.URL+"/analyze", "", []byte(`{"videoUrl":"http://169.254.169.254/latest/meta-data","scanId":"h-1","itemType":"comic"}`))
	if msg, _ := m["error"].(string); code != http.StatusBadRequest || !strings.Contains(msg, "not among the allowed video hosts") {
		t.Errorf("POST with a host outside the list: %d %v", code, m)
	}
	if r, _ := countRows(t, pool); r != 0 {
		t.Errorf("%d jobs queued", r)
	}
	id := enqueue(t, srv.URL, "h-2", videos.URL+"/redirect.mp4")
	r := waitJob(t, srv.URL, id, 60*time.Second)
	if r.Status != StatusFailed || r.Attempt != 1 || !strings.Contains(r.Error, `"localhost" is not among the allowed video hosts`) {
		t.Errorf("redirect to another host: %s after %d attempts: %q", r.Status, r.Attempt, r.Error)
	}
}
