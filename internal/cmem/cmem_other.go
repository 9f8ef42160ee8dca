//go:build !(linux && cgo)

package cmem

// Trim does nothing where the C heap is not glibc's.
func Trim() {}

// Retain does nothing where the C heap is not glibc's; restore neither.
func Retain() (restore func()) { return func() {} }
