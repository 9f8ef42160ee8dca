//go:build matprofile

package glint

import (
	"bytes"
	"context"
	"testing"

	"gocv.io/x/gocv"

	"gradevault/engine/event"
	"gradevault/engine/synth"
)

// TestNoMatLeaks checks that Analyze closes every Mat it creates, on
// success, with a fallback frame, and on cancellation. Run with
// go test -tags matprofile ./engine/glint/.
func TestNoMatLeaks(t *testing.T) {
	s := synth.DefaultScene(synth.Card, 320, 240)
	s.Crease = true
	frames := make([]Frame, 0, 4)
	for _, i := range []int{6, 42, 82} {
		m := synth.Render(s, i)
		defer m.Close()
		frames = append(frames, Frame{Index: i, Image: m})
	}
	noise := noiseFrame(t, 320, 240, 3)
	grey := gocv.NewMat()
	defer grey.Close()
	gocv.CvtColor(frames[1].Image, &grey, gocv.ColorBGRToGray)

	// Golden and analysis-only frames, one of them not matching the others.
	mixed := []Frame{{Index: frames[0].Index, Image: frames[0].Image, Role: RoleDisplay}}
	for _, i := range []int{9, 24, 45, 64, 85} {
		m := synth.Render(s, i)
		defer m.Close()
		mixed = append(mixed, Frame{Index: i, Image: m, Role: RoleAnalysis})
	}
	mixed = append(mixed, Frame{Index: 100, Image: grey, Role: RoleAnalysis})

	start := gocv.MatProfile.Count()
	run := func(name string, ctx context.Context, fr []Frame, opts Options) {
		Analyze(ctx, fr, opts)
		if n := gocv.MatProfile.Count(); n != start {
			var b bytes.Buffer
			gocv.MatProfile.WriteTo(&b, 1)
			t.Fatalf("%s: %d Mats leaked:\n%s", name, n-start, b.String())
		}
	}
	run("normal", context.Background(), frames, Options{ItemType: ItemCard, OutDir: t.TempDir()})
	run("fallback and grey", context.Background(), append(frames, Frame{Index: 99, Image: noise}, Frame{Index: 100, Image: grey}), Options{OutDir: t.TempDir()})
	run("one frame", context.Background(), frames[:1], Options{ItemType: ItemToy, OutDir: t.TempDir()})
	run("roles", context.Background(), mixed, Options{ItemType: ItemCard, OutDir: t.TempDir()})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	run("cancelled", ctx, frames, Options{})
	n := 0
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	run("cancelled midway", ctx2, frames, Options{Sink: func(e event.Event) {
		n++
		if n == 4 {
			cancel2()
		}
	}})
}
