package worker

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"gradevault/internal/fakestorage"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// workerBinary builds cmd/gradevault-worker once per test binary (without
// -race: the processes are the system under test, not the test).
func workerBinary(t testing.TB) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "gradevault-worker-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "gradevault-worker")
		out, err := exec.Command("go", "build", "-o", binPath, "gradevault/cmd/gradevault-worker").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// proc is a gradevault-worker process.
type proc struct {
	cmd     *exec.Cmd
	name    string // host-pid, as recorded in the rows
	log     *syncBuffer
	tmp     string
	exited  chan struct{}
	exitErr error
}

type syncBuffer struct {
	mu sync.Mutex
	bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.Buffer.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.Buffer.String()
}

func startProc(t testing.TB, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{tmp: t.TempDir(), exited: make(chan struct{})}
	args = append(args, "-temp-dir", p.tmp)
	p.cmd = exec.Command(workerBinary(t), args...)
	p.cmd.Env = append(os.Environ(), env...)
	logBuf := &syncBuffer{}
	p.log = logBuf
	p.cmd.Stderr = logBuf
	p.cmd.Stdout = logBuf
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	p.name = fmt.Sprintf("%s-%d", host, p.cmd.Process.Pid)
	go func() {
		p.exitErr = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			p.cmd.Process.Kill()
			<-p.exited
		}
		if t.Failed() {
			lines := strings.Split(strings.TrimSpace(logBuf.String()), "\n")
			t.Logf("log of %s %v (last lines):\n%s", p.name, args[0], strings.Join(lines[max(0, len(lines)-25):], "\n"))
		}
	})
	return p
}

func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func waitHealthy(t testing.TB, api string, p *proc) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		resp, err := http.Get(api + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-p.exited:
			t.Fatalf("serve exited: %v", p.exitErr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("serve never became healthy")
		}
	}
}

// fleetEnv is the environment of worker processes.
func fleetEnv(dbURL string, fake *fakestorage.Server) []string {
	return []string{"DATABASE_URL=" + dbURL, "SUPABASE_URL=" + fake.URL, "SUPABASE_KEY=" + fake.Key("service_role"),
		"GRADEVAULT_BUCKET=analysis-images", "GRADEVAULT_WORKER_TOKEN=", "GRADEVAULT_CONCURRENCY="}
}

// fleetFlags are short intervals for tests: River presumes a job lost 8 s
// after it started (its rescuer looks every 30 s).
var fleetFlags = []string{"-concurrency", "1", "-engine-workers", "1", "-job-timeout", "8s", "-rescue-after", "8s",
	"-retry-backoff", "200ms", "-max-backoff", "1s", "-fetch-poll", "200ms", "-progress-interval", "200ms"}

// TestFleetKill9: one `serve` and two `work` processes share 30 jobs; one
// worker is killed with SIGKILL in the middle of a job. Every job ends done
// exactly once, the killed job is rescued by River and finished by another
// process, and nothing is uploaded under another scan.
func TestFleetKill9(t *testing.T) {
	dbURL, pool := testDB(t)
	fake := fakestorage.New(t)
	videos := newVideoServer(t)
	env := fleetEnv(dbURL, fake)
	addr := freeAddr(t)
	api := "http://" + addr

	serve := startProc(t, env, append([]string{"serve", "-addr", addr, "-grace", "10s"}, fleetFlags...)...)
	waitHealthy(t, api, serve)
	w1 := startProc(t, env, append([]string{"work", "-grace", "10s"}, fleetFlags...)...)
	w2 := startProc(t, env, append([]string{"work", "-grace", "10s"}, fleetFlags...)...)
	victim := w1

	const n = 30
	start := time.Now()
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = enqueue(t, api, fmt.Sprintf("fleet-%02d", i+1), videos.URL+"/comic.mp4")
	}

	// Kill the victim while it runs a job.
	ctx := context.Background()
	var killedJob int64
	for deadline := time.Now().Add(60 * time.Second); killedJob == 0; time.Sleep(10 * time.Millisecond) {
		err := pool.QueryRow(ctx, `SELECT id FROM analysis_jobs WHERE status = 'running' AND worker = $1 AND progress_step = 'analyse'`, victim.name).Scan(&killedJob)
		if err != nil && time.Now().After(deadline) {
			t.Fatalf("the victim never ran a job: %v", err)
		}
	}
	if err := victim.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-victim.exited
	killedAt := time.Now()
	t.Logf("killed %s (SIGKILL) during job %d, %.1f s after the first POST", victim.name, killedJob, killedAt.Sub(start).Seconds())

	// Every job ends.
	var doneAt time.Time
	for deadline := time.Now().Add(150 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		var finished int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM analysis_jobs WHERE status IN ('done', 'failed')`).Scan(&finished); err != nil {
			t.Fatal(err)
		}
		if finished == n {
			doneAt = time.Now()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d jobs finished after %s", finished, n, time.Since(start))
		}
	}
	elapsed := doneAt.Sub(start)
	t.Logf("%d jobs in %.1f s: %.1f jobs/min with 3 processes (one killed); the killed job was rescued and done %.1f s after the kill",
		n, elapsed.Seconds(), float64(n)/elapsed.Minutes(), rowCompletedAt(t, pool, killedJob).Sub(killedAt).Seconds())

	var othersDone time.Time
	if err := pool.QueryRow(ctx, `SELECT max(completed_at) FROM analysis_jobs WHERE id <> $1`, killedJob).Scan(&othersDone); err != nil {
		t.Fatal(err)
	}
	t.Logf("the other %d jobs were done %.1f s after the first POST: %.1f jobs/min",
		n-1, othersDone.Sub(start).Seconds(), float64(n-1)/othersDone.Sub(start).Minutes())

	var attemptSec, engineSec float64
	if err := pool.QueryRow(ctx, `SELECT avg(extract(epoch FROM completed_at - started_at)),
			avg((cv_results->'timings'->>'totalSeconds')::float8) FROM analysis_jobs WHERE id <> $1`, killedJob).Scan(&attemptSec, &engineSec); err != nil {
		t.Fatal(err)
	}
	t.Logf("per job: %.2f s from start to done, of which %.2f s in the engine (analysis, glint, files)", attemptSec, engineSec)

	checkFleetResult(t, pool, fake, ids, killedJob, victim.name)
	for _, w := range []*proc{serve, w2} {
		noTempFiles(t, w.tmp)
	}

	// SIGTERM: the survivors exit cleanly.
	for _, p := range []*proc{serve, w2} {
		p.cmd.Process.Signal(syscall.SIGTERM)
	}
	for _, p := range []*proc{serve, w2} {
		select {
		case <-p.exited:
			if p.exitErr != nil {
				t.Errorf("%s exited with %v after SIGTERM", p.name, p.exitErr)
			}
		case <-time.After(20 * time.Second):
			t.Errorf("%s still running 20 s after SIGTERM", p.name)
		}
	}

	// The logs are JSON lines and never show the key.
	var key string
	for _, e := range env {
		if v, ok := strings.CutPrefix(e, "SUPABASE_KEY="); ok {
			key = v
		}
	}
	if len(key) < 40 {
		t.Fatalf("no key in the environment")
	}
	for _, p := range []*proc{serve, w1, w2} {
		logs := p.log.String()
		if strings.Contains(logs, key) || strings.Contains(logs, key[len(key)-20:]) {
			t.Errorf("the log of %s shows the Supabase key", p.name)
		}
		lines := strings.Split(strings.TrimSpace(logs), "\n")
		for _, l := range lines {
			if !json.Valid([]byte(l)) {
				t.Errorf("%s logged a line that is not JSON: %q", p.name, l)
				break
			}
		}
		if !strings.Contains(logs, `"msg":"job done"`) && p != w1 {
			t.Errorf("%s logged no finished job", p.name)
		}
	}
}

func rowCompletedAt(t testing.TB, pool *pgxpool.Pool, id int64) time.Time {
	t.Helper()
	var at time.Time
	if err := pool.QueryRow(context.Background(), `SELECT completed_at FROM analysis_jobs WHERE id = $1`, id).Scan(&at); err != nil {
		t.Fatal(err)
	}
	return at
}

// checkFleetResult: every job done exactly once, the killed one by another
// worker after a rescue, one result per scan in the bucket.
func checkFleetResult(t testing.TB, pool *pgxpool.Pool, fake *fakestorage.Server, ids []int64, killedJob int64, victim string) {
	t.Helper()
	ctx := context.Background()
	var riverJobs, completed int
	if err := pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE state = 'completed') FROM river_job`).Scan(&riverJobs, &completed); err != nil {
		t.Fatal(err)
	}
	if riverJobs != len(ids) || completed != len(ids) {
		t.Errorf("River has %d jobs, %d completed; want %d and %d", riverJobs, completed, len(ids), len(ids))
	}
	perWorker := map[string]int{}
	for i, id := range ids {
		r, err := GetJob(ctx, pool, id)
		if err != nil {
			t.Fatal(err)
		}
		scanID := fmt.Sprintf("fleet-%02d", i+1)
		if r.Status != StatusDone || r.ScanID != scanID || r.ResultURL == "" {
			t.Errorf("job %d (%s): %s, result %q, error %q", id, r.ScanID, r.Status, r.ResultURL, r.Error)
		}
		perWorker[r.Worker]++
		if id == killedJob {
			var errs string
			pool.QueryRow(ctx, `SELECT coalesce(array_to_string(errors, ' '), '') FROM river_job WHERE id = $1`, id).Scan(&errs)
			if r.Attempt < 2 || r.Worker == victim || !strings.Contains(errs, "Stuck job rescued") {
				t.Errorf("killed job %d: attempt %d by %s, River errors %q; want a rescued retry by another worker", id, r.Attempt, r.Worker, errs)
			}
			continue
		}
		// Exactly one upload of each other scan's result.
		if c := fake.Count("POST", scanID+"/result.json") + fake.Count("PUT", scanID+"/result.json"); c != 1 {
			t.Errorf("%s: result.json uploaded %d times", scanID, c)
		}
	}
	t.Logf("jobs per worker: %v", perWorker)
	scans := map[string]bool{}
	for _, p := range fake.Paths("analysis-images") {
		scan, _, _ := strings.Cut(p, "/")
		scans[scan] = true
	}
	if len(scans) != len(ids) {
		t.Errorf("objects under %d scan folders, want %d", len(scans), len(ids))
	}
}

// TestWorkerProcessSIGTERM: SIGTERM while a job's download hangs: the
// process exits within the grace period (plus the hand-back) and the job is
// queued again without using an attempt; another worker finishes it.
func TestWorkerProcessSIGTERM(t *testing.T) {
	dbURL, pool := testDB(t)
	fake := fakestorage.New(t)
	videos := newVideoServer(t)
	release := make(chan struct{})
	videos.handle("/hang.mp4", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
			http.ServeFile(w, r, testVideo(t))
		case <-r.Context().Done():
		}
	})
	api := startAPIOnly(t, dbURL)
	p := startProc(t, fleetEnv(dbURL, fake), append([]string{"work", "-grace", "2s"}, fleetFlags...)...)
	id := enqueue(t, api, "sigterm-1", videos.URL+"/hang.mp4")
	for deadline := time.Now().Add(60 * time.Second); videos.count("/hang.mp4") == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the worker never started the download")
		}
	}
	sent := time.Now()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(15 * time.Second):
		t.Fatal("worker still running 15 s after SIGTERM with a 2 s grace period")
	}
	took := time.Since(sent)
	t.Logf("exited %.2f s after SIGTERM (grace 2 s): %v", took.Seconds(), p.exitErr)
	if p.exitErr != nil || took > 12*time.Second { // grace + hand-back, on a loaded machine
		t.Errorf("exit after SIGTERM: %v in %s", p.exitErr, took)
	}
	r, err := GetJob(context.Background(), pool, id)
	if err != nil || r.Status != StatusQueued || r.QueueState != "available" {
		t.Fatalf("after SIGTERM the job is %+v %v; want queued and available", r, err)
	}
	noTempFiles(t, p.tmp)

	close(release)
	startService(t, testConfig(t, dbURL, fake), nil)
	final := waitJob(t, api, id, 60*time.Second)
	if final.Status != StatusDone || final.Attempt != 1 {
		t.Errorf("handed-back job: %s after %d attempts (%s)", final.Status, final.Attempt, final.Error)
	}
}
