//go:build linux && cgo

package ui

// #include <malloc.h>
import "C"

// trimCHeap asks glibc to return the free memory of its heaps (OpenCV's
// frame buffers) to the system.
func trimCHeap() { C.malloc_trim(0) }
