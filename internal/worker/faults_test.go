package worker

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"gradevault/internal/fakestorage"
	"gradevault/internal/pgtest"
)

// TestBadVideosFail: bad input fails at once with a one-line reason and no
// retry; transient trouble is retried with backoff up to the attempt limit.
func TestBadVideosFail(t *testing.T) {
	dbURL, _ := testDB(t)
	fake := fakestorage.New(t)
	videos := newVideoServer(t)
	videos.handle("/page.mp4", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<!DOCTYPE html><html><body><h1>Sign in to view this video</h1></body></html>"))
	})
	videos.handle("/broken.mp4", func(w http.ResponseWriter, r *http.Request) {
		// Starts like an MP4, then garbage: only the decoder can tell.
		b := append([]byte{0, 0, 0, 0x20}, []byte("ftypisom\x00\x00\x02\x00isomiso2avc1mp41")...)
		w.Write(append(b, []byte(strings.Repeat("garbage ", 4000))...))
	})
	videos.handle("/big.mp4", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "104857600")
		w.Write([]byte("x"))
	})
	var flakyMu sync.Mutex
	flaky := 0
	path := testVideo(t)
	videos.handle("/flaky.mp4", func(w http.ResponseWriter, r *http.Request) {
		flakyMu.Lock()
		flaky++
		n := flaky
		flakyMu.Unlock()
		if n <= 2 {
			http.Error(w, "upstream busy", http.StatusServiceUnavailable)
			return
		}
		http.ServeFile(w, r, path)
	})
	cfg := testConfig(t, dbURL, fake)
	cfg.Concurrency = 2
	_, srv := startService(t, cfg, nil)
	api := srv.URL

	// A port nobody listens on: connection refused, a network error.
	refused := "http://127.0.0.1:1/video.mp4"

	cases := []struct {
		scan, url, reason string
		attempts          int
		status            string
		queue             string
		path              string
	}{
		{"bad-404", videos.URL + "/missing.mp4", "HTTP 404", 1, StatusFailed, "cancelled", "/missing.mp4"},
		{"bad-html", videos.URL + "/page.mp4", "not a video (the content looks like text/html)", 1, StatusFailed, "cancelled", "/page.mp4"},
		{"bad-broken", videos.URL + "/broken.mp4", "not a readable video", 1, StatusFailed, "cancelled", "/broken.mp4"},
		{"bad-big", videos.URL + "/big.mp4", "over the 20 MiB limit", 1, StatusFailed, "cancelled", "/big.mp4"},
		{"bad-refused", refused, "connection refused", cfg.MaxAttempts, StatusFailed, "discarded", ""},
		{"flaky-503", videos.URL + "/flaky.mp4", "", 3, StatusDone, "completed", "/flaky.mp4"},
	}
	ids := make([]int64, len(cases))
	for i, c := range cases {
		ids[i] = enqueue(t, api, c.scan, c.url)
	}
	for i, c := range cases {
		r := waitJob(t, api, ids[i], 60*time.Second)
		// River records the attempt's outcome just after Work returns.
		for deadline := time.Now().Add(10 * time.Second); r.QueueState == "running" && time.Now().Before(deadline); {
			time.Sleep(20 * time.Millisecond)
			r = getJob(t, api, ids[i])
		}
		if r.Status != c.status || !strings.Contains(r.Error, c.reason) || r.QueueState != c.queue || r.Attempt != c.attempts {
			t.Errorf("%s: %s (queue %s) after %d attempts, error %q; want %s (%s) after %d with %q",
				c.scan, r.Status, r.QueueState, r.Attempt, r.Error, c.status, c.queue, c.attempts, c.reason)
		}
		if strings.Contains(r.Error, "\n") || strings.Contains(r.Error, cfg.TempDir) {
			t.Errorf("%s: reason is not one clean line: %q", c.scan, r.Error)
		}
		if c.path != "" && videos.count(c.path) != c.attempts {
			t.Errorf("%s: %d downloads, want %d", c.scan, videos.count(c.path), c.attempts)
		}
		t.Logf("%s: %s after %d attempt(s): %s", c.scan, r.Status, r.Attempt, r.Error)
	}
	for _, p := range fake.Paths("analysis-images") {
		if !strings.HasPrefix(p, "flaky-503/") {
			t.Errorf("a failed job uploaded %s", p)
		}
	}
	noTempFiles(t, cfg.TempDir)
}

// TestPostgresRestart: PostgreSQL restarts while jobs run; the workers
// reconnect and every job ends done.
func TestPostgresRestart(t *testing.T) {
	// The shared cluster: tests run one at a time, and the others' services
	// are stopped by now.
	cluster := pgtest.Shared(t)
	dbURL := cluster.CreateDB(t)
	pool := migratedPool(t, dbURL)
	fake := fakestorage.New(t)
	videos := newVideoServer(t)
	cfg := testConfig(t, dbURL, fake)
	cfg.Concurrency = 2
	cfg.RescueAfter = cfg.JobTimeout

	var once sync.Once
	var restartedAt time.Time
	restarted := make(chan struct{})
	hook := func(ctx context.Context, id int64, step string) {
		if step != "upload" {
			return
		}
		// The first job to reach its upload waits while the server restarts.
		once.Do(func() {
			cluster.Restart(t)
			restartedAt = time.Now()
			close(restarted)
		})
	}
	_, srv := startService(t, cfg, hook)
	api := srv.URL
	var ids []int64
	for _, s := range []string{"pg-1", "pg-2", "pg-3", "pg-4"} {
		ids = append(ids, enqueue(t, api, s, videos.URL+"/comic.mp4"))
	}
	select {
	case <-restarted:
	case <-time.After(60 * time.Second):
		t.Fatal("no job reached its upload")
	}
	startedAfter := 0
	for _, id := range ids {
		// GET /jobs may meet a connection the restart broke: retry a few times.
		var r JobRow
		deadline := time.Now().Add(90 * time.Second)
		for {
			row, err := GetJob(context.Background(), pool, id)
			if err == nil && (row.Status == StatusDone || row.Status == StatusFailed) {
				r = *row
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("job %d not finished 90 s after the restart: %+v %v", id, row, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
		if r.Status != StatusDone || r.QueueState != "completed" {
			t.Errorf("job %d (%s): %s, queue %s, error %q", id, r.ScanID, r.Status, r.QueueState, r.Error)
		}
		t.Logf("job %d (%s): %s after %d attempt(s), started %s the restart", id, r.ScanID, r.Status, r.Attempt,
			map[bool]string{true: "after", false: "before"}[r.StartedAt.After(restartedAt)])
		if r.StartedAt.After(restartedAt) {
			startedAfter++
		}
	}
	if startedAfter == 0 {
		t.Error("no job was fetched after the restart")
	}
}

// TestStopGracefully: stopping while a job runs lets it finish within the
// grace period; a job that cannot finish in time is handed back (queued
// again, no attempt used) and another worker completes it.
func TestStopGracefully(t *testing.T) {
	dbURL, pool := testDB(t)
	fake := fakestorage.New(t)
	videos := newVideoServer(t)

	// 1. Finishes within the grace period.
	cfg := testConfig(t, dbURL, fake)
	cfg.Grace = 20 * time.Second
	inUpload := make(chan int64, 1)
	s1, err := NewService(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	s1.worker.hook = func(ctx context.Context, id int64, step string) {
		if step == "upload" {
			inUpload <- id
			time.Sleep(300 * time.Millisecond) // still running when Stop begins
		}
	}
	if err := s1.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	api := startAPIOnly(t, dbURL)
	id1 := enqueue(t, api, "stop-finish", videos.URL+"/comic.mp4")
	<-inUpload
	start := time.Now()
	s1.Stop()
	if d := time.Since(start); d > cfg.Grace {
		t.Errorf("Stop took %s, over the %s grace period", d, cfg.Grace)
	}
	if r, err := GetJob(context.Background(), pool, id1); err != nil || r.Status != StatusDone || r.QueueState != "completed" {
		t.Errorf("job finishing during the grace period: %+v %v", r, err)
	}

	// 2. Cannot finish: the download hangs past a short grace period.
	release := make(chan struct{})
	videos.handle("/slow.mp4", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
			http.ServeFile(w, r, testVideo(t))
		case <-r.Context().Done():
		}
	})
	cfg2 := testConfig(t, dbURL, fake)
	cfg2.Grace = 500 * time.Millisecond
	s2, err := NewService(context.Background(), cfg2)
	if err != nil {
		t.Fatal(err)
	}
	if err := s2.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	id2 := enqueue(t, api, "stop-handback", videos.URL+"/slow.mp4")
	for deadline := time.Now().Add(30 * time.Second); videos.count("/slow.mp4") == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the job never started its download")
		}
	}
	start = time.Now()
	s2.Stop()
	if d := time.Since(start); d > cfg2.Grace+10*time.Second {
		t.Errorf("Stop took %s with a %s grace period", d, cfg2.Grace)
	}
	r, err := GetJob(context.Background(), pool, id2)
	if err != nil || r.Status != StatusQueued || (r.QueueState != "available" && r.QueueState != "scheduled") {
		t.Fatalf("handed-back job: %+v %v", r, err)
	}
	var attempt int
	if err := pool.QueryRow(context.Background(), `SELECT attempt FROM river_job WHERE id = $1`, id2).Scan(&attempt); err != nil || attempt != 0 {
		t.Errorf("handed-back job used an attempt: attempt %d %v", attempt, err)
	}
	noTempFiles(t, cfg2.TempDir)

	// Another worker takes it.
	close(release)
	startService(t, testConfig(t, dbURL, fake), nil)
	final := waitJob(t, api, id2, 60*time.Second)
	if final.Status != StatusDone || final.Attempt != 1 {
		t.Errorf("handed-back job then: %s after %d attempts (%s)", final.Status, final.Attempt, final.Error)
	}
}

// startAPIOnly serves the API of an insert-only service.
func startAPIOnly(t testing.TB, dbURL string) string {
	t.Helper()
	cfg := testConfig(t, dbURL, nil)
	cfg.Concurrency = 0
	_, srv := startService(t, cfg, nil)
	return srv.URL
}
