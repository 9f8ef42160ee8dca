package worker

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"gradevault/engine/synth"
	"gradevault/engine/upload"
	"gradevault/internal/fakestorage"
	"gradevault/internal/pgtest"
)

var (
	videoOnce sync.Once
	videoDir  string
	videoPath string
	videoErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.StopShared()
	if videoDir != "" {
		os.RemoveAll(videoDir)
	}
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// testVideo is a small generated comic video with a crease (160×120, 42
// frames), written once per test binary.
func testVideo(t testing.TB) string {
	t.Helper()
	videoOnce.Do(func() {
		videoDir, videoErr = os.MkdirTemp("", "gradevault-worker-video-")
		if videoErr != nil {
			return
		}
		s := synth.DefaultScene(synth.Comic, 160, 120)
		s.Crease = true
		s.Phases = []synth.Phase{s.Phases[0], s.Phases[1], s.Phases[2], s.Phases[3], {Kind: synth.Hold, Frames: 6}}
		videoPath = filepath.Join(videoDir, "comic.mp4")
		_, videoErr = synth.Write(videoPath, s)
	})
	if videoErr != nil {
		t.Fatalf("generate test video: %v", videoErr)
	}
	return videoPath
}

// testDB creates a migrated database on the shared cluster.
func testDB(t testing.TB) (string, *pgxpool.Pool) {
	t.Helper()
	url := pgtest.Shared(t).CreateDB(t)
	return url, migratedPool(t, url)
}

func migratedPool(t testing.TB, url string) *pgxpool.Pool {
	t.Helper()
	ctx := context.Background()
	pool, err := OpenPool(ctx, url, 10)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if _, err := Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	return pool
}

// testConfig is a configuration for in-process tests: short intervals,
// fake Supabase, temporary files in a test folder.
func testConfig(t testing.TB, dbURL string, fake *fakestorage.Server) Config {
	t.Helper()
	cfg := Config{
		DatabaseURL:      dbURL,
		Concurrency:      1,
		EngineWorkers:    2,
		Grace:            5 * time.Second,
		DownloadTimeout:  20 * time.Second,
		MaxVideoBytes:    20 << 20,
		JobTimeout:       60 * time.Second,
		MaxAttempts:      3,
		RetryBackoff:     50 * time.Millisecond,
		MaxBackoff:       200 * time.Millisecond,
		ProgressInterval: 50 * time.Millisecond,
		FetchPoll:        100 * time.Millisecond,
		TempDir:          t.TempDir(),
		Logger:           slog.New(slog.NewJSONHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
	if fake != nil {
		cfg.Supabase = upload.Config{URL: fake.URL, Key: fake.Key("service_role"), Bucket: fakestorage.DefaultBucket,
			Attempts: 3, Backoff: 20 * time.Millisecond, Timeout: 20 * time.Second}
	}
	return cfg
}

// testWriter sends log lines to t.Log.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(bytes.TrimSpace(p)))
	return len(p), nil
}

// startService starts an in-process service and stops it at the end.
func startService(t testing.TB, cfg Config, hook func(ctx context.Context, id int64, step string)) (*Service, *httptest.Server) {
	t.Helper()
	s, err := NewService(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.worker.hook = hook
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	api := httptest.NewServer(s.API().Handler())
	t.Cleanup(func() {
		api.Close()
		s.Stop()
	})
	return s, api
}

// post sends body to url and decodes the JSON answer.
func post(t testing.TB, url, token string, body []byte) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	return resp.StatusCode, decode(t, resp)
}

func decode(t testing.TB, resp *http.Response) map[string]any {
	t.Helper()
	b, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("%s answered %d with Content-Type %q: %s", resp.Request.URL, resp.StatusCode, ct, b)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("answer is not JSON: %v: %s", err, b)
	}
	return m
}

// enqueue POSTs a job and returns its id.
func enqueue(t testing.TB, api, scanID, videoURL string) int64 {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"videoUrl": videoURL, "scanId": scanID, "itemType": "comic"})
	code, m := post(t, api+"/analyze", "", body)
	if code != http.StatusAccepted {
		t.Fatalf("POST /analyze %s: %d %v", scanID, code, m)
	}
	return int64(m["jobId"].(float64))
}

// getJob reads GET /jobs/{id}.
func getJob(t testing.TB, api string, id int64) JobRow {
	t.Helper()
	resp, err := http.Get(fmt.Sprintf("%s/jobs/%d", api, id))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r JobRow
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /jobs/%d: %d %s", id, resp.StatusCode, b)
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("GET /jobs/%d: %v: %s", id, err, b)
	}
	return r
}

// waitJob polls GET /jobs/{id} until the job is done or failed.
func waitJob(t testing.TB, api string, id int64, timeout time.Duration) JobRow {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		r := getJob(t, api, id)
		if r.Status == StatusDone || r.Status == StatusFailed {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %d not finished after %s: %+v", id, timeout, r)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// videoServer serves the test video at /comic.mp4 and counts requests per
// path; extra handlers can be added by path.
type videoServer struct {
	*httptest.Server
	mu       sync.Mutex
	counts   map[string]int
	handlers map[string]http.HandlerFunc
}

func newVideoServer(t testing.TB) *videoServer {
	t.Helper()
	path := testVideo(t)
	vs := &videoServer{counts: map[string]int{}, handlers: map[string]http.HandlerFunc{}}
	vs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		vs.mu.Lock()
		vs.counts[r.URL.Path]++
		h := vs.handlers[r.URL.Path]
		vs.mu.Unlock()
		switch {
		case h != nil:
			h(w, r)
		case r.URL.Path == "/comic.mp4":
			http.ServeFile(w, r, path)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(vs.Close)
	return vs
}

func (vs *videoServer) handle(path string, h http.HandlerFunc) {
	vs.mu.Lock()
	defer vs.mu.Unlock()
	vs.handlers[path] = h
}

func (vs *videoServer) count(path string) int {
	vs.mu.Lock()
	defer vs.mu.Unlock()
	return vs.counts[path]
}

// countRows counts River jobs and analysis_jobs rows.
func countRows(t testing.TB, pool *pgxpool.Pool) (river, rows int) {
	t.Helper()
	ctx := context.Background()
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM river_job), (SELECT count(*) FROM analysis_jobs)`).Scan(&river, &rows); err != nil {
		t.Fatal(err)
	}
	return river, rows
}
