package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
)

// Service is one worker process: a connection pool, a River client that
// works jobs when Concurrency > 0, and the HTTP API.
type Service struct {
	cfg      Config
	Pool     *pgxpool.Pool
	River    *river.Client[pgx.Tx]
	worker   *analyzeWorker
	stopping atomic.Bool
	started  bool
	log      *slog.Logger
}

// Name identifies this process in logs and rows: host-pid.
func Name() string {
	h, _ := os.Hostname()
	if h == "" {
		h = "worker"
	}
	return fmt.Sprintf("%s-%d", h, os.Getpid())
}

// OpenPool connects to PostgreSQL.
func OpenPool(ctx context.Context, databaseURL string, maxConns int) (*pgxpool.Pool, error) {
	if databaseURL == "" {
		return nil, fmt.Errorf("%s is not set", EnvDatabaseURL)
	}
	pc, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		// pgx's message can quote the connection string; keep the password out.
		return nil, errors.New("DATABASE_URL is not a valid PostgreSQL connection string")
	}
	if maxConns > 0 {
		pc.MaxConns = int32(maxConns)
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", RedactedDatabaseURL(databaseURL), err)
	}
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := pool.Ping(pctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to %s: %w", RedactedDatabaseURL(databaseURL), err)
	}
	return pool, nil
}

// NewService connects and prepares the River client. With Concurrency 0 the
// client only inserts jobs (an API-only process).
func NewService(ctx context.Context, cfg Config) (*Service, error) {
	if err := cfg.checkRescue(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	if cfg.Concurrency > 0 {
		if err := cfg.CheckWorkers(); err != nil {
			return nil, err
		}
	}
	pool, err := OpenPool(ctx, cfg.DatabaseURL, cfg.Concurrency*3+8)
	if err != nil {
		return nil, err
	}
	if err := CheckSchema(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	s := &Service{cfg: cfg, Pool: pool, log: cfg.Logger}
	s.worker = &analyzeWorker{
		cfg: &s.cfg, pool: pool, log: cfg.Logger, name: Name(), stopping: &s.stopping,
		http: &http.Client{Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			TLSHandshakeTimeout:   30 * time.Second,
			ResponseHeaderTimeout: time.Minute,
			MaxIdleConns:          10,
			IdleConnTimeout:       90 * time.Second,
		},
			CheckRedirect: func(req *http.Request, via []*http.Request) error {
				if len(via) >= 5 {
					return errors.New("too many redirects")
				}
				if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
					return fmt.Errorf("redirected to a %s: URL", req.URL.Scheme)
				}
				return hostAllowed(cfg.VideoHosts, req.URL.String())
			},
		},
	}
	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, s.worker); err != nil {
		pool.Close()
		return nil, err
	}
	rc := &river.Config{
		ID:                   s.worker.name,
		Workers:              workers,
		JobTimeout:           cfg.JobTimeout,
		RescueStuckJobsAfter: cfg.RescueAfter,
		MaxAttempts:          cfg.MaxAttempts,
		FetchPollInterval:    cfg.FetchPoll,
		Logger:               cfg.Logger.With("component", "river"),
	}
	if cfg.Concurrency > 0 {
		rc.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.Concurrency}}
	}
	s.River, err = river.NewClient(riverpgxv5.New(pool), rc)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("River client: %w", err)
	}
	return s, nil
}

// API returns the HTTP API of this service.
func (s *Service) API() *API {
	return &API{Pool: s.Pool, River: s.River, Token: s.cfg.Token, VideoHosts: s.cfg.VideoHosts, Logger: s.log}
}

// Start starts working jobs (when Concurrency > 0).
func (s *Service) Start(ctx context.Context) error {
	if s.cfg.Concurrency == 0 {
		return nil
	}
	if n := removeStale(s.cfg.TempDir, s.cfg.JobTimeout+time.Minute); n > 0 {
		s.log.Info("removed temporary folders left by a crashed worker", "count", n)
	}
	// River's client must outlive ctx: Stop, not ctx, ends it gracefully.
	if err := s.River.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("start River: %w", err)
	}
	s.started = true
	return nil
}

// Stop stops fetching jobs, gives running jobs the grace period to finish,
// then cancels them (they are handed back to the queue) and closes the pool.
func (s *Service) Stop() {
	s.stopping.Store(true)
	if s.started {
		ctx, cancel := context.WithTimeout(context.Background(), s.cfg.Grace)
		err := s.River.Stop(ctx)
		cancel()
		if err != nil {
			s.log.Warn("jobs still running after the grace period: handing them back", "grace", s.cfg.Grace.String())
			hctx, hcancel := context.WithTimeout(context.Background(), 15*time.Second)
			if err := s.River.StopAndCancel(hctx); err != nil {
				s.log.Error("River did not stop cleanly", "error", err.Error())
			}
			hcancel()
		}
	}
	s.Pool.Close()
}

// Run runs a process until ctx is done: the API when serveAPI, job workers
// when cfg.Concurrency > 0. ready, if not nil, is called with the API's
// address once it listens (or once the workers run).
func Run(ctx context.Context, cfg Config, serveAPI bool, ready func(addr string)) error {
	if err := cfg.checkRescue(); err != nil {
		return err
	}
	cfg = cfg.WithDefaults()
	log := cfg.Logger
	if serveAPI {
		if err := cfg.CheckAddr(); err != nil {
			return err
		}
	}
	s, err := NewService(ctx, cfg)
	if err != nil {
		return err
	}
	var (
		srv    *http.Server
		srvErr = make(chan error, 1)
		addr   string
	)
	if serveAPI {
		ln, err := net.Listen("tcp", cfg.Addr)
		if err != nil {
			s.Pool.Close()
			return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
		}
		addr = ln.Addr().String()
		srv = &http.Server{
			Handler:           s.API().Handler(),
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       30 * time.Second,
			WriteTimeout:      30 * time.Second,
			IdleTimeout:       2 * time.Minute,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		}
		go func() { srvErr <- srv.Serve(ln) }()
	}
	if err := s.Start(ctx); err != nil {
		if srv != nil {
			srv.Close()
		}
		s.Pool.Close()
		return err
	}
	log.Info("worker started", "api", addr, "concurrency", s.cfg.Concurrency, "database", RedactedDatabaseURL(cfg.DatabaseURL),
		"supabase", cfg.Supabase.URL, "bucket", cfg.Supabase.Bucket, "worker", s.worker.name, "token", cfg.Token != "")
	if ready != nil {
		ready(addr)
	}

	var runErr error
	select {
	case <-ctx.Done():
		log.Info("stopping: no new jobs; running jobs get the grace period", "grace", s.cfg.Grace.String())
	case err := <-srvErr:
		runErr = fmt.Errorf("API server: %w", err)
	}
	if srv != nil {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = srv.Shutdown(sctx)
		cancel()
	}
	s.Stop()
	log.Info("stopped")
	return runErr
}

// removeStale removes job folders (gradevault-job-*) in dir older than age:
// a worker killed with SIGKILL cannot remove its own, and no attempt runs
// longer than the job timeout. It returns how many it removed.
func removeStale(dir string, age time.Duration) int {
	if dir == "" {
		dir = os.TempDir()
	}
	matches, _ := filepath.Glob(filepath.Join(dir, "gradevault-job-*"))
	n := 0
	for _, m := range matches {
		fi, err := os.Lstat(m)
		if err != nil || !fi.IsDir() || time.Since(fi.ModTime()) < age {
			continue
		}
		if os.RemoveAll(m) == nil {
			n++
		}
	}
	return n
}
