package worker

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"gradevault/internal/fakestorage"
)

// TestEndToEnd: POST a job → River runs it → frames, glint images and
// result.json land in the fake bucket at the original worker's paths → the
// analysis_jobs row is done with public URLs. While the job runs, GET
// /jobs/{id} shows per-chunk progress.
func TestEndToEnd(t *testing.T) {
	dbURL, _ := testDB(t)
	fake := fakestorage.New(t)
	videos := newVideoServer(t)
	cfg := testConfig(t, dbURL, fake)

	var api string
	seen := map[string]JobRow{} // what GET /jobs/{id} showed at each step
	hook := func(ctx context.Context, id int64, step string) {
		switch step {
		case "chunk":
			// The engine is inside the frame analysis (this sink call
			// blocks it): wait until the API shows a chunk with frames done.
			deadline := time.Now().Add(10 * time.Second)
			for time.Now().Before(deadline) {
				r := getJob(t, api, id)
				for _, c := range r.Chunks {
					if c.Done > 0 && r.Status == StatusRunning {
						seen[step] = r
						return
					}
				}
				time.Sleep(20 * time.Millisecond)
			}
		case "upload":
			seen[step] = getJob(t, api, id)
		}
	}
	_, srv := startService(t, cfg, hook)
	api = srv.URL

	id := enqueue(t, api, "e2e-scan-1", videos.URL+"/comic.mp4")
	r := waitJob(t, api, id, 90*time.Second)
	if r.Status != StatusDone {
		t.Fatalf("job ended %s: %s", r.Status, r.Error)
	}

	// Progress while running.
	mid, ok := seen["chunk"]
	if !ok {
		t.Fatal("GET /jobs/{id} never showed a chunk with frames done while the job ran")
	}
	if mid.Step != "analyse" || mid.Percentage <= 0 || mid.Percentage >= 100 || len(mid.Chunks) < 2 {
		t.Errorf("mid-analysis: step %q, %d%%, %d chunks; want analyse, 0<p<100, ≥2 chunks", mid.Step, mid.Percentage, len(mid.Chunks))
	}
	t.Logf("mid-analysis: %d%% %q chunks %+v", mid.Percentage, mid.Message, mid.Chunks)
	up := seen["upload"]
	if up.Status != StatusRunning || up.Step != "upload" || up.Percentage < pctGlint-1 {
		t.Errorf("before upload: status %s step %q %d%%", up.Status, up.Step, up.Percentage)
	}
	for _, c := range up.Chunks {
		if c.State != "done" || c.Done != c.Total || c.Total == 0 {
			t.Errorf("before upload, chunk %+v is not complete", c)
		}
	}

	// The row.
	if r.Percentage != 100 || r.Attempt != 1 || r.QueueState != "completed" || r.CompletedAt == nil || r.Error != "" {
		t.Errorf("done row: %d%% attempt %d queue %s completed %v error %q", r.Percentage, r.Attempt, r.QueueState, r.CompletedAt, r.Error)
	}
	base := fake.URL + "/storage/v1/object/public/analysis-images/e2e-scan-1/"
	if r.ResultURL != base+"result.json" {
		t.Errorf("result URL %s", r.ResultURL)
	}
	var golden []string
	if err := json.Unmarshal(r.GoldenFrames, &golden); err != nil || len(golden) < 2 {
		t.Fatalf("golden_frames %s: %v", r.GoldenFrames, err)
	}
	goldenRE := regexp.MustCompile(`^` + regexp.QuoteMeta(base) + `frames/golden_frame_\d\d_f\d{5}\.png$`)
	for _, g := range golden {
		if !goldenRE.MatchString(g) {
			t.Errorf("golden frame URL %s", g)
		}
	}
	var cv map[string]any
	if err := json.Unmarshal(r.Result, &cv); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"defectMask", "varianceHeatmap", "defectOverlay"} {
		if s, _ := cv[k].(string); !strings.HasPrefix(s, base) {
			t.Errorf("cv_results.%s = %v, want a public URL", k, cv[k])
		}
	}
	if cv["scanId"] != "e2e-scan-1" || cv["damageScore"] == nil || cv["regionScores"] == nil {
		t.Errorf("cv_results lacks the original's keys: scanId %v damageScore %v", cv["scanId"], cv["damageScore"])
	}
	if v, _ := cv["video"].(map[string]any); v != nil && v["path"] != nil {
		t.Errorf("cv_results leaks the worker's temporary path: %v", v["path"])
	}

	// The bucket, at the original's paths, and every URL readable.
	paths := fake.Paths("analysis-images")
	want := []string{"e2e-scan-1/result.json", "e2e-scan-1/defect_mask.png", "e2e-scan-1/variance_heatmap.png", "e2e-scan-1/defect_overlay.png"}
	for _, region := range []string{"corner_tl", "corner_tr", "corner_bl", "corner_br", "spine", "surface"} {
		want = append(want, "e2e-scan-1/crops/"+region+".png")
	}
	for _, g := range golden {
		want = append(want, strings.TrimPrefix(g, fake.URL+"/storage/v1/object/public/analysis-images/"))
	}
	have := map[string]bool{}
	for _, p := range paths {
		have[p] = true
		if !strings.HasPrefix(p, "e2e-scan-1/") {
			t.Errorf("object outside the scan's folder: %s", p)
		}
	}
	for _, p := range want {
		if !have[p] {
			t.Errorf("bucket lacks %s (has %v)", p, paths)
		}
	}
	resp, err := http.Get(r.ResultURL)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var uploaded map[string]any
	if err := json.Unmarshal(b, &uploaded); err != nil || uploaded["scanId"] != "e2e-scan-1" {
		t.Errorf("result.json in the bucket: %v %s", err, b[:min(len(b), 200)])
	}
	if gf, _ := uploaded["goldenFrames"].([]any); len(gf) != len(golden) || gf[0] != golden[0] {
		t.Errorf("uploaded result.json goldenFrames %v, row %v", gf, golden)
	}

	// No temporary file left (the attempt removes its folder as it returns,
	// just after the row says done).
	noTempFiles(t, cfg.TempDir)
	if n := videos.count("/comic.mp4"); n != 1 {
		t.Errorf("video downloaded %d times", n)
	}
}

// noTempFiles fails when dir still has entries a few seconds from now.
func noTempFiles(t testing.TB, dir string) {
	t.Helper()
	var names []string
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		left, _ := os.ReadDir(dir)
		names = names[:0]
		for _, e := range left {
			names = append(names, e.Name())
		}
		if len(names) == 0 {
			return
		}
		if time.Now().After(deadline) {
			break
		}
	}
	sort.Strings(names)
	t.Errorf("temporary files left in %s: %v", dir, names)
}
