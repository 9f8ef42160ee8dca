//go:build !(linux && cgo)

package cmem

// Trim does nothing where the C heap is not glibc's.
func Trim() {}
