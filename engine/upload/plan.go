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
	"sort"
	"strings"

	"github.com/dustin/go-humanize"

	"gradevault/engine/glint"
	"gradevault/engine/library"
	"gradevault/engine/report"
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
	URL         string // public URL
	// Uploaded reports that the bucket already holds this exact content
	// (same size and SHA-256, recorded in upload.json): it will be skipped.
	Uploaded bool

	generated bool // the uploaded result.json, built in memory
}

// plan is everything Upload needs to know before sending anything.
type plan struct {
	cfg        Config
	dir        string
	scanID     string
	objects    []Object // files, then result.json last
	resultJSON []byte   // the uploaded result.json (URLs instead of paths)
	golden     []string // golden frame URLs
	state      *library.UploadState
}

// Plan lists what Upload would send for the scan in scanDir, result.json
// last, with the bytes still to send (objects already uploaded with the same
// content are marked Uploaded and not counted). It needs the project URL,
// since the URLs are part of the uploaded result.json, but not the key.
func Plan(scanDir string, cfg Config) ([]Object, int64, error) {
	cfg, err := cfg.check(false)
	if err != nil {
		return nil, 0, err
	}
	p, err := makePlan(scanDir, cfg)
	if err != nil {
		return nil, 0, err
	}
	return p.objects, p.pending(), nil
}

func (p *plan) pending() int64 {
	var n int64
	for _, o := range p.objects {
		if !o.Uploaded {
			n += o.Size
		}
	}
	return n
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

func makePlan(dir string, cfg Config) (*plan, error) {
	s, err := library.Open(dir)
	if err != nil {
		return nil, err
	}
	id := s.ID()
	if err := library.ValidScanID(id); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrScan, err)
	}
	p := &plan{cfg: cfg, dir: dir, scanID: id, state: s.Upload}
	// Objects recorded for another project or bucket are not in this one.
	sameTarget := s.Upload.ProjectURL == cfg.URL && s.Upload.Bucket == cfg.Bucket

	r := s.Result
	seen := map[string]bool{}
	urls := map[string]string{} // relative path -> public URL
	add := func(rel string, optional bool) error {
		if rel == "" || seen[rel] {
			return nil
		}
		o, err := p.object(rel)
		if optional && errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		seen[rel] = true
		urls[rel] = o.URL
		if prev, ok := s.Upload.Objects[o.Path]; ok && sameTarget && prev.State == library.StateUploaded &&
			prev.Size == o.Size && prev.SHA256 == o.SHA256 {
			o.Uploaded = true
		}
		p.objects = append(p.objects, o)
		return nil
	}
	type ref struct {
		rel      string
		optional bool
	}
	var refs []ref
	required := func(rels ...string) {
		for _, r := range rels {
			refs = append(refs, ref{r, false})
		}
	}
	required(r.GoldenFrames...)
	for _, g := range r.GoldenFrameDetails {
		required(g.File)
	}
	if g := r.Report; g != nil {
		required(g.DefectMask, g.VarianceHeatmap, g.DefectOverlay)
		for _, region := range sortedRegions(g.RegionCrops) {
			crop := g.RegionCrops[region]
			required(crop)
			// The overlays are not referenced by result.json but sit next
			// to their crop: crops/{region}_overlay.png. Sent if present.
			if ext := path.Ext(crop); ext != "" {
				refs = append(refs, ref{strings.TrimSuffix(crop, ext) + "_overlay" + ext, true})
			}
		}
		required(g.GlintFrames...)
		required(g.RectifiedFrames...)
	}
	// The grading report, written just before (see writeReport).
	if writeReport(dir, cfg, id) == nil {
		refs = append(refs, ref{report.File, true})
	}
	for _, rf := range refs {
		if err := add(rf.rel, rf.optional); err != nil {
			return nil, err
		}
	}

	// The uploaded result.json: a copy whose file references are URLs.
	up, err := uploadedResult(r, urls)
	if err != nil {
		return nil, err
	}
	p.resultJSON = up
	for _, f := range r.GoldenFrames {
		p.golden = append(p.golden, urls[f])
	}
	sum := sha256.Sum256(up)
	ro := Object{
		Path:        id + "/" + scan.ResultFile,
		File:        scan.ResultFile,
		Size:        int64(len(up)),
		SHA256:      hex.EncodeToString(sum[:]),
		ContentType: TypeJSON,
		URL:         cfg.PublicURL(id + "/" + scan.ResultFile),
		generated:   true,
	}
	if prev, ok := s.Upload.Objects[ro.Path]; ok && sameTarget && prev.State == library.StateUploaded &&
		prev.Size == ro.Size && prev.SHA256 == ro.SHA256 {
		ro.Uploaded = true
	}
	p.objects = append(p.objects, ro)
	return p, nil
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

// sortedRegions lists the crop regions in report order, then any others.
func sortedRegions(crops map[string]string) []string {
	var out []string
	known := map[string]bool{}
	for _, r := range glint.RegionNames {
		known[r] = true
		if _, ok := crops[r]; ok {
			out = append(out, r)
		}
	}
	var extra []string
	for r := range crops {
		if !known[r] {
			extra = append(extra, r)
		}
	}
	sort.Strings(extra)
	return append(out, extra...)
}

// uploadedResult returns the result.json to upload: the local result with
// every uploaded file reference replaced by its public URL and the local
// video path reduced to its file name (it would reveal the user's folders).
func uploadedResult(local *scan.Result, urls map[string]string) ([]byte, error) {
	// Deep copy through JSON so the caller's result is left alone.
	data, err := json.Marshal(local)
	if err != nil {
		return nil, err
	}
	var r scan.Result
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, err
	}
	toURL := func(s string) string {
		if u, ok := urls[s]; ok {
			return u
		}
		return s
	}
	each := func(list []string) {
		for i := range list {
			list[i] = toURL(list[i])
		}
	}
	each(r.GoldenFrames)
	for i := range r.GoldenFrameDetails {
		r.GoldenFrameDetails[i].File = toURL(r.GoldenFrameDetails[i].File)
	}
	if g := r.Report; g != nil {
		g.DefectMask = toURL(g.DefectMask)
		g.VarianceHeatmap = toURL(g.VarianceHeatmap)
		g.DefectOverlay = toURL(g.DefectOverlay)
		for k, v := range g.RegionCrops {
			g.RegionCrops[k] = toURL(v)
		}
		each(g.GlintFrames)
		each(g.RectifiedFrames)
	}
	if r.Video.Path != "" {
		r.Video.Path = filepath.Base(r.Video.Path)
	}
	out, err := json.MarshalIndent(&r, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// writeReport writes the scan's report.pdf, with the public links it will
// have once uploaded, when there is none or result.json changed since it
// was written; an unchanged scan keeps its report (and it is not sent
// again: PDF bytes are not reproducible from run to run).
func writeReport(dir string, cfg Config, id string) error {
	st, err := os.Stat(filepath.Join(dir, scan.ResultFile))
	if err != nil {
		return err
	}
	if rs, err := os.Stat(filepath.Join(dir, report.File)); err == nil && !rs.ModTime().Before(st.ModTime()) {
		return nil
	}
	r, err := scan.ReadResult(dir)
	if err != nil {
		return err
	}
	links := &report.Links{Result: cfg.PublicURL(id + "/" + scan.ResultFile), Report: cfg.PublicURL(id + "/" + report.File)}
	for _, f := range r.GoldenFrames {
		links.Frames = append(links.Frames, cfg.PublicURL(id+"/"+f))
	}
	_, err = report.Write(dir, report.Options{Now: st.ModTime().UTC(), Links: links})
	return err
}
