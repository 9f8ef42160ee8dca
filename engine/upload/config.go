// Package upload sends a scan folder to Supabase Storage with supabase-go
// and records what was sent in the scan's upload.json, so that an
// interrupted upload resumes with only the missing objects.
//
// The Supabase key is a secret: it is read from the OS keychain (or the
// environment / a .env file when no keychain is available), sent only in
// request headers, and never written to logs, errors or files. Config
// redacts it whenever it is printed.
package upload

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/joho/godotenv"

	"gradevault/engine/safefile"
)

// Environment variables read by LoadConfig.
const (
	EnvURL    = "SUPABASE_URL"
	EnvKey    = "SUPABASE_KEY"
	EnvBucket = "GRADEVAULT_BUCKET"
)

// DefaultBucket is the bucket the original worker used.
const DefaultBucket = "analysis-images"

// Defaults applied by Config.withDefaults.
const (
	DefaultTimeout        = 2 * time.Minute // idle: no bytes moving for this long
	DefaultLinkExpiry     = 7 * 24 * time.Hour
	DefaultAttempts       = 4 // per object
	DefaultBackoff        = 500 * time.Millisecond
	DefaultMaxObjectBytes = 50 << 20 // Supabase's default upload limit
	DefaultWorkers        = 3
)

// Config says where and how to upload. The zero values of the tuning fields
// mean the defaults above.
type Config struct {
	URL      string // project URL, e.g. https://abc.supabase.co
	Key      string // service or anon key (a JWT); never printed
	Bucket   string // default DefaultBucket
	JobTable bool   // also upsert the analysis_jobs row
	// Timeout is an idle timeout: a request is given up (and retried) when
	// no bytes have moved for this long, so a slow but moving transfer of
	// a large file finishes.
	Timeout time.Duration
	// Deadline, if set, bounds the whole upload.
	Deadline time.Duration
	// Force sends every object again, whatever upload.json and the server
	// say.
	Force bool
	// LinkExpiry is how long signed URLs (private bucket) stay valid.
	LinkExpiry time.Duration

	Attempts       int           // tries per request, including the first
	Backoff        time.Duration // first retry delay, doubled each retry
	MaxObjectBytes int64         // larger files are refused before uploading
	Workers        int           // parallel uploads

	// KeySource says where LoadConfig found the key ("keychain",
	// "environment", ".env file"), for display.
	KeySource string
	// sleep waits between retries; tests shorten it. Nil means a timer that
	// honours the context.
	sleep func(ctxDone <-chan struct{}, d time.Duration) bool
}

const redacted = "[redacted]"

// String describes the config with the key redacted.
func (c Config) String() string {
	key := "none"
	if c.Key != "" {
		key = redacted
	}
	return fmt.Sprintf("upload.Config{URL:%q Bucket:%q JobTable:%v Timeout:%v Deadline:%v Force:%v Key:%s KeySource:%q}",
		c.URL, c.Bucket, c.JobTable, c.Timeout, c.Deadline, c.Force, key, c.KeySource)
}

// GoString is String: %#v must not reveal the key either.
func (c Config) GoString() string { return c.String() }

// Format makes every fmt verb (%v, %+v, %#v, %s, %q, …) print String.
func (c Config) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		fmt.Fprintf(f, "%q", c.String())
		return
	}
	fmt.Fprint(f, c.String())
}

// LogValue keeps the key out of log/slog output.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }

// MarshalJSON keeps the key out of JSON output.
func (c Config) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		URL, Bucket string
		JobTable    bool
		Key         string
	}{c.URL, c.Bucket, c.JobTable, map[bool]string{true: redacted, false: ""}[c.Key != ""]})
}

// ErrConfig is wrapped by configuration errors (no URL, no key, bad URL).
var ErrConfig = errors.New("upload not configured")

// normalised returns c with defaults applied and the URL normalised (no
// trailing slash: supabase-go appends "/storage/v1" and a double slash
// breaks every path), or an error if it cannot be used.
func (c Config) normalised() (Config, error) { return c.check(true) }

// check is normalised; requireKey false lets Plan run before a key is set.
func (c Config) check(requireKey bool) (Config, error) {
	c.URL = strings.TrimRight(strings.TrimSpace(c.URL), "/")
	c.Key = strings.TrimSpace(c.Key)
	c.Bucket = strings.Trim(strings.TrimSpace(c.Bucket), "/")
	if c.Bucket == "" {
		c.Bucket = DefaultBucket
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.LinkExpiry <= 0 {
		c.LinkExpiry = DefaultLinkExpiry
	}
	if c.Attempts <= 0 {
		c.Attempts = DefaultAttempts
	}
	if c.Backoff <= 0 {
		c.Backoff = DefaultBackoff
	}
	if c.MaxObjectBytes <= 0 {
		c.MaxObjectBytes = DefaultMaxObjectBytes
	}
	if c.Workers <= 0 {
		c.Workers = DefaultWorkers
	}
	if c.URL == "" {
		return c, fmt.Errorf("%w: no Supabase project URL (set %s or the URL in settings)", ErrConfig, EnvURL)
	}
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return c, fmt.Errorf("%w: project URL %q is not an http(s) URL", ErrConfig, c.URL)
	}
	if requireKey && c.Key == "" {
		return c, fmt.Errorf("%w: no Supabase key (store it in the keychain from the settings screen, or set %s)", ErrConfig, EnvKey)
	}
	if strings.ContainsAny(c.Bucket, "/?#% ") {
		return c, fmt.Errorf("%w: bucket name %q is not valid", ErrConfig, c.Bucket)
	}
	return c, nil
}

// PublicURL is the public URL of objectPath in c's bucket:
// {URL}/storage/v1/object/public/{bucket}/{path}.
func (c Config) PublicURL(objectPath string) string {
	return strings.TrimRight(c.URL, "/") + "/storage/v1/object/public/" + c.Bucket + "/" + objectPath
}

// Settings are the non-secret settings kept in settings.json, shared by the
// command line and the GUI's settings screen. They never hold the key.
type Settings struct {
	URL      string `json:"url,omitempty"`
	Bucket   string `json:"bucket,omitempty"`
	JobTable bool   `json:"jobTable,omitempty"`
	// TimeoutSeconds is the idle timeout of upload requests: no bytes
	// moving for this long (0: default).
	TimeoutSeconds float64 `json:"timeoutSeconds,omitempty"`
	// Library is the scan library root ("" for the default).
	Library string `json:"library,omitempty"`

	// Analysis defaults for the GUI (0 / "" mean the engine's defaults).
	Workers         int     `json:"workers,omitempty"`
	Mode            string  `json:"mode,omitempty"`
	MotionThreshold float64 `json:"motionThreshold,omitempty"`
	MinGap          int     `json:"minGap,omitempty"`
}

// ConfigDir is os.UserConfigDir()/gradevault.
func ConfigDir() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("find config folder: %w", err)
	}
	return filepath.Join(dir, "gradevault"), nil
}

// SettingsPath is ConfigDir()/settings.json.
func SettingsPath() (string, error) {
	dir, err := ConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "settings.json"), nil
}

// LoadSettings reads settings.json; a missing file gives zero Settings.
func LoadSettings() (Settings, error) {
	path, err := SettingsPath()
	if err != nil {
		return Settings{}, err
	}
	return LoadSettingsFile(path)
}

// LoadSettingsFile reads settings from path; a missing file gives zero
// Settings.
func LoadSettingsFile(path string) (Settings, error) {
	var s Settings
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("read settings: %w", err)
	}
	if err := json.Unmarshal(data, &s); err != nil {
		return Settings{}, fmt.Errorf("read settings %s: %w", path, err)
	}
	return s, nil
}

// SaveSettings writes settings.json atomically.
func SaveSettings(s Settings) error {
	path, err := SettingsPath()
	if err != nil {
		return err
	}
	return SaveSettingsFile(path, s)
}

// SaveSettingsFile writes settings to path atomically.
func SaveSettingsFile(path string, s Settings) error {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return safefile.WriteFile(path, append(data, '\n'), 0o644)
}

// LoadOptions says where LoadConfig looks. The zero value means the real
// environment, the working directory, the user's config folder and the OS
// keychain.
type LoadOptions struct {
	Keychain  Keychain            // nil: the OS keychain
	Getenv    func(string) string // nil: os.Getenv
	WorkDir   string              // folder whose .env is read ("" = working directory)
	ConfigDir string              // "" = ConfigDir(); holds settings.json and a .env
	// NoKeychain skips the keychain (e.g. --no-keychain).
	NoKeychain bool
}

// LoadConfig assembles a Config. The URL and bucket come from the
// environment, else a .env file (working directory first, then the config
// folder), else settings.json; the bucket defaults to DefaultBucket. The key
// comes from the OS keychain (service "GradeVault", account = project URL)
// and, when the keychain has none or is unavailable, from $SUPABASE_KEY or a
// .env file. A missing URL or key is not an error here: Upload and Plan
// report it. The returned warnings say what was skipped (e.g. "no keychain")
// and never contain the key.
func LoadConfig(opts LoadOptions) (cfg Config, warnings []string, err error) {
	getenv := opts.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	confDir := opts.ConfigDir
	if confDir == "" {
		if confDir, err = ConfigDir(); err != nil {
			warnings = append(warnings, err.Error())
		}
	}
	var settings Settings
	if confDir != "" {
		if settings, err = LoadSettingsFile(filepath.Join(confDir, "settings.json")); err != nil {
			return Config{}, warnings, err
		}
	}
	dotenv := map[string]string{}
	// Later files do not override earlier ones: the working directory's
	// .env wins over the config folder's.
	workDir := opts.WorkDir
	if workDir == "" {
		workDir = "."
	}
	for _, dir := range []string{workDir, confDir} {
		if dir == "" {
			continue
		}
		m, err := godotenv.Read(filepath.Join(dir, ".env"))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			// godotenv's parse errors quote the offending line, which may
			// hold the key: report only the file.
			warnings = append(warnings, fmt.Sprintf("ignoring %s: cannot parse it", filepath.Join(dir, ".env")))
			continue
		}
		for k, v := range m {
			if _, ok := dotenv[k]; !ok {
				dotenv[k] = v
			}
		}
	}
	pick := func(name, fallback string) string {
		if v := getenv(name); v != "" {
			return v
		}
		if v := dotenv[name]; v != "" {
			return v
		}
		return fallback
	}
	cfg.URL = strings.TrimRight(strings.TrimSpace(pick(EnvURL, settings.URL)), "/")
	cfg.Bucket = pick(EnvBucket, settings.Bucket)
	if cfg.Bucket == "" {
		cfg.Bucket = DefaultBucket
	}
	cfg.JobTable = settings.JobTable
	if settings.TimeoutSeconds > 0 {
		cfg.Timeout = time.Duration(settings.TimeoutSeconds * float64(time.Second))
	}

	if !opts.NoKeychain && cfg.URL != "" {
		kc := opts.Keychain
		if kc == nil {
			kc = OSKeychain()
		}
		key, err := GetKey(kc, cfg.URL)
		switch {
		case err == nil:
			cfg.Key, cfg.KeySource = key, "keychain"
		case errors.Is(err, ErrKeyNotFound):
		default:
			warnings = append(warnings, err.Error())
		}
	}
	if cfg.Key == "" {
		if v := getenv(EnvKey); v != "" {
			cfg.Key, cfg.KeySource = v, "environment"
		} else if v := dotenv[EnvKey]; v != "" {
			cfg.Key, cfg.KeySource = v, ".env file"
		}
	}
	return cfg, warnings, nil
}
