package fakestorage

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"sort"
	"strings"
	"time"
)

// The read side of the Storage API beyond upload and public GET, as
// supabase/storage v1.70.6 answers it.

// SetPublic makes a bucket public or private.
func (s *Server) SetPublic(bucketName string, public bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b := s.buckets[bucketName]; b != nil {
		b.public = public
	}
}

// AllowAnonInsert gives the anon role a policy that lets it upload to the
// bucket and nothing more (no listing, no bucket details, no signing).
func (s *Server) AllowAnonInsert(bucketName string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b := s.buckets[bucketName]; b != nil {
		b.anonInsert = true
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// lookup returns the bucket, or nil.
func (s *Server) lookup(name string) *bucket {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buckets[name]
}

// bucketInfo: GET /bucket/{id}. Row-level security hides buckets from keys
// without a policy, which then read "Bucket not found".
func (s *Server) bucketInfo(w http.ResponseWriter, r *http.Request) {
	role := s.checkKey(w, r, true)
	if role == "" {
		return
	}
	name := r.PathValue("bucket")
	b := s.lookup(name)
	if b == nil || role != "service_role" {
		storageError(w, 404, "Bucket not found", "Bucket not found", "NoSuchBucket")
		return
	}
	s.mu.Lock()
	info := map[string]any{
		"id": name, "name": name, "owner": "", "public": b.public,
		"file_size_limit": nil, "allowed_mime_types": nil,
		"created_at": "2026-11-01T00:00:00.000Z", "updated_at": "2026-11-01T00:00:00.000Z",
	}
	if b.maxSize > 0 {
		info["file_size_limit"] = b.maxSize
	}
	s.mu.Unlock()
	writeJSON(w, info)
}

// objectInfo is one row of a listing.
func objectInfo(name string, o *Object) map[string]any {
	sum := md5.Sum(o.Data)
	ts := o.Updated.UTC().Format("2006-01-02T15:04:05.000Z")
	return map[string]any{
		"name": name, "id": o.ID, "updated_at": ts, "created_at": ts, "last_accessed_at": ts,
		"metadata": map[string]any{
			"eTag": `"` + hex.EncodeToString(sum[:]) + `"`, "size": len(o.Data), "mimetype": o.ContentType,
			"cacheControl": "max-age=3600", "lastModified": ts, "contentLength": len(o.Data), "httpStatusCode": 200,
		},
	}
}

// list: POST /object/list/{bucket} with {prefix, limit, offset, search}.
// Like storage.search(): the prefix is a folder ("a/b" means "a/b/"); the
// answer holds the files directly in it and one row per sub-folder (id and
// metadata null), names relative to the prefix, sorted by name. An unknown
// bucket, or a key without a select policy, lists nothing.
func (s *Server) list(w http.ResponseWriter, r *http.Request) {
	role := s.checkKey(w, r, true)
	if role == "" {
		return
	}
	var body struct {
		Prefix *string `json:"prefix"`
		Limit  int     `json:"limit"`
		Offset int     `json:"offset"`
		Search string  `json:"search"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Prefix == nil {
		storageError(w, 400, "Error", "body must have required property 'prefix'", "InvalidRequest")
		return
	}
	prefix := *body.Prefix
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	if body.Limit <= 0 {
		body.Limit = 100
	}
	rows := []map[string]any{}
	b := s.lookup(r.PathValue("bucket"))
	if b != nil && role == "service_role" {
		s.mu.Lock()
		folders := map[string]bool{}
		var names []string
		files := map[string]*Object{}
		for p, o := range b.objects {
			rest, ok := strings.CutPrefix(p, prefix)
			if !ok || !strings.HasPrefix(rest, body.Search) {
				continue
			}
			if dir, _, isDir := strings.Cut(rest, "/"); isDir {
				if !folders[dir] {
					folders[dir] = true
					names = append(names, dir)
				}
				continue
			}
			names = append(names, rest)
			files[rest] = o
		}
		sort.Strings(names)
		for _, n := range names {
			if o := files[n]; o != nil && !folders[n] {
				rows = append(rows, objectInfo(n, o))
			} else {
				rows = append(rows, map[string]any{"name": n, "id": nil, "updated_at": nil, "created_at": nil,
					"last_accessed_at": nil, "metadata": nil})
			}
		}
		s.mu.Unlock()
	}
	if body.Offset >= len(rows) {
		rows = rows[:0]
	} else {
		rows = rows[body.Offset:]
	}
	if len(rows) > body.Limit {
		rows = rows[:body.Limit]
	}
	writeJSON(w, rows)
}

// remove: DELETE /object/{bucket} with {prefixes: [paths]}; answers the
// rows deleted (missing paths are left out).
func (s *Server) remove(w http.ResponseWriter, r *http.Request) {
	role := s.checkKey(w, r, true)
	if role == "" {
		return
	}
	var body struct {
		Prefixes []string `json:"prefixes"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || len(body.Prefixes) == 0 {
		storageError(w, 400, "Error", "body/prefixes must NOT have fewer than 1 items", "InvalidRequest")
		return
	}
	name := r.PathValue("bucket")
	b := s.lookup(name)
	if b == nil {
		storageError(w, 404, "Bucket not found", "Bucket not found", "NoSuchBucket")
		return
	}
	rows := []map[string]any{}
	if role == "service_role" {
		s.mu.Lock()
		for _, p := range body.Prefixes {
			if o := b.objects[p]; o != nil {
				row := objectInfo(p, o)
				row["bucket_id"] = name
				rows = append(rows, row)
				delete(b.objects, p)
			}
		}
		s.mu.Unlock()
	}
	writeJSON(w, rows)
}

// signToken makes the token of a signed URL: an HS256 JWT whose "url" is
// bucket/path.
func (s *Server) signToken(bucketPath string, expiresIn int) string {
	now := time.Now()
	return SignJWT(s.Secret, map[string]any{"url": bucketPath, "iat": now.Unix(), "exp": now.Add(time.Duration(expiresIn) * time.Second).Unix()})
}

// signedPath is the signedURL the server answers: relative to /storage/v1.
func signedPath(bucketName, path, token string) string {
	return "/object/sign/" + bucketName + "/" + path + "?token=" + token
}

// sign: POST /object/sign/{bucket}/{path} with {expiresIn}.
func (s *Server) sign(w http.ResponseWriter, r *http.Request) {
	role := s.checkKey(w, r, true)
	if role == "" {
		return
	}
	var body struct {
		ExpiresIn int `json:"expiresIn"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.ExpiresIn < 1 {
		storageError(w, 400, "Error", "body/expiresIn must be >= 1", "InvalidRequest")
		return
	}
	name, path := r.PathValue("bucket"), r.PathValue("path")
	b := s.lookup(name)
	s.mu.Lock()
	exists := b != nil && b.objects[path] != nil && role == "service_role"
	s.mu.Unlock()
	if !exists {
		storageError(w, 404, "not_found", "Object not found", "NoSuchKey")
		return
	}
	writeJSON(w, map[string]string{"signedURL": signedPath(name, path, s.signToken(name+"/"+path, body.ExpiresIn))})
}

// signMany: POST /object/sign/{bucket} with {expiresIn, paths}; one row per
// path, with an error for those that do not exist.
func (s *Server) signMany(w http.ResponseWriter, r *http.Request) {
	role := s.checkKey(w, r, true)
	if role == "" {
		return
	}
	var body struct {
		ExpiresIn int      `json:"expiresIn"`
		Paths     []string `json:"paths"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.ExpiresIn < 1 || len(body.Paths) == 0 {
		storageError(w, 400, "Error", "body must have expiresIn >= 1 and paths", "InvalidRequest")
		return
	}
	name := r.PathValue("bucket")
	b := s.lookup(name)
	rows := []map[string]any{}
	for _, p := range body.Paths {
		s.mu.Lock()
		exists := b != nil && b.objects[p] != nil && role == "service_role"
		s.mu.Unlock()
		if exists {
			rows = append(rows, map[string]any{"error": nil, "path": p, "signedURL": signedPath(name, p, s.signToken(name+"/"+p, body.ExpiresIn))})
		} else {
			rows = append(rows, map[string]any{"error": "Either the object does not exist or you do not have access to it", "path": p, "signedURL": nil})
		}
	}
	writeJSON(w, rows)
}

// signedGet: GET /object/sign/{bucket}/{path}?token=…
func (s *Server) signedGet(w http.ResponseWriter, r *http.Request) {
	name, path := r.PathValue("bucket"), r.PathValue("path")
	token := r.URL.Query().Get("token")
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		storageError(w, 400, "InvalidJWT", "jwt malformed", "InvalidJWT")
		return
	}
	mac := hmac.New(sha256.New, s.Secret)
	mac.Write([]byte(parts[0] + "." + parts[1]))
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var claims struct {
		URL string `json:"url"`
		Exp int64  `json:"exp"`
	}
	switch {
	case !hmac.Equal(sig, mac.Sum(nil)) || json.Unmarshal(payload, &claims) != nil:
		storageError(w, 400, "InvalidJWT", "invalid signature", "InvalidJWT")
		return
	case time.Now().Unix() > claims.Exp:
		storageError(w, 400, "InvalidJWT", "jwt expired", "InvalidJWT")
		return
	case claims.URL != name+"/"+path:
		storageError(w, 400, "InvalidSignature", "The url do not match the signature", "InvalidSignature")
		return
	}
	b := s.lookup(name)
	s.mu.Lock()
	var o *Object
	if b != nil && b.objects[path] != nil {
		c := *b.objects[path]
		o = &c
	}
	s.mu.Unlock()
	if o == nil {
		storageError(w, 404, "not_found", "Object not found", "NoSuchKey")
		return
	}
	w.Header().Set("Content-Type", o.ContentType)
	w.Write(o.Data)
}

// throttled reads at about rate bytes per second.
type throttled struct {
	r     io.ReadCloser
	rate  int64
	start time.Time
	n     int64
}

func (t *throttled) Read(p []byte) (int, error) {
	// Small reads, each waiting until the rate allows it.
	if chunk := max(t.rate/20, 512); int64(len(p)) > chunk {
		p = p[:chunk]
	}
	if due := t.start.Add(time.Duration(float64(t.n) / float64(t.rate) * float64(time.Second))); time.Until(due) > 0 {
		time.Sleep(time.Until(due))
	}
	n, err := t.r.Read(p)
	t.n += int64(n)
	return n, err
}

func (t *throttled) Close() error { return t.r.Close() }

// smallBufListener gives accepted connections a 16 KiB receive buffer.
type smallBufListener struct{ net.Listener }

func (l smallBufListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok && err == nil {
		tc.SetReadBuffer(16 << 10)
	}
	return c, err
}
