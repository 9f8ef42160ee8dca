package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"gradevault/engine/analysis"
	"gradevault/engine/event"
	"gradevault/engine/item"
	"gradevault/engine/scan"
	"gradevault/engine/upload"
	"gradevault/engine/video"
)

// analyzeWorker is the River worker of analysis jobs.
type analyzeWorker struct {
	river.WorkerDefaults[AnalyzeArgs]
	cfg      *Config
	pool     *pgxpool.Pool
	log      *slog.Logger
	http     *http.Client
	name     string       // this worker process, recorded in the row
	stopping *atomic.Bool // set when the process is shutting down

	// hook, when set (tests), is called at each step boundary with the
	// step's name after the progress has been written.
	hook func(ctx context.Context, jobID int64, step string)
}

// Timeout bounds one attempt.
func (w *analyzeWorker) Timeout(*river.Job[AnalyzeArgs]) time.Duration { return w.cfg.JobTimeout }

// NextRetry is exponential backoff with jitter: RetryBackoff × 2^(attempt-1),
// at most MaxBackoff.
func (w *analyzeWorker) NextRetry(job *river.Job[AnalyzeArgs]) time.Time {
	return time.Now().Add(backoff(w.cfg.RetryBackoff, w.cfg.MaxBackoff, job.Attempt))
}

func backoff(base, maxB time.Duration, attempt int) time.Duration {
	d := base
	for i := 1; i < attempt && d < maxB; i++ {
		d *= 2
	}
	d = min(d, maxB)
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

// Work runs one attempt of a job.
func (w *analyzeWorker) Work(ctx context.Context, job *river.Job[AnalyzeArgs]) error {
	args := job.Args
	log := w.log.With("job_id", job.ID, "scan_id", args.ScanID, "attempt", job.Attempt)
	start := time.Now()
	if err := args.Validate(); err != nil {
		return w.fail(ctx, job, log, permanent("%v", err))
	}
	if err := hostAllowed(w.cfg.VideoHosts, args.VideoURL); err != nil {
		return w.fail(ctx, job, log, permanent("%v", err))
	}
	if err := w.markRunning(ctx, job); err != nil {
		// The database is unreachable: River retries the job later.
		log.Warn("could not mark the job running", "error", err.Error())
		return fmt.Errorf("mark job running: %w", err)
	}
	log.Info("job started", "worker", w.name)

	tmp, err := os.MkdirTemp(w.cfg.TempDir, "gradevault-job-")
	if err != nil {
		return w.fail(ctx, job, log, fmt.Errorf("temporary folder: %w", err))
	}
	defer os.RemoveAll(tmp)

	prog := newProgress(w.pool, job.ID, w.cfg.ProgressInterval, log)
	if w.hook != nil {
		prog.onChunk = func() { w.hook(ctx, job.ID, "chunk") }
	}
	go prog.run(ctx)
	defer prog.stop()
	step := func(name string) {
		prog.flush(ctx)
		if w.hook != nil {
			w.hook(ctx, job.ID, name)
		}
	}

	// Download.
	prog.set("download", "downloading video", 0)
	videoPath := filepath.Join(tmp, "video")
	dctx, cancel := context.WithTimeout(ctx, w.cfg.DownloadTimeout)
	err = download(dctx, w.http, args.VideoURL, videoPath, w.cfg.MaxVideoBytes, prog.downloaded)
	if err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("download video: no complete answer within %s", w.cfg.DownloadTimeout)
	}
	cancel()
	if err != nil {
		return w.fail(ctx, job, log, err)
	}
	step("analyse")

	// Analyse.
	dir := filepath.Join(tmp, "scan")
	res, err := scan.Run(ctx, scan.Options{
		Video: videoPath, Dir: dir, ScanID: args.ScanID, ItemType: item.Type(args.ItemType),
		Analysis: args.Settings.analysisOptions(w.cfg.EngineWorkers),
		Glint:    !args.Settings.NoGlint,
		Sink:     prog.sink,
	})
	if err != nil {
		msg := "analysis: " + strings.ReplaceAll(err.Error(), videoPath, "the video")
		if isBadVideo(err) {
			return w.fail(ctx, job, log, &PermanentError{Msg: msg})
		}
		return w.fail(ctx, job, log, errors.New(msg))
	}
	prog.set("upload", "uploading to Supabase", pctGlint)
	step("upload")

	// Upload.
	rep, err := upload.Upload(ctx, dir, w.cfg.Supabase, event.Serialise(prog.sink))
	if err != nil {
		return w.fail(ctx, job, log, classifyUpload(err))
	}
	prog.stop()

	cv, golden, err := resultWithURLs(dir, args.ScanID, rep)
	if err != nil {
		return w.fail(ctx, job, log, err)
	}
	msg := fmt.Sprintf("done: %d frames, %d golden frames", len(res.Frames), len(res.GoldenFrames))
	if res.Report != nil {
		msg += fmt.Sprintf(", damage score %.1f", res.DamageScore)
	}
	if err := w.complete(ctx, job, cv, golden, rep.ResultURL, msg, prog.chunksJSON()); err != nil {
		log.Warn("could not record the result", "error", err.Error())
		return w.fail(ctx, job, log, fmt.Errorf("record result: %w", err))
	}
	log.Info("job done", "seconds", time.Since(start).Seconds(), "frames", len(res.Frames),
		"uploaded", rep.Uploaded, "result_url", rep.ResultURL)
	return nil
}

// markRunning records that this worker took the job.
func (w *analyzeWorker) markRunning(ctx context.Context, job *river.Job[AnalyzeArgs]) error {
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, err := w.pool.Exec(wctx, `UPDATE analysis_jobs SET status = 'running', attempt = $2, worker = $3,
		started_at = coalesce(started_at, now()), updated_at = now(), error = NULL,
		frames_status = 'processing', cv_status = 'pending',
		progress_step = 'download', progress_message = 'downloading video', progress_percentage = 0, progress_chunks = NULL
		WHERE id = $1`, job.ID, job.Attempt, w.name)
	return err
}

// complete records the result and completes the River job in one
// transaction: the row says done exactly when River says completed.
func (w *analyzeWorker) complete(ctx context.Context, job *river.Job[AnalyzeArgs], cv, golden []byte, resultURL, msg string, chunks []byte) error {
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	tx, err := w.pool.Begin(wctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if _, err := tx.Exec(wctx, `UPDATE analysis_jobs SET status = 'done', frames_status = 'complete', cv_status = 'complete',
		progress_percentage = 100, progress_step = 'done', progress_message = $2, progress_chunks = $3,
		cv_results = $4, golden_frames = $5, result_url = $6, error = NULL, worker = $7,
		completed_at = now(), updated_at = now() WHERE id = $1`,
		job.ID, msg, chunks, cv, golden, resultURL, w.name); err != nil {
		return err
	}
	if _, err := river.JobCompleteTx[*riverpgxv5.Driver](wctx, tx, job); err != nil {
		return err
	}
	return tx.Commit(wctx)
}

// fail records a failed attempt and tells River what to do: cancel for bad
// input, hand back (no attempt used) when the worker is stopping, retry with
// backoff otherwise, and fail for good after the last attempt.
func (w *analyzeWorker) fail(ctx context.Context, job *river.Job[AnalyzeArgs], log *slog.Logger, err error) error {
	reason := oneLine(err.Error())
	dbctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	set := func(status, msg string) {
		_, uerr := w.pool.Exec(dbctx, `UPDATE analysis_jobs SET status = $2, error = $3, progress_message = $4,
			frames_status = CASE WHEN $2 = 'failed' THEN 'failed' ELSE frames_status END,
			completed_at = CASE WHEN $2 = 'failed' THEN now() ELSE completed_at END,
			updated_at = now() WHERE id = $1 AND status <> 'done'`, job.ID, status, nullIfEmpty(reason), msg)
		if uerr != nil {
			log.Warn("could not record the job's state", "status", status, "error", uerr.Error())
		}
	}
	switch {
	case isPermanent(err):
		set(StatusFailed, "failed: "+reason)
		log.Warn("job failed: bad input", "reason", reason)
		return river.JobCancel(errors.New(reason))
	case ctx.Err() != nil && w.stopping.Load():
		reason = ""
		set(StatusQueued, "handed back: the worker stopped; another worker will take it")
		log.Info("job handed back: worker stopping")
		// River makes a job that ends with its stop cancellation available
		// again at once, without counting the attempt.
		return fmt.Errorf("worker stopping: %w", ctx.Err())
	case job.Attempt >= job.MaxAttempts:
		set(StatusFailed, "failed: "+reason)
		log.Warn("job failed after its last attempt", "reason", reason, "attempts", job.Attempt)
		return errors.New(reason)
	default:
		set(StatusRetrying, fmt.Sprintf("attempt %d of %d failed; retrying", job.Attempt, job.MaxAttempts))
		log.Warn("job attempt failed; will retry", "reason", reason)
		return errors.New(reason)
	}
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// oneLine makes s a single line of reasonable length.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 500 {
		s = s[:497] + "..."
	}
	return s
}

// classifyUpload: network trouble, timeouts and server errors are transient;
// any other refusal is permanent.
func classifyUpload(err error) error {
	if errors.Is(err, upload.ErrNetwork) || errors.Is(err, upload.ErrServer) || errors.Is(err, upload.ErrTimeout) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return &PermanentError{Msg: "upload: " + err.Error()}
}

// isBadVideo reports engine errors caused by the video itself.
func isBadVideo(err error) bool {
	return errors.Is(err, video.ErrNotVideo) || errors.Is(err, video.ErrEmpty) || errors.Is(err, analysis.ErrTooFewFrames)
}

// resultWithURLs returns result.json as uploaded (file paths replaced by
// their public URLs) and the golden frames' URLs.
func resultWithURLs(dir, scanID string, rep *upload.Report) (cv, golden []byte, err error) {
	b, err := os.ReadFile(filepath.Join(dir, scan.ResultFile))
	if err != nil {
		return nil, nil, fmt.Errorf("read result: %w", err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, nil, fmt.Errorf("read result: %w", err)
	}
	v = replaceURLs(v, scanID, rep.URLs)
	cv, err = json.Marshal(v)
	if err != nil {
		return nil, nil, err
	}
	var urls []string
	if m, ok := v.(map[string]any); ok {
		if gf, ok := m["goldenFrames"].([]any); ok {
			for _, g := range gf {
				if s, ok := g.(string); ok {
					urls = append(urls, s)
				}
			}
		}
	}
	golden, err = json.Marshal(urls)
	return cv, golden, err
}

// replaceURLs replaces every string that names an uploaded file of the scan
// by its public URL.
func replaceURLs(v any, scanID string, urls map[string]string) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			if k == "video" {
				if m, ok := x.(map[string]any); ok {
					delete(m, "path") // the worker's temporary file
				}
			}
			t[k] = replaceURLs(x, scanID, urls)
		}
	case []any:
		for i, x := range t {
			t[i] = replaceURLs(x, scanID, urls)
		}
	case string:
		if u, ok := urls[scanID+"/"+t]; ok {
			return u
		}
	}
	return v
}
