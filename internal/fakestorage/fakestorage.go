// Package fakestorage is a local stand-in for a Supabase project in tests:
// the Storage API under /storage/v1 (upload, public and signed GET,
// bucket info, list, delete, signed URLs) and PostgREST's upsert for
// /rest/v1/analysis_jobs, answering the way the real servers do (see
// SUPABASE.md and supabase/storage v1.70.6): every Storage error is HTTP
// 400 with the real status as a string in the JSON body; a private bucket's
// public URL answers "Bucket not found"; listing an unknown bucket, or
// with a key that row-level security hides everything from, gives an empty
// list. Keys are HS256 JWTs signed with the server's secret and verified
// with crypto/hmac. Faults (5xx, hangs, stalls, slow links, connection
// resets, gateway 401s) can be injected per path.
package fakestorage

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Fault is a failure the server can be told to produce.
type Fault int

// Faults.
const (
	// Fault500 answers HTTP 500 with a non-JSON body, as a gateway would.
	Fault500 Fault = iota + 1
	// Fault503 answers HTTP 503 with a non-JSON body.
	Fault503
	// FaultHang reads the request and never answers (until the client
	// gives up or the server closes).
	FaultHang
	// FaultReset reads a few bytes of the body, then resets the connection.
	FaultReset
	// Fault401 answers HTTP 401 {"message":"Invalid API key"}, as the API
	// gateway does for an unknown key.
	Fault401
	// FaultEcho answers a Storage error whose message repeats the request's
	// Authorization header, to check that clients never show it.
	FaultEcho
	// FaultStall reads the first 16 KiB of the body, then stops reading
	// and never answers: bytes stop moving mid-upload.
	FaultStall
)

// Request is what the server saw of one request.
type Request struct {
	Method        string
	Path          string
	Query         string
	ContentType   string // first Content-Type header
	ContentTypes  int    // number of Content-Type headers
	Upsert        string // x-upsert header
	Prefer        string
	ContentLength int64 // -1 when the body was chunked
	HasAPIKey     bool
	HasBearer     bool
	Fault         Fault // the fault injected into this request, if any
}

// Object is a stored object.
type Object struct {
	Data        []byte
	ContentType string
	ID          string
	Updated     time.Time
}

type bucket struct {
	public  bool
	maxSize int64
	objects map[string]*Object
	// anonInsert: a row-level security policy lets the anon role insert
	// (and upsert) objects, but nothing else: it cannot list, read bucket
	// details or sign URLs.
	anonInsert bool
}

type fault struct {
	match string
	kind  Fault
	times int
}

type slow struct {
	match string
	rate  int64 // bytes per second
	times int
}

// Server is a fake Supabase project. Its URL is the project URL.
type Server struct {
	*httptest.Server
	// Secret signs and verifies keys.
	Secret []byte

	mu       sync.Mutex
	buckets  map[string]*bucket
	jobs     map[string]map[string]any
	requests []Request
	faults   []*fault
	slows    []*slow
	closing  chan struct{}
	once     sync.Once
	// jobIDsBigint: analysis_jobs is gradevault-worker's table, keyed by
	// River's bigint job ids (see WorkerJobTable).
	jobIDsBigint bool
}

// WorkerJobTable makes analysis_jobs the table gradevault-worker's migrate
// creates: its id is a bigint, so a row keyed by a scan id is refused the
// way PostgreSQL refuses it (HTTP 400, code 22P02).
func (s *Server) WorkerJobTable() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.jobIDsBigint = true
}

// DefaultBucket is created public by New.
const DefaultBucket = "analysis-images"

// New starts a server with a public bucket "analysis-images" and a random
// secret; it is closed when the test ends.
func New(tb testing.TB) *Server {
	tb.Helper()
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		tb.Fatal(err)
	}
	s := &Server{
		Secret:  secret,
		buckets: map[string]*bucket{},
		jobs:    map[string]map[string]any{},
		closing: make(chan struct{}),
	}
	s.CreateBucket(DefaultBucket, true, 0)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /storage/v1/object/{bucket}/{path...}", s.upload)
	mux.HandleFunc("PUT /storage/v1/object/{bucket}/{path...}", s.upload)
	mux.HandleFunc("GET /storage/v1/object/public/{bucket}/{path...}", s.publicGet)
	mux.HandleFunc("GET /storage/v1/bucket/{bucket}", s.bucketInfo)
	mux.HandleFunc("POST /storage/v1/object/list/{bucket}", s.list)
	mux.HandleFunc("DELETE /storage/v1/object/{bucket}", s.remove)
	mux.HandleFunc("POST /storage/v1/object/sign/{bucket}/{path...}", s.sign)
	mux.HandleFunc("POST /storage/v1/object/sign/{bucket}", s.signMany)
	mux.HandleFunc("GET /storage/v1/object/sign/{bucket}/{path...}", s.signedGet)
	mux.HandleFunc("POST /rest/v1/{table}", s.restUpsert)
	s.Server = httptest.NewUnstartedServer(s.recorder(mux))
	// A small receive buffer, as on a real uplink where the kernel does not
	// queue megabytes: a throttled body then holds the client back at
	// about the throttle's rate instead of vanishing into socket buffers.
	s.Server.Listener = smallBufListener{s.Server.Listener}
	s.Server.Start()
	tb.Cleanup(s.Close)
	return s
}

// Close releases hanging handlers and stops the server.
func (s *Server) Close() {
	s.once.Do(func() {
		close(s.closing)
		s.Server.Close()
	})
}

// CreateBucket adds a bucket; maxSize 0 means no limit.
func (s *Server) CreateBucket(name string, public bool, maxSize int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buckets[name] = &bucket{public: public, maxSize: maxSize, objects: map[string]*Object{}}
}

// Slow makes the next times requests whose path contains match read their
// body at about rate bytes per second (then answer normally): a slow
// uplink whose bytes keep moving.
func (s *Server) Slow(match string, rate int64, times int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.slows = append(s.slows, &slow{match: match, rate: rate, times: times})
}

// Delete removes an object as if someone had deleted it on the server;
// it reports whether it existed.
func (s *Server) Delete(bucketName, path string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.buckets[bucketName]
	if b == nil || b.objects[path] == nil {
		return false
	}
	delete(b.objects, path)
	return true
}

// Put stores an object directly (not through the API), e.g. a leftover of
// an earlier upload.
func (s *Server) Put(bucketName, path string, data []byte, contentType string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b := s.buckets[bucketName]; b != nil {
		b.objects[path] = &Object{Data: data, ContentType: contentType, ID: newID(), Updated: time.Now()}
	}
}

// ClearFaults forgets every injected fault and slow link.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults, s.slows = nil, nil
}

// Fail makes the next times requests whose path contains match fail with f.
func (s *Server) Fail(match string, f Fault, times int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &fault{match: match, kind: f, times: times})
}

// Key returns a key for role ("service_role" or "anon") signed with the
// server's secret, valid for an hour.
func (s *Server) Key(role string) string {
	return SignJWT(s.Secret, map[string]any{"iss": "supabase-fake", "role": role, "exp": time.Now().Add(time.Hour).Unix()})
}

// SignJWT returns an HS256 JWT with claims signed with secret.
func SignJWT(secret []byte, claims map[string]any) string {
	enc := base64.RawURLEncoding
	header := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	body, _ := json.Marshal(claims)
	signing := header + "." + enc.EncodeToString(body)
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(signing))
	return signing + "." + enc.EncodeToString(mac.Sum(nil))
}

// Object returns a stored object.
func (s *Server) Object(bucketName, path string) (Object, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.buckets[bucketName]
	if b == nil || b.objects[path] == nil {
		return Object{}, false
	}
	o := *b.objects[path]
	o.Data = append([]byte(nil), o.Data...)
	return o, true
}

// Paths lists the object paths in a bucket, sorted.
func (s *Server) Paths(bucketName string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	if b := s.buckets[bucketName]; b != nil {
		for p := range b.objects {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// Requests returns every request seen so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Count is the number of requests with method whose path contains match.
func (s *Server) Count(method, match string) int {
	n := 0
	for _, r := range s.Requests() {
		if (method == "" || r.Method == method) && strings.Contains(r.Path, match) {
			n++
		}
	}
	return n
}

// ResetRequests forgets the requests seen so far.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
}

// Job returns a row of analysis_jobs.
func (s *Server) Job(id string) (map[string]any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	row, ok := s.jobs[id]
	return row, ok
}

// recorder logs each request and injects faults.
func (s *Server) recorder(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := Request{
			Method:        r.Method,
			Path:          r.URL.Path,
			Query:         r.URL.RawQuery,
			ContentType:   r.Header.Get("Content-Type"),
			ContentTypes:  len(r.Header.Values("Content-Type")),
			Upsert:        r.Header.Get("x-upsert"),
			Prefer:        r.Header.Get("Prefer"),
			ContentLength: r.ContentLength,
			HasAPIKey:     r.Header.Get("apikey") != "",
			HasBearer:     strings.HasPrefix(r.Header.Get("Authorization"), "Bearer "),
		}
		s.mu.Lock()
		for _, f := range s.faults {
			if f.times > 0 && strings.Contains(r.URL.Path, f.match) {
				f.times--
				rec.Fault = f.kind
				break
			}
		}
		var rate int64
		if rec.Fault == 0 {
			for _, sl := range s.slows {
				if sl.times > 0 && strings.Contains(r.URL.Path, sl.match) {
					sl.times--
					rate = sl.rate
					break
				}
			}
		}
		s.requests = append(s.requests, rec)
		s.mu.Unlock()
		if rate > 0 {
			r.Body = &throttled{r: r.Body, rate: rate, start: time.Now()}
		}
		switch rec.Fault {
		case Fault500, Fault503:
			io.Copy(io.Discard, r.Body)
			code := http.StatusInternalServerError
			if rec.Fault == Fault503 {
				code = http.StatusServiceUnavailable
			}
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(code)
			fmt.Fprintf(w, "<html><body>%d upstream error</body></html>", code)
		case FaultHang:
			io.Copy(io.Discard, r.Body)
			select {
			case <-r.Context().Done():
			case <-s.closing:
			}
		case FaultStall:
			io.CopyN(io.Discard, r.Body, 16<<10)
			select {
			case <-r.Context().Done():
			case <-s.closing:
			}
		case FaultReset:
			buf := make([]byte, 16)
			io.ReadFull(r.Body, buf)
			conn, _, err := http.NewResponseController(w).Hijack()
			if err != nil {
				panic(http.ErrAbortHandler)
			}
			if tc, ok := conn.(*net.TCPConn); ok {
				tc.SetLinger(0) // close with RST
			}
			conn.Close()
		case Fault401:
			io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"message":"Invalid API key"}`)
		case FaultEcho:
			io.Copy(io.Discard, r.Body)
			storageError(w, 403, "Unauthorized", "invalid token in "+r.Header.Get("Authorization"), "AccessDenied")
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// storageError answers the way Storage does: HTTP 400, status in the body.
func storageError(w http.ResponseWriter, status int, errName, msg, code string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusBadRequest)
	json.NewEncoder(w).Encode(map[string]string{
		"statusCode": fmt.Sprint(status), "error": errName, "message": msg, "code": code,
	})
}

// checkKey verifies the Authorization JWT; it returns the role, or writes
// the error and returns "".
func (s *Server) checkKey(w http.ResponseWriter, r *http.Request, storage bool) string {
	fail := func(msg string) string {
		if storage {
			storageError(w, 403, "Unauthorized", msg, "AccessDenied")
		} else {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			json.NewEncoder(w).Encode(map[string]string{"code": "PGRST301", "message": msg})
		}
		return ""
	}
	if r.Header.Get("apikey") == "" {
		// The API gateway answers this itself.
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"message":"No API key found in request"}`)
		return ""
	}
	auth := r.Header.Get("Authorization")
	if auth == "" {
		if storage {
			storageError(w, 400, "Error", "headers must have required property 'authorization'", "InvalidRequest")
			return ""
		}
		return fail("No authorization header")
	}
	token, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok {
		return fail("Invalid Compact JWS")
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return fail("Invalid Compact JWS")
	}
	enc := base64.RawURLEncoding
	hdr, err1 := enc.DecodeString(parts[0])
	payload, err2 := enc.DecodeString(parts[1])
	sig, err3 := enc.DecodeString(parts[2])
	if err1 != nil || err2 != nil || err3 != nil {
		return fail("Invalid Compact JWS")
	}
	var h struct{ Alg string }
	if json.Unmarshal(hdr, &h) != nil || h.Alg != "HS256" {
		return fail("Invalid Compact JWS")
	}
	mac := hmac.New(sha256.New, s.Secret)
	mac.Write([]byte(parts[0] + "." + parts[1]))
	if !hmac.Equal(sig, mac.Sum(nil)) {
		return fail("signature verification failed")
	}
	var claims struct {
		Role string  `json:"role"`
		Exp  float64 `json:"exp"`
	}
	if json.Unmarshal(payload, &claims) != nil {
		return fail("Invalid Compact JWS")
	}
	if claims.Exp != 0 && time.Now().Unix() > int64(claims.Exp) {
		return fail(`"exp" claim timestamp check failed`)
	}
	if claims.Role == "" {
		claims.Role = "anon"
	}
	return claims.Role
}

func (s *Server) upload(w http.ResponseWriter, r *http.Request) {
	role := s.checkKey(w, r, true)
	if role == "" {
		return
	}
	name, path := r.PathValue("bucket"), r.PathValue("path")
	s.mu.Lock()
	b := s.buckets[name]
	s.mu.Unlock()
	if b == nil {
		storageError(w, 404, "Bucket not found", "Bucket not found", "NoSuchBucket")
		return
	}
	if role != "service_role" && !b.anonInsert {
		storageError(w, 403, "Unauthorized", "new row violates row-level security policy", "AccessDenied")
		return
	}
	if n := len(r.Header.Values("Content-Type")); n != 1 {
		storageError(w, 400, "invalid_mime_type", fmt.Sprintf("expected one Content-Type header, got %d", n), "InvalidMimeType")
		return
	}
	if b.maxSize > 0 && r.ContentLength > b.maxSize {
		storageError(w, 413, "Payload too large", "The object exceeded the maximum allowed size", "EntityTooLarge")
		return
	}
	data, err := io.ReadAll(r.Body)
	if err != nil {
		return // connection gone
	}
	upsert := r.Header.Get("x-upsert") == "true"
	s.mu.Lock()
	defer s.mu.Unlock()
	old := b.objects[path]
	if old != nil && !upsert && r.Method == http.MethodPost {
		storageError(w, 409, "Duplicate", "The resource already exists", "KeyAlreadyExists")
		return
	}
	id := newID()
	if old != nil {
		id = old.ID
	}
	b.objects[path] = &Object{Data: data, ContentType: r.Header.Get("Content-Type"), ID: id, Updated: time.Now()}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]string{"Key": name + "/" + path, "Id": id})
}

func (s *Server) publicGet(w http.ResponseWriter, r *http.Request) {
	name, path := r.PathValue("bucket"), r.PathValue("path")
	s.mu.Lock()
	b := s.buckets[name]
	var o *Object
	if b != nil && b.public {
		o = b.objects[path]
	}
	if o != nil {
		c := *o
		o = &c
	}
	s.mu.Unlock()
	switch {
	case b == nil || !b.public:
		// The real server looks the bucket up with "public = true".
		storageError(w, 404, "Bucket not found", "Bucket not found", "NoSuchBucket")
	case o == nil:
		storageError(w, 404, "not_found", "Object not found", "NoSuchKey")
	default:
		w.Header().Set("Content-Type", o.ContentType)
		w.Write(o.Data)
	}
}

// restUpsert implements POST /rest/v1/analysis_jobs with
// Prefer: resolution=merge-duplicates (PostgREST's upsert).
func (s *Server) restUpsert(w http.ResponseWriter, r *http.Request) {
	if s.checkKey(w, r, false) == "" {
		return
	}
	pgError := func(status int, code, msg string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]string{"code": code, "message": msg})
	}
	if table := r.PathValue("table"); table != "analysis_jobs" {
		pgError(http.StatusNotFound, "42P01", fmt.Sprintf("relation \"public.%s\" does not exist", table))
		return
	}
	data, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	var rows []map[string]any
	if len(data) > 0 && data[0] == '[' {
		err = json.Unmarshal(data, &rows)
	} else {
		var row map[string]any
		err = json.Unmarshal(data, &row)
		rows = append(rows, row)
	}
	if err != nil {
		pgError(http.StatusBadRequest, "PGRST102", "Empty or invalid json")
		return
	}
	merge := strings.Contains(r.Header.Get("Prefer"), "resolution=merge-duplicates")
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, row := range rows {
		id, _ := row["id"].(string)
		if id == "" {
			pgError(http.StatusBadRequest, "23502", `null value in column "id" violates not-null constraint`)
			return
		}
		if _, err := strconv.ParseInt(id, 10, 64); s.jobIDsBigint && err != nil {
			pgError(http.StatusBadRequest, "22P02", fmt.Sprintf("invalid input syntax for type bigint: %q", id))
			return
		}
		old, exists := s.jobs[id]
		if exists && !merge {
			pgError(http.StatusConflict, "23505", `duplicate key value violates unique constraint "analysis_jobs_pkey"`)
			return
		}
		if old == nil {
			old = map[string]any{}
		}
		for k, v := range row {
			old[k] = v
		}
		s.jobs[id] = old
	}
	if strings.Contains(r.Header.Get("Prefer"), "return=representation") {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(rows)
		return
	}
	w.WriteHeader(http.StatusCreated)
}

func newID() string {
	b := make([]byte, 16)
	rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
