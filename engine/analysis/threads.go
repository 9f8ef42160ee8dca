package analysis

/*
#cgo pkg-config: opencv4
#cgo CXXFLAGS: -std=c++11
#include "threads.h"
*/
import "C"

// OpenCV runs many of its functions (colour conversion, pyramids, filters,
// DIS flow) as parallel loops on its own thread pool. The engine already
// keeps every core busy with goroutines, one frame each (the analysis
// workers, the glint analysis's frames), so those loops only add hand-offs
// between threads: measured at 1080p on 2 cores, 0.3 of 9.2 CPU-seconds of
// an analysis, and no gain in the glint analysis. So OpenCV runs its loops
// on the calling thread.
//
// The setting is made once, here, before any goroutine can be inside an
// OpenCV loop: changing it while one runs (as a per-analysis setting would,
// with two analyses in one process) tears down the pool under it.
func init() {
	C.gv_set_num_threads(1)
}
