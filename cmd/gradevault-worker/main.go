// Command gradevault-worker is GradeVault's headless server worker: the
// original worker's webhook as an HTTP API, and a fleet of job workers on a
// PostgreSQL job queue (River). It links no GUI code.
//
//	gradevault-worker serve     API + job workers
//	gradevault-worker work      job workers only (extra machines)
//	gradevault-worker migrate   create or update the database tables
//
// Configuration comes from the environment (DATABASE_URL, SUPABASE_URL,
// SUPABASE_KEY, GRADEVAULT_BUCKET, GRADEVAULT_WORKER_TOKEN,
// GRADEVAULT_CONCURRENCY, GRADEVAULT_ADDR) and flags. Logs are JSON lines on
// stderr; they never contain the key, the token or the database password.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"gradevault/engine/upload"
	_ "gradevault/internal/cmem" // two C heap arenas: less memory for the same speed
	"gradevault/internal/worker"
)

const usage = `usage: gradevault-worker COMMAND [flags]

commands:
  serve     HTTP API (POST /analyze, GET /jobs/{id}, GET /healthz) and job workers
  work      job workers only, for extra machines
  migrate   create or update River's tables and analysis_jobs
  version   print the version

environment:
  DATABASE_URL              PostgreSQL connection string (required)
  SUPABASE_URL              Supabase project URL (serve, work)
  SUPABASE_KEY              service-role key (serve, work); never logged
  GRADEVAULT_BUCKET         Storage bucket (default analysis-images)
  GRADEVAULT_WORKER_TOKEN   bearer token the API requires; without it the API
                            listens on 127.0.0.1 only
  GRADEVAULT_CONCURRENCY    jobs at once per process (default: 1 per 2 cores)
  GRADEVAULT_ADDR           API address (default 127.0.0.1:8080, or
                            0.0.0.0:8080 with a token)
  GRADEVAULT_VIDEO_HOSTS    hosts videos may be downloaded from, comma-separated;
                            .example.com allows its subdomains (default: any)

Run "gradevault-worker COMMAND -h" for the flags of a command.
`

// version is set at build time (make worker).
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stderr))
}

func run(args []string, getenv func(string) string, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, usage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, rest := args[0], args[1:]
	if cmd == "version" || cmd == "--version" {
		fmt.Fprintln(stderr, "gradevault-worker", version)
		return 0
	}
	switch cmd {
	case "serve", "work", "migrate":
	default:
		fmt.Fprintf(stderr, "unknown command %q\n\n%s", cmd, usage)
		return 2
	}

	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	envInt := func(name string, def int) int {
		if v, err := strconv.Atoi(getenv(name)); err == nil {
			return v
		}
		return def
	}
	cfg := worker.Config{}
	fs.StringVar(&cfg.DatabaseURL, "database-url", getenv(worker.EnvDatabaseURL), "PostgreSQL connection string (default $DATABASE_URL)")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	if cmd != "migrate" {
		fs.StringVar(&cfg.Supabase.URL, "supabase-url", getenv(upload.EnvURL), "Supabase project URL (default $SUPABASE_URL)")
		fs.StringVar(&cfg.Supabase.Bucket, "bucket", getenv(upload.EnvBucket), "Storage bucket (default $GRADEVAULT_BUCKET or analysis-images)")
		fs.IntVar(&cfg.Concurrency, "concurrency", envInt(worker.EnvConcurrency, worker.DefaultConcurrency()), "jobs at once in this process (serve: 0 = API only)")
		fs.IntVar(&cfg.EngineWorkers, "engine-workers", 0, "analysis goroutines per job (default: number of CPUs)")
		fs.DurationVar(&cfg.Grace, "grace", worker.DefaultGrace, "on SIGTERM, time a running job gets to finish before it is handed back")
		fs.DurationVar(&cfg.JobTimeout, "job-timeout", worker.DefaultJobTimeout, "time limit of one attempt")
		fs.DurationVar(&cfg.RescueAfter, "rescue-after", 0, "a job running this long is presumed lost with its worker and retried (default: job timeout + 5m)")
		fs.IntVar(&cfg.MaxAttempts, "max-attempts", worker.DefaultMaxAttempts, "attempts per job for transient errors")
		fs.DurationVar(&cfg.RetryBackoff, "retry-backoff", worker.DefaultRetryBackoff, "first retry delay, doubled each attempt")
		fs.DurationVar(&cfg.MaxBackoff, "max-backoff", worker.DefaultMaxBackoff, "longest retry delay")
		fs.DurationVar(&cfg.DownloadTimeout, "download-timeout", worker.DefaultDownloadTimeout, "time limit of a video download")
		maxMB := fs.Int64("max-video-mb", worker.DefaultMaxVideoBytes>>20, "largest video accepted, in MiB")
		fs.DurationVar(&cfg.ProgressInterval, "progress-interval", worker.DefaultProgressInterval, "the job row's progress is written at most this often")
		fs.DurationVar(&cfg.FetchPoll, "fetch-poll", time.Second, "how often idle workers poll for jobs (besides notifications)")
		fs.StringVar(&cfg.TempDir, "temp-dir", "", "folder for downloads and scan folders (default: the system's)")
		videoHosts := fs.String("video-hosts", getenv(worker.EnvVideoHosts), "comma-separated hosts videos may come from; .example.com allows its subdomains (default $GRADEVAULT_VIDEO_HOSTS: any)")
		if cmd == "serve" {
			fs.StringVar(&cfg.Addr, "addr", getenv(worker.EnvAddr), "API listen address")
		}
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			return 2
		}
		cfg.MaxVideoBytes = *maxMB << 20
		cfg.VideoHosts = worker.ParseHosts(*videoHosts)
	} else if err := fs.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "unexpected arguments: %v\n", fs.Args())
		return 2
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintf(stderr, "bad -log-level %q\n", *logLevel)
		return 2
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level})).With("cmd", cmd, "version", version)
	cfg.Logger = log
	cfg.Supabase.Key = getenv(upload.EnvKey)
	cfg.Token = getenv(worker.EnvToken)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	var err error
	switch cmd {
	case "migrate":
		err = migrate(ctx, cfg, log)
	case "serve":
		err = worker.Run(ctx, cfg, true, nil)
	case "work":
		if cfg.Concurrency < 1 {
			err = errors.New("-concurrency must be at least 1 for work")
			break
		}
		err = worker.Run(ctx, cfg, false, nil)
	}
	if err != nil {
		log.Error(strings.Join(strings.Fields(err.Error()), " "))
		return 1
	}
	return 0
}

func migrate(ctx context.Context, cfg worker.Config, log *slog.Logger) error {
	pool, err := worker.OpenPool(ctx, cfg.DatabaseURL, 2)
	if err != nil {
		return err
	}
	defer pool.Close()
	versions, err := worker.Migrate(ctx, pool)
	if err != nil {
		return err
	}
	log.Info("database migrated", "database", worker.RedactedDatabaseURL(cfg.DatabaseURL), "river_versions_applied", versions)
	return nil
}
