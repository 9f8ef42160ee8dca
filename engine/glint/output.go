package glint

import (
	"context"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"gocv.io/x/gocv"

	"gradevault/engine/fastpng"
)

// Output file names, relative to the scan folder.
const (
	fileDefectMask    = "defect_mask.png"
	fileHeatmap       = "variance_heatmap.png"
	fileDefectOverlay = "defect_overlay.png"
	dirCrops          = "crops"
	dirRectified      = "rectified"
	dirGlint          = "glint"
)

// pngJob is one image to write: render makes it (on the worker that
// writes it); borrowed images are not closed after writing.
type pngJob struct {
	rel      string
	render   func() gocv.Mat
	borrowed bool
}

// startFrameWrites starts writing, under dir, the images that need only
// the aligned frames: the display frames rectified (st) and the region
// crops of the reference. It records their relative paths in rep and
// returns a function that waits for the writes and returns the first
// error (the same each time it is called). The writes run on one
// goroutine beside the defect map, on the cores its serial steps leave
// idle; the frames must stay open until wait has returned.
func startFrameWrites(ctx context.Context, dir string, refState *frameState, st []*frameState, rep *Report) (wait func() error) {
	var jobs []pngJob
	ref := refState.aligned
	w, h := rep.RectifiedSize[0], rep.RectifiedSize[1]
	rep.RegionCrops = map[string]string{}
	for _, spec := range regionsFor(rep.ItemType) {
		name, r := spec.name, spec.rect(w, h)
		if r.Empty() {
			continue
		}
		rel := filepath.ToSlash(filepath.Join(dirCrops, name+".png"))
		jobs = append(jobs, pngJob{rel: rel, render: func() gocv.Mat { return cloneRegion(ref, r) }})
		rep.RegionCrops[name] = rel
	}
	for i, s := range st {
		rel := dirRectified + "/" + goldenName(i)
		jobs = append(jobs, pngJob{rel: rel, render: func() gocv.Mat { return s.aligned }, borrowed: true})
		rep.RectifiedFrames = append(rep.RectifiedFrames, rel)
	}
	done := make(chan error, 1)
	go func() { done <- writeJobs(ctx, dir, 1, jobs) }()
	return sync.OnceValue(func() error { return <-done })
}

// goldenName is the file name, in the rectified and glint folders, of the
// i-th (from 0) display frame's image.
func goldenName(i int) string { return fmt.Sprintf("golden_frame_%02d.png", i+1) }

// writeOutputs renders the images that show the defect map and writes
// them under dir, and records their relative paths in rep:
// startFrameWrites has written the others. The images are rendered on the
// writers, and there are twice as many writers as cores: while one waits
// for the disk to sync a file, another encodes.
func writeOutputs(ctx context.Context, dir string, refState *frameState, st []*frameState, dm *defectMap, glints [][]uint8, rep *Report) (err error) {
	var jobs []pngJob
	add := func(rel string, render func() gocv.Mat) { jobs = append(jobs, pngJob{rel: rel, render: render}) }

	ref := refState.aligned
	w, h := dm.w, dm.h

	add(fileDefectMask, func() gocv.Mat {
		mask := gocv.NewMatWithSize(h, w, gocv.MatTypeCV8U)
		mp, _ := mask.DataPtrUint8()
		for i, v := range dm.mask {
			mp[i] = 255 * v
		}
		return mask
	})
	rep.DefectMask = fileDefectMask

	add(fileHeatmap, func() gocv.Mat { return heatmap(dm) })
	rep.VarianceHeatmap = fileHeatmap

	// The overlay is also the source of the regions' overlay crops.
	overlay := defectOverlay(ref, dm)
	defer overlay.Close()
	jobs = append(jobs, pngJob{rel: fileDefectOverlay, render: func() gocv.Mat { return overlay }, borrowed: true})
	rep.DefectOverlay = fileDefectOverlay

	rep.RegionOverlays = map[string]string{}
	for _, spec := range regionsFor(rep.ItemType) {
		name, r := spec.name, spec.rect(w, h)
		if r.Empty() {
			continue
		}
		rel := filepath.ToSlash(filepath.Join(dirCrops, name+"_overlay.png"))
		add(rel, func() gocv.Mat { return cloneRegion(overlay, r) })
		rep.RegionOverlays[name] = rel
	}

	for i, s := range st {
		rel := dirGlint + "/" + goldenName(i)
		add(rel, func() gocv.Mat { return glintOverlay(s.aligned, glints[i], dm.mask) })
		rep.GlintFrames = append(rep.GlintFrames, rel)
	}
	return writeJobs(ctx, dir, 2*runtime.GOMAXPROCS(0), jobs)
}

// writeJobs renders and writes jobs under dir, each atomically (encoded
// in memory, written to a temporary file in the same folder, then
// renamed), on up to workers goroutines.
func writeJobs(ctx context.Context, dir string, workers int, jobs []pngJob) error {
	for _, j := range jobs {
		sub := filepath.Dir(filepath.Join(dir, filepath.FromSlash(j.rel)))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			return fmt.Errorf("glint: create %s: %w", sub, err)
		}
	}
	return parallelN(ctx, workers, len(jobs), func(i int) error {
		m := jobs[i].render()
		if !jobs[i].borrowed {
			defer m.Close()
		}
		if err := fastpng.WriteFile(filepath.Join(dir, filepath.FromSlash(jobs[i].rel)), m); err != nil {
			return fmt.Errorf("glint: %w", err)
		}
		return nil
	})
}

// cloneRegion returns a copy of r of m.
func cloneRegion(m gocv.Mat, r image.Rectangle) gocv.Mat {
	reg := m.Region(r)
	defer reg.Close()
	return reg.Clone()
}

// heatmap is the JET colour map of the defect evidence; pixels outside the
// item are black.
func heatmap(an *defectMap) gocv.Mat {
	g := gocv.NewMatWithSize(an.h, an.w, gocv.MatTypeCV8U)
	defer g.Close()
	gp, _ := g.DataPtrUint8()
	for i, s := range an.score {
		gp[i] = clamp8(float32(s) * 255)
	}
	out := gocv.NewMat()
	gocv.ApplyColorMap(g, &out, gocv.ColormapJet)
	op, _ := out.DataPtrUint8()
	for i, v := range an.valid {
		if v == 0 {
			op[3*i], op[3*i+1], op[3*i+2] = 0, 0, 0
		}
	}
	return out
}

// defectOverlay blends the mask in red at 30% over the reference frame.
func defectOverlay(ref gocv.Mat, an *defectMap) gocv.Mat {
	out := ref.Clone()
	op, _ := out.DataPtrUint8()
	for i, v := range an.mask {
		if v == 0 {
			continue
		}
		o := 3 * i
		op[o] = clamp8(0.7 * float32(op[o]))
		op[o+1] = clamp8(0.7 * float32(op[o+1]))
		op[o+2] = clamp8(0.7*float32(op[o+2]) + 0.3*255)
	}
	return out
}

// glintOverlay draws a frame's specular highlights as a cyan glow with
// white cores, and the defect mask tinted red, over the slightly dimmed
// rectified frame.
func glintOverlay(frame gocv.Mat, glint []uint8, defects []uint8) gocv.Mat {
	w, h := frame.Cols(), frame.Rows()
	gm := gocv.NewMatWithSize(h, w, gocv.MatTypeCV32F)
	defer gm.Close()
	gp, _ := gm.DataPtrFloat32()
	for i, v := range glint {
		gp[i] = float32(v)
	}
	glow := gocv.NewMat()
	defer glow.Close()
	sigma := max(2.0, float64(max(w, h))/150)
	gocv.GaussianBlur(gm, &glow, image.Pt(0, 0), sigma, sigma, gocv.BorderReplicate)
	glp, _ := glow.DataPtrFloat32()

	out := frame.Clone()
	op, _ := out.DataPtrUint8()
	cyan := [3]float32{255, 235, 60} // BGR
	red := [3]float32{40, 40, 255}
	for i := 0; i < w*h; i++ {
		o := 3 * i
		px := [3]float32{0.8 * float32(op[o]), 0.8 * float32(op[o+1]), 0.8 * float32(op[o+2])}
		if defects[i] != 0 {
			for c := 0; c < 3; c++ {
				px[c] = 0.5*px[c] + 0.5*red[c]
			}
		}
		a := min(1, 1.8*glp[i]) * 0.65
		if a > 0.004 {
			for c := 0; c < 3; c++ {
				px[c] = (1-a)*px[c] + a*cyan[c]
			}
		}
		if glint[i] != 0 {
			for c := 0; c < 3; c++ {
				px[c] = 0.35*px[c] + 0.65*255
			}
		}
		op[o], op[o+1], op[o+2] = clamp8(px[0]), clamp8(px[1]), clamp8(px[2])
	}
	return out
}

func clamp8(v float32) uint8 {
	switch {
	case v <= 0:
		return 0
	case v >= 255:
		return 255
	}
	return uint8(v + 0.5)
}
