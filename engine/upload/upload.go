package upload

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	postgrest "github.com/supabase-community/postgrest-go"
	storage_go "github.com/supabase-community/storage-go"
	supabase "github.com/supabase-community/supabase-go"

	"gradevault/engine/event"
	"gradevault/engine/library"
)

// JobsTable is the table the optional job update writes to.
const JobsTable = "analysis_jobs"

// ObjectResult is one object of a finished upload.
type ObjectResult struct {
	Path     string
	URL      string
	Size     int64
	Skipped  bool // already uploaded with the same content
	Attempts int  // requests made (0 if skipped)
}

// Report says what an upload did. On failure it describes what was done
// before the error.
type Report struct {
	ScanID    string
	Bucket    string
	ResultURL string            // public URL of the uploaded result.json
	URLs      map[string]string // object path -> public URL, for every object of the scan
	Objects   []ObjectResult    // in plan order, result.json last
	BytesSent int64             // bytes of the objects uploaded by this call
	Uploaded  int               // objects uploaded by this call
	Skipped   int               // objects already uploaded with the same content
	JobTable  bool              // the analysis_jobs row was updated by this call
}

// Upload sends the scan in scanDir to cfg's bucket: every referenced image
// at {scanId}/{relative path}, then {scanId}/result.json with URLs in place
// of paths, then (with cfg.JobTable) the analysis_jobs row. Objects already
// in the bucket with the same size and SHA-256 are skipped, so a second call
// after a failure sends only what is missing, and a call after success sends
// nothing. Progress goes to sink as event.Progress in bytes. upload.json
// records each object as it completes. Cancelling ctx stops promptly.
func Upload(ctx context.Context, scanDir string, cfg Config, sink event.Sink) (*Report, error) {
	cfg, err := cfg.normalised()
	if err != nil {
		return nil, err
	}
	u := &uploader{cfg: cfg, sink: sink}
	if u.cfg.sleep == nil {
		u.cfg.sleep = sleepTimer
	}
	p, err := makePlan(scanDir, cfg)
	if err != nil {
		return nil, u.sanitize(err)
	}
	u.plan = p
	rep, err := u.run(ctx)
	return rep, u.sanitize(err)
}

type uploader struct {
	cfg  Config
	sink event.Sink
	plan *plan

	mu      sync.Mutex // guards everything below and serialises sink calls
	state   *library.UploadState
	sent    int64
	total   int64
	results map[string]ObjectResult
}

func (u *uploader) run(ctx context.Context) (*Report, error) {
	p := u.plan
	rep := &Report{ScanID: p.scanID, Bucket: u.cfg.Bucket, URLs: map[string]string{}}
	u.results = map[string]ObjectResult{}

	// Start from the saved state, forgetting objects of another target or
	// no longer part of the scan.
	st := p.state.Clone()
	if st.ProjectURL != u.cfg.URL || st.Bucket != u.cfg.Bucket {
		st.Objects = map[string]library.ObjectState{}
		st.Job = nil
		st.ResultURL = ""
	}
	st.ProjectURL, st.Bucket = u.cfg.URL, u.cfg.Bucket
	keep := map[string]library.ObjectState{}
	var todo []Object
	var result Object
	for _, o := range p.objects {
		rep.URLs[o.Path] = o.URL
		if prev, ok := st.Objects[o.Path]; ok {
			keep[o.Path] = prev
		}
		if o.generated {
			result = o
			continue
		}
		if o.Uploaded {
			u.results[o.Path] = ObjectResult{Path: o.Path, URL: o.URL, Size: o.Size, Skipped: true}
		} else {
			todo = append(todo, o)
			u.total += o.Size
		}
	}
	if !result.Uploaded {
		u.total += result.Size
	} else {
		u.results[result.Path] = ObjectResult{Path: result.Path, URL: result.URL, Size: result.Size, Skipped: true}
	}
	st.Objects = keep
	jobWanted := u.cfg.JobTable
	resultSum := result.SHA256
	jobDone := st.Job != nil && st.Job.State == library.StateUploaded && st.Job.SHA256 == resultSum
	nothingToDo := len(todo) == 0 && result.Uploaded && (!jobWanted || jobDone)
	u.state = st

	finish := func(err error) (*Report, error) {
		for _, o := range p.objects {
			if r, ok := u.results[o.Path]; ok {
				rep.Objects = append(rep.Objects, r)
				if r.Skipped {
					rep.Skipped++
				} else {
					rep.Uploaded++
				}
			}
		}
		rep.BytesSent = u.sent
		if r, ok := u.results[result.Path]; ok {
			rep.ResultURL = r.URL
		}
		now := time.Now().UTC()
		u.mu.Lock()
		defer u.mu.Unlock()
		u.state.UpdatedAt = now
		switch {
		case err == nil:
			u.state.State = library.StateUploaded
			u.state.Error = ""
			u.state.ResultURL = result.URL
			if !nothingToDo || u.state.UploadedAt == nil {
				u.state.UploadedAt = &now
			}
		case ctx.Err() != nil:
			// Cancelled by the user: not a failure of the upload itself.
			u.state.State = library.StatePartial
			if len(u.state.Objects) == 0 {
				u.state.State = library.StateLocal
			}
			u.state.Error = "cancelled"
		default:
			u.state.State = library.StateFailed
			u.state.Error = u.redact(err.Error())
		}
		if nothingToDo && err == nil && p.state.State == library.StateUploaded {
			// Nothing changed: leave upload.json as it was.
			return rep, nil
		}
		if werr := library.WriteState(p.dir, u.state); werr != nil && err == nil {
			err = fmt.Errorf("record upload state: %w", werr)
		}
		return rep, err
	}
	if nothingToDo {
		u.emitTotal()
		return finish(nil)
	}

	u.mu.Lock()
	u.state.State = library.StatePartial
	if err := library.WriteState(p.dir, u.state); err != nil {
		u.mu.Unlock()
		return finish(fmt.Errorf("record upload state: %w", err))
	}
	u.mu.Unlock()
	u.emitTotal()

	// The first object goes alone: if the key or bucket is wrong, that
	// costs exactly one request instead of one per worker.
	if len(todo) > 0 {
		if err := u.send(ctx, todo[0]); err != nil {
			return finish(err)
		}
		todo = todo[1:]
	}
	if err := u.sendAll(ctx, todo); err != nil {
		return finish(err)
	}
	// result.json last, once every file it points at is in place.
	if !result.Uploaded {
		if err := u.send(ctx, result); err != nil {
			return finish(err)
		}
	}
	if jobWanted && !jobDone {
		if err := u.updateJob(ctx, resultSum); err != nil {
			return finish(err)
		}
		rep.JobTable = true
	}
	return finish(nil)
}

// sendAll uploads objs with cfg.Workers goroutines, each with its own
// client. The first error cancels the rest.
func (u *uploader) sendAll(ctx context.Context, objs []Object) error {
	if len(objs) == 0 {
		return nil
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	queue := make(chan Object)
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	workers := min(u.cfg.Workers, len(objs))
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for o := range queue {
				if err := u.send(ctx, o); err != nil {
					once.Do(func() { first = err; cancel(err) })
					return
				}
			}
		}()
	}
feed:
	for _, o := range objs {
		select {
		case queue <- o:
		case <-ctx.Done():
			break feed
		}
	}
	close(queue)
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}

// send uploads one object with retries and records the outcome.
func (u *uploader) send(ctx context.Context, o Object) error {
	var data []byte
	if o.generated {
		data = u.plan.resultJSON
	} else {
		var err error
		data, err = os.ReadFile(filepath.Join(u.plan.dir, filepath.FromSlash(o.File)))
		if err != nil {
			return fmt.Errorf("%w: %w", ErrScan, err)
		}
		if int64(len(data)) > u.cfg.MaxObjectBytes {
			return &Error{Op: "upload " + o.Path, Kind: ErrTooLarge, Msg: "the file grew beyond the upload limit"}
		}
	}
	sum := sha256.Sum256(data)
	o.Size, o.SHA256 = int64(len(data)), hex.EncodeToString(sum[:])

	attempts, err := u.retry(ctx, "upload "+o.Path, targetBucket, func(actx context.Context) (int, string, error) {
		return u.putObject(actx, o, data)
	})
	if err != nil && ctx.Err() != nil {
		// Cancelled (by the caller or because another object failed):
		// leave this object's record as it was.
		return ctx.Err()
	}
	u.finished(o, err)
	now := time.Now().UTC()
	rec := library.ObjectState{File: o.File, Size: o.Size, SHA256: o.SHA256, URL: o.URL}
	if err != nil {
		rec.State, rec.Error = library.StateFailed, u.redact(err.Error())
	} else {
		rec.State, rec.UploadedAt = library.StateUploaded, &now
	}
	u.mu.Lock()
	u.state.Objects[o.Path] = rec
	u.state.UpdatedAt = now
	werr := library.WriteState(u.plan.dir, u.state)
	if err == nil {
		u.results[o.Path] = ObjectResult{Path: o.Path, URL: o.URL, Size: o.Size, Attempts: attempts}
	}
	u.mu.Unlock()
	if err != nil {
		return err
	}
	if werr != nil {
		return fmt.Errorf("record upload state: %w", werr)
	}
	return nil
}

// retry runs call up to cfg.Attempts times, each bounded by cfg.Timeout,
// with exponential backoff between tries on network errors, timeouts and
// 5xx. It returns the number of requests made.
func (u *uploader) retry(ctx context.Context, op string, target targetKind, call func(context.Context) (int, string, error)) (int, error) {
	delay := u.cfg.Backoff
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, u.cfg.Timeout)
		status, msg, err := call(actx)
		var e *Error
		if err != nil || status < 200 || status >= 300 {
			e = u.classify(op, target, actx, status, msg, err)
		}
		cancel()
		if e == nil {
			return attempt, nil
		}
		if ctx.Err() != nil {
			return attempt, ctx.Err()
		}
		e.Attempts = attempt
		if !e.retryable() || attempt >= u.cfg.Attempts {
			return attempt, e
		}
		// Up to 25% jitter so parallel workers do not retry in lockstep.
		d := delay + time.Duration(rand.Int64N(int64(delay)/4+1))
		if !u.cfg.sleep(ctx.Done(), d) {
			return attempt, ctx.Err()
		}
		delay *= 2
	}
}

func sleepTimer(done <-chan struct{}, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-done:
		return false
	}
}

// putObject sends one object with supabase-go's storage client and returns
// the HTTP status, the server's message and the error, unclassified.
//
// storage-go v0.7.0 traps, and how this avoids them:
//   - UploadFile/UpdateFile write their options (content type, x-upsert,
//     cache control) into the client's shared header map, where they stay
//     for every later call and race with concurrent ones. Here every request
//     gets a fresh client whose headers are complete (Content-Type and
//     x-upsert for this object), so nothing leaks between calls or
//     goroutines.
//   - Its calls take no context and its http.Client has no timeout and
//     cannot be replaced. But Client.Do sends a request we build, so we
//     build it with http.NewRequestWithContext: the deadline and
//     cancellation then reach the connection (http.DefaultTransport
//     honours the request context), and nothing is left running.
//   - UploadFile wraps the body in a bufio.Reader, so uploads go out
//     chunked and the server cannot enforce its size limit. Our request
//     carries a Content-Length (sizes are also checked before uploading).
//   - Do's transport Adds (not Sets) the shared headers, so setting
//     Content-Type on the request would send two. The content type is
//     therefore only in the client's headers.
//   - Do returns the response with the error but has already read the body
//     into a StorageError without its status, and does not close it; the
//     status is recovered in classify and the body closed here.
func (u *uploader) putObject(ctx context.Context, o Object, data []byte) (int, string, error) {
	client, err := supabase.NewClient(u.cfg.URL, u.cfg.Key, &supabase.ClientOptions{Headers: map[string]string{
		"Content-Type": o.ContentType,
		"x-upsert":     "true",
	}})
	if err != nil {
		return 0, "", errors.New("create Supabase client")
	}
	body := &countingReader{r: bytes.NewReader(data)}
	body.add = func(n int64) { u.progress(n, o, body.n.Load(), event.FileSending) }
	target := u.cfg.URL + "/storage/v1/object/" + u.cfg.Bucket + "/" + o.Path
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, body)
	if err != nil {
		return 0, "", err
	}
	req.ContentLength = int64(len(data))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
	var out storage_go.FileUploadResponse
	resp, err := client.Storage.Do(req, &out)
	status := 0
	if resp != nil {
		status = resp.StatusCode
		if err != nil && resp.Body != nil {
			resp.Body.Close()
		}
	}
	if status < 200 || status >= 300 || err != nil {
		// Roll back the progress of the failed attempt.
		u.progress(-body.n.Load(), o, 0, event.FileSending)
	}
	return status, storageMessage(err), err
}

// countingReader reports bytes as the transport reads them (possibly from
// its own goroutine).
type countingReader struct {
	r   io.Reader
	n   atomic.Int64
	add func(int64)
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if n > 0 {
		c.n.Add(int64(n))
		c.add(int64(n))
	}
	return n, err
}

// progress records n more bytes sent (negative to roll back a failed
// attempt) and reports the total and object o's own state: sent bytes of
// it in this attempt.
func (u *uploader) progress(n int64, o Object, sent int64, state event.FileState) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.sent += n
	done := min(max(u.sent, 0), u.total)
	u.sink.Emit(event.Progress{Phase: event.PhaseUpload, Done: done, Total: u.total, Item: o.Path})
	u.sink.Emit(event.FileProgress{Path: o.Path, Sent: sent, Size: o.Size, State: state})
}

// emitTotal reports the overall progress alone.
func (u *uploader) emitTotal() {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.sink.Emit(event.Progress{Phase: event.PhaseUpload, Done: min(max(u.sent, 0), u.total), Total: u.total})
}

// finished reports object o as stored or given up on.
func (u *uploader) finished(o Object, err error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	fp := event.FileProgress{Path: o.Path, Sent: o.Size, Size: o.Size, State: event.FileDone}
	if err != nil {
		fp.Sent, fp.State, fp.Err = 0, event.FileFailed, u.redact(err.Error())
	}
	u.sink.Emit(fp)
}

// updateJob upserts the analysis_jobs row for the scan.
//
// supabase-go keeps its PostgREST client private, so its transport (and a
// timeout) cannot be set through it; the row is written with postgrest-go,
// the client supabase-go wraps, whose Transport.Parent lets every request
// carry our context and lets us see the HTTP status.
func (u *uploader) updateJob(ctx context.Context, resultSum string) error {
	row := map[string]any{
		"id":                  u.plan.scanID,
		"golden_frames":       u.plan.golden,
		"cv_results":          json.RawMessage(u.plan.resultJSON),
		"frames_status":       "complete",
		"cv_status":           "complete",
		"progress_percentage": 100,
	}
	_, err := u.retry(ctx, "update "+JobsTable, targetTable, func(actx context.Context) (int, string, error) {
		rt := &statusTransport{ctx: actx}
		client := postgrest.NewClient(u.cfg.URL+"/rest/v1", "public", map[string]string{
			"apikey":        u.cfg.Key,
			"Authorization": "Bearer " + u.cfg.Key,
		})
		client.Transport.Parent = rt
		_, _, err := client.From(JobsTable).Upsert(row, "id", "minimal", "").Execute()
		status := rt.status()
		if err != nil && status >= 200 && status < 300 {
			return status, "", err
		}
		if err != nil {
			return status, err.Error(), err
		}
		return status, "", nil
	})
	now := time.Now().UTC()
	u.mu.Lock()
	defer u.mu.Unlock()
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		u.state.Job = &library.JobState{State: library.StateFailed, Error: u.redact(err.Error()), UpdatedAt: &now}
		return err
	}
	u.state.Job = &library.JobState{State: library.StateUploaded, SHA256: resultSum, UpdatedAt: &now}
	return nil
}

// statusTransport gives postgrest-go's requests a context and records the
// status of the last response.
type statusTransport struct {
	ctx  context.Context
	mu   sync.Mutex
	code int
}

func (t *statusTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req.WithContext(t.ctx))
	if resp != nil {
		t.mu.Lock()
		t.code = resp.StatusCode
		t.mu.Unlock()
	}
	return resp, err
}

func (t *statusTransport) status() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.code
}

// sanitize makes sure no error leaving the package contains the key.
func (u *uploader) sanitize(err error) error {
	if err == nil || u.cfg.Key == "" {
		return err
	}
	if msg := err.Error(); msg != u.redact(msg) {
		return errors.New(u.redact(msg))
	}
	return err
}
