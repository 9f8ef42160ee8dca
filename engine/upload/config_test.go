package upload

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zalando/go-keyring"
)

type mapKeychain map[string]string

func (m mapKeychain) Get(service, user string) (string, error) {
	if v, ok := m[service+"|"+user]; ok {
		return v, nil
	}
	return "", keyring.ErrNotFound
}
func (m mapKeychain) Set(service, user, secret string) error {
	m[service+"|"+user] = secret
	return nil
}
func (m mapKeychain) Delete(service, user string) error {
	if _, ok := m[service+"|"+user]; !ok {
		return keyring.ErrNotFound
	}
	delete(m, service+"|"+user)
	return nil
}

type brokenKeychain struct{ err error }

func (b brokenKeychain) Get(string, string) (string, error) { return "", b.err }
func (b brokenKeychain) Set(string, string, string) error   { return b.err }
func (b brokenKeychain) Delete(string, string) error        { return b.err }

type hangingKeychain struct{ release chan struct{} }

func (h hangingKeychain) Get(string, string) (string, error) { <-h.release; return "", nil }
func (h hangingKeychain) Set(string, string, string) error   { <-h.release; return nil }
func (h hangingKeychain) Delete(string, string) error        { <-h.release; return nil }

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestLoadConfigPrecedence(t *testing.T) {
	work, conf := t.TempDir(), t.TempDir()
	if err := SaveSettingsFile(filepath.Join(conf, "settings.json"), Settings{URL: "https://settings.supabase.co", Bucket: "settings-bucket", JobTable: true, TimeoutSeconds: 5}); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(conf, ".env"), "SUPABASE_URL=https://confenv.supabase.co\nSUPABASE_KEY=conf-env-key\nGRADEVAULT_BUCKET=conf-bucket\n")
	writeFile(t, filepath.Join(work, ".env"), "SUPABASE_KEY=work-env-key\n")
	kc := mapKeychain{}
	opts := LoadOptions{Keychain: kc, Getenv: envOf(nil), WorkDir: work, ConfigDir: conf}

	// .env files beat settings.json; the working directory's beats the
	// config folder's.
	cfg, warns, err := LoadConfig(opts)
	if err != nil || len(warns) != 0 {
		t.Fatal(err, warns)
	}
	if cfg.URL != "https://confenv.supabase.co" || cfg.Bucket != "conf-bucket" || cfg.Key != "work-env-key" ||
		cfg.KeySource != ".env file" || !cfg.JobTable || cfg.Timeout != 5*time.Second {
		t.Errorf("cfg = %v (key %q)", cfg, cfg.Key)
	}

	// The environment beats .env files.
	opts.Getenv = envOf(map[string]string{EnvURL: "https://env.supabase.co/", EnvKey: "env-key", EnvBucket: "env-bucket"})
	cfg, _, _ = LoadConfig(opts)
	if cfg.URL != "https://env.supabase.co" || cfg.Bucket != "env-bucket" || cfg.Key != "env-key" || cfg.KeySource != "environment" {
		t.Errorf("cfg = %v (key %q)", cfg, cfg.Key)
	}

	// The keychain, keyed by project URL, beats everything for the key.
	if err := SaveKey(kc, "https://env.supabase.co/", "keychain-key"); err != nil {
		t.Fatal(err)
	}
	cfg, _, _ = LoadConfig(opts)
	if cfg.Key != "keychain-key" || cfg.KeySource != "keychain" {
		t.Errorf("key %q from %s", cfg.Key, cfg.KeySource)
	}
	if err := DeleteKey(kc, "https://env.supabase.co"); err != nil {
		t.Fatal(err)
	}
	if err := DeleteKey(kc, "https://env.supabase.co"); err != nil {
		t.Errorf("deleting a missing key: %v", err)
	}

	// Nothing configured: defaults, no error (Upload reports it).
	cfg, _, err = LoadConfig(LoadOptions{Keychain: kc, Getenv: envOf(nil), WorkDir: t.TempDir(), ConfigDir: t.TempDir()})
	if err != nil || cfg.URL != "" || cfg.Key != "" || cfg.Bucket != DefaultBucket {
		t.Errorf("empty config = %v, %v", cfg, err)
	}
}

func TestLoadConfigWithoutKeychain(t *testing.T) {
	env := envOf(map[string]string{EnvURL: "https://x.supabase.co", EnvKey: "env-key"})
	base := LoadOptions{Getenv: env, WorkDir: t.TempDir(), ConfigDir: t.TempDir()}

	// No secret service (as on a headless Linux box): fall back, warn.
	opts := base
	opts.Keychain = brokenKeychain{errors.New("The name org.freedesktop.secrets was not provided by any .service files")}
	cfg, warns, err := LoadConfig(opts)
	if err != nil || cfg.Key != "env-key" || len(warns) != 1 || !strings.Contains(warns[0], "no OS keychain") {
		t.Errorf("cfg %v, warnings %q, err %v", cfg, warns, err)
	}

	// A keychain that never answers costs KeychainTimeout, not a hang.
	defer func(d time.Duration) { KeychainTimeout = d }(KeychainTimeout)
	KeychainTimeout = 50 * time.Millisecond
	h := hangingKeychain{make(chan struct{})}
	defer close(h.release)
	opts.Keychain = h
	start := time.Now()
	cfg, warns, _ = LoadConfig(opts)
	if time.Since(start) > time.Second || cfg.Key != "env-key" || len(warns) != 1 {
		t.Errorf("hanging keychain: cfg %v, warnings %q", cfg, warns)
	}

	// go-keyring's own mock, through OSKeychain.
	keyring.MockInit()
	opts.Keychain = nil
	if err := SaveKey(OSKeychain(), "https://x.supabase.co", "mock-key"); err != nil {
		t.Fatal(err)
	}
	if cfg, _, _ = LoadConfig(opts); cfg.Key != "mock-key" {
		t.Errorf("key from go-keyring mock = %q", cfg.Key)
	}
	keyring.MockInitWithError(errors.New("dbus: no session bus"))
	if cfg, warns, _ = LoadConfig(opts); cfg.Key != "env-key" || len(warns) != 1 {
		t.Errorf("go-keyring error: key %q warnings %q", cfg.Key, warns)
	}
	if _, err := GetKey(OSKeychain(), "https://x.supabase.co"); !errors.Is(err, ErrNoKeychain) {
		t.Errorf("GetKey = %v, want ErrNoKeychain", err)
	}
}

func TestConfigNeverPrintsKey(t *testing.T) {
	const key = "eyJhbGciOiJIUzI1NiJ9.CANARY-payload.CANARY-signature"
	cfg := Config{URL: "https://x.supabase.co", Key: key, Bucket: "b"}
	var outs []string
	for _, f := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		outs = append(outs, fmt.Sprintf(f, cfg), fmt.Sprintf(f, &cfg))
	}
	outs = append(outs, cfg.String(), cfg.GoString(), fmt.Sprint(cfg), fmt.Sprintf("%v", struct{ C Config }{cfg}))
	data, _ := json.Marshal(cfg)
	outs = append(outs, string(data))
	var logBuf strings.Builder
	slog.New(slog.NewTextHandler(&logBuf, nil)).Info("upload", "cfg", cfg)
	slog.New(slog.NewJSONHandler(&logBuf, nil)).Info("upload", "cfg", cfg)
	outs = append(outs, logBuf.String())
	for _, o := range outs {
		if strings.Contains(o, "CANARY") {
			t.Errorf("key printed: %s", o)
		}
	}
	if !strings.Contains(cfg.String(), redacted) || !strings.Contains(cfg.String(), "https://x.supabase.co") {
		t.Errorf("String() = %s", cfg)
	}
}

func TestSettingsRoundTrip(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	s, err := LoadSettings()
	if err != nil || s != (Settings{}) {
		t.Fatalf("missing settings = %+v, %v", s, err)
	}
	want := Settings{URL: "https://x.supabase.co", Bucket: "b", JobTable: true, Workers: 4, Mode: "fast", MotionThreshold: 1.5, MinGap: 15, Library: "/scans"}
	if err := SaveSettings(want); err != nil {
		t.Fatal(err)
	}
	got, err := LoadSettings()
	if err != nil || got != want {
		t.Errorf("LoadSettings = %+v, %v", got, err)
	}
	path, _ := SettingsPath()
	writeFile(t, path, "{broken")
	if _, err := LoadSettings(); err == nil {
		t.Error("broken settings.json accepted")
	}
}
