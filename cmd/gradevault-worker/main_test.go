package main

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

// TestNoGUIDependencies: the server binary links no Fyne and no OpenGL.
func TestNoGUIDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 50 {
		t.Fatalf("go list -deps listed only %d packages", len(deps))
	}
	for _, d := range deps {
		if strings.HasPrefix(d, "fyne.io/") || strings.HasPrefix(d, "github.com/go-gl/") || strings.HasPrefix(d, "github.com/fyne-io/") {
			t.Errorf("gradevault-worker depends on %s", d)
		}
	}
	for _, want := range []string{"gradevault/engine/scan", "github.com/riverqueue/river", "github.com/jackc/pgx/v5"} {
		if !bytes.Contains(out, []byte(want+"\n")) {
			t.Errorf("gradevault-worker does not depend on %s", want)
		}
	}
}

// TestRunErrors: usage mistakes exit 2, configuration errors exit 1 with one
// JSON log line, and neither the key nor the database password is printed.
func TestRunErrors(t *testing.T) {
	const key = "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LWtleQ.c2ln"
	env := func(m map[string]string) func(string) string {
		return func(k string) string { return m[k] }
	}
	cases := []struct {
		name string
		args []string
		env  map[string]string
		code int
		want string
	}{
		{"no command", nil, nil, 2, "usage:"},
		{"unknown command", []string{"frobnicate"}, nil, 2, "unknown command"},
		{"bad flag", []string{"work", "-nope"}, nil, 2, "flag provided but not defined"},
		{"open address without token", []string{"serve", "-addr", "0.0.0.0:0"}, map[string]string{"SUPABASE_KEY": key}, 1, "GRADEVAULT_WORKER_TOKEN"},
		{"no Supabase URL", []string{"work"}, map[string]string{"DATABASE_URL": "postgres://u:hunter2@127.0.0.1:1/db", "SUPABASE_KEY": key}, 1, "SUPABASE_URL is not set"},
		{"no database", []string{"work"}, map[string]string{"SUPABASE_URL": "http://127.0.0.1:1", "SUPABASE_KEY": key}, 1, "DATABASE_URL is not set"},
		{"database unreachable", []string{"work"}, map[string]string{"DATABASE_URL": "postgres://u:hunter2@127.0.0.1:1/db?connect_timeout=2",
			"SUPABASE_URL": "http://127.0.0.1:1", "SUPABASE_KEY": key}, 1, "connect to postgres://127.0.0.1:1/db"},
		{"migrate unreachable", []string{"migrate"}, map[string]string{"DATABASE_URL": "postgres://u:hunter2@127.0.0.1:1/db?connect_timeout=2"}, 1, "connect to"},
		{"rescue before timeout", []string{"work", "-job-timeout", "10m", "-rescue-after", "5m"}, map[string]string{"DATABASE_URL": "postgres://u:hunter2@127.0.0.1:1/db",
			"SUPABASE_URL": "http://127.0.0.1:1", "SUPABASE_KEY": key}, 1, "must be at least -job-timeout"},
		{"work with no concurrency", []string{"work", "-concurrency", "0"}, nil, 1, "-concurrency must be at least 1"},
	}
	for _, c := range cases {
		var stderr bytes.Buffer
		code := run(c.args, env(c.env), &stderr)
		out := stderr.String()
		if code != c.code || !strings.Contains(out, c.want) {
			t.Errorf("%s: exit %d, output %q; want exit %d with %q", c.name, code, out, c.code, c.want)
		}
		if strings.Contains(out, key) || strings.Contains(out, "hunter2") {
			t.Errorf("%s: output reveals a secret: %s", c.name, out)
		}
		if c.code == 1 {
			var line map[string]any
			if err := json.Unmarshal(bytes.TrimSpace(stderr.Bytes()), &line); err != nil || line["level"] != "ERROR" {
				t.Errorf("%s: not one JSON error line: %q", c.name, out)
			}
		}
	}
}
