package cli

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/dustin/go-humanize"

	"gradevault/engine/library"
)

// RunLibrary implements `gradevault library [--library DIR]`: a table of
// the scans in the library, newest first.
func RunLibrary(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("library", "library [flags]", stderr)
	lib := fs.String("library", "", "scan library folder (default $"+library.EnvLibrary+" or ~/GradeVault/scans)")
	pos, err := parse(fs, args)
	if err != nil {
		return flagExit(err)
	}
	if len(pos) != 0 {
		fmt.Fprintf(stderr, "error: library takes no arguments (got %q)\n", pos[0])
		return 2
	}
	root := library.Root(*lib)
	entries, err := library.List(root)
	if err != nil {
		return fail(stderr, err)
	}
	if len(entries) == 0 {
		fmt.Fprintf(stdout, "No scans in %s\n", root)
		return 0
	}
	fmt.Fprintf(stdout, "%s: %d scans\n\n", root, len(entries))
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SCAN ID\tCREATED\tITEM\tFRAMES\tDAMAGE\tUPLOAD")
	var problems []string
	for _, e := range entries {
		created := "-"
		if !e.CreatedAt.IsZero() {
			created = e.CreatedAt.Local().Format("2006-01-02 15:04") + " (" + humanize.Time(e.CreatedAt) + ")"
		}
		if e.Corrupt() {
			fmt.Fprintf(tw, "%s\t%s\t-\t-\t-\tunreadable\n", e.ID, created)
			problems = append(problems, fmt.Sprintf("%s: %v", e.ID, e.Err))
			continue
		}
		item := e.ItemType
		if item == "" {
			item = "-"
		}
		damage := "-"
		if e.HasGlint {
			damage = fmt.Sprintf("%.1f", e.DamageScore)
		}
		up := string(e.Upload)
		if e.UploadDetail != "" {
			up += " (" + e.UploadDetail + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", e.ID, created, item, e.GoldenFrames, damage, up)
		if e.Note != "" {
			problems = append(problems, fmt.Sprintf("%s: %s", e.ID, e.Note))
		}
	}
	if err := tw.Flush(); err != nil {
		return fail(stderr, err)
	}
	for _, p := range problems {
		fmt.Fprintf(stderr, "warning: %s\n", p)
	}
	return 0
}
