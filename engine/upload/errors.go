package upload

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"

	storage_go "github.com/supabase-community/storage-go"
)

// Sentinel errors callers can branch on with errors.Is. Upload failures are
// *Error values wrapping one of them.
var (
	// ErrUnauthorized: the key is wrong, expired, or not allowed to write
	// to the bucket (HTTP 401/403, or 403 in a storage error body).
	ErrUnauthorized = errors.New("Supabase refused the key")
	// ErrBucketNotFound: the bucket (or the table) does not exist.
	ErrBucketNotFound = errors.New("not found")
	// ErrTooLarge: a file is larger than the upload limit.
	ErrTooLarge = errors.New("file too large")
	// ErrServer: the server or its gateway failed (HTTP 5xx).
	ErrServer = errors.New("Supabase server error")
	// ErrNetwork: the server could not be reached or the connection broke.
	ErrNetwork = errors.New("network error")
	// ErrTimeout: a request stalled (no answer and no bytes moving for
	// Config.Timeout), or the upload passed Config.Deadline.
	ErrTimeout = errors.New("timed out")
	// ErrRejected: any other refusal (bad request, MIME type not allowed…).
	ErrRejected = errors.New("rejected by Supabase")
	// ErrScan: the scan folder cannot be uploaded as it is (missing or
	// unsafe file references, invalid scan ID).
	ErrScan = errors.New("scan folder not uploadable")
)

// Error is a failed request, with the server's answer turned into a
// sentence a grader can act on. It never contains the key.
type Error struct {
	Op       string // what was attempted, e.g. "upload scan-1/defect_mask.png"
	Kind     error  // one of the sentinel errors above
	Status   int    // HTTP status the server meant (from the error body when known); 0 if none
	Msg      string // explanation
	Attempts int    // requests made
}

func (e *Error) Error() string {
	s := e.Op + ": " + e.Msg
	if e.Attempts > 1 {
		s += fmt.Sprintf(" (after %d attempts)", e.Attempts)
	}
	return s
}

// Unwrap returns the sentinel.
func (e *Error) Unwrap() error { return e.Kind }

// retryable: network trouble and server errors are worth another try;
// refusals (4xx) are not, so a bad key costs one request, not a storm.
func (e *Error) retryable() bool {
	return e.Kind == ErrNetwork || e.Kind == ErrTimeout || e.Kind == ErrServer
}

type targetKind int

const (
	targetBucket targetKind = iota
	targetTable
)

// storageStatus recovers the status a Storage error body meant.
//
// The server answers every error with HTTP 400 and the real status as a
// string in "statusCode", but storage-go v0.7.0's StorageError decodes a
// field "status" (so Status is always 0) and drops "code": only "message"
// survives, and checkForError has already consumed the body. The messages
// below are the server's fixed texts (see SUPABASE.md).
func storageStatus(msg string) int {
	m := strings.ToLower(msg)
	has := func(subs ...string) bool {
		for _, s := range subs {
			if strings.Contains(m, s) {
				return true
			}
		}
		return false
	}
	switch {
	case has("signature verification failed", "invalid compact jws", "claim timestamp check failed",
		"row-level security", "jwt", "unauthorized", "invalid api key", "invalid authentication credentials",
		"permission denied", "access denied"):
		return http.StatusForbidden
	case has("required property 'authorization'"):
		return http.StatusUnauthorized
	case has("bucket not found", "object not found", "not found"):
		return http.StatusNotFound
	case has("already exists", "duplicate"):
		return http.StatusConflict
	case has("maximum allowed size", "payload too large", "too large"):
		return http.StatusRequestEntityTooLarge
	case has("mime type"):
		return http.StatusUnsupportedMediaType
	}
	return http.StatusBadRequest
}

// classify turns the outcome of one request into an *Error (nil on
// success). status is the HTTP status seen (0 if no response), serverMsg
// the server's message if any, err the transport or client error, stalled
// whether the idle timeout cut the request.
func (u *uploader) classify(op string, target targetKind, stalled bool, status int, serverMsg string, err error) *Error {
	e := &Error{Op: op, Status: status}
	detail := u.redact(strings.TrimSpace(serverMsg))
	withDetail := func(s string) string {
		if detail == "" {
			return s
		}
		return s + ": " + detail
	}
	switch {
	case status == 0 && err != nil:
		switch {
		case stalled || isTimeout(err):
			e.Kind = ErrTimeout
			e.Msg = fmt.Sprintf("no answer from %s and no bytes moving for %v (the idle timeout)", u.cfg.URL, u.cfg.Timeout)
		default:
			e.Kind = ErrNetwork
			e.Msg = fmt.Sprintf("cannot reach %s: %s", u.cfg.URL, u.redact(netDetail(err)))
		}
	case status >= 500:
		e.Kind = ErrServer
		e.Msg = withDetail(fmt.Sprintf("Supabase server error (HTTP %d)", status))
	case status == http.StatusBadRequest && detail != "" && target == targetBucket:
		// A Storage error body: recover the status it meant.
		e.Status = storageStatus(detail)
		fallthrough
	default:
		switch e.Status {
		case http.StatusUnauthorized, http.StatusForbidden:
			e.Kind = ErrUnauthorized
			if target == targetTable {
				e.Msg = withDetail(fmt.Sprintf("Supabase refused the key or the table's policy forbids this update (HTTP %d); check the key in settings", e.Status))
			} else {
				e.Msg = withDetail(fmt.Sprintf("Supabase refused the key or the bucket's policy forbids this upload (HTTP %d); check the key in settings", e.Status))
			}
		case http.StatusNotFound:
			e.Kind = ErrBucketNotFound
			if target == targetTable {
				e.Msg = withDetail(fmt.Sprintf("table %s not found in project %s (HTTP 404)", JobsTable, u.cfg.URL))
			} else {
				e.Msg = withDetail(fmt.Sprintf("bucket %q not found in project %s (HTTP 404); check the bucket name and the project URL", u.cfg.Bucket, u.cfg.URL))
			}
		case http.StatusRequestEntityTooLarge:
			e.Kind = ErrTooLarge
			e.Msg = withDetail("the file is larger than the bucket allows (HTTP 413)")
		case http.StatusConflict:
			e.Kind = ErrRejected
			e.Msg = withDetail("the object already exists and was not replaced (HTTP 409)")
		default:
			if err != nil && status >= 200 && status < 300 {
				e.Kind = ErrRejected
				e.Msg = "unexpected answer from the server: " + u.redact(err.Error())
				break
			}
			e.Kind = ErrRejected
			e.Msg = withDetail(fmt.Sprintf("Supabase rejected the request (HTTP %d)", e.Status))
		}
	}
	return e
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// netDetail strips the request URL from a transport error (url.Error
// repeats it) and keeps the cause, e.g. "connection refused".
func netDetail(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return err.Error()
}

// storageMessage extracts the message storage-go kept from an error body.
func storageMessage(err error) string {
	var se *storage_go.StorageError
	if errors.As(err, &se) {
		return se.Message
	}
	return ""
}

// redact removes the key from s, in case a server or library ever echoes it.
func (u *uploader) redact(s string) string {
	if u.cfg.Key != "" && strings.Contains(s, u.cfg.Key) {
		s = strings.ReplaceAll(s, u.cfg.Key, redacted)
	}
	return s
}
