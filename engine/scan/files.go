package scan

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"

	"gradevault/engine/event"
	"gradevault/engine/safefile"
)

// The scan folder policy: which result.json fields name files, the list of
// a scan's files, the removal of files a new result no longer references,
// and the cleanup after a failed or cancelled scan. The command line, the
// window and the upload all go through these functions, so a new file
// field is added in exactly one place (visitFiles).

// Folders and top-level files, relative to a scan folder, that the analysis
// owns: files in them that the current result does not reference are stale
// and may be deleted. Anything else in the folder (result.json, upload.json,
// a user's notes) is never touched.
var (
	managedDirs  = []string{FramesDir, "crops", "glint", "rectified"}
	managedFiles = []string{"defect_mask.png", "variance_heatmap.png", "defect_overlay.png"}
)

// stagingDir is where, inside a scan folder, the glint analysis writes its
// images until the new result is saved: a cancelled or failed run then
// never overwrites the images the previous result.json references.
const stagingDir = ".staging"

// save makes res the result of the scan in dir, unless ctx is cancelled:
// it moves the staged glint images into place, writes result.json and
// removes the files of the previous result that res no longer references.
// Only the moves and the result.json rename happen after the cancellation
// check, so an earlier analysis stays intact until then.
func save(ctx context.Context, dir string, res *Result, sink event.Sink) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	sink.Emit(event.PhaseChanged{Phase: event.PhaseSave})
	if res.Report != nil {
		staged := filepath.Join(dir, stagingDir)
		for _, rel := range Files(&Result{Report: res.Report}) {
			to := filepath.Join(dir, filepath.FromSlash(rel))
			if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
				return fmt.Errorf("save %s: %w", rel, err)
			}
			if err := os.Rename(filepath.Join(staged, filepath.FromSlash(rel)), to); err != nil {
				return fmt.Errorf("save %s: %w", rel, err)
			}
		}
	}
	if err := WriteResult(dir, res); err != nil {
		return err
	}
	os.RemoveAll(filepath.Join(dir, stagingDir))
	if err := RemoveStale(dir, res); err != nil {
		sink.Emit(event.Warning{Message: "could not remove files of the previous analysis: " + err.Error()})
	}
	return nil
}

// visitFiles calls fn with every file reference of r (a path relative to
// the scan folder, "/"-separated) and stores what fn returns in its place.
// It is the one place that knows which fields of result.json are files:
// Files lists them, the upload replaces them with URLs, RemoveStale keeps
// them. Maps are visited in key order so the order is stable. Empty
// references are skipped.
func visitFiles(r *Result, fn func(rel string) string) {
	one := func(p *string) {
		if *p != "" {
			*p = fn(*p)
		}
	}
	list := func(l []string) {
		for i := range l {
			one(&l[i])
		}
	}
	byKey := func(m map[string]string) {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			v := m[k]
			one(&v)
			m[k] = v
		}
	}
	list(r.GoldenFrames)
	for i := range r.GoldenFrameDetails {
		one(&r.GoldenFrameDetails[i].File)
	}
	if g := r.Report; g != nil {
		one(&g.DefectMask)
		one(&g.VarianceHeatmap)
		one(&g.DefectOverlay)
		byKey(g.RegionCrops)
		byKey(g.RegionOverlays)
		list(g.GlintFrames)
		list(g.RectifiedFrames)
	}
}

// Files lists every file result r references, relative to the scan folder
// ("/"-separated), each once, in a stable order: golden frames first, then
// the glint images. result.json and upload.json are not included.
func Files(r *Result) []string {
	if r == nil {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	visitFiles(r, func(rel string) string {
		if !seen[rel] {
			seen[rel] = true
			out = append(out, rel)
		}
		return rel
	})
	return out
}

// RewriteFiles replaces every file reference of r by fn(reference), in
// place; the upload uses it to turn paths into URLs on a copy of the result.
func RewriteFiles(r *Result, fn func(rel string) string) {
	if r != nil {
		visitFiles(r, fn)
	}
}

// RemoveStale deletes the files of the analysis in dir (the golden frames,
// the glint images, their folders) that result r does not reference, for
// example glint/golden_frame_05.png after a re-run with four frames. With a
// nil r every analysis file is removed. Files outside the analysis's
// folders and names, and temporary files of a write in progress, are left
// alone. It returns the first error but tries every file.
func RemoveStale(dir string, r *Result) error {
	keep := map[string]bool{}
	for _, f := range Files(r) {
		keep[path.Clean(f)] = true
	}
	var errs []error
	remove := func(rel string) {
		if keep[rel] {
			return
		}
		if err := os.Remove(filepath.Join(dir, filepath.FromSlash(rel))); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	for _, name := range managedFiles {
		remove(name)
	}
	for _, sub := range managedDirs {
		entries, err := os.ReadDir(filepath.Join(dir, sub))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		left := 0
		for _, e := range entries {
			if !e.Type().IsRegular() || safefile.IsTemp(e.Name()) {
				left++
				continue
			}
			remove(sub + "/" + e.Name())
			if keep[sub+"/"+e.Name()] {
				left++
			}
		}
		if left == 0 {
			os.Remove(filepath.Join(dir, sub)) // only if empty
		}
	}
	return errors.Join(errs...)
}

// IsManaged reports whether rel (relative to a scan folder,
// "/"-separated) is where the analysis writes its files, i.e. whether
// RemoveStale may delete it.
func IsManaged(rel string) bool {
	rel = path.Clean(rel)
	if slices.Contains(managedFiles, rel) {
		return true
	}
	d := path.Dir(rel)
	return slices.Contains(managedDirs, d)
}

// CleanupFailed tidies dir after a scan or re-selection failed or was
// cancelled. existed says whether the folder existed before the scan
// started. A folder without result.json that the scan created is removed
// entirely; otherwise the files the failed run wrote that result.json (the
// previous, still valid result, if any) does not reference are deleted, so
// nothing half-written is left behind; the staged glint images go too.
// result.json, upload.json and foreign files are kept.
func CleanupFailed(dir string, existed bool) error {
	os.RemoveAll(filepath.Join(dir, stagingDir))
	res, err := ReadResult(dir)
	switch {
	case err == nil:
		return RemoveStale(dir, res)
	case errors.Is(err, fs.ErrNotExist) && !existed:
		return os.RemoveAll(dir)
	case errors.Is(err, fs.ErrNotExist):
		return RemoveStale(dir, nil)
	default:
		// An unreadable result.json: do not guess what it referenced.
		return err
	}
}
