//go:build matprofile

package analysis

import (
	"context"
	"testing"

	"gocv.io/x/gocv"

	"gradevault/engine/event"
)

// Run with: go test -tags matprofile ./engine/analysis/
func TestNoMatLeaks(t *testing.T) {
	v := genVideo(t, "comic")
	before := gocv.MatProfile.Count()
	for _, mode := range []Mode{Fast, Precise} {
		if _, err := Run(context.Background(), v.path, Options{Mode: mode, Workers: 3}); err != nil {
			t.Fatal(err)
		}
	}
	// A cancelled run must release its Mats too.
	ctx, cancel := context.WithCancel(context.Background())
	Run(ctx, v.path, Options{Workers: 2, Sink: func(e event.Event) {
		if _, ok := e.(event.FrameAnalysed); ok {
			cancel()
		}
	}})
	if after := gocv.MatProfile.Count(); after != before {
		t.Fatalf("%d Mats leaked", after-before)
	}
}
