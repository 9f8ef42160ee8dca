package analysis

import (
	"runtime"
	"syscall"
)

// workerNiceness is how much lower than the decoder the measuring workers
// run (a nice increment). See lowerWorkerPriority.
const workerNiceness = 10

// lowerWorkerPriority moves the calling goroutine, for the rest of its
// life, onto an OS thread of its own with a lower scheduling priority
// (nice +10).
//
// The analysis runs the decoder (a serial chain: FFmpeg's threads, then the
// colour conversion) beside the measuring workers, on as many workers as
// cores, so the cores are oversubscribed. At equal priority the workers
// take turns with the decoder and slow the chain that paces the whole
// pass, and cores then idle while the workers wait for frames. Behind the
// decoder, the workers still get every cycle it leaves, and all of them
// once the read-ahead slots are full. Measured at 1080p on 2 cores: the
// pass takes 2.60–2.65 s instead of 2.78 s (medians of 8), with no change
// at +15 or +19.
//
// The thread stays locked: a goroutine that ends locked ends its thread,
// so the lowered priority never passes to other goroutines (and the Go
// runtime starts new threads from a thread of its own, not a locked one).
// Failing to lower it (a sandbox that forbids it) is harmless.
func lowerWorkerPriority() {
	runtime.LockOSThread()
	tid := syscall.Gettid()
	// The raw getpriority returns 20 - nice.
	prio, err := syscall.Getpriority(syscall.PRIO_PROCESS, tid)
	if err != nil {
		return
	}
	nice := min(20-prio+workerNiceness, 19)
	_ = syscall.Setpriority(syscall.PRIO_PROCESS, tid, nice)
}
