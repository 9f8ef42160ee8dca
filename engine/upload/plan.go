package upload

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/dustin/go-humanize"

	"gradevault/engine/library"
	"gradevault/engine/scan"
)

// Content types of the objects.
const (
	TypePNG  = "image/png"
	TypeJSON = "application/json"
)

// Object is one file of a scan as it will be stored in the bucket.
type Object struct {
	Path        string // object path in the bucket: {scanId}/frames/golden_frame_01_f00123.png
	File        string // local file relative to the scan folder ("result.json" for the generated copy)
	Size        int64
	SHA256      string
	ContentType string
	URL         string // public URL (Upload's report has the signed one for a private bucket)
	// Uploaded reports that upload.json records this exact content (same
	// size and SHA-256) as uploaded to this bucket. Upload still checks
	// that the server holds it before skipping it.
	Uploaded bool

	generated bool // the uploaded result.json, built in memory
}

// plan is everything Upload needs to know before sending anything.
type plan struct {
	cfg    Config
	dir    string
	scanID string
	files  []Object // every file result.json references, in scan.Files order
	result *scan.Result
	state  *library.UploadState
	// sameTarget: upload.json describes this project and bucket.
	sameTarget bool
}

// Plan lists what Upload would send for the scan in scanDir, result.json
// last, with the bytes still to send by upload.json's record (objects
// recorded as uploaded with the same content are marked Uploaded and not
// counted; Upload verifies them with the server). It needs the project
// URL, since the URLs are part of the uploaded result.json, but not the key.
func Plan(scanDir string, cfg Config) ([]Object, int64, error) {
	cfg, err := cfg.check(false)
	if err != nil {
		return nil, 0, err
	}
	p, err := makePlan(scanDir, cfg)
	if err != nil {
		return nil, 0, err
	}
	urls := map[string]string{}
	for _, o := range p.files {
		urls[o.File] = o.URL
	}
	ro, _, err := p.resultObject(urls)
	if err != nil {
		return nil, 0, err
	}
	objs := append(append([]Object(nil), p.files...), ro)
	var pending int64
	for _, o := range objs {
		if !o.Uploaded {
			pending += o.Size
		}
	}
	return objs, pending, nil
}

var objectNamePattern = regexp.MustCompile(`^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$`)

func contentType(name string) string {
	switch strings.ToLower(path.Ext(name)) {
	case ".png":
		return TypePNG
	case ".jpg", ".jpeg":
		return "image/jpeg"
	case ".json":
		return TypeJSON
	case ".pdf":
		return "application/pdf"
	}
	return "application/octet-stream"
}

// makePlan reads the scan and describes every file its result references
// (scan.Files: the one list of a scan's files).
func makePlan(dir string, cfg Config) (*plan, error) {
	s, err := library.Open(dir)
	if err != nil {
		return nil, err
	}
	id := s.ID()
	if err := library.ValidScanID(id); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrScan, err)
	}
	p := &plan{cfg: cfg, dir: dir, scanID: id, result: s.Result, state: s.Upload}
	// Objects recorded for another project or bucket are not in this one.
	p.sameTarget = s.Upload.ProjectURL == cfg.URL && s.Upload.Bucket == cfg.Bucket
	for _, rel := range scan.Files(s.Result) {
		o, err := p.object(rel)
		if err != nil {
			return nil, err
		}
		o.Uploaded = p.recorded(o)
		p.files = append(p.files, o)
	}
	return p, nil
}

// recorded reports whether upload.json records o, with this content, as
// uploaded to this project and bucket.
func (p *plan) recorded(o Object) bool {
	prev, ok := p.state.Objects[o.Path]
	return ok && p.sameTarget && prev.State == library.StateUploaded && prev.Size == o.Size && prev.SHA256 == o.SHA256
}

// object checks one referenced file and describes it.
func (p *plan) object(rel string) (Object, error) {
	if !objectNamePattern.MatchString(rel) || !filepath.IsLocal(filepath.FromSlash(rel)) || rel == scan.ResultFile || rel == library.StateFile {
		return Object{}, fmt.Errorf("%w: result.json references %q, which is not a file inside the scan folder", ErrScan, rel)
	}
	file := filepath.Join(p.dir, filepath.FromSlash(rel))
	info, err := os.Lstat(file)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return Object{}, fmt.Errorf("%w: %s is referenced by result.json but missing: %w", ErrScan, rel, fs.ErrNotExist)
		}
		return Object{}, fmt.Errorf("%w: %w", ErrScan, err)
	}
	if !info.Mode().IsRegular() {
		return Object{}, fmt.Errorf("%w: %s is not a regular file", ErrScan, rel)
	}
	if info.Size() > p.cfg.MaxObjectBytes {
		return Object{}, &Error{Op: "upload " + rel, Kind: ErrTooLarge,
			Msg: fmt.Sprintf("the file is %s, more than the %s upload limit; nothing was uploaded",
				humanize.IBytes(uint64(info.Size())), humanize.IBytes(uint64(p.cfg.MaxObjectBytes)))}
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return Object{}, fmt.Errorf("%w: %w", ErrScan, err)
	}
	sum := sha256.Sum256(data)
	objPath := p.scanID + "/" + rel
	return Object{
		Path:        objPath,
		File:        rel,
		Size:        int64(len(data)),
		SHA256:      hex.EncodeToString(sum[:]),
		ContentType: contentType(rel),
		URL:         p.cfg.PublicURL(objPath),
	}, nil
}

// resultObject builds the uploaded result.json with urls (relative file
// path -> URL) in place of the file references, and describes it.
func (p *plan) resultObject(urls map[string]string) (Object, []byte, error) {
	data, err := uploadedResult(p.dir, p.result, urls)
	if err != nil {
		return Object{}, nil, err
	}
	sum := sha256.Sum256(data)
	o := Object{
		Path:        p.scanID + "/" + scan.ResultFile,
		File:        scan.ResultFile,
		Size:        int64(len(data)),
		SHA256:      hex.EncodeToString(sum[:]),
		ContentType: TypeJSON,
		URL:         p.cfg.PublicURL(p.scanID + "/" + scan.ResultFile),
		generated:   true,
	}
	o.Uploaded = p.recorded(o)
	return o, data, nil
}

// uploadedResult returns the result.json to upload: the local result with
// every file reference (scan.RewriteFiles: the same fields scan.Files
// lists) replaced by its URL, and the local video path reduced to its file
// name (it would reveal the user's folders). As a last guard it refuses to
// produce a document in which any string still names a file of the scan
// folder.
func uploadedResult(dir string, local *scan.Result, urls map[string]string) ([]byte, error) {
	// Deep copy through JSON so the caller's result is left alone.
	data, err := json.Marshal(local)
	if err != nil {
		return nil, err
	}
	var r scan.Result
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, err
	}
	var missing []string
	scan.RewriteFiles(&r, func(rel string) string {
		u, ok := urls[rel]
		if !ok {
			missing = append(missing, rel)
			return rel
		}
		return u
	})
	if len(missing) > 0 {
		return nil, fmt.Errorf("%w: no URL for %s", ErrScan, strings.Join(missing, ", "))
	}
	if r.Video.Path != "" {
		r.Video.Path = filepath.Base(r.Video.Path)
	}
	out, err := json.MarshalIndent(&r, "", "  ")
	if err != nil {
		return nil, err
	}
	if rel := localReference(dir, out); rel != "" {
		return nil, fmt.Errorf("%w: the uploaded result.json would still name the local file %s", ErrScan, rel)
	}
	return append(out, '\n'), nil
}

// localReference returns a string of the JSON document doc that names an
// analysis file of the scan folder in dir (scan.IsManaged), or "".
func localReference(dir string, doc []byte) string {
	var v any
	if json.Unmarshal(doc, &v) != nil {
		return ""
	}
	var found string
	var walk func(any)
	walk = func(v any) {
		switch t := v.(type) {
		case map[string]any:
			for _, x := range t {
				walk(x)
			}
		case []any:
			for _, x := range t {
				walk(x)
			}
		case string:
			if found == "" && objectNamePattern.MatchString(t) && scan.IsManaged(t) && filepath.IsLocal(filepath.FromSlash(t)) {
				if st, err := os.Stat(filepath.Join(dir, filepath.FromSlash(t))); err == nil && st.Mode().IsRegular() {
					found = t
				}
			}
		}
	}
	walk(v)
	return found
}
