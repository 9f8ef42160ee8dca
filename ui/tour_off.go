//go:build !tour

package ui

import "errors"

// newTourRunner: builds without the "tour" tag have no screenshot tour.
func newTourRunner(string) (tourRunner, error) {
	return nil, errors.New(EnvTour + " is set, but this build has no screenshot tour (build with -tags tour, as make screenshots does)")
}
