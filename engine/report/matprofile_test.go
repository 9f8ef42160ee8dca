//go:build matprofile

package report

import (
	"testing"

	"gocv.io/x/gocv"

	"gradevault/engine/synth"
)

// Run with: go test -tags matprofile ./engine/report/
func TestNoMatLeaks(t *testing.T) {
	dir := scanOf(t, synth.Card, 320, 240, "leak")
	before := gocv.MatProfile.Count()
	if _, err := Build(dir, Options{}); err != nil {
		t.Fatal(err)
	}
	if after := gocv.MatProfile.Count(); after != before {
		t.Fatalf("%d Mats leaked", after-before)
	}
}
