// Package cli implements GradeVault's command-line interface: analyze,
// glint, upload and library. The window is started by main for `gradevault`
// with no arguments and for `gradevault open VIDEO`.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// Version is the app's version, set by main.
var Version = "dev"

// Usage is the top-level help text.
const Usage = `GradeVault picks the sharpest, stillest frames of a grading video and finds
surface defects from the way light moves across the item.

Usage:
  gradevault                      open the window
  gradevault open VIDEO [--item-type T]
                                  open the window and analyse VIDEO
  gradevault analyze VIDEO [flags] analyse a video into a scan folder
  gradevault glint VIDEO --frames 12,57,98 [flags]
                                  re-run the glint analysis on chosen frames
  gradevault upload SCAN_DIR_OR_ID [flags]
                                  upload a scan to Supabase
  gradevault report SCAN_DIR_OR_ID [--out FILE.pdf]
                                  write the grading report (PDF)
  gradevault library [flags]      list the scans in the local library
  gradevault --version            print versions

Run 'gradevault COMMAND -h' for a command's flags.
`

// Main runs the command line and returns the process exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "error: internal error: %v\n", r)
			code = 1
		}
	}()
	if len(args) == 0 {
		fmt.Fprint(stderr, Usage)
		return 2
	}
	switch args[0] {
	case "analyze", "analyse":
		return RunAnalyze(ctx, args[1:], stdout, stderr)
	case "glint":
		return RunGlint(ctx, args[1:], stdout, stderr)
	case "upload":
		return RunUpload(ctx, args[1:], stdout, stderr)
	case "report":
		return RunReport(ctx, args[1:], stdout, stderr)
	case "library":
		return RunLibrary(ctx, args[1:], stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, VersionText())
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, Usage)
		return 0
	}
	fmt.Fprintf(stderr, "error: unknown command %q (run 'gradevault help')\n", args[0])
	return 2
}

// parse parses flags that may come before, between or after positional
// arguments, and returns the positional ones.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// newFlagSet makes a flag set that reports errors through the caller.
func newFlagSet(name, usage string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: gradevault %s\n\nFlags:\n", usage)
		fs.PrintDefaults()
	}
	return fs
}

// fail prints err as a single line and returns exit code 1.
func fail(stderr io.Writer, err error) int {
	msg := strings.ReplaceAll(err.Error(), "\n", " ")
	fmt.Fprintf(stderr, "error: %s\n", msg)
	return 1
}

// flagExit maps a flag parsing error to an exit code.
func flagExit(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 2
}

// isTerminal reports whether w is a character device (an interactive
// terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
