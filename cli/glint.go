package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"gradevault/engine/item"
	"gradevault/engine/library"
	"gradevault/engine/scan"
)

// RunGlint implements `gradevault glint VIDEO --frames 12,57,98 [--out DIR]`:
// it replaces the golden frames of an existing analysis with the chosen
// frames and re-runs the glint analysis on them.
func RunGlint(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("glint", "glint VIDEO --frames 12,57,98,140,201 [flags]", stderr)
	framesFlag := fs.String("frames", "", "comma-separated video frame numbers, 2 to 8 of them")
	out := fs.String("out", "", "scan folder holding the analysis (default: the library's folder for --scan-id)")
	scanID := fs.String("scan-id", "", "scan ID whose library folder to use")
	itemType := fs.String("item-type", "", "item type: comic, card or toy (default: the scan's)")
	lib := fs.String("library", "", "library folder (default: $GRADEVAULT_LIBRARY or ~/GradeVault/scans)")
	quiet := fs.Bool("quiet", false, "print only the scan folder")
	pos, err := parse(fs, args)
	if err != nil {
		return flagExit(err)
	}
	if len(pos) != 1 {
		fs.Usage()
		return 2
	}
	frames, err := parseFrames(*framesFlag)
	if err != nil {
		return fail(stderr, err)
	}
	dir := *out
	if dir == "" {
		if *scanID == "" {
			return fail(stderr, fmt.Errorf("say which analysis to update: --out DIR or --scan-id ID"))
		}
		if err := library.ValidScanID(*scanID); err != nil {
			return fail(stderr, err)
		}
		dir = library.ScanDir(library.Root(*lib), *scanID)
	}
	prog := newProgress(stderr, false)
	res, err := scan.Reselect(ctx, dir, frames, scan.ReselectOptions{ItemType: item.Type(*itemType), Video: pos[0], Glint: true, Sink: prog.handle})
	if errors.Is(err, context.Canceled) {
		return interrupted(stderr, "glint analysis interrupted; the previous result is kept")
	}
	if err != nil {
		return fail(stderr, err)
	}
	if !*quiet {
		fmt.Fprintf(stderr, "glint analysis of frames %v: damage score %.1f, defects cover %.2f%% of the item\n",
			frames, res.DamageScore, res.DefectPercentage)
		for _, w := range res.Warnings {
			fmt.Fprintf(stderr, "warning: %s\n", w)
		}
	}
	abs, _ := filepath.Abs(dir)
	fmt.Fprintln(stdout, abs)
	return 0
}

// parseFrames reads a list like "12,57,98".
func parseFrames(s string) ([]int, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("--frames is required, e.g. --frames 12,57,98,140,201")
	}
	var out []int
	for _, part := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil || n < 0 {
			return nil, fmt.Errorf("--frames: %q is not a frame number", part)
		}
		out = append(out, n)
	}
	return out, nil
}
