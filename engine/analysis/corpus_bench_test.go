package analysis

import (
	"context"
	"fmt"
	"testing"

	"gradevault/engine/synth"
	"gradevault/engine/synth/synthtest"
)

// BenchmarkCorpusStillCalls runs fast mode on the whole corpus rendered at
// phone resolutions (the tests use 320×240) and reports, per size, the
// worst video's share of truly still hold frames (the generator's holds,
// the frame before neither motion blurred nor defocused) that fast mode
// calls still, and the largest motion it reads on one; each video's
// figures, and what it reads on the first frame after a focus hunt, are
// logged (-v), with the confidence of the video that has no still frame
// (1 when it is low, as it must be). It measures and does not fail: see
// README, "Known limits".
func BenchmarkCorpusStillCalls(b *testing.B) {
	for _, size := range [][2]int{{1280, 720}, {1920, 1080}} {
		b.Run(fmt.Sprintf("%dp", size[1]), func(b *testing.B) {
			entries := synth.CorpusAt(size[0], size[1])
			paths := make([]string, len(entries))
			truths := make([]*synth.Truth, len(entries))
			for i, e := range entries {
				paths[i], truths[i] = synthtest.Corpus(b, e) // generated once, not timed
			}
			b.ResetTimer()
			worstPct, worstStill, noStillLow := 100.0, 0.0, 1.0
			for range b.N {
				for i, e := range entries {
					res, err := Run(context.Background(), paths[i], Options{Mode: Fast})
					if err != nil {
						b.Fatal(err)
					}
					holds, called, still := 0, 0, 0.0
					var afterFocus []string
					for k, f := range res.Frames {
						if !truths[i].Frames[k].Hold || !truthStill(truths[i], k) {
							continue
						}
						if k > 0 && truths[i].Frames[k-1].Blur > 0 {
							// The first sharp frame after a focus hunt: the
							// camera is still, the picture is not.
							afterFocus = append(afterFocus, fmt.Sprintf("%.2f", f.Motion))
							continue
						}
						holds++
						if f.Stable {
							called++
						}
						still = max(still, f.Motion)
					}
					if holds == 0 {
						// no-still: every frame is moving or defocused, so the
						// result must say it cannot be trusted.
						low := 0.0
						if res.Confidence.Level == Low {
							low = 1
						}
						noStillLow = min(noStillLow, low)
						b.Logf("%-18s %dx%d: confidence %s %q", e.Name, size[0], size[1], res.Confidence.Level, res.Confidence.Reasons)
						continue
					}
					pct := 100 * float64(called) / float64(holds)
					b.Logf("%-18s %dx%d: %3d of %3d still hold frames called still (%5.1f%%), worst motion read on one %.2f px; after a focus hunt %v px",
						e.Name, size[0], size[1], called, holds, pct, still, afterFocus)
					worstPct, worstStill = min(worstPct, pct), max(worstStill, still)
				}
			}
			b.ReportMetric(worstPct, "%-holds-still-worst-video")
			b.ReportMetric(worstStill, "px-worst-on-a-hold")
			b.ReportMetric(noStillLow, "no-still-is-low-confidence")
		})
	}
}
