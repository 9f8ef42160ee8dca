package upload

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"gradevault/engine/event"
	"gradevault/engine/library"
	"gradevault/engine/scan"
	"gradevault/internal/fakestorage"
)

// Tests of what Upload does with the server's own view: objects deleted
// there, --force, private buckets, stale objects, stalls and slow links.

// TestServerSideDeletionIsResent: upload.json says everything is up, but
// two objects were deleted on the server: the next run sends exactly those.
func TestServerSideDeletionIsResent(t *testing.T) {
	srv := fakestorage.New(t)
	dir := t.TempDir()
	fakestorage.WriteScan(t, dir, "scan-del", true)
	cfg := testConfig(srv)
	if _, err := Upload(context.Background(), dir, cfg, nil); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"scan-del/crops/spine_overlay.png", "scan-del/glint/golden_frame_02.png"} {
		if !srv.Delete("analysis-images", p) {
			t.Fatalf("%s was not uploaded", p)
		}
	}
	srv.ResetRequests()
	rep, err := Upload(context.Background(), dir, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	sent := uploadPaths(srv, "scan-del")
	sort.Strings(sent)
	if want := []string{"crops/spine_overlay.png", "glint/golden_frame_02.png"}; !slices.Equal(sent, want) {
		t.Errorf("sent %v, want %v", sent, want)
	}
	if rep.Resent != 2 || rep.Uploaded != 2 {
		t.Errorf("report: resent %d, uploaded %d", rep.Resent, rep.Uploaded)
	}
	for _, p := range []string{"scan-del/crops/spine_overlay.png", "scan-del/glint/golden_frame_02.png"} {
		o, ok := srv.Object("analysis-images", p)
		local, _ := os.ReadFile(filepath.Join(dir, strings.TrimPrefix(p, "scan-del/")))
		if !ok || string(o.Data) != string(local) {
			t.Errorf("%s not back on the server", p)
		}
	}

	// An object replaced on the server by one of another size is sent too.
	srv.Put("analysis-images", "scan-del/defect_mask.png", []byte("truncated"), "image/png")
	srv.ResetRequests()
	if _, err := Upload(context.Background(), dir, cfg, nil); err != nil {
		t.Fatal(err)
	}
	if sent := uploadPaths(srv, "scan-del"); !slices.Equal(sent, []string{"defect_mask.png"}) {
		t.Errorf("after a size change on the server sent %v", sent)
	}
}

// TestForceResendsEverything: with Force every object goes again.
func TestForceResendsEverything(t *testing.T) {
	srv := fakestorage.New(t)
	dir := t.TempDir()
	fakestorage.WriteScan(t, dir, "scan-force", true)
	cfg := testConfig(srv)
	if _, err := Upload(context.Background(), dir, cfg, nil); err != nil {
		t.Fatal(err)
	}
	srv.ResetRequests()
	cfg.Force = true
	rep, err := Upload(context.Background(), dir, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	n := len(expectedFiles(true)) + 1
	if sent := uploadPaths(srv, "scan-force"); len(sent) != n || rep.Uploaded != n || rep.Skipped != 0 {
		t.Errorf("--force sent %d objects (report %d uploaded, %d skipped), want %d", len(sent), rep.Uploaded, rep.Skipped, n)
	}
}

// TestPrivateBucketSignedURLs: a private bucket's public URLs answer 400,
// so the report, result.json and the job row carry signed URLs that work,
// with their expiry recorded.
func TestPrivateBucketSignedURLs(t *testing.T) {
	srv := fakestorage.New(t)
	srv.SetPublic("analysis-images", false)
	dir := t.TempDir()
	fakestorage.WriteScan(t, dir, "scan-priv", true)
	cfg := testConfig(srv)
	cfg.JobTable = true
	cfg.LinkExpiry = 48 * time.Hour
	start := time.Now()
	rep, err := Upload(context.Background(), dir, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Access != AccessSigned || rep.LinksExpireAt == nil {
		t.Fatalf("access %q, expiry %v", rep.Access, rep.LinksExpireAt)
	}
	if d := rep.LinksExpireAt.Sub(start); d < 47*time.Hour || d > 49*time.Hour {
		t.Errorf("links expire in %v, want 48h", d)
	}
	// The public URL of a private bucket answers 400: never reported.
	if status, _, _ := get(t, cfg.PublicURL("scan-priv/defect_mask.png")); status != http.StatusBadRequest {
		t.Fatalf("public URL of a private bucket answered %d", status)
	}
	check := func(u, rel string) {
		t.Helper()
		if !strings.Contains(u, "/storage/v1/object/sign/analysis-images/scan-priv/") || !strings.Contains(u, "token=") {
			t.Errorf("URL %q is not a signed URL", u)
			return
		}
		status, _, body := get(t, u)
		local, _ := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
		if status != 200 || string(body) != string(local) {
			t.Errorf("GET %s: %d, %d bytes (local %d)", u, status, len(body), len(local))
		}
	}
	for _, o := range rep.Objects {
		if o.Path != "scan-priv/result.json" {
			check(o.URL, strings.TrimPrefix(o.Path, "scan-priv/"))
		}
	}
	status, _, data := get(t, rep.ResultURL)
	if status != 200 {
		t.Fatalf("signed result.json URL answered %d", status)
	}
	var up scan.Result
	if err := json.Unmarshal(data, &up); err != nil {
		t.Fatal(err)
	}
	local, _ := scan.ReadResult(dir)
	files, ups := scan.Files(local), scan.Files(&up)
	if len(files) != len(ups) {
		t.Fatalf("uploaded result has %d files, local %d", len(ups), len(files))
	}
	for i := range files {
		check(ups[i], files[i])
	}
	row, _ := srv.Job("scan-priv")
	if frames, _ := row["golden_frames"].([]any); len(frames) != 3 || !strings.Contains(frames[0].(string), "token=") {
		t.Errorf("job row golden_frames %v", row["golden_frames"])
	}
	st, _ := library.ReadState(dir)
	if st.Access != string(AccessSigned) || st.LinksExpireAt == nil || !st.LinksExpireAt.Equal(*rep.LinksExpireAt) {
		t.Errorf("upload.json access %q, expiry %v", st.Access, st.LinksExpireAt)
	}

	// Again: the recorded links are still valid for long, so nothing is
	// signed or sent again.
	srv.ResetRequests()
	rep2, err := Upload(context.Background(), dir, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	onlyChecks(t, srv)
	if rep2.ResultURL == "" || rep2.Access != AccessSigned || !rep2.LinksExpireAt.Equal(*rep.LinksExpireAt) {
		t.Errorf("second run: %q %q %v", rep2.ResultURL, rep2.Access, rep2.LinksExpireAt)
	}
}

// TestPublicBucketProbe: for a key that may not read bucket details (an
// anon key reads "Bucket not found" through row-level security), Upload
// reads a public URL of an uploaded object instead: 200 on a public
// bucket, 400 on a private one.
func TestPublicBucketProbe(t *testing.T) {
	srv := fakestorage.New(t)
	dir := t.TempDir()
	fakestorage.WriteScan(t, dir, "scan-probe", false)
	cfg, _ := testConfig(srv).normalised()
	u := &uploader{cfg: cfg}
	if _, err := Upload(context.Background(), dir, cfg, nil); err != nil {
		t.Fatal(err)
	}
	public, err := u.probePublic(context.Background(), "scan-probe/frames/golden_frame_01_f00012.png")
	if err != nil || !public {
		t.Errorf("probe of a public bucket: %v %v", public, err)
	}
	srv.SetPublic("analysis-images", false)
	public, err = u.probePublic(context.Background(), "scan-probe/frames/golden_frame_01_f00012.png")
	if err != nil || public {
		t.Errorf("probe of a private bucket: %v %v", public, err)
	}
}

// TestStaleObjectsDeleted: after a re-analysis with fewer frames, the
// re-upload deletes the objects the new result no longer references, only
// under the scan's prefix and only once the new upload has succeeded.
func TestStaleObjectsDeleted(t *testing.T) {
	srv := fakestorage.New(t)
	dir := t.TempDir()
	r := fakestorage.WriteScan(t, dir, "scan-stale", true)
	cfg := testConfig(srv)
	if _, err := Upload(context.Background(), dir, cfg, nil); err != nil {
		t.Fatal(err)
	}
	srv.Put("analysis-images", "scan-stale2/frames/keep.png", []byte("other scan"), "image/png")
	srv.Put("analysis-images", "other/scan-stale/x.png", []byte("elsewhere"), "image/png")

	// The new analysis has two golden frames.
	r.GoldenFrames = r.GoldenFrames[:2]
	r.FrameTimestamps = r.FrameTimestamps[:2]
	r.GoldenFrameDetails = r.GoldenFrameDetails[:2]
	r.GlintFrames = r.GlintFrames[:2]
	r.RectifiedFrames = r.RectifiedFrames[:2]
	if err := scan.WriteResult(dir, r); err != nil {
		t.Fatal(err)
	}
	if err := scan.RemoveStale(dir, r); err != nil {
		t.Fatal(err)
	}
	stale := []string{"scan-stale/frames/golden_frame_03_f00097.png", "scan-stale/glint/golden_frame_03.png", "scan-stale/rectified/golden_frame_03.png"}

	// A failed upload deletes nothing.
	srv.Fail("scan-stale/result.json", fakestorage.Fault500, 100)
	if _, err := Upload(context.Background(), dir, cfg, nil); !errors.Is(err, ErrServer) {
		t.Fatalf("Upload = %v, want ErrServer", err)
	}
	for _, p := range stale {
		if _, ok := srv.Object("analysis-images", p); !ok {
			t.Errorf("%s deleted by a failed upload", p)
		}
	}
	if n := srv.Count(http.MethodDelete, ""); n != 0 {
		t.Errorf("%d delete requests during a failed upload", n)
	}

	srv.ClearFaults()
	rep, err := Upload(context.Background(), dir, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(rep.Deleted)
	if !slices.Equal(rep.Deleted, stale) {
		t.Errorf("deleted %v, want %v", rep.Deleted, stale)
	}
	for _, p := range stale {
		if _, ok := srv.Object("analysis-images", p); ok {
			t.Errorf("%s still in the bucket", p)
		}
	}
	for _, p := range []string{"scan-stale2/frames/keep.png", "other/scan-stale/x.png", "scan-stale/result.json", "scan-stale/frames/golden_frame_02_f00040.png"} {
		if _, ok := srv.Object("analysis-images", p); !ok {
			t.Errorf("%s was deleted", p)
		}
	}
}

// bigScan writes a scan whose first golden frame is size bytes of noise.
func bigScan(t *testing.T, id string, size int) string {
	t.Helper()
	dir := t.TempDir()
	r := fakestorage.WriteScan(t, dir, id, false)
	data := make([]byte, size)
	rand.Read(data)
	if err := os.WriteFile(filepath.Join(dir, r.GoldenFrames[0]), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestStallVersusSlowTransfer: the timeout is an idle timeout. A 2 MiB
// object read by the server at 1 MiB/s takes ~2 s, far beyond the 400 ms
// timeout, and still goes through in one try because bytes keep moving; a
// transfer whose bytes stop moving is cut after the timeout and retried;
// an overall deadline, when asked for, stops the slow one.
func TestStallVersusSlowTransfer(t *testing.T) {
	if testing.Short() {
		t.Skip("takes a few seconds of throttled transfer")
	}
	const size = 2 << 20
	const frame = "frames/golden_frame_01_f00012.png"
	t.Run("slow but moving", func(t *testing.T) {
		srv := fakestorage.New(t)
		dir := bigScan(t, "scan-slow", size)
		cfg := testConfig(srv)
		cfg.Timeout = 400 * time.Millisecond
		srv.Slow(frame, 1<<20, 1)
		start := time.Now()
		rep, err := Upload(context.Background(), dir, cfg, nil)
		if err != nil {
			t.Fatalf("slow but moving upload failed after %v: %v", time.Since(start), err)
		}
		if d := time.Since(start); d < 1500*time.Millisecond {
			t.Errorf("took %v: the throttle did not hold the transfer back, the test proves nothing", d)
		}
		for _, o := range rep.Objects {
			if strings.HasSuffix(o.Path, frame) && o.Attempts != 1 {
				t.Errorf("%s took %d attempts, want 1", frame, o.Attempts)
			}
		}
	})
	t.Run("stalled", func(t *testing.T) {
		srv := fakestorage.New(t)
		dir := bigScan(t, "scan-stall", size)
		cfg := testConfig(srv)
		cfg.Timeout = 400 * time.Millisecond
		cfg.Attempts = 1
		srv.Fail(frame, fakestorage.FaultStall, 1)
		start := time.Now()
		_, err := Upload(context.Background(), dir, cfg, nil)
		if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "no bytes moving for 400ms") {
			t.Fatalf("Upload = %v, want a stall timeout", err)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("the stall was noticed after %v", d)
		}
		// With retries the second try goes through.
		cfg.Attempts = 2
		srv.Fail(frame, fakestorage.FaultStall, 1)
		rep, err := Upload(context.Background(), dir, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range rep.Objects {
			if strings.HasSuffix(o.Path, frame) && o.Attempts != 2 {
				t.Errorf("%s took %d attempts, want 2", frame, o.Attempts)
			}
		}
	})
	t.Run("deadline", func(t *testing.T) {
		srv := fakestorage.New(t)
		dir := bigScan(t, "scan-deadline", size)
		cfg := testConfig(srv)
		cfg.Timeout = 400 * time.Millisecond
		cfg.Deadline = 700 * time.Millisecond
		srv.Slow(frame, 1<<20, 1)
		start := time.Now()
		_, err := Upload(context.Background(), dir, cfg, nil)
		if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "deadline") {
			t.Fatalf("Upload = %v, want the deadline", err)
		}
		if d := time.Since(start); d > 1500*time.Millisecond {
			t.Errorf("Upload returned %v after starting, the deadline was 700ms", d)
		}
		if st, _ := library.ReadState(dir); st.State != library.StateFailed {
			t.Errorf("state %s, want failed", st.State)
		}
	})
}

// TestProgressNeverGoesBack: a connection reset mid-body rolls back the
// failed try's bytes, but the reported totals never decrease and end at
// Done == Total; each file's reported bytes never decrease either.
func TestProgressNeverGoesBack(t *testing.T) {
	srv := fakestorage.New(t)
	dir := bigScan(t, "scan-mono", 256<<10)
	srv.Fail("frames/golden_frame_01", fakestorage.FaultReset, 2)
	var mu = make(chan struct{}, 1)
	var prog []event.Progress
	files := map[string][]int64{}
	sink := func(e event.Event) {
		mu <- struct{}{}
		defer func() { <-mu }()
		switch e := e.(type) {
		case event.Progress:
			prog = append(prog, e)
		case event.FileProgress:
			files[e.Path] = append(files[e.Path], e.Sent)
		}
	}
	rep, err := Upload(context.Background(), dir, testConfig(srv), sink)
	if err != nil {
		t.Fatal(err)
	}
	if srv.Count(http.MethodPost, "frames/golden_frame_01") != 3 {
		t.Fatalf("the fault was not hit: %d requests", srv.Count(http.MethodPost, "frames/golden_frame_01"))
	}
	for i := 1; i < len(prog); i++ {
		if prog[i].Done < prog[i-1].Done {
			t.Fatalf("progress went back: %d then %d", prog[i-1].Done, prog[i].Done)
		}
		if prog[i].Done > prog[i].Total {
			t.Fatalf("done %d > total %d", prog[i].Done, prog[i].Total)
		}
	}
	last := prog[len(prog)-1]
	if last.Done != last.Total || last.Total != rep.BytesSent {
		t.Errorf("last progress %+v, bytes sent %d", last, rep.BytesSent)
	}
	for p, sent := range files {
		for i := 1; i < len(sent); i++ {
			if sent[i] < sent[i-1] {
				t.Fatalf("%s: file progress went back: %d then %d", p, sent[i-1], sent[i])
			}
		}
	}
}

// TestAnonKeyPrivateBucket: an anon key whose policy allows uploads only
// cannot read the bucket's details, list or sign. Upload then sends
// everything (it cannot verify), learns the bucket is private from a
// public URL answering 400, and writes URLs that need the key, saying so
// in a warning; no public URL is reported.
func TestAnonKeyPrivateBucket(t *testing.T) {
	srv := fakestorage.New(t)
	srv.SetPublic("analysis-images", false)
	srv.AllowAnonInsert("analysis-images")
	dir := t.TempDir()
	fakestorage.WriteScan(t, dir, "scan-anon", false)
	cfg := testConfig(srv)
	cfg.Key = srv.Key("anon")
	rep, err := Upload(context.Background(), dir, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Access != AccessAuthenticated || len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], "need the project key") {
		t.Fatalf("access %q, warnings %q", rep.Access, rep.Warnings)
	}
	for _, o := range rep.Objects {
		if !strings.HasPrefix(o.URL, srv.URL+"/storage/v1/object/authenticated/analysis-images/scan-anon/") {
			t.Errorf("URL %q is not an authenticated URL", o.URL)
		}
	}
	if o, ok := srv.Object("analysis-images", "scan-anon/result.json"); !ok || strings.Contains(string(o.Data), "/object/public/") ||
		!strings.Contains(string(o.Data), "/object/authenticated/") {
		t.Errorf("uploaded result.json does not carry authenticated URLs")
	}
	if st, _ := library.ReadState(dir); st.Access != string(AccessAuthenticated) {
		t.Errorf("upload.json access %q", st.Access)
	}

	// Again: the key cannot list, so nothing can be verified: everything
	// is sent again, and a warning says why.
	srv.ResetRequests()
	rep, err = Upload(context.Background(), dir, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(uploadPaths(srv, "scan-anon")); n != 4 || rep.Resent != 0 || len(rep.Warnings) != 2 ||
		!strings.Contains(rep.Warnings[0], "could not be verified") {
		t.Errorf("second anon run: %d uploads, resent %d, warnings %q", n, rep.Resent, rep.Warnings)
	}

	// On a public bucket the same key keeps public URLs.
	srv.SetPublic("analysis-images", true)
	rep, err = Upload(context.Background(), dir, cfg, nil)
	if err != nil || rep.Access != AccessPublic || !strings.Contains(rep.ResultURL, "/object/public/") {
		t.Errorf("public bucket with an anon key: %v, access %q, %s", err, rep.Access, rep.ResultURL)
	}
}
