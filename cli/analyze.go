package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"gradevault/engine/analysis"
	"gradevault/engine/item"
	"gradevault/engine/library"
	"gradevault/engine/scan"
)

// RunAnalyze implements `gradevault analyze`.
func RunAnalyze(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("analyze", "analyze VIDEO [flags]", stderr)
	out := fs.String("out", "", "scan folder to write (default: the library's folder for the scan ID)")
	workers := fs.Int("workers", 0, "goroutine workers (default: number of CPUs)")
	mode := fs.String("mode", string(analysis.Fast), "motion measure: fast or precise")
	threshold := fs.Float64("motion-threshold", analysis.DefaultMotionThreshold, "a frame is still when its motion is at most this many pixels")
	minGap := fs.Int("min-gap", analysis.DefaultMinGap, "minimum distance between golden frames, in frames")
	count := fs.Int("count", analysis.DefaultCount, "number of golden frames")
	policy := fs.String("select", string(analysis.PolicyPoses), "golden-frame rule: poses (one per still pose first) or seed (the original's sharpest-first)")
	noCache := fs.Bool("no-cache", false, "measure every frame again even if this video was analysed before")
	scanID := fs.String("scan-id", "", "scan ID (default: generated)")
	itemType := fs.String("item-type", "comic", "item type: comic, card or toy")
	quiet := fs.Bool("quiet", false, "print only the scan folder")
	force := fs.Bool("force", false, "replace an existing analysis in the folder")
	noGlint := fs.Bool("no-glint", false, "skip the glint defect analysis")
	lib := fs.String("library", "", "library folder (default: $GRADEVAULT_LIBRARY or ~/GradeVault/scans)")
	upload := fs.Bool("upload", false, "upload the scan to Supabase when the analysis is done")
	bucket := fs.String("bucket", "", "Supabase Storage bucket for --upload")
	jobTable := fs.Bool("job-table", false, "with --upload, also update the analysis_jobs row")
	pos, err := parse(fs, args)
	if err != nil {
		return flagExit(err)
	}
	if len(pos) != 1 {
		fs.Usage()
		return 2
	}
	m, err := analysis.ParseMode(*mode)
	if err != nil {
		return fail(stderr, err)
	}
	it, err := item.Parse(*itemType)
	if err != nil {
		return fail(stderr, err)
	}
	pol, err := analysis.ParsePolicy(*policy)
	if err != nil {
		return fail(stderr, err)
	}
	switch {
	case *workers < 0:
		return fail(stderr, fmt.Errorf("--workers must be at least 1"))
	case *threshold <= 0:
		return fail(stderr, fmt.Errorf("--motion-threshold must be positive"))
	case *minGap < 1:
		return fail(stderr, fmt.Errorf("--min-gap must be at least 1"))
	case *count < 1 || *count > 50:
		return fail(stderr, fmt.Errorf("--count must be between 1 and 50"))
	}
	id := *scanID
	if id == "" {
		id = library.NewScanID()
	}
	if err := library.ValidScanID(id); err != nil {
		return fail(stderr, err)
	}
	dir := *out
	if dir == "" {
		dir = library.ScanDir(library.Root(*lib), id)
	}

	ao := analysis.Options{Mode: m, Workers: *workers, MotionThreshold: *threshold, MinGap: *minGap, Count: *count, Policy: pol}
	if !*noCache {
		ao.Cache = analysis.DirCache(library.CacheDir(library.Root(*lib)))
	}
	prog := newProgress(stderr, isTerminal(stderr) && !*quiet)
	defer prog.stop()
	res, err := scan.Run(ctx, scan.Options{
		Video: pos[0], Dir: dir, ScanID: id, ItemType: it, Glint: !*noGlint, Force: *force,
		Analysis: ao, Sink: prog.handle,
	})
	prog.stop()
	if errors.Is(err, context.Canceled) {
		return interrupted(stderr, "analysis interrupted; no new result was saved")
	}
	if err != nil {
		return fail(stderr, err)
	}
	if !*quiet {
		if res.Confidence.Level == analysis.Low {
			fmt.Fprintf(stderr, "LOW CONFIDENCE: %s\n", strings.Join(res.Confidence.Reasons, "; "))
		}
		fmt.Fprintln(stderr, summary(res))
		for _, w := range res.Warnings {
			fmt.Fprintf(stderr, "warning: %s\n", w)
		}
	}
	abs, _ := filepath.Abs(dir)
	fmt.Fprintln(stdout, abs)
	if *upload {
		uargs := []string{abs}
		if *bucket != "" {
			uargs = append(uargs, "--bucket", *bucket)
		}
		if *jobTable {
			uargs = append(uargs, "--job-table")
		}
		return RunUpload(ctx, uargs, stdout, stderr)
	}
	return 0
}

// summary is the one line printed when an analysis is done.
func summary(r *scan.Result) string {
	stable := 0
	for _, f := range r.Frames {
		if f.Stable {
			stable++
		}
	}
	picks := ""
	for i, g := range r.GoldenFrameDetails {
		if i > 0 {
			picks += ","
		}
		picks += fmt.Sprint(g.Frame)
		if g.Relaxed {
			picks += "*"
		}
	}
	s := fmt.Sprintf("analysed %d frames (%dx%d, %.1f s) in %s with %d workers (%s): %d still, golden frames %s",
		len(r.Frames), r.Video.Width, r.Video.Height, r.Video.DurationSeconds,
		(time.Duration(r.Timings.TotalSeconds*1000) * time.Millisecond).Round(10*time.Millisecond),
		r.Settings.Workers, r.Settings.Mode, stable, picks)
	if r.Settings.MetricsCached {
		s += " (metrics from the cache)"
	}
	if r.Report != nil {
		s += fmt.Sprintf("; damage score %.1f", r.DamageScore)
		if r.Confidence.Level == analysis.Low {
			s += " (low confidence)"
		}
	}
	return s
}
