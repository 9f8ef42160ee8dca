//go:build unix

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"gradevault/engine/library"
	"gradevault/engine/synth"
	"gradevault/internal/fakestorage"
)

// interruptAfter starts cmd, waits until ready reports true (or 20 s),
// sends SIGINT and returns the exit code and stderr.
func interruptAfter(t *testing.T, cmd *exec.Cmd, ready func() bool) (int, string, time.Duration) {
	t.Helper()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for start := time.Now(); !ready(); time.Sleep(20 * time.Millisecond) {
		if time.Since(start) > 20*time.Second {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("the command never got going: %s", stderr.String())
		}
	}
	sent := time.Now()
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("still running 10 s after SIGINT: %s", stderr.String())
	}
	return cmd.ProcessState.ExitCode(), stderr.String(), time.Since(sent)
}

// TestInterruptExits130 sends SIGINT to the real binary during an upload
// and during an analysis: both stop promptly with exit code 130 (not 1),
// say they were interrupted without an error line, and the analysis
// leaves no scan folder behind.
func TestInterruptExits130(t *testing.T) {
	dir := t.TempDir()
	bin := buildBinary(t, dir)
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "XDG_CONFIG_HOME=" + filepath.Join(dir, "config"), "LANG=C.UTF-8"}

	t.Run("upload", func(t *testing.T) {
		srv := fakestorage.New(t)
		lib := filepath.Join(dir, "lib")
		fakestorage.WriteScan(t, library.ScanDir(lib, "scan-sig"), "scan-sig", true)
		srv.Fail("scan-sig/glint/", fakestorage.FaultHang, 100)
		cmd := exec.Command(bin, "upload", "scan-sig", "--library", lib)
		cmd.Env = append(env, "SUPABASE_URL="+srv.URL, "SUPABASE_KEY="+srv.Key("service_role"))
		code, stderr, took := interruptAfter(t, cmd, func() bool { return srv.Count("", "scan-sig/glint/") > 0 })
		if code != 130 || !strings.Contains(stderr, "upload interrupted") || strings.Contains(stderr, "error:") {
			t.Errorf("exit %d, stderr:\n%s\nwant 130 and no error line", code, stderr)
		}
		if took > 3*time.Second {
			t.Errorf("exited %v after SIGINT", took)
		}
		st, err := library.ReadState(library.ScanDir(lib, "scan-sig"))
		if err != nil || st.State != library.StatePartial || st.Error != "cancelled" {
			t.Errorf("upload.json after the interrupt: %+v %v", st, err)
		}
	})

	t.Run("analyze", func(t *testing.T) {
		s := synth.DefaultScene(synth.Comic, 320, 240)
		s.Phases = append(append(s.Phases, s.Phases...), s.Phases...)
		video := filepath.Join(dir, "long.mp4")
		if _, err := synth.Write(video, s); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(dir, "scan-analyze")
		cmd := exec.Command(bin, "analyze", video, "--out", out, "--workers", "2")
		cmd.Env = env
		// Interrupt once the process has the video open (it is then past
		// start-up and analysing); without /proc, after a second.
		start := time.Now()
		code, stderr, took := interruptAfter(t, cmd, func() bool {
			if cmd.Process == nil {
				return false
			}
			fds, err := os.ReadDir(filepath.Join("/proc", strconv.Itoa(cmd.Process.Pid), "fd"))
			if err != nil {
				return time.Since(start) > time.Second
			}
			for _, fd := range fds {
				if target, _ := os.Readlink(filepath.Join("/proc", strconv.Itoa(cmd.Process.Pid), "fd", fd.Name())); target == video {
					return true
				}
			}
			return false
		})
		if code != 130 || !strings.Contains(stderr, "analysis interrupted") || strings.Contains(stderr, "error:") {
			t.Errorf("exit %d, stderr:\n%s\nwant 130 and no error line", code, stderr)
		}
		if took > 3*time.Second {
			t.Errorf("exited %v after SIGINT", took)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("the interrupted analysis left %s behind", out)
		}
	})
}
