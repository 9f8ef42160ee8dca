//go:build !unix

package ui

import "errors"

const envWindowChild = "GRADEVAULT_WINDOW_BENCH_CHILD"

// windowChild is only used by the unix benchmark.
func windowChild(string, string) error { return errors.New("the window benchmark needs a unix system") }
