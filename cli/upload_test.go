package cli_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"gradevault/cli"
	"gradevault/engine/library"
	"gradevault/engine/upload"
	"gradevault/internal/fakestorage"
)

// isolate points the config folder, home and library at temporary folders
// and replaces the OS keychain with go-keyring's mock failing like a
// machine without a secret service.
func isolate(t *testing.T) (libRoot string) {
	t.Helper()
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	libRoot = t.TempDir()
	t.Setenv(library.EnvLibrary, libRoot)
	t.Setenv(upload.EnvBucket, "")
	keyring.MockInitWithError(errors.New("dbus: no session bus"))
	return libRoot
}

// TestKeyNeverLeaks runs uploads through the command line with distinctive
// keys, succeeding and failing, and searches everything the app wrote.
func TestKeyNeverLeaks(t *testing.T) {
	libRoot := isolate(t)
	srv := fakestorage.New(t)
	goodKey := fakestorage.SignJWT(srv.Secret, map[string]any{"role": "service_role", "sub": "LEAK-CANARY-GOOD"})
	badKey := fakestorage.SignJWT([]byte("wrong secret"), map[string]any{"role": "service_role", "sub": "LEAK-CANARY-BAD"})
	t.Setenv(upload.EnvURL, srv.URL+"/")

	fakestorage.WriteScan(t, library.ScanDir(libRoot, "scan-good"), "scan-good", true)
	fakestorage.WriteScan(t, library.ScanDir(libRoot, "scan-bad"), "scan-bad", true)
	fakestorage.WriteScan(t, library.ScanDir(libRoot, "scan-echo"), "scan-echo", false)
	srv.Fail("scan-echo/", fakestorage.FaultEcho, 100)

	var outputs []string
	run := func(key string, args ...string) (int, string, string) {
		t.Setenv(upload.EnvKey, key)
		var stdout, stderr bytes.Buffer
		code := cli.RunUpload(context.Background(), args, &stdout, &stderr)
		outputs = append(outputs, stdout.String(), stderr.String())
		return code, stdout.String(), stderr.String()
	}

	// Success, by scan ID, flags after the argument.
	code, stdout, stderr := run(goodKey, "scan-good", "--job-table", "--library", libRoot)
	if code != 0 {
		t.Fatalf("good upload exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, srv.URL+"/storage/v1/object/public/analysis-images/scan-good/result.json") ||
		!strings.Contains(stderr, "uploaded 26 objects") || !strings.Contains(stderr, "warning: no OS keychain") { // 24 files, report.pdf, result.json
		t.Errorf("stdout:\n%s\nstderr:\n%s", stdout, stderr)
	}
	// Again: nothing to send.
	if code, _, stderr = run(goodKey, library.ScanDir(libRoot, "scan-good")); code != 0 || !strings.Contains(stderr, "uploaded 0 objects") {
		t.Errorf("second run exit %d: %s", code, stderr)
	}

	// Refused key: one error line, exit 1.
	code, _, stderr = run(badKey, "--bucket", "analysis-images", library.ScanDir(libRoot, "scan-bad"))
	if code != 1 {
		t.Errorf("bad key exit %d", code)
	}
	errLines := 0
	for _, l := range strings.Split(strings.TrimSpace(stderr), "\n") {
		if strings.HasPrefix(l, "error: ") {
			errLines++
			if !strings.Contains(l, "refused the key") {
				t.Errorf("error line %q", l)
			}
		}
	}
	if errLines != 1 {
		t.Errorf("stderr has %d error lines:\n%s", errLines, stderr)
	}

	// A server that echoes the Authorization header in its error.
	if code, _, stderr = run(goodKey, "scan-echo"); code != 1 || !strings.Contains(stderr, "[redacted]") {
		t.Errorf("echo run exit %d: %s", code, stderr)
	}

	// Bad usage.
	if code, _, _ = run(goodKey); code != 2 {
		t.Errorf("no argument: exit %d", code)
	}
	if code, _, stderr = run(goodKey, "no-such-scan"); code != 1 || !strings.HasPrefix(stderr, "error: ") {
		t.Errorf("unknown scan: exit %d %q", code, stderr)
	}

	// The library command shows the states.
	var libOut, libErr bytes.Buffer
	if code := cli.RunLibrary(context.Background(), []string{"--library", libRoot}, &libOut, &libErr); code != 0 {
		t.Fatalf("library exit %d: %s", code, libErr.String())
	}
	outputs = append(outputs, libOut.String(), libErr.String())
	for _, want := range []string{"scan-good", "uploaded", "scan-bad", "failed", "comic", "12.2"} {
		if !strings.Contains(libOut.String(), want) {
			t.Errorf("library output lacks %q:\n%s", want, libOut.String())
		}
	}

	// Search every output and every file written.
	secrets := map[string]string{"good key": goodKey, "bad key": badKey}
	for name, k := range map[string]string{"good": goodKey, "bad": badKey} {
		parts := strings.Split(k, ".")
		secrets[name+" signature"] = parts[2]
		secrets[name+" payload"] = parts[1]
	}
	check := func(where, text string) {
		for name, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("%s found in %s", name, where)
			}
		}
	}
	for i, o := range outputs {
		check("output "+string(rune('0'+i)), o)
	}
	for _, root := range []string{libRoot, os.Getenv("XDG_CONFIG_HOME"), os.Getenv("HOME")} {
		filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Error(err)
			}
			check(path, string(data))
			return nil
		})
	}
	for _, p := range srv.Paths("analysis-images") {
		o, _ := srv.Object("analysis-images", p)
		check("uploaded "+p, string(o.Data))
	}
	row, _ := srv.Job("scan-good")
	if row == nil {
		t.Error("no job row")
	}
}

// uploadCLI runs `gradevault upload` against srv with a service key.
func uploadCLI(t *testing.T, ctx context.Context, srv *fakestorage.Server, args ...string) (int, string, string) {
	t.Helper()
	t.Setenv(upload.EnvURL, srv.URL)
	t.Setenv(upload.EnvKey, srv.Key("service_role"))
	var stdout, stderr bytes.Buffer
	code := cli.RunUpload(ctx, args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// TestUploadJobTableFailureCLI: the files are up, the row is not: the URLs
// and the summary are printed, then one error line that says so, without
// a stray "()"; exit 1.
func TestUploadJobTableFailureCLI(t *testing.T) {
	libRoot := isolate(t)
	srv := fakestorage.New(t)
	fakestorage.WriteScan(t, library.ScanDir(libRoot, "scan-job"), "scan-job", true)
	srv.Fail("/rest/v1/", fakestorage.Fault401, 1)
	code, stdout, stderr := uploadCLI(t, context.Background(), srv, "scan-job", "--job-table")
	if code != 1 {
		t.Fatalf("exit %d, want 1: %s", code, stderr)
	}
	if n := strings.Count(stdout, "\n"); n != 26 || !strings.Contains(stdout, "scan-job/result.json") {
		t.Errorf("stdout has %d URLs, want 26 (with report.pdf):\n%s", n, stdout)
	}
	var errLines []string
	for _, l := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(l, "error: ") {
			errLines = append(errLines, l)
		}
	}
	if !strings.Contains(stderr, "uploaded 26 objects") || len(errLines) != 1 ||
		!strings.Contains(errLines[0], "all files are uploaded") || !strings.Contains(errLines[0], "analysis_jobs") ||
		strings.Contains(stderr, "()") || strings.Contains(stderr, "upload failed") {
		t.Errorf("stderr:\n%s", stderr)
	}
	if st, _ := library.ReadState(library.ScanDir(libRoot, "scan-job")); st.State != library.StateUploaded {
		t.Errorf("upload.json state %s, want uploaded", st.State)
	}
	var libOut bytes.Buffer
	cli.RunLibrary(context.Background(), []string{"--library", libRoot}, &libOut, io.Discard)
	if !strings.Contains(libOut.String(), "uploaded (job row not updated)") {
		t.Errorf("library listing does not show the failed row:\n%s", libOut.String())
	}
	// Next run: only the row, exit 0.
	code, _, stderr = uploadCLI(t, context.Background(), srv, "scan-job", "--job-table")
	if code != 0 || !strings.Contains(stderr, "uploaded 0 objects") || !strings.Contains(stderr, "analysis_jobs row updated") {
		t.Errorf("second run exit %d: %s", code, stderr)
	}
}

// TestUploadPrivateForceResentCLI: a private bucket prints signed links
// and their expiry; --force re-sends everything; an object deleted on the
// server is sent again and reported, keeping its link, so result.json is
// not sent again (a CI run failed here when the second upload fell in the
// next second and every link was signed anew).
func TestUploadPrivateForceResentCLI(t *testing.T) {
	libRoot := isolate(t)
	srv := fakestorage.New(t)
	srv.SetPublic(fakestorage.DefaultBucket, false)
	fakestorage.WriteScan(t, library.ScanDir(libRoot, "scan-priv"), "scan-priv", false)
	code, stdout, stderr := uploadCLI(t, context.Background(), srv, "scan-priv", "--link-expiry", "24h")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, l := range strings.Split(strings.TrimSpace(stdout), "\n") {
		if !strings.Contains(l, "/object/sign/") || !strings.Contains(l, "token=") {
			t.Errorf("not a signed link: %q", l)
		}
	}
	if !strings.Contains(stderr, "private") || !strings.Contains(stderr, "expire") {
		t.Errorf("stderr does not say the links are signed and expire:\n%s", stderr)
	}
	srv.Delete(fakestorage.DefaultBucket, "scan-priv/frames/golden_frame_02_f00040.png")
	// A second later, so that links signed anew would differ from the
	// first ones (their tokens carry the second they were made).
	time.Sleep(1100 * time.Millisecond)
	code, _, stderr = uploadCLI(t, context.Background(), srv, "scan-priv", "--link-expiry", "24h")
	if code != 0 || !strings.Contains(stderr, "uploaded 1 objects") || !strings.Contains(stderr, "1 sent again: missing on the server") {
		t.Errorf("after a deletion on the server: exit %d: %s", code, stderr)
	}
	code, _, stderr = uploadCLI(t, context.Background(), srv, "scan-priv", "--force")
	if code != 0 || !strings.Contains(stderr, "uploaded 5 objects") { // three frames, report.pdf, result.json
		t.Errorf("--force: exit %d: %s", code, stderr)
	}
	if code, _, _ = uploadCLI(t, context.Background(), srv, "scan-priv", "--timeout", "-1s"); code != 2 {
		t.Errorf("negative --timeout: exit %d, want 2", code)
	}
}

// TestUploadCancelExits130: cancelling the context (what SIGINT does in
// main) makes the command exit 130 with one line saying how to resume.
func TestUploadCancelExits130(t *testing.T) {
	libRoot := isolate(t)
	srv := fakestorage.New(t)
	fakestorage.WriteScan(t, library.ScanDir(libRoot, "scan-int"), "scan-int", false)
	srv.Fail("golden_frame_02", fakestorage.FaultHang, 100)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	code, _, stderr := uploadCLI(t, ctx, srv, "scan-int")
	if code != cli.ExitInterrupted || !strings.Contains(stderr, "interrupted") || strings.Contains(stderr, "error:") {
		t.Errorf("exit %d, stderr %q; want 130 and no error line", code, stderr)
	}
	if st, _ := library.ReadState(library.ScanDir(libRoot, "scan-int")); st.State == library.StateUploaded || st.State == library.StateFailed {
		t.Errorf("interrupted upload recorded as %s", st.State)
	}
}
