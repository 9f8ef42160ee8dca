//go:build matprofile

package analysis

import (
	"context"
	"testing"

	"gocv.io/x/gocv"

	"gradevault/engine/event"
	"gradevault/engine/video"
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
	// Kept frames: evicted ones (a two-frame budget) are freed at once,
	// the rest by Close; a cancelled run frees what it kept.
	kept, err := Run(context.Background(), v.path, Options{Workers: 2, Keep: true, KeepBytes: 2 * 320 * 240 * 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(kept.Kept) == 0 {
		t.Fatal("nothing kept")
	}
	kept.Close()
	ctx0, cancel0 := context.WithCancel(context.Background())
	n := 0
	Run(ctx0, v.path, Options{Workers: 2, Keep: true, Sink: func(e event.Event) {
		if _, ok := e.(event.FrameAnalysed); ok {
			if n++; n == 40 {
				cancel0()
			}
		}
	}})
	// A cancelled run must release its Mats too.
	ctx, cancel := context.WithCancel(context.Background())
	Run(ctx, v.path, Options{Workers: 2, Sink: func(e event.Event) {
		if _, ok := e.(event.FrameAnalysed); ok {
			cancel()
		}
	}})
	// Exact seeking by timestamp decodes a scratch frame; Close frees it.
	res, err := Run(context.Background(), v.path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := video.Open(v.path)
	if err != nil {
		t.Fatal(err)
	}
	r.SetIndex(res.PTS())
	m := gocv.NewMat()
	for _, n := range []int{60, 10, len(res.Frames) - 1} {
		if _, err := r.Frame(n, &m); err != nil {
			t.Fatal(err)
		}
	}
	m.Close()
	r.Close()
	if after := gocv.MatProfile.Count(); after != before {
		t.Fatalf("%d Mats leaked", after-before)
	}
}
