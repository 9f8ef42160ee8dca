package cli

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"gradevault/engine/item"
	"gradevault/engine/library"
	"gradevault/engine/report"
)

// RunReport implements `gradevault report SCAN_DIR_OR_ID [--out FILE.pdf]`:
// it writes the scan's grading report as a PDF (default: report.pdf in the
// scan folder) and prints its path on stdout.
func RunReport(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("report", "report SCAN_DIR_OR_ID [--out FILE.pdf]", stderr)
	out := fs.String("out", "", "PDF to write (default: report.pdf in the scan folder)")
	lib := fs.String("library", "", "scan library folder (default $"+library.EnvLibrary+" or ~/GradeVault/scans)")
	pos, err := parse(fs, args)
	if err != nil {
		return flagExit(err)
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "error: report needs exactly one SCAN_DIR_OR_ID (run 'gradevault report -h')")
		return 2
	}
	dir, err := resolveScan(pos[0], *lib)
	if err != nil {
		return fail(stderr, err)
	}
	if *out != "" && filepath.Ext(*out) == "" {
		*out += ".pdf"
	}
	path, err := report.Write(dir, report.Options{Out: *out, Version: Version})
	if err != nil {
		return fail(stderr, err)
	}
	fmt.Fprintln(stdout, path)
	return 0
}

// OpenArgs are the arguments of `gradevault open [VIDEO] [--item-type T]`.
type OpenArgs struct {
	Video    string
	ItemType item.Type // "" when not given
}

// ParseOpen parses the arguments after `open`. It returns the exit code to
// use and ok=false when the window must not open (bad flags, or -h).
func ParseOpen(args []string, stderr io.Writer) (a OpenArgs, code int, ok bool) {
	fs := newFlagSet("open", "open [VIDEO] [--item-type comic|card|toy]", stderr)
	it := fs.String("item-type", "", "item type of the video: comic, card or toy (default comic)")
	pos, err := parse(fs, args)
	if err != nil {
		return a, flagExit(err), false
	}
	if len(pos) > 1 {
		fmt.Fprintln(stderr, "error: open takes at most one VIDEO (run 'gradevault open -h')")
		return a, 2, false
	}
	if *it != "" {
		t, err := item.Parse(*it)
		if err != nil {
			return a, fail(stderr, err), false
		}
		a.ItemType = t
	}
	if len(pos) == 1 {
		a.Video = pos[0]
	}
	return a, 0, true
}
