package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

// JobsTable is the table the web app reads job status from.
const JobsTable = "analysis_jobs"

// Job statuses written to analysis_jobs.status.
const (
	StatusQueued   = "queued"   // waiting for a worker (also after being handed back)
	StatusRunning  = "running"  // a worker is on it
	StatusRetrying = "retrying" // a transient error; River will try again after a backoff
	StatusDone     = "done"
	StatusFailed   = "failed"
)

// migrateLock is the advisory lock key that serialises concurrent migrations
// (several machines starting `migrate` at once).
const migrateLock = 0x67726164 // "grad"

// schemaSQL creates analysis_jobs, or adds the columns this worker needs to
// an existing table (the web app of the original worker created one). The id
// is the River job id.
var schemaSQL = []string{
	`CREATE TABLE IF NOT EXISTS analysis_jobs (
		id bigint PRIMARY KEY,
		scan_id text NOT NULL,
		video_url text NOT NULL,
		status text NOT NULL DEFAULT 'queued',
		created_at timestamptz NOT NULL DEFAULT now(),
		updated_at timestamptz NOT NULL DEFAULT now()
	)`,
	`ALTER TABLE analysis_jobs
		ADD COLUMN IF NOT EXISTS scan_id text,
		ADD COLUMN IF NOT EXISTS video_url text,
		ADD COLUMN IF NOT EXISTS status text DEFAULT 'queued',
		ADD COLUMN IF NOT EXISTS item_type text,
		ADD COLUMN IF NOT EXISTS settings jsonb,
		ADD COLUMN IF NOT EXISTS frames_status text,
		ADD COLUMN IF NOT EXISTS cv_status text,
		ADD COLUMN IF NOT EXISTS progress_percentage integer NOT NULL DEFAULT 0,
		ADD COLUMN IF NOT EXISTS progress_message text,
		ADD COLUMN IF NOT EXISTS progress_step text,
		ADD COLUMN IF NOT EXISTS progress_chunks jsonb,
		ADD COLUMN IF NOT EXISTS attempt integer NOT NULL DEFAULT 0,
		ADD COLUMN IF NOT EXISTS worker text,
		ADD COLUMN IF NOT EXISTS golden_frames jsonb,
		ADD COLUMN IF NOT EXISTS cv_results jsonb,
		ADD COLUMN IF NOT EXISTS result_url text,
		ADD COLUMN IF NOT EXISTS error text,
		ADD COLUMN IF NOT EXISTS created_at timestamptz DEFAULT now(),
		ADD COLUMN IF NOT EXISTS updated_at timestamptz DEFAULT now(),
		ADD COLUMN IF NOT EXISTS started_at timestamptz,
		ADD COLUMN IF NOT EXISTS completed_at timestamptz`,
	`CREATE INDEX IF NOT EXISTS analysis_jobs_scan_id_idx ON analysis_jobs (scan_id, created_at DESC)`,
}

// Migrate applies River's migrations and creates (or completes) the
// analysis_jobs table, in one transaction under an advisory lock, so that
// concurrent runs are safe. It returns the River versions applied.
func Migrate(ctx context.Context, pool *pgxpool.Pool) ([]int, error) {
	var idType string
	err := pool.QueryRow(ctx, `SELECT data_type FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = $1 AND column_name = 'id'`, JobsTable).Scan(&idType)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
	case err != nil:
		return nil, fmt.Errorf("inspect %s: %w", JobsTable, err)
	case idType != "bigint" && idType != "integer":
		return nil, fmt.Errorf("the existing %s table has an id of type %s; this worker keys rows by River job id (bigint): rename the old table first", JobsTable, idType)
	}

	// River's migrations need one transaction each (an enum value is added
	// and then used), so concurrent runs are serialised with a session lock
	// held on a connection of its own.
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, int64(migrateLock)); err != nil {
		return nil, fmt.Errorf("migrate: lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, int64(migrateLock))
	m, err := rivermigrate.New(riverpgxv5.New(pool), nil)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	res, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return nil, fmt.Errorf("migrate River: %w", err)
	}
	tx, err := pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	for _, q := range schemaSQL {
		if _, err := tx.Exec(ctx, q); err != nil {
			return nil, fmt.Errorf("migrate %s: %w", JobsTable, err)
		}
	}
	// On Supabase the public schema is served by PostgREST to anyone with
	// the anon key: turn on row-level security for River's tables so that
	// only their owner (the role the workers connect as) can use them.
	rows, err := tx.Query(ctx, `SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename LIKE 'river\_%'`)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	var riverTables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return nil, fmt.Errorf("migrate: %w", err)
		}
		riverTables = append(riverTables, name)
	}
	rows.Close()
	for _, name := range riverTables {
		if _, err := tx.Exec(ctx, `ALTER TABLE `+pgx.Identifier{name}.Sanitize()+` ENABLE ROW LEVEL SECURITY`); err != nil {
			return nil, fmt.Errorf("migrate: row-level security on %s: %w", name, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("migrate: commit: %w", err)
	}
	var versions []int
	for _, v := range res.Versions {
		versions = append(versions, v.Version)
	}
	return versions, nil
}

// CheckSchema reports whether the database has been migrated.
func CheckSchema(ctx context.Context, pool *pgxpool.Pool) error {
	var river, jobs *string
	if err := pool.QueryRow(ctx, `SELECT to_regclass('river_job')::text, to_regclass($1)::text`, JobsTable).Scan(&river, &jobs); err != nil {
		return fmt.Errorf("check database schema: %w", err)
	}
	if river == nil || jobs == nil {
		return errors.New("the database has no River or analysis_jobs tables: run `gradevault-worker migrate` first")
	}
	return nil
}

// ChunkProgress is one chunk's progress as stored in progress_chunks.
type ChunkProgress struct {
	Chunk int    `json:"chunk"`
	Start int    `json:"start"`
	End   int    `json:"end"`
	State string `json:"state"`
	Done  int    `json:"done"`
	Total int    `json:"total"`
}

// JobRow is a row of analysis_jobs joined with its River job.
type JobRow struct {
	ID            int64           `json:"jobId"`
	ScanID        string          `json:"scanId"`
	VideoURL      string          `json:"videoUrl"`
	ItemType      string          `json:"itemType"`
	Status        string          `json:"status"`
	Attempt       int             `json:"attempt"`
	MaxAttempts   int             `json:"maxAttempts"`
	QueueState    string          `json:"queueState"` // River's state of the job
	Worker        string          `json:"worker,omitempty"`
	Percentage    int             `json:"progressPercentage"`
	Step          string          `json:"progressStep,omitempty"`
	Message       string          `json:"progressMessage,omitempty"`
	Chunks        []ChunkProgress `json:"chunks"`
	Error         string          `json:"error,omitempty"`
	ResultURL     string          `json:"resultUrl,omitempty"`
	GoldenFrames  json.RawMessage `json:"goldenFrames,omitempty"`
	Result        json.RawMessage `json:"result,omitempty"`
	CreatedAt     time.Time       `json:"createdAt"`
	UpdatedAt     time.Time       `json:"updatedAt"`
	StartedAt     *time.Time      `json:"startedAt,omitempty"`
	CompletedAt   *time.Time      `json:"completedAt,omitempty"`
	NextAttemptAt *time.Time      `json:"nextAttemptAt,omitempty"`
	chunksJSON    json.RawMessage
}

// GetJob reads a job. The status reflects River's state when the row could
// not say it (a job discarded by River's rescuer after its last attempt died
// with its worker is "failed"). It returns pgx.ErrNoRows for an unknown id.
func GetJob(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, id int64) (*JobRow, error) {
	var (
		r                          JobRow
		itemType, worker, step     *string
		msg, errText, resultURL    *string
		queueState                 *string
		maxAttempts, riverAttempts *int
		scheduledAt                *time.Time
		riverErrors                []byte
	)
	err := q.QueryRow(ctx, `SELECT a.id, a.scan_id, a.video_url, a.item_type, a.status, a.attempt, a.worker,
			a.progress_percentage, a.progress_step, a.progress_message, a.progress_chunks, a.error,
			a.result_url, a.golden_frames, a.cv_results, a.created_at, a.updated_at, a.started_at, a.completed_at,
			j.state::text, j.max_attempts, j.attempt, j.scheduled_at, j.errors[array_upper(j.errors, 1)]
		FROM analysis_jobs a LEFT JOIN river_job j ON j.id = a.id WHERE a.id = $1`, id).Scan(
		&r.ID, &r.ScanID, &r.VideoURL, &itemType, &r.Status, &r.Attempt, &worker,
		&r.Percentage, &step, &msg, &r.chunksJSON, &errText,
		&resultURL, &r.GoldenFrames, &r.Result, &r.CreatedAt, &r.UpdatedAt, &r.StartedAt, &r.CompletedAt,
		&queueState, &maxAttempts, &riverAttempts, &scheduledAt, &riverErrors)
	if err != nil {
		return nil, err
	}
	deref := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	r.ItemType, r.Worker, r.Step, r.Message = deref(itemType), deref(worker), deref(step), deref(msg)
	r.Error, r.ResultURL, r.QueueState = deref(errText), deref(resultURL), deref(queueState)
	if maxAttempts != nil {
		r.MaxAttempts = *maxAttempts
	}
	if riverAttempts != nil && *riverAttempts > r.Attempt {
		r.Attempt = *riverAttempts
	}
	if len(r.chunksJSON) > 0 {
		_ = json.Unmarshal(r.chunksJSON, &r.Chunks)
	}
	if r.Chunks == nil {
		r.Chunks = []ChunkProgress{}
	}
	switch r.QueueState {
	case "retryable", "scheduled":
		r.NextAttemptAt = scheduledAt
	case "discarded", "cancelled":
		if r.Status != StatusFailed && r.Status != StatusDone {
			r.Status = StatusFailed
			if r.Error == "" {
				var e struct {
					Error string `json:"error"`
				}
				_ = json.Unmarshal(riverErrors, &e)
				r.Error = oneLine(e.Error)
			}
		}
	}
	return &r, nil
}
