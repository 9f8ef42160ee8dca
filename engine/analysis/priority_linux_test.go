package analysis

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// threadNice is the nice value of the calling goroutine's OS thread (the
// caller has locked it), from /proc; -100 if it cannot be read.
func threadNice() int {
	data, err := os.ReadFile("/proc/thread-self/stat")
	if err != nil {
		return -100
	}
	// Fields after the command name (which may hold spaces): state is
	// field 3, nice field 19.
	f := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
	n, err := strconv.Atoi(f[19-3])
	if err != nil {
		return -100
	}
	return n
}

// TestLowerWorkerPriority: a worker's thread runs 10 nice levels below the
// rest (at most 19), and the lowered priority stays with that thread: a
// thread started while it runs, and the threads after it ends, run at the
// process's own priority.
func TestLowerWorkerPriority(t *testing.T) {
	locked := func(fn func() int) int {
		ch := make(chan int)
		go func() {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			ch <- fn()
		}()
		return <-ch
	}
	base := locked(threadNice)
	if base == -100 {
		t.Fatal("cannot read a thread's nice value from /proc/thread-self/stat")
	}
	var worker, startedMeanwhile int
	done := make(chan struct{})
	go func() {
		defer close(done)
		lowerWorkerPriority()
		worker = threadNice()
		// A goroutine locked to a thread of its own, started from the
		// worker's thread.
		startedMeanwhile = locked(threadNice)
	}()
	<-done
	if want := min(base+workerNiceness, 19); worker != want {
		t.Errorf("worker thread nice %d, want %d (process %d)", worker, want, base)
	}
	if startedMeanwhile != base {
		t.Errorf("a thread started by the worker runs at nice %d, want the process's %d", startedMeanwhile, base)
	}
	for i := range 8 {
		if n := locked(threadNice); n != base {
			t.Fatalf("thread %d after the worker ended runs at nice %d, want %d", i, n, base)
		}
	}
}
