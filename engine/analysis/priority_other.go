//go:build !linux

package analysis

// lowerWorkerPriority lowers the measuring workers' priority on Linux
// (see priority_linux.go); elsewhere they run at the decoder's.
func lowerWorkerPriority() {}
