// Package pgtest starts throwaway PostgreSQL clusters for tests: initdb and
// pg_ctl in a temporary folder, listening on a free 127.0.0.1 port (and a
// unix socket in that folder), stopped and removed at the end.
//
// PostgreSQL refuses to run as root, so when the tests run as root (as CI
// does) the server programs run as the "postgres" system user that Debian's
// postgresql package creates. When PostgreSQL is not installed the tests fail
// with a message saying how to install it: they are never skipped.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Cluster is a running throwaway PostgreSQL cluster.
type Cluster struct {
	Dir  string // temporary folder: data/, the socket and the log
	Port int
	bin  string // folder of initdb, pg_ctl and postgres
	cred *syscall.Credential

	mu      sync.Mutex
	stopped bool
	dbs     int
}

// findBin returns the folder holding initdb and pg_ctl: PATH first, then
// Debian's /usr/lib/postgresql/VERSION/bin (highest version).
func findBin() (string, error) {
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if _, err := exec.LookPath("initdb"); err == nil {
			return filepath.Dir(p), nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[i])))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[j])))
		return vi > vj
	})
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", errors.New("PostgreSQL server programs (initdb, pg_ctl) not found on PATH or in /usr/lib/postgresql/*/bin: install them with `make deps` (Debian package postgresql)")
}

// credential returns the postgres user's credential when running as root.
func credential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root and there is no postgres user to run PostgreSQL as (install the Debian package postgresql): %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// command builds a command that runs as the cluster's user.
func (c *Cluster) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, filepath.Join(c.bin, name), args...)
	cmd.Dir = c.Dir
	cmd.Env = append(os.Environ(), "LC_ALL=C", "TZ=UTC")
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	return cmd
}

func (c *Cluster) run(name string, args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	out, err := c.command(ctx, name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, out)
	}
	return nil
}

// New creates and starts a cluster. Stop it with Stop.
func New() (*Cluster, error) {
	bin, err := findBin()
	if err != nil {
		return nil, err
	}
	cred, err := credential()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "gradevault-pg-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{Dir: dir, bin: bin, cred: cred}
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	if err := c.run("initdb", "-D", filepath.Join(dir, "data"), "-U", "postgres", "--auth=trust",
		"-E", "UTF8", "--no-sync", "--no-instructions"); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if c.Port, err = freePort(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := c.start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return c, nil
}

func (c *Cluster) start() error {
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200", c.Port, c.Dir)
	return c.run("pg_ctl", "-D", filepath.Join(c.Dir, "data"), "-l", filepath.Join(c.Dir, "log"), "-o", opts, "-w", "-t", "60", "start")
}

// Start starts a cluster for one test and stops it when the test ends.
// It fails the test when PostgreSQL is missing or does not start.
func Start(tb testing.TB) *Cluster {
	tb.Helper()
	c, err := New()
	if err != nil {
		tb.Fatalf("PostgreSQL is needed for this test: %v", err)
	}
	tb.Cleanup(c.Stop)
	return c
}

// URL is a connection string for database db on the cluster.
func (c *Cluster) URL(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.Port, db)
}

// CreateDB creates a fresh database and returns its connection string.
func (c *Cluster) CreateDB(tb testing.TB) string {
	tb.Helper()
	c.mu.Lock()
	c.dbs++
	name := fmt.Sprintf("test_%d", c.dbs)
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		tb.Fatalf("connect to the test cluster: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("create database %s: %v", name, err)
	}
	return c.URL(name)
}

// Restart stops the server (fast: clients are disconnected) and starts it
// again on the same port.
func (c *Cluster) Restart(tb testing.TB) {
	tb.Helper()
	if err := c.run("pg_ctl", "-D", filepath.Join(c.Dir, "data"), "-m", "fast", "-w", "stop"); err != nil {
		tb.Fatalf("stop PostgreSQL: %v", err)
	}
	if err := c.start(); err != nil {
		tb.Fatalf("restart PostgreSQL: %v", err)
	}
}

// Stop stops the server and removes its folder. It is safe to call twice.
func (c *Cluster) Stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return
	}
	c.stopped = true
	_ = c.run("pg_ctl", "-D", filepath.Join(c.Dir, "data"), "-m", "immediate", "-w", "stop")
	os.RemoveAll(c.Dir)
}

var (
	sharedMu  sync.Mutex
	shared    *Cluster
	sharedErr error
)

// Shared returns a cluster shared by the tests of one test binary, started
// on first use; StopShared (from TestMain) stops it.
func Shared(tb testing.TB) *Cluster {
	tb.Helper()
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if shared == nil && sharedErr == nil {
		shared, sharedErr = New()
	}
	if sharedErr != nil {
		tb.Fatalf("PostgreSQL is needed for this test: %v", sharedErr)
	}
	return shared
}

// StopShared stops the shared cluster, if one was started.
func StopShared() {
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if shared != nil {
		shared.Stop()
		shared = nil
	}
}
