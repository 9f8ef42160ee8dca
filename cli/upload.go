package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/dustin/go-humanize"

	"gradevault/engine/event"
	"gradevault/engine/library"
	"gradevault/engine/scan"
	"gradevault/engine/upload"
)

// ExitInterrupted is the exit code of a command stopped by Ctrl-C (SIGINT)
// or SIGTERM, as shells report a process killed by SIGINT (128 + 2).
const ExitInterrupted = 130

// interrupted prints msg and returns ExitInterrupted.
func interrupted(stderr io.Writer, msg string) int {
	fmt.Fprintln(stderr, msg)
	return ExitInterrupted
}

// RunUpload implements `gradevault upload SCAN_DIR_OR_ID [--bucket B]
// [--job-table] [--force] [--library DIR] [--timeout D] [--deadline D]
// [--link-expiry D]`: it uploads a scan folder to Supabase Storage, shows
// bytes sent on stderr and prints the URLs on stdout, result.json last.
// The key comes from the keychain, $SUPABASE_KEY or a .env file, never from
// the command line (it would show in `ps`). Exit codes: 0 done, 1 failed
// (or, with --job-table, the files are up but the row is not: the message
// says which), 2 bad usage, 130 interrupted.
func RunUpload(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("upload", "upload SCAN_DIR_OR_ID [flags]", stderr)
	bucket := fs.String("bucket", "", "storage bucket (default $"+upload.EnvBucket+", settings, or "+upload.DefaultBucket+")")
	jobTable := fs.Bool("job-table", false, "also update the "+upload.JobsTable+" row of the scan")
	force := fs.Bool("force", false, "send every file again, even those already on the server")
	lib := fs.String("library", "", "scan library folder (default $"+library.EnvLibrary+" or ~/GradeVault/scans)")
	timeout := fs.Duration("timeout", 0, "give up on a request when no bytes have moved for this long (default 2m); a slow but moving transfer is never cut")
	deadline := fs.Duration("deadline", 0, "limit for the whole upload (default none)")
	linkExpiry := fs.Duration("link-expiry", 0, "how long signed links stay valid when the bucket is private (default 168h)")
	pos, err := parse(fs, args)
	if err != nil {
		return flagExit(err)
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "error: upload needs exactly one SCAN_DIR_OR_ID (run 'gradevault upload -h')")
		return 2
	}
	dir, err := resolveScan(pos[0], *lib)
	if err != nil {
		return fail(stderr, err)
	}

	cfg, warnings, err := upload.LoadConfig(upload.LoadOptions{})
	if err != nil {
		return fail(stderr, err)
	}
	for _, w := range warnings {
		fmt.Fprintf(stderr, "warning: %s\n", w)
	}
	if *bucket != "" {
		cfg.Bucket = *bucket
	}
	if *jobTable {
		cfg.JobTable = true
	}
	if *timeout < 0 || *deadline < 0 || *linkExpiry < 0 {
		fmt.Fprintln(stderr, "error: --timeout, --deadline and --link-expiry must not be negative")
		return 2
	}
	if *timeout > 0 {
		cfg.Timeout = *timeout
	}
	cfg.Deadline, cfg.Force, cfg.LinkExpiry = *deadline, *force, *linkExpiry

	bar := newUploadProgress(stderr, isTerminal(stderr))
	rep, err := upload.Upload(ctx, dir, cfg, bar.handle)
	bar.stop()
	var jobErr *upload.JobError
	switch {
	case errors.Is(err, context.Canceled):
		return interrupted(stderr, "upload interrupted; run the same command again to send what is missing")
	case err != nil && !errors.As(err, &jobErr):
		return fail(stderr, err)
	}
	// Every file is up (err is nil, or only the job row failed).
	for _, o := range rep.Objects {
		fmt.Fprintln(stdout, o.URL)
	}
	fmt.Fprintln(stderr, uploadSummary(rep))
	for _, w := range rep.Warnings {
		fmt.Fprintf(stderr, "warning: %s\n", w)
	}
	fmt.Fprintf(stderr, "result: %s\n", rep.ResultURL)
	if jobErr != nil {
		return fail(stderr, jobErr)
	}
	return 0
}

// uploadSummary is the line printed after a successful upload.
func uploadSummary(rep *upload.Report) string {
	msg := fmt.Sprintf("uploaded %d objects (%s) to bucket %s", rep.Uploaded, humanize.IBytes(uint64(rep.BytesSent)), rep.Bucket)
	if rep.Skipped > 0 {
		msg += fmt.Sprintf(", %d already there", rep.Skipped)
	}
	if rep.Resent > 0 {
		msg += fmt.Sprintf(" (%d sent again: missing on the server)", rep.Resent)
	}
	if n := len(rep.Deleted); n > 0 {
		msg += fmt.Sprintf(", %d objects the result no longer uses removed", n)
	}
	if rep.JobTable {
		msg += ", " + upload.JobsTable + " row updated"
	}
	switch rep.Access {
	case upload.AccessSigned:
		msg += fmt.Sprintf("; the bucket is private: the links are signed and expire %s (upload again to renew them)",
			rep.LinksExpireAt.Local().Format("2006-01-02 15:04 MST"))
	case upload.AccessAuthenticated:
		msg += "; the bucket is private: the links need the project key"
	}
	return msg
}

// resolveScan turns SCAN_DIR_OR_ID into a scan folder: an existing folder
// holding result.json, else a scan ID in the library.
func resolveScan(arg, libFlag string) (string, error) {
	if st, err := os.Stat(filepath.Join(arg, scan.ResultFile)); err == nil && st.Mode().IsRegular() {
		return arg, nil
	}
	if library.ValidScanID(arg) == nil {
		root := library.Root(libFlag)
		dir := library.ScanDir(root, arg)
		if _, err := os.Stat(filepath.Join(dir, scan.ResultFile)); err == nil {
			return dir, nil
		}
		return "", fmt.Errorf("no scan %q: neither a scan folder nor a scan in the library %s", arg, root)
	}
	return "", fmt.Errorf("%s is not a scan folder (no %s)", arg, scan.ResultFile)
}

// uploadProgress shows bytes sent / total: a line redrawn in place on a
// terminal, otherwise a line at most every few seconds.
type uploadProgress struct {
	w     io.Writer
	live  bool
	every time.Duration

	mu    sync.Mutex
	last  time.Time
	p     event.Progress
	drawn bool
}

func newUploadProgress(w io.Writer, live bool) *uploadProgress {
	every := 3 * time.Second
	if live {
		every = 100 * time.Millisecond
	}
	return &uploadProgress{w: w, live: live, every: every}
}

func (u *uploadProgress) handle(e event.Event) {
	p, ok := e.(event.Progress)
	if !ok || p.Phase != event.PhaseUpload {
		return
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	u.p = p
	if now := time.Now(); now.Sub(u.last) >= u.every {
		u.last = now
		u.draw()
	}
}

func (u *uploadProgress) draw() {
	p := u.p
	line := fmt.Sprintf("uploading %s / %s", humanize.IBytes(uint64(max(p.Done, 0))), humanize.IBytes(uint64(max(p.Total, 0))))
	if p.Total > 0 {
		line = fmt.Sprintf("%s %s", bar(int(p.Done), int(p.Total), 20), line)
	}
	if p.Item != "" {
		line += "  " + filepath.Base(p.Item)
	}
	if u.live {
		fmt.Fprintf(u.w, "\r\x1b[2K%s", line)
	} else {
		fmt.Fprintln(u.w, line)
	}
	u.drawn = true
}

// stop draws the final state and ends the live line.
func (u *uploadProgress) stop() {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.p.Total > 0 && (u.live || u.p.Done != 0) {
		u.p.Item = ""
		u.draw()
	}
	if u.live && u.drawn {
		fmt.Fprintln(u.w)
	}
}
