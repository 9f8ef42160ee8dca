//go:build !linux

package analysis

// yieldToDecoder does nothing here: thread priorities are Linux's.
func yieldToDecoder() {}
