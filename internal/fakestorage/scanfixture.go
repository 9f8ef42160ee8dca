package fakestorage

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"gradevault/engine/glint"
	"gradevault/engine/scan"
)

// WriteScan writes a small but complete scan folder into dir for tests:
// three golden frames and, with withGlint, the glint images (mask, heatmap,
// overlay, a crop and overlay per region, rectified and glint frames) and
// result.json referencing them by relative path. Images are 32×32 noise
// PNGs (a few KB each) from a fixed seed.
func WriteScan(tb testing.TB, dir, scanID string, withGlint bool) *scan.Result {
	tb.Helper()
	rng := rand.New(rand.NewPCG(uint64(len(scanID)), 7))
	writePNG := func(rel string) string {
		img := image.NewNRGBA(image.Rect(0, 0, 32, 32))
		for i := range img.Pix {
			img.Pix[i] = uint8(rng.IntN(256))
		}
		img.Set(0, 0, color.NRGBA{A: 255})
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			tb.Fatal(err)
		}
		path := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			tb.Fatal(err)
		}
		return rel
	}
	r := &scan.Result{
		ScanID:    scanID,
		ItemType:  "comic",
		CreatedAt: time.Date(2026, 11, 26, 1, 30, 45, 0, time.UTC),
		Video:     scan.VideoInfo{Path: "/home/grader/Videos/item.mp4", Frames: 150, FPS: 30, Width: 64, Height: 64},
	}
	frames := []int{12, 40, 97}
	for i, f := range frames {
		rel := writePNG(fmt.Sprintf("frames/golden_frame_%02d_f%05d.png", i+1, f))
		r.GoldenFrames = append(r.GoldenFrames, rel)
		r.FrameTimestamps = append(r.FrameTimestamps, float64(f)/30)
		r.GoldenFrameDetails = append(r.GoldenFrameDetails, scan.GoldenFrame{Frame: f, Timestamp: float64(f) / 30, Sharpness: 100, File: rel})
	}
	if withGlint {
		g := &glint.Report{
			DefectMask:       writePNG("defect_mask.png"),
			VarianceHeatmap:  writePNG("variance_heatmap.png"),
			DefectOverlay:    writePNG("defect_overlay.png"),
			RegionCrops:      map[string]string{},
			RegionOverlays:   map[string]string{},
			RegionScores:     map[string]float64{},
			DefectPercentage: 3.5,
			DamageScore:      12.25,
		}
		for _, region := range glint.RegionNames {
			g.RegionCrops[region] = writePNG("crops/" + region + ".png")
			g.RegionOverlays[region] = writePNG("crops/" + region + "_overlay.png")
			g.RegionScores[region] = 10
		}
		for i := range frames {
			g.RectifiedFrames = append(g.RectifiedFrames, writePNG(fmt.Sprintf("rectified/golden_frame_%02d.png", i+1)))
			g.GlintFrames = append(g.GlintFrames, writePNG(fmt.Sprintf("glint/golden_frame_%02d.png", i+1)))
		}
		r.Report = g
	}
	if err := scan.WriteResult(dir, r); err != nil {
		tb.Fatal(err)
	}
	return r
}
