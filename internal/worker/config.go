package worker

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"runtime"
	"strings"
	"time"

	"gradevault/engine/upload"
)

// Environment variables read by the command (flags override them).
const (
	EnvDatabaseURL = "DATABASE_URL"
	EnvToken       = "GRADEVAULT_WORKER_TOKEN"
	EnvConcurrency = "GRADEVAULT_CONCURRENCY"
	EnvAddr        = "GRADEVAULT_ADDR"
	EnvVideoHosts  = "GRADEVAULT_VIDEO_HOSTS"
)

// Config configures the API and the job workers.
type Config struct {
	DatabaseURL string        // PostgreSQL connection string; never logged
	Supabase    upload.Config // project URL, key (never logged), bucket

	Addr  string // API listen address; default 127.0.0.1:8080 (0.0.0.0:8080 with a token)
	Token string // bearer token required by the API; never logged

	// VideoHosts, when not empty, are the only hosts videos are downloaded
	// from: "abc.supabase.co" matches that host, ".supabase.co" any host
	// under it. Empty allows any host.
	VideoHosts []string

	Concurrency   int // jobs at once in this process; default max(1, NumCPU/2)
	EngineWorkers int // analysis goroutines per job; default NumCPU

	Grace            time.Duration // on SIGTERM: time a running job gets to finish before it is handed back
	DownloadTimeout  time.Duration // whole video download
	MaxVideoBytes    int64
	JobTimeout       time.Duration // one attempt
	RescueAfter      time.Duration // a job running this long is presumed dead (its worker crashed) and retried
	MaxAttempts      int
	RetryBackoff     time.Duration // first retry delay, doubled each attempt
	MaxBackoff       time.Duration
	ProgressInterval time.Duration // the row's progress is written at most this often
	FetchPoll        time.Duration // how often idle workers look for jobs besides notifications
	TempDir          string        // "" = os.TempDir()

	Logger *slog.Logger
}

// Defaults.
const (
	DefaultGrace            = 25 * time.Second
	DefaultDownloadTimeout  = 5 * time.Minute
	DefaultMaxVideoBytes    = 1 << 30 // 1 GiB
	DefaultJobTimeout       = 30 * time.Minute
	DefaultMaxAttempts      = 5
	DefaultRetryBackoff     = 10 * time.Second
	DefaultMaxBackoff       = 10 * time.Minute
	DefaultProgressInterval = time.Second
)

// DefaultConcurrency is one job per two cores: the engine already spreads
// one job over every core.
func DefaultConcurrency() int { return max(1, runtime.NumCPU()/2) }

// WithDefaults fills unset fields.
func (c Config) WithDefaults() Config {
	if c.Concurrency < 0 {
		c.Concurrency = 0
	}
	if c.Grace <= 0 {
		c.Grace = DefaultGrace
	}
	if c.DownloadTimeout <= 0 {
		c.DownloadTimeout = DefaultDownloadTimeout
	}
	if c.MaxVideoBytes <= 0 {
		c.MaxVideoBytes = DefaultMaxVideoBytes
	}
	if c.JobTimeout <= 0 {
		c.JobTimeout = DefaultJobTimeout
	}
	if c.RescueAfter < c.JobTimeout {
		c.RescueAfter = c.JobTimeout + 5*time.Minute
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	if c.RetryBackoff <= 0 {
		c.RetryBackoff = DefaultRetryBackoff
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = DefaultMaxBackoff
	}
	if c.ProgressInterval <= 0 {
		c.ProgressInterval = DefaultProgressInterval
	}
	if c.FetchPoll <= 0 {
		c.FetchPoll = time.Second
	}
	if c.Supabase.Bucket == "" {
		c.Supabase.Bucket = upload.DefaultBucket
	}
	if c.Addr == "" {
		if c.Token != "" {
			c.Addr = "0.0.0.0:8080"
		} else {
			c.Addr = "127.0.0.1:8080"
		}
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// checkRescue refuses a rescue delay shorter than the job timeout (before
// defaults are applied, so that the user's values are checked).
func (c Config) checkRescue() error {
	if c.RescueAfter > 0 && c.JobTimeout > 0 && c.RescueAfter < c.JobTimeout {
		return fmt.Errorf("-rescue-after (%s) must be at least -job-timeout (%s): a job would be rescued while it still runs", c.RescueAfter, c.JobTimeout)
	}
	return nil
}

// CheckAddr refuses to listen beyond the loopback interface without a token.
func (c Config) CheckAddr() error {
	if c.Token != "" {
		return nil
	}
	host, _, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return fmt.Errorf("listen address %q: %w", c.Addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("listen address %q is not 127.0.0.1: set %s to accept requests from other machines", c.Addr, EnvToken)
}

// CheckWorkers reports configuration the job workers cannot run without.
func (c Config) CheckWorkers() error {
	if c.Supabase.URL == "" {
		return errors.New("SUPABASE_URL is not set")
	}
	if u, err := url.Parse(c.Supabase.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("SUPABASE_URL must be an http(s) URL such as https://abc.supabase.co")
	}
	if c.Supabase.Key == "" {
		return errors.New("SUPABASE_KEY is not set")
	}
	return nil
}

// RedactedDatabaseURL describes the database without user or password.
func RedactedDatabaseURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return "(unparsed connection string)"
	}
	return u.Scheme + "://" + u.Host + u.Path
}

// ParseHosts splits a comma-separated host list.
func ParseHosts(s string) []string {
	var out []string
	for _, h := range strings.Split(s, ",") {
		if h = strings.ToLower(strings.TrimSpace(h)); h != "" {
			out = append(out, h)
		}
	}
	return out
}

// hostAllowed reports whether videos may be downloaded from rawURL's host.
func hostAllowed(hosts []string, rawURL string) error {
	if len(hosts) == 0 {
		return nil
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return fmt.Errorf("videoUrl is not a valid URL")
	}
	h := strings.ToLower(u.Hostname())
	for _, a := range hosts {
		if h == a || (strings.HasPrefix(a, ".") && strings.HasSuffix(h, a)) {
			return nil
		}
	}
	return fmt.Errorf("videoUrl host %q is not among the allowed video hosts (%s)", h, EnvVideoHosts)
}
