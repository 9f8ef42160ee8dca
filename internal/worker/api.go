package worker

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
)

// MaxBodyBytes limits POST /analyze bodies; the original's body is well under
// a kilobyte.
const MaxBodyBytes = 64 << 10

// API serves the HTTP endpoints:
//
//	POST /analyze   {videoUrl, scanId, itemType, settings?} → 202 {jobId, scanId, status}
//	GET  /jobs/{id} status, attempt, per-chunk progress, error, result URLs
//	GET  /healthz   200 when the database answers
type API struct {
	Pool  *pgxpool.Pool
	River *river.Client[pgx.Tx]
	Token string // bearer token; "" means none (bind to 127.0.0.1 only)
	// VideoHosts restricts videoUrl's host (see Config.VideoHosts).
	VideoHosts []string
	Logger     *slog.Logger
}

// Handler returns the API's routes.
func (a *API) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /analyze", a.auth(a.analyze))
	mux.HandleFunc("GET /jobs/{id}", a.auth(a.job))
	mux.HandleFunc("GET /healthz", a.healthz)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such endpoint: "+r.Method+" "+r.URL.Path)
	})
	return mux
}

type errorBody struct {
	Error string `json:"error"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, errorBody{Error: msg})
}

func (a *API) auth(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if a.Token != "" {
			got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(a.Token)) != 1 {
				w.Header().Set("WWW-Authenticate", `Bearer realm="gradevault-worker"`)
				writeError(w, http.StatusUnauthorized, "missing or wrong bearer token")
				return
			}
		}
		h(w, r)
	}
}

// AnalyzeResponse is the answer to POST /analyze.
type AnalyzeResponse struct {
	JobID     int64  `json:"jobId"`
	ScanID    string `json:"scanId"`
	Status    string `json:"status"`
	Duplicate bool   `json:"duplicate,omitempty"` // the scan already had a job queued or running
}

func (a *API) analyze(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("request body is larger than %d bytes", MaxBodyBytes))
			return
		}
		writeError(w, http.StatusBadRequest, "could not read the request body")
		return
	}
	var args AnalyzeArgs
	dec := json.NewDecoder(strings.NewReader(string(body)))
	if err := dec.Decode(&args); err != nil {
		writeError(w, http.StatusBadRequest, "malformed JSON: "+oneLine(err.Error()))
		return
	}
	if dec.More() {
		writeError(w, http.StatusBadRequest, "malformed JSON: data after the object")
		return
	}
	if err := args.Validate(); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if err := hostAllowed(a.VideoHosts, args.VideoURL); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}

	ctx, cancel := context.WithTimeout(r.Context(), 15*time.Second)
	defer cancel()
	resp, err := a.enqueue(ctx, args)
	if err != nil {
		a.Logger.Error("enqueue failed", "scan_id", args.ScanID, "error", err.Error())
		writeError(w, http.StatusServiceUnavailable, "could not queue the job: database unavailable")
		return
	}
	status := http.StatusAccepted
	if resp.Duplicate {
		status = http.StatusOK
	}
	a.Logger.Info("job queued", "job_id", resp.JobID, "scan_id", resp.ScanID, "duplicate", resp.Duplicate)
	writeJSON(w, status, resp)
}

// enqueue inserts the River job and its analysis_jobs row in one
// transaction; for a scan that already has an unfinished job it returns that
// job instead.
func (a *API) enqueue(ctx context.Context, args AnalyzeArgs) (*AnalyzeResponse, error) {
	tx, err := a.Pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	res, err := a.River.InsertTx(ctx, tx, args, nil)
	if err != nil {
		return nil, err
	}
	settings, _ := json.Marshal(args.Settings)
	if _, err := tx.Exec(ctx, `INSERT INTO analysis_jobs (id, scan_id, video_url, item_type, settings, status,
			frames_status, cv_status, progress_percentage, progress_step, progress_message)
		VALUES ($1, $2, $3, $4, $5, 'queued', 'pending', 'pending', 0, 'queued', 'waiting for a worker')
		ON CONFLICT (id) DO NOTHING`,
		res.Job.ID, args.ScanID, args.VideoURL, args.ItemType, settings); err != nil {
		return nil, err
	}
	var status string
	if err := tx.QueryRow(ctx, `SELECT status FROM analysis_jobs WHERE id = $1`, res.Job.ID).Scan(&status); err != nil {
		return nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, err
	}
	return &AnalyzeResponse{JobID: res.Job.ID, ScanID: args.ScanID, Status: status, Duplicate: res.UniqueSkippedAsDuplicate}, nil
}

func (a *API) job(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		writeError(w, http.StatusBadRequest, "job id must be a positive integer")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	row, err := GetJob(ctx, a.Pool, id)
	if errors.Is(err, pgx.ErrNoRows) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no job %d", id))
		return
	}
	if err != nil {
		a.Logger.Error("read job failed", "job_id", id, "error", err.Error())
		writeError(w, http.StatusServiceUnavailable, "could not read the job: database unavailable")
		return
	}
	writeJSON(w, http.StatusOK, row)
}

func (a *API) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	if err := a.Pool.Ping(ctx); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "error": "database unreachable"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}
