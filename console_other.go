//go:build !windows

package main

// attachParentConsole is only needed for Windows' GUI-subsystem exe.
func attachParentConsole() {}
