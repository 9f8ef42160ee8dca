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
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	postgrest "github.com/supabase-community/postgrest-go"
	storage_go "github.com/supabase-community/storage-go"
	supabase "github.com/supabase-community/supabase-go"

	"gradevault/engine/event"
	"gradevault/engine/library"
	"gradevault/engine/scan"
)

// JobsTable is the table the optional job update writes to.
const JobsTable = "analysis_jobs"

// ErrJobTable is wrapped by the error Upload returns when every file and
// result.json are in the bucket but the analysis_jobs row could not be
// updated (see JobError).
var ErrJobTable = errors.New("the " + JobsTable + " row was not updated")

// JobError is returned when the files are uploaded but the job row update
// failed: the upload itself succeeded (the report is complete and
// upload.json says uploaded); only the row is missing. errors.Is works
// with ErrJobTable and with the cause's sentinel (ErrUnauthorized, …).
type JobError struct {
	Err error
}

func (e *JobError) Error() string {
	return fmt.Sprintf("all files are uploaded, but the %s row was not updated: %v", JobsTable, e.Err)
}

// Unwrap returns ErrJobTable and the cause.
func (e *JobError) Unwrap() []error { return []error{ErrJobTable, e.Err} }

// Access says how the URLs of an upload can be read.
type Access string

// Accesses.
const (
	AccessPublic Access = "public" // public bucket: plain URLs anyone can open
	AccessSigned Access = "signed" // private bucket: signed URLs that expire (Report.LinksExpireAt)
	// AccessAuthenticated: private bucket and the key may not sign URLs;
	// the links need the project key (Authorization header) to be read.
	AccessAuthenticated Access = "authenticated"
)

// ObjectResult is one object of a finished upload.
type ObjectResult struct {
	Path     string
	URL      string
	Size     int64
	Skipped  bool // already on the server with the same content
	Attempts int  // requests made (0 if skipped)
}

// Report says what an upload did. On failure it describes what was done
// before the error.
type Report struct {
	ScanID    string
	Bucket    string
	ResultURL string            // URL of the uploaded result.json
	URLs      map[string]string // object path -> URL, for every object of the scan
	Objects   []ObjectResult    // in plan order, result.json last
	BytesSent int64             // bytes of the objects uploaded by this call
	Uploaded  int               // objects uploaded by this call
	Skipped   int               // objects already on the server with the same content
	// Resent counts objects upload.json recorded as uploaded that the
	// server no longer held (deleted there): they were sent again.
	Resent   int
	JobTable bool // the analysis_jobs row was updated by this call
	// Access says whether the URLs are public, signed (expiring at
	// LinksExpireAt) or need the key.
	Access        Access
	LinksExpireAt *time.Time
	// Deleted lists the objects under the scan's prefix that the new
	// result no longer references, removed after the upload succeeded.
	Deleted []string
	// Warnings are problems that did not fail the upload (stale objects
	// that could not be deleted, links that need the key).
	Warnings []string
}

// Upload sends the scan in scanDir to cfg's bucket: every file result.json
// references at {scanId}/{relative path}, then {scanId}/result.json with
// URLs in place of paths, then (with cfg.JobTable) the analysis_jobs row.
//
// Before skipping an object that upload.json records as uploaded with the
// same size and SHA-256, it lists the scan's prefix on the server: an
// object deleted there (or of another size) is sent again; cfg.Force sends
// everything. For a private bucket the URLs are signed for cfg.LinkExpiry
// (or, if the key may not sign, authenticated URLs that need the key).
// After result.json is up, objects under {scanId}/ that the new result no
// longer references are deleted. Progress goes to sink as event.Progress
// in bytes, never decreasing. upload.json records each object as it
// completes (atomically). Cancelling ctx stops promptly; cfg.Timeout is an
// idle timeout (no bytes moving), cfg.Deadline an optional overall limit.
//
// A failed job-row update returns a *JobError with a complete report: the
// files are up.
func Upload(ctx context.Context, scanDir string, cfg Config, sink event.Sink) (*Report, error) {
	cfg, err := cfg.normalised()
	if err != nil {
		return nil, err
	}
	if sink == nil {
		sink = func(event.Event) {}
	}
	u := &uploader{cfg: cfg, sink: sink, fileShown: map[string]int64{}}
	if u.cfg.sleep == nil {
		u.cfg.sleep = sleepTimer
	}
	p, err := makePlan(scanDir, cfg)
	if err != nil {
		return nil, u.sanitize(err)
	}
	u.plan = p
	if cfg.Deadline > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, cfg.Deadline, errDeadline)
		defer cancel()
	}
	rep, err := u.run(ctx)
	return rep, u.sanitize(err)
}

// errStalled and errDeadline are the causes of a request's or the whole
// upload's context ending because of the idle timeout or the deadline.
var (
	errStalled  = errors.New("stalled")
	errDeadline = errors.New("deadline reached")
)

type uploader struct {
	cfg  Config
	sink event.Sink
	plan *plan

	mu        sync.Mutex // guards everything below and serialises sink calls
	state     *library.UploadState
	sent      int64 // bytes of finished and in-flight objects (a failed try is taken back)
	shown     int64 // Done last reported: never decreases
	total     int64
	fileShown map[string]int64 // per object: bytes last reported
	results   map[string]ObjectResult
	changed   bool // something was sent, deleted or re-signed
	// reusedLinks: the signed URLs recorded in upload.json were reused.
	reusedLinks bool
}

func (u *uploader) run(ctx context.Context) (*Report, error) {
	p := u.plan
	rep := &Report{ScanID: p.scanID, Bucket: u.cfg.Bucket, URLs: map[string]string{}, Access: AccessPublic}
	u.results = map[string]ObjectResult{}

	// Start from the saved state, forgetting objects of another target or
	// no longer part of the scan.
	st := p.state.Clone()
	if !p.sameTarget {
		st.Objects = map[string]library.ObjectState{}
		st.Job = nil
		st.ResultURL = ""
		st.Access, st.LinksExpireAt = "", nil
	}
	st.ProjectURL, st.Bucket = u.cfg.URL, u.cfg.Bucket
	resultPath := p.scanID + "/" + scan.ResultFile
	keep := map[string]library.ObjectState{}
	for _, o := range p.files {
		if prev, ok := st.Objects[o.Path]; ok {
			keep[o.Path] = prev
		}
	}
	if prev, ok := st.Objects[resultPath]; ok {
		keep[resultPath] = prev
	}
	st.Objects = keep
	u.state = st
	var result Object
	var resultJSON []byte

	finish := func(err error) (*Report, error) {
		for _, o := range append(append([]Object(nil), p.files...), result) {
			if r, ok := u.results[o.Path]; ok {
				rep.Objects = append(rep.Objects, r)
				if r.Skipped {
					rep.Skipped++
				} else {
					rep.Uploaded++
					rep.BytesSent += r.Size
				}
			}
		}
		if r, ok := u.results[resultPath]; ok {
			rep.ResultURL = r.URL
		}
		var jobErr *JobError
		now := time.Now().UTC()
		u.mu.Lock()
		defer u.mu.Unlock()
		u.state.UpdatedAt = now
		switch {
		case err == nil || errors.As(err, &jobErr):
			// Every file and result.json are up (the job row is recorded
			// on its own in state.Job).
			u.state.State = library.StateUploaded
			u.state.Error = ""
			u.state.ResultURL = rep.ResultURL
			u.state.Access, u.state.LinksExpireAt = string(rep.Access), rep.LinksExpireAt
			if u.changed || u.state.UploadedAt == nil {
				u.state.UploadedAt = &now
			}
		case errors.Is(err, context.Canceled):
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
		if err == nil && !u.changed && p.state.State == library.StateUploaded && p.sameTarget {
			// Nothing changed: leave upload.json as it was.
			return rep, nil
		}
		if werr := library.WriteState(p.dir, u.state); werr != nil && err == nil {
			err = fmt.Errorf("record upload state: %w", werr)
		}
		return rep, err
	}

	// 1. The bucket: does it exist, is it public? One request, so a wrong
	// key or bucket costs exactly one.
	public, known, err := u.bucketPublic(ctx)
	if err != nil {
		return finish(err)
	}
	// 2. What the server holds under {scanId}/: upload.json alone is not
	// trusted (an object may have been deleted there).
	remote, err := u.listRemote(ctx)
	if err != nil {
		return finish(err)
	}
	// A key that may neither read the bucket's details nor list it (an
	// anon key under row-level security) sees an empty listing: nothing
	// can be verified, so everything is sent again.
	blind := !known && len(remote) == 0
	var todo []Object
	unverified := 0
	for _, o := range p.files {
		size, there := remote[o.Path]
		if !u.cfg.Force && o.Uploaded && there && (size == o.Size || size < 0) {
			u.results[o.Path] = ObjectResult{Path: o.Path, URL: o.URL, Size: o.Size, Skipped: true}
			continue
		}
		switch {
		case o.Uploaded && blind && !u.cfg.Force:
			unverified++
		case o.Uploaded && !there:
			rep.Resent++
		}
		todo = append(todo, o)
		u.total += o.Size
	}
	if unverified > 0 {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("the key may not list the bucket, so %d objects already uploaded could not be verified and were sent again", unverified))
	}
	// An estimate of result.json's size until its URLs are known.
	est, _, err := p.resultObject(publicURLs(p))
	if err != nil {
		return finish(err)
	}
	u.total += est.Size
	u.emitTotal()

	if len(todo) > 0 {
		u.mu.Lock()
		u.state.State = library.StatePartial
		err := library.WriteState(p.dir, u.state)
		u.mu.Unlock()
		if err != nil {
			return finish(fmt.Errorf("record upload state: %w", err))
		}
		// The first object goes alone: if the bucket refuses it, that
		// costs one request instead of one per worker.
		if err := u.send(ctx, todo[0], nil); err != nil {
			return finish(err)
		}
		if err := u.sendAll(ctx, todo[1:]); err != nil {
			return finish(err)
		}
	}

	// 3. The URLs: public, signed (private bucket) or authenticated. A key
	// that may not read the bucket's details learns its visibility from
	// the public URL of an object just uploaded (a scan without files
	// has none: result.json is probed once it is up).
	if !known && len(p.files) > 0 {
		if public, err = u.probePublic(ctx, p.files[0].Path); err != nil {
			return finish(err)
		}
	}
	urls := publicURLs(p)
	if !public {
		urls, err = u.privateURLs(ctx, rep)
		if err != nil {
			return finish(err)
		}
	}
	for _, o := range p.files {
		rep.URLs[o.Path] = urls[o.File]
		if r, ok := u.results[o.Path]; ok {
			r.URL = urls[o.File]
			u.results[o.Path] = r
		}
		u.mu.Lock()
		if rec, ok := u.state.Objects[o.Path]; ok && rec.URL != urls[o.File] {
			rec.URL = urls[o.File]
			u.state.Objects[o.Path] = rec
			u.changed = true
		}
		u.mu.Unlock()
	}

	// 4. result.json, once every file it points at is in place.
	result, resultJSON, err = p.resultObject(urls)
	if err != nil {
		return finish(err)
	}
	u.mu.Lock()
	u.total += result.Size - est.Size
	u.total = max(u.total, u.shown)
	u.mu.Unlock()
	size, there := remote[result.Path]
	if !u.cfg.Force && result.Uploaded && there && (size == result.Size || size < 0) {
		u.results[result.Path] = ObjectResult{Path: result.Path, URL: result.URL, Size: result.Size, Skipped: true}
		u.mu.Lock()
		u.total = max(u.total-result.Size, u.shown)
		u.mu.Unlock()
	} else {
		if result.Uploaded && !there && !blind {
			rep.Resent++
		}
		if err := u.send(ctx, result, resultJSON); err != nil {
			return finish(err)
		}
	}
	resultURL := result.URL
	resultSkipped := u.results[result.Path].Skipped
	settled := false // resultURL is final
	if !known && len(p.files) == 0 {
		if public, err = u.probePublic(ctx, result.Path); err != nil {
			return finish(err)
		}
		if !public {
			rep.Access = AccessAuthenticated // unless it can be signed below
			expires := time.Now().UTC().Add(u.cfg.LinkExpiry).Truncate(time.Second)
			signed, err := u.sign(ctx, []string{result.Path}, u.cfg.LinkExpiry)
			switch {
			case err == nil:
				rep.Access, rep.LinksExpireAt = AccessSigned, &expires
				resultURL, settled = signed[result.Path], true
			case !errors.Is(err, ErrUnauthorized):
				return finish(err)
			}
		}
	}
	switch {
	case settled:
	case rep.Access == AccessSigned && u.reusedLinks && resultSkipped && signedLink(st.ResultURL):
		// The same result.json, and its recorded link is as valid as the
		// files' links.
		resultURL = st.ResultURL
	case rep.Access == AccessSigned:
		signed, err := u.sign(ctx, []string{result.Path}, u.cfg.LinkExpiry)
		if err != nil {
			return finish(err)
		}
		resultURL = signed[result.Path]
	case rep.Access == AccessAuthenticated:
		resultURL = u.cfg.AuthenticatedURL(result.Path)
	}
	r := u.results[result.Path]
	r.URL = resultURL
	u.results[result.Path] = r
	rep.URLs[result.Path] = resultURL
	u.emitTotal()

	// 5. Objects of an earlier upload the new result no longer references.
	var stale []string
	wanted := map[string]bool{result.Path: true}
	for _, o := range p.files {
		wanted[o.Path] = true
	}
	for path := range remote {
		if !wanted[path] && strings.HasPrefix(path, p.scanID+"/") {
			stale = append(stale, path)
		}
	}
	if len(stale) > 0 {
		sort.Strings(stale)
		deleted, err := u.remove(ctx, stale)
		rep.Deleted = deleted
		if len(deleted) > 0 {
			u.changed = true
		}
		if err != nil {
			if errors.Is(err, context.Canceled) {
				return finish(err)
			}
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("could not delete %d objects the new result no longer uses: %v",
				len(stale)-len(deleted), u.redact(err.Error())))
		}
	}

	// 6. The job row.
	if u.cfg.JobTable {
		done := st.Job != nil && st.Job.State == library.StateUploaded && st.Job.SHA256 == result.SHA256
		if !done {
			if err := u.updateJob(ctx, resultJSON, urls, result.SHA256); err != nil {
				if errors.Is(err, context.Canceled) {
					return finish(err)
				}
				return finish(&JobError{Err: err})
			}
			rep.JobTable = true
			u.changed = true
		}
	}
	return finish(nil)
}

// publicURLs maps every file of the plan to its public URL.
func publicURLs(p *plan) map[string]string {
	urls := map[string]string{}
	for _, o := range p.files {
		urls[o.File] = o.URL
	}
	return urls
}

// signedLink reports whether url is a signed object link (Storage's
// /object/sign/ form), as upload.json records them for a private bucket.
func signedLink(url string) bool { return strings.Contains(url, "/object/sign/") }

// privateURLs gives the files of a private bucket URLs: signed ones valid
// for cfg.LinkExpiry (reusing those upload.json recorded if they are valid
// for at least half of that still), or, when the key may not sign,
// authenticated URLs that need the key. It sets rep.Access and
// rep.LinksExpireAt.
func (u *uploader) privateURLs(ctx context.Context, rep *Report) (map[string]string, error) {
	p := u.plan
	urls := map[string]string{}
	st := u.state
	if st.Access == string(AccessSigned) && st.LinksExpireAt != nil && time.Until(*st.LinksExpireAt) > u.cfg.LinkExpiry/2 {
		for _, o := range p.files {
			if rec, ok := st.Objects[o.Path]; ok && signedLink(rec.URL) {
				urls[o.File] = rec.URL
			}
		}
		if len(urls) == len(p.files) {
			rep.Access, rep.LinksExpireAt = AccessSigned, st.LinksExpireAt
			u.reusedLinks = true
			return urls, nil
		}
		clear(urls)
	}
	paths := make([]string, len(p.files))
	for i, o := range p.files {
		paths[i] = o.Path
	}
	expires := time.Now().UTC().Add(u.cfg.LinkExpiry).Truncate(time.Second)
	signed, err := u.sign(ctx, paths, u.cfg.LinkExpiry)
	switch {
	case err == nil:
		for _, o := range p.files {
			urls[o.File] = signed[o.Path]
		}
		rep.Access, rep.LinksExpireAt = AccessSigned, &expires
		u.changed = true
		return urls, nil
	case errors.Is(err, ErrUnauthorized):
		for _, o := range p.files {
			urls[o.File] = u.cfg.AuthenticatedURL(o.Path)
		}
		rep.Access = AccessAuthenticated
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("bucket %q is private and the key may not sign URLs: the links need the project key to be opened", u.cfg.Bucket))
		return urls, nil
	}
	return nil, err
}

// sendAll uploads objs with cfg.Workers goroutines, each with its own
// client. The first error cancels the rest.
func (u *uploader) sendAll(parent context.Context, objs []Object) error {
	if len(objs) == 0 {
		return nil
	}
	ctx, cancel := context.WithCancelCause(parent)
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
				if err := u.send(ctx, o, nil); err != nil {
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
	if parent.Err() != nil {
		return u.stopped(parent, "upload")
	}
	return nil
}

// send uploads one object (data, or the local file when data is nil) with
// retries and records the outcome in upload.json.
func (u *uploader) send(ctx context.Context, o Object, data []byte) error {
	if data == nil {
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
	if n := int64(len(data)); n != o.Size {
		// The file changed since it was planned: count what is sent.
		u.mu.Lock()
		u.total += n - o.Size
		u.total = max(u.total, u.shown)
		u.mu.Unlock()
	}
	o.Size, o.SHA256 = int64(len(data)), hex.EncodeToString(sum[:])

	attempts, err := u.retry(ctx, "upload "+o.Path, targetBucket, func(actx context.Context, touch func()) (int, string, error) {
		return u.putObject(actx, o, data, touch)
	})
	if err != nil && errors.Is(err, context.Canceled) {
		// Cancelled (by the caller or because another object failed):
		// leave this object's record as it was.
		return err
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
	if prev, ok := u.state.Objects[o.Path]; ok && err == nil && signedLink(prev.URL) {
		// A signed link names the path, not the bytes: the one given out
		// before still serves the object sent again, so its links and
		// result.json (which lists them) stay as they were, instead of
		// every link being signed anew.
		rec.URL = prev.URL
	}
	u.state.Objects[o.Path] = rec
	u.state.UpdatedAt = now
	u.changed = true
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

// retry runs call up to cfg.Attempts times, with exponential backoff
// between tries on network errors, stalls and 5xx. Each try is cancelled
// when no bytes have moved for cfg.Timeout: call reports movement with
// touch. It returns the number of requests made.
func (u *uploader) retry(ctx context.Context, op string, target targetKind, call func(ctx context.Context, touch func()) (int, string, error)) (int, error) {
	delay := u.cfg.Backoff
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithCancelCause(ctx)
		touch, stop := watch(actx, u.cfg.Timeout, func() { cancel(errStalled) })
		status, msg, err := call(actx, touch)
		stop()
		stalled := errors.Is(context.Cause(actx), errStalled)
		var e *Error
		if err != nil || status < 200 || status >= 300 {
			e = u.classify(op, target, stalled, status, msg, err)
		}
		cancel(nil)
		if e == nil {
			return attempt, nil
		}
		if ctx.Err() != nil {
			return attempt, u.stopped(ctx, op)
		}
		e.Attempts = attempt
		if !e.retryable() || attempt >= u.cfg.Attempts {
			return attempt, e
		}
		// Up to 25% jitter so parallel workers do not retry in lockstep.
		d := delay + time.Duration(rand.Int64N(int64(delay)/4+1))
		if !u.cfg.sleep(ctx.Done(), d) {
			return attempt, u.stopped(ctx, op)
		}
		delay *= 2
	}
}

// stopped is the error of a request cut short because ctx ended: the
// caller's cancellation (context.Canceled), or the overall deadline.
func (u *uploader) stopped(ctx context.Context, op string) error {
	if errors.Is(context.Cause(ctx), errDeadline) {
		return &Error{Op: op, Kind: ErrTimeout, Msg: fmt.Sprintf("the upload did not finish within the %v deadline; run it again to send what is missing", u.cfg.Deadline)}
	}
	return ctx.Err()
}

// watch calls stall once no touch has happened for idle; stop ends the
// watch. touch may be called from any goroutine.
func watch(ctx context.Context, idle time.Duration, stall func()) (touch, stop func()) {
	var last atomic.Int64
	last.Store(time.Now().UnixNano())
	done := make(chan struct{})
	go func() {
		t := time.NewTimer(idle)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				quiet := time.Since(time.Unix(0, last.Load()))
				if quiet >= idle {
					stall()
					return
				}
				t.Reset(idle - quiet)
			}
		}
	}()
	var once sync.Once
	return func() { last.Store(time.Now().UnixNano()) }, func() { once.Do(func() { close(done) }) }
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
// the HTTP status, the server's message and the error, unclassified. touch
// is called whenever bytes of the body go out.
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
//     build it with http.NewRequestWithContext: the idle timeout and
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
func (u *uploader) putObject(ctx context.Context, o Object, data []byte, touch func()) (int, string, error) {
	client, err := supabase.NewClient(u.cfg.URL, u.cfg.Key, &supabase.ClientOptions{Headers: map[string]string{
		"Content-Type": o.ContentType,
		"x-upsert":     "true",
	}})
	if err != nil {
		return 0, "", errors.New("create Supabase client")
	}
	body := &countingReader{r: bytes.NewReader(data)}
	body.add = func(n int64) {
		touch()
		u.progress(n, o, body.n.Load())
	}
	// The transport reads the body into the socket's send buffer, which
	// can hold megabytes: on a slow link the last read happens long before
	// the server has the bytes. Watching the send queue drain tells a slow
	// link (still moving) from a stalled one.
	conns := make(chan net.Conn, 1)
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) {
		select {
		case conns <- info.Conn:
		default:
		}
	}})
	stopWatch := watchSendQueue(conns, u.cfg.Timeout, touch)
	defer stopWatch()
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
		// Take back the bytes of the failed try; what is shown does not
		// go back (it waits until the new try passes it).
		u.progress(-body.n.Load(), o, 0)
	}
	return status, storageMessage(err), err
}

// watchSendQueue calls touch whenever the send queue of the connection
// received on conns changes size (bytes left the machine), polling a few
// times per idle period, until stop is called.
func watchSendQueue(conns <-chan net.Conn, idle time.Duration, touch func()) (stop func()) {
	done := make(chan struct{})
	go func() {
		var c net.Conn
		select {
		case c = <-conns:
		case <-done:
			return
		}
		if tc, ok := c.(interface{ NetConn() net.Conn }); ok { // TLS
			c = tc.NetConn()
		}
		last, ok := sendQueue(c)
		if !ok {
			return
		}
		t := time.NewTicker(min(max(idle/5, 10*time.Millisecond), 500*time.Millisecond))
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				n, ok := sendQueue(c)
				if !ok {
					return
				}
				if n != last {
					last = n
					touch()
				}
			}
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(done) }) }
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

// progress records n more bytes sent (negative to take back a failed try)
// and reports the totals and object o's own progress (sent bytes of it in
// this try). Both reported values only grow: after a failed try they stay
// where they were until the new try passes them, so a progress bar never
// goes backwards.
func (u *uploader) progress(n int64, o Object, sent int64) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.sent += n
	if done := min(max(u.sent, 0), u.total); done > u.shown {
		u.shown = done
	}
	fileSent := max(u.fileShown[o.Path], min(sent, o.Size))
	u.fileShown[o.Path] = fileSent
	if n < 0 {
		return
	}
	u.sink.Emit(event.Progress{Phase: event.PhaseUpload, Done: u.shown, Total: u.total, Item: o.Path})
	u.sink.Emit(event.FileProgress{Path: o.Path, Sent: fileSent, Size: o.Size, State: event.FileSending})
}

// emitTotal reports the overall progress alone.
func (u *uploader) emitTotal() {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.sink.Emit(event.Progress{Phase: event.PhaseUpload, Done: u.shown, Total: u.total})
}

// finished reports object o as stored or given up on.
func (u *uploader) finished(o Object, err error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	fp := event.FileProgress{Path: o.Path, Sent: o.Size, Size: o.Size, State: event.FileDone}
	if err != nil {
		fp.Sent, fp.State, fp.Err = u.fileShown[o.Path], event.FileFailed, u.redact(err.Error())
	}
	u.sink.Emit(fp)
}

// updateJob upserts the analysis_jobs row for the scan.
//
// supabase-go keeps its PostgREST client private, so its transport (and a
// timeout) cannot be set through it; the row is written with postgrest-go,
// the client supabase-go wraps, whose Transport.Parent lets every request
// carry our context and lets us see the HTTP status.
func (u *uploader) updateJob(ctx context.Context, resultJSON []byte, urls map[string]string, resultSum string) error {
	var golden []string
	for _, f := range u.plan.result.GoldenFrames {
		golden = append(golden, urls[f])
	}
	row := map[string]any{
		"id":                  u.plan.scanID,
		"golden_frames":       golden,
		"cv_results":          json.RawMessage(resultJSON),
		"frames_status":       "complete",
		"cv_status":           "complete",
		"progress_percentage": 100,
	}
	_, err := u.retry(ctx, "update "+JobsTable, targetTable, func(actx context.Context, touch func()) (int, string, error) {
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
			return status, jobRowMessage(postgrestMessage(err)), err
		}
		return status, "", nil
	})
	now := time.Now().UTC()
	u.mu.Lock()
	defer u.mu.Unlock()
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return err
		}
		u.state.Job = &library.JobState{State: library.StateFailed, Error: u.redact(err.Error()), UpdatedAt: &now}
		return err
	}
	u.state.Job = &library.JobState{State: library.StateUploaded, SHA256: resultSum, UpdatedAt: &now}
	return nil
}

// jobRowMessage explains PostgreSQL's refusal of a scan id as the row's id:
// the table is gradevault-worker's, keyed by its bigint job ids (the
// original's table, which the desktop writes to, is keyed by scan id).
func jobRowMessage(msg string) string {
	if strings.Contains(msg, "code 22P02") && strings.Contains(msg, "bigint") {
		return JobsTable + " is gradevault-worker's table (keyed by job id, not scan id): the workers record their own jobs there; upload without the job table option"
	}
	return msg
}

// postgrestMessage turns postgrest-go's "(CODE) message" into "message
// (code CODE)", or just "message" when the answer had no code (a gateway's
// {"message":…} gave "() message").
func postgrestMessage(err error) string {
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, "("); ok {
		if code, text, ok := strings.Cut(rest, ") "); ok {
			if code = strings.TrimSpace(code); code != "" {
				return text + " (code " + code + ")"
			}
			return text
		}
	}
	return msg
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
