//go:build linux && cgo

// Package cmem tunes the C heap, where OpenCV and FFmpeg keep frames.
//
// glibc gives every thread that meets a locked heap an arena of its own,
// up to eight per core, and raises its mmap threshold (up to 32 MB) each
// time a large block is freed. The decoder's and OpenCV's threads allocate
// and free whole frames, so after the first frames every frame buffer
// comes from some arena, each arena keeps its own free pieces, and what
// they hold is not given back. Two arenas and a fixed 1 MiB mmap threshold
// (whole frames are mapped and unmapped) measured here, for a 1080p
// analysis in the window: peak RSS 329–338 MB instead of 346–355 MB, and
// 30–35 MB instead of 52–54 MB above the idle level after closing the scan;
// the CLI is about 2 % slower for it.
//
// With a fixed mmap threshold the trim threshold stays at 128 KiB: every
// time a block of up to 1 MiB (a 1080p frame's optical flow is 1 MB) was
// freed at the top of an arena, the arena gave its pages back, and the
// next such block faulted them in again, zeroed: 94,000–125,000 page
// faults in a 1080p CLI analysis, 0.86 s of system time. A 2 MiB trim
// threshold keeps that much free memory at the top of each arena:
// 66,000–71,000 faults, 0.3 to 0.5 CPU-seconds less, a peak a few MB
// higher (286 against 279 MB; 8 MiB saved a little more but raised the
// glint analysis's peak by about 15 MB). Trim still gives everything back
// when asked.
package cmem

// #include <malloc.h>
import "C"

import "sync"

// The thresholds set at start, and those Retain sets.
const (
	mmapThreshold         = 1 << 20
	trimThreshold         = 2 << 20
	retainedMmapThreshold = 4<<20 + 4096
	retainedTrimThreshold = 16 << 20
)

func init() {
	C.mallopt(C.M_ARENA_MAX, 2)
	C.mallopt(C.M_MMAP_THRESHOLD, mmapThreshold)
	C.mallopt(C.M_TRIM_THRESHOLD, trimThreshold)
}

var retain struct {
	sync.Mutex
	n int
}

// Retain keeps freed blocks of up to 4 MiB in the heaps, and up to 16 MiB
// free at the top of each, until the returned function is called; the last
// caller to return (calls nest and may overlap) restores the thresholds and
// trims the heaps. The glint analysis makes and frees dozens of Mats of
// 1–4 MB (rectified canvases, ECC's Jacobian): mapped and unmapped one by
// one, each was zeroed by the kernel page by page as it was first written.
// Retained while a 1080p scan's frames are rectified and aligned, that
// step's page faults fell from 44,000–49,000 to 13,000; retained through
// the whole glint analysis (110,000 → 45,000 faults) the peak rose by
// 15–25 MB, so the glint analysis keeps it to the alignment.
func Retain() (restore func()) {
	retain.Lock()
	defer retain.Unlock()
	if retain.n == 0 {
		C.mallopt(C.M_MMAP_THRESHOLD, retainedMmapThreshold)
		C.mallopt(C.M_TRIM_THRESHOLD, retainedTrimThreshold)
	}
	retain.n++
	return func() {
		retain.Lock()
		defer retain.Unlock()
		if retain.n--; retain.n == 0 {
			C.mallopt(C.M_MMAP_THRESHOLD, mmapThreshold)
			C.mallopt(C.M_TRIM_THRESHOLD, trimThreshold)
			C.malloc_trim(0)
		}
	}
}

// Trim asks glibc to return the free memory of its heaps to the system.
func Trim() { C.malloc_trim(0) }
