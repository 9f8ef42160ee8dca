package analysis

import (
	"runtime"
	"syscall"
)

// workerNice is how much lower than the decoder the metric workers run.
const workerNice = 5

// yieldToDecoder lowers the calling goroutine's thread's priority, for a
// metric worker: the decoder is the pipeline's bottleneck, and on a machine
// with few cores it must not wait for the CPU behind the workers, which
// only fill the time it leaves. The goroutine stays on its thread until it
// ends, and the thread ends with it, so no other goroutine inherits the
// priority.
func yieldToDecoder() {
	runtime.LockOSThread()
	tid := syscall.Gettid()
	prio, err := syscall.Getpriority(syscall.PRIO_PROCESS, tid)
	if err != nil {
		return
	}
	// The raw system call returns 20 - nice.
	syscall.Setpriority(syscall.PRIO_PROCESS, tid, min(19, 20-prio+workerNice))
}
