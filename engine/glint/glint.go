// Package glint runs the multi-frame ("glint") defect analysis of a scan:
// it finds the item's outline in every frame, checks it, rectifies each
// frame to an upright image of the item alone, registers the rectified
// frames onto a reference (ORB + RANSAC, refined by ECC) and builds a
// print-free defect map from which it names and locates defects and
// grades regions.
//
// # Frames
//
// Golden frames (shown to the grader) get rectified and glint images and
// the original worker's formulas; analysis frames (the sharpest still frame
// of every still pose, up to 12, chosen by package scan) make the defect
// map. A frame can be both (Role).
//
// # Outline
//
// The item is the best bright or contrasting quadrilateral (sides refitted
// to the traced contour, so a blunted corner does not pull the outline
// in). Each outline's true aspect ratio is estimated from the quad with
// the perspective removed (Zhang and He's rectangle method, principal
// point at the frame centre; focal length recovered from the vanishing
// points or, when one is at infinity, taken as the frame's longer side)
// and compared with the item type's and with the other frames'. A
// doubtful outline is named in the warnings and in the confidence
// reasons, and the reference frame is the first plausible one: a
// stretched item is never rectified silently.
//
// # Print-free defect map
//
// Printed artwork is the item's albedo: once aligned, it is the same in
// every view, while creases, dents and wear change how the surface
// reflects as the light moves. So the map is built from what the light
// changes, not from image structure:
//
//  1. Each aligned grey frame is lightly blurred (σ ≈ 1 source pixel, so
//     different resampling phases of fine print agree) and scaled so its
//     median over the item matches the others' (global exposure).
//  2. The albedo reference R is the per-pixel median across the analysis
//     frames.
//  3. Each frame G is explained locally by the reference: in a window of
//     radius 4 % of the item's longer side, G ≈ a·R + c·∇²R + b (a guided-
//     filter style regression, coefficients box-averaged). a and b absorb
//     any smooth change of light — shading, exposure, the broad glint —
//     and c a change of sharpness; print, being in R, cancels.
//  4. The residual that is left is discounted by what alignment and
//     imaging cannot explain: 3 σ of the frame's residual noise (robust
//     MAD), the local gradient of R times the misregistration slack
//     (0.35 px plus the frame's measured alignment residual) so print edges
//     do not survive a sub-pixel misregistration, and a quarter of the broad
//     brightening under a glint. Clipped pixels (≥ 250 or ≤ 4) and pixels
//     outside a frame's warp carry no evidence.
//  5. The evidence is the RMS of those residuals over the frames (grey
//     levels). The mask keeps connected regions above half the threshold
//     that reach the threshold (4 + 3 σ grey levels) somewhere and are not
//     specks. A crease's evidence comes in beads (noise, clipped pixels
//     and the print it crosses hide parts of it), so regions also grow
//     along lines: through pixels where bars a quarter of the item's
//     longer side long, in 12 orientations, find evidence on both sides
//     (the weaker half's mean, less the bar mean in the worst orientation,
//     above a quarter of the threshold); a region whose line support
//     reaches 0.4 × the threshold is kept even if no single pixel reaches
//     the threshold, so a faint crease does not vanish with a small change
//     of noise or alignment. Requiring both halves bridges the gaps without
//     running past a crease's ends; blotches and speckle, alike in every
//     direction, do not grow. A closing (radius 0.5 % of
//     the longer side) merges a crease's lit and shaded sides into one
//     band.
//
// # Defects and regions
//
// Corner wear is measured on the outline, not the print: the share of a
// corner triangle (side 12 % of the item's shorter side) that the traced
// contour leaves uncovered, median over the frames. Each connected part of
// the mask (elongated parts that continue each other are joined) is a
// crease (long and thin), a scratch (short and thin), a dent (compact) or
// corner wear (compact, in a corner); each defect has a bounding box and
// polyline in rectified pixels and millimetres of the item type's size,
// its length, a 0–1 severity and the frames in which it is visible.
// Regions follow the item type: comics have a spine, cards four edges. A
// region scores 100 when 3 % of it is in the mask; a corner adds 100 when
// 15 % of its triangle is missing. damageScore is the weighted mean of
// the region scores.
//
// The original worker's formulas (edge, Laplacian, gradient and
// local-contrast maps, their per-pixel maximum blended with the grey
// variance) still run on the golden frames and are reported as
// seedDefectPercentage, seedDamageScore and seedRegionScores for
// comparison.
package glint

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"runtime"
	"runtime/debug"
	"sync"

	"gocv.io/x/gocv"

	"gradevault/engine/event"
	"gradevault/engine/item"
	"gradevault/internal/cmem"
)

// MaxFrames is the largest number of frames Analyze accepts (golden frames
// and analysis frames together).
const MaxFrames = 24

// Rectified-size limits: the rectified item's longer side follows the
// item's size in the reference frame, clamped to this range.
const (
	maxRectifiedSide = 1000
	minRectifiedSide = 400
)

// Errors callers may branch on.
var (
	ErrNoFrames      = errors.New("glint: no frames")
	ErrEmptyFrame    = errors.New("glint: empty frame")
	ErrTooManyFrames = fmt.Errorf("glint: more than %d frames", MaxFrames)
)

// Role says what Analyze does with a frame.
type Role int

// Frame roles.
const (
	// RoleBoth: a golden frame that is also an analysis frame (the zero
	// value).
	RoleBoth Role = iota
	// RoleDisplay: a golden frame only: rectified and drawn (rectified and
	// glint images, the original formulas), not in the defect map.
	RoleDisplay
	// RoleAnalysis: an analysis frame only: in the defect map, no images.
	RoleAnalysis
)

func (r Role) display() bool  { return r != RoleAnalysis }
func (r Role) analysis() bool { return r != RoleDisplay }

// DefectMethod names the defect-map method in reports.
const DefectMethod = "print-free residual (median albedo, local photometric fit) v1"

// Frame is one input frame.
type Frame struct {
	Index int      // video frame number
	Image gocv.Mat // BGR, upright, full resolution; owned by the caller
	Role  Role
	// Release, if set, is called once Analyze no longer reads Image (after
	// the frames are aligned), so the caller can free a large frame early.
	Release func()
}

// Options control Analyze.
type Options struct {
	ItemType item.Type  // "" means comic
	OutDir   string     // scan folder; "" computes only and writes nothing
	Sink     event.Sink // receives event.Progress{Phase: event.PhaseGlint}
	// Outline, when set, is the reference (first) frame's outline set by
	// hand (TL, TR, BR, BL in frame pixels): it replaces the detected one
	// and the report marks it manual.
	Outline *[4][2]float64
}

// frameState is everything Analyze keeps about one input frame.
type frameState struct {
	index   int
	role    Role
	src     gocv.Mat // BGR source (the caller's Mat or our converted copy)
	ownSrc  bool
	corners [4][2]float64
	found   bool
	contour [][2]float64
	check   outlineCheck
	toRect  homography // source frame → rectified canvas (outline only)
	feat    features
	rect    gocv.Mat // grey, rectified by the outline alone
	align   alignResult
	used    bool
	H       homography // source frame → reference canvas
	aligned gocv.Mat   // BGR, on the reference canvas
	grey    gocv.Mat
	valid   gocv.Mat // 255 where the aligned frame has source pixels
}

func (f *frameState) close() {
	if f.ownSrc {
		f.src.Close()
	}
	f.feat.Close()
	f.rect.Close()
	f.aligned.Close()
	f.grey.Close()
	f.valid.Close()
}

// progress serialises Sink calls.
type progress struct {
	mu    sync.Mutex
	sink  event.Sink
	done  int64
	total int64
}

func (p *progress) step(item string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	p.sink.Emit(event.Progress{Phase: event.PhaseGlint, Done: p.done, Total: p.total, Item: item})
}

// Analyze runs the glint analysis on 1–MaxFrames frames. Frames may differ
// in size: every frame is rectified onto the reference frame's rectified
// canvas. The reference is the first frame whose outline is plausible (the
// first frame if none is). Display frames (RoleBoth, RoleDisplay) get
// rectified and glint images, in input order, and the original worker's
// formulas; analysis frames (RoleBoth, RoleAnalysis) make the print-free
// defect map. If opts.OutDir is set, the images are written there
// (atomically) and the report's paths are relative to it. Analyze is
// deterministic: the same inputs give the same report.
func Analyze(ctx context.Context, frames []Frame, opts Options) (*Report, error) {
	rep, _, err := analyze(ctx, frames, opts)
	return rep, err
}

// analyze is Analyze that also returns the defect map (for tests).
func analyze(ctx context.Context, frames []Frame, opts Options) (*Report, *defectMap, error) {
	if len(frames) == 0 {
		return nil, nil, ErrNoFrames
	}
	if len(frames) > MaxFrames {
		return nil, nil, fmt.Errorf("%w: got %d", ErrTooManyFrames, len(frames))
	}
	for i, f := range frames {
		if f.Image.Ptr() == nil || f.Image.Empty() {
			return nil, nil, fmt.Errorf("frame %d (video frame %d): %w", i+1, f.Index, ErrEmptyFrame)
		}
	}
	itemType := opts.ItemType
	switch itemType {
	case ItemComic, ItemCard, ItemToy:
	case "":
		itemType = ItemComic
	default:
		return nil, nil, fmt.Errorf("glint: unknown item type %q", opts.ItemType)
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}

	defer lowerGC()()
	// Every canvas-sized Mat (1–4 MB) would otherwise be a fresh mapping
	// of zeroed pages: keep freed ones for reuse while the frames are
	// rectified and aligned (see cmem.Retain; kept through the defect map
	// too, the 1080p peak rose by 15–25 MB).
	retained := sync.OnceFunc(cmem.Retain())
	defer retained()
	n := len(frames)
	steps := int64(2*n + 3)
	if opts.OutDir != "" {
		steps++
	}
	prog := &progress{sink: opts.Sink, total: steps}
	rep := &Report{ItemType: itemType, DefectMethod: DefectMethod, Defects: []Defect{}}
	for _, f := range frames {
		rep.Frames = append(rep.Frames, f.Index)
	}

	st := make([]*frameState, n)
	for i, f := range frames {
		s := &frameState{index: f.Index, role: f.Role, src: f.Image}
		if f.Image.Type() != gocv.MatTypeCV8UC3 {
			s.src, s.ownSrc = toBGR(f.Image), true
		}
		s.feat.desc = gocv.NewMat()
		s.rect, s.aligned, s.grey, s.valid = gocv.NewMat(), gocv.NewMat(), gocv.NewMat(), gocv.NewMat()
		st[i] = s
	}
	defer func() {
		for _, s := range st {
			s.close()
		}
	}()

	// 1. Outlines, checked against the item's shape and each other.
	err := parallel(ctx, n, func(i int) error {
		s := st[i]
		o := findOutline(s.src, itemType)
		s.corners, s.found, s.contour = o.corners, o.found, o.contour
		if i == 0 && opts.Outline != nil {
			// Set by hand: the grader's corners, the traced contour kept
			// for corner wear.
			s.corners, s.found = *opts.Outline, true
		}
		prog.step(fmt.Sprintf("outline frame %d", s.index))
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	checks := checkOutlines(itemType, st)
	refIdx := -1
	for i, s := range st {
		s.check = checks[i]
		oc := OutlineCheck{Frame: s.index, Found: s.found, Aspect: round(s.check.aspect, 4), Doubtful: s.check.doubtful}
		if s.found {
			oc.Corners = roundCorners(s.corners)
		}
		rep.OutlineChecks = append(rep.OutlineChecks, oc)
		if s.check.doubtful {
			rep.Warnings = append(rep.Warnings, s.check.reason)
		}
		if refIdx < 0 && s.found && !s.check.doubtful {
			refIdx = i
		}
	}
	if refIdx < 0 || opts.Outline != nil {
		refIdx = 0 // a hand-set outline is the reference
	}
	ref := st[refIdx]
	if ref.check.doubtful {
		rep.ConfidenceReasons = append(rep.ConfidenceReasons, "no frame has an item outline with the item's proportions: the rectified item may be stretched or cut off")
	} else if nd := countDoubtful(st); nd > 0 {
		rep.ConfidenceReasons = append(rep.ConfidenceReasons, fmt.Sprintf("%d of %d frames have a doubtful item outline", nd, n))
	}
	cw, ch, landscape := canvasSize(itemType, ref)
	rep.RectifiedSize = [2]int{cw, ch}
	rep.ItemOutline = &Outline{Frame: ref.index, Found: ref.found, Corners: roundCorners(ref.corners), Manual: opts.Outline != nil}
	if landscape {
		rep.Warnings = append(rep.Warnings, "the item appears to lie sideways; regions assume the spine is on the left of the rectified image")
	}
	for _, s := range st {
		if !s.found {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("frame %d: item outline not found, using the whole frame", s.index))
		}
		s.toRect = toCanvas(itemType, s, cw, ch)
	}

	// 2. Rectify every frame and align it onto the reference: one task a
	// frame, the reference's first, so that no core waits at a barrier
	// between the two steps; a frame waits for the reference only to match
	// its features against the reference's.
	ref.align = alignResult{H: identity, OK: true}
	refDone := make(chan struct{})
	order := make([]*frameState, 0, n)
	order = append(order, ref)
	for _, s := range st {
		if s != ref {
			order = append(order, s)
		}
	}
	err = parallel(ctx, n, func(i int) error {
		s := order[i]
		rect := warp(s.src, s.toRect, cw, ch)
		gocv.CvtColor(rect, &s.rect, gocv.ColorBGRToGray)
		rect.Close()
		s.feat.Close()
		s.feat = detect(s.rect)
		if s == ref {
			close(refDone)
		} else {
			select {
			case <-refDone:
			case <-ctx.Done(): // the reference's task was skipped
				return ctx.Err()
			}
			ms := 0.0 // no limit
			if s.found && ref.found {
				// Both frames are rectified from their outlines, so the
				// remaining motion is small.
				ms = 0.2 * math.Hypot(float64(cw), float64(ch))
			}
			s.align = align(ref.feat, s.feat, ref.rect, s.rect, ms)
		}
		s.used = s.align.OK
		s.H = s.toRect
		if s.used {
			s.H = s.align.H.mul(s.toRect)
		}
		s.aligned.Close()
		s.aligned = warp(s.src, s.H, cw, ch)
		gocv.CvtColor(s.aligned, &s.grey, gocv.ColorBGRToGray)
		s.valid.Close()
		s.valid = validMask(s.src.Cols(), s.src.Rows(), s.H, cw, ch)
		prog.step(fmt.Sprintf("align frame %d", s.index))
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	// Everything else works on the aligned frames: the rectified greys,
	// features and sources go now (a dozen 1080p sources are 75 MB).
	for i, s := range st {
		s.feat.Close()
		s.rect.Close()
		if s.ownSrc {
			s.src.Close()
			s.ownSrc = false
		}
		if frames[i].Release != nil {
			frames[i].Release()
		}
	}
	retained()
	var display, anal, shown []*frameState
	for _, s := range st {
		if s.role.display() {
			shown = append(shown, s)
		}
		a := Alignment{Frame: s.index, ResidualPx: round(s.align.Residual, 3), Used: s.used}
		rep.Alignment = append(rep.Alignment, a)
		if !s.used {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("frame %d: could not be aligned (%s), left out of the defect analysis", s.index, s.align.Reason))
			continue
		}
		if s.role.display() {
			display = append(display, s)
		}
		if s.role.analysis() {
			anal = append(anal, s)
		}
	}
	if len(anal) == 0 {
		anal = display
	}
	switch {
	case len(anal) == 1:
		rep.Warnings = append(rep.Warnings, "only one usable frame: the defect map needs several light angles, so only the outline (corners) is graded")
		rep.ConfidenceReasons = append(rep.ConfidenceReasons, "the defect map rests on one frame")
	case len(anal) < 3:
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("only %d usable analysis frames: the defect map needs several light angles and is unreliable", len(anal)))
		rep.ConfidenceReasons = append(rep.ConfidenceReasons, fmt.Sprintf("the defect map rests on %d frames", len(anal)))
	}

	// 3. The original worker's formulas (seed scores) and the glint maps
	// read only the aligned display frames: they run beside the defect
	// map, whose parallel loops fill the cores while their serial parts
	// (and the uneven split of five frames over the cores) run. They
	// write to their own report, copied into rep when both are done.
	var side Report
	var glints [][]uint8
	sideDone := make(chan error, 1)
	go func() {
		err := seedScores(ctx, display, st, cw, ch, &side)
		if err == nil {
			prog.step("original formulas")
			glints, err = glintMaps(ctx, shown, cw, ch, &side)
		}
		sideDone <- err
	}()
	join := sync.OnceValue(func() error { return <-sideDone })
	// Whatever happens below, the side work is over before the frames
	// are closed (deferred above, so run after this).
	defer join()
	writesDone := func() error { return nil }
	if opts.OutDir != "" {
		writesDone = startFrameWrites(ctx, opts.OutDir, ref, shown, rep)
		defer writesDone()
	}

	// 4. The print-free defect map on the analysis frames.
	common := commonValid(anal, cw, ch)
	var dfs []defectFrame
	var cfs []cornerFrame
	for _, s := range anal {
		rep.AnalysisFrames = append(rep.AnalysisFrames, s.index)
		dfs = append(dfs, defectFrame{index: s.index, grey: s.grey, valid: s.valid, residualPx: s.align.Residual})
		if s.found && itemType != ItemToy {
			cf := cornerFrame{index: s.index}
			for _, p := range s.contour {
				x, y := s.H.apply(p[0], p[1])
				cf.contour = append(cf.contour, [2]float64{x, y})
			}
			cfs = append(cfs, cf)
		}
	}
	dm, err := buildDefectMap(ctx, dfs, common, cw, ch, upscale(ref, cw, ch))
	if err != nil {
		return nil, nil, err
	}
	for _, f := range dm.rejected {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("frame %d: does not match the other frames (misregistered or blurred), left out of the defect map", f))
	}
	if len(dm.rejected) > 0 {
		rep.ConfidenceReasons = append(rep.ConfidenceReasons, fmt.Sprintf("%d analysis frame(s) did not match the others and were left out", len(dm.rejected)))
	}
	rep.NoiseSigma = round(dm.noise, 3)
	rep.DefectThreshold = round(float64(dm.thrHigh), 3)
	if dm.noise > 6 {
		rep.ConfidenceReasons = append(rep.ConfidenceReasons, fmt.Sprintf("the frames are noisy (σ %.1f grey levels): faint defects may be missed", dm.noise))
	}
	prog.step("defect map")
	wear := measureCorners(cfs, cw, ch)
	specs := regionsFor(itemType)
	scoreRegions(dm, wear, specs, ref.grey, rep)
	rep.Defects = findDefects(dm, wear, specs, newMMScale(itemType, cw, ch, landscape))
	prog.step("regions")
	if err := join(); err != nil {
		return nil, nil, err
	}
	// The per-frame residuals (a dozen canvases of float32) were the last
	// large Go allocations: the memory goes back to the system before the
	// output images are made and encoded.
	dm.perFrame = nil
	debug.FreeOSMemory()
	rep.SeedDamageScore = side.SeedDamageScore
	rep.SeedDefectPercentage = side.SeedDefectPercentage
	rep.SeedRegionScores = side.SeedRegionScores
	rep.GlintCoverage = side.GlintCoverage
	if opts.OutDir != "" {
		err := writeOutputs(ctx, opts.OutDir, ref, shown, dm, glints, rep)
		if werr := writesDone(); werr != nil {
			err = werr // the first to fail: the folder is the same
		}
		if err != nil {
			return nil, nil, err
		}
		prog.step("write images")
	}
	return rep, dm, nil
}

// roundCorners is an outline's corners as the report gives them, to a
// hundredth of a pixel.
func roundCorners(q [4][2]float64) [][2]float64 {
	out := make([][2]float64, len(q))
	for i, c := range q {
		out[i] = [2]float64{round(c[0], 2), round(c[1], 2)}
	}
	return out
}

// upscale is the number of canvas pixels per pixel of the reference frame
// along the item.
func upscale(ref *frameState, w, h int) float64 {
	if !ref.found {
		return 1
	}
	c := ref.corners
	hpx := (dist(c[0], c[3]) + dist(c[1], c[2])) / 2
	wpx := (dist(c[0], c[1]) + dist(c[3], c[2])) / 2
	if hpx <= 0 || wpx <= 0 {
		return 1
	}
	return math.Sqrt(float64(w) / wpx * float64(h) / hpx)
}

func countDoubtful(st []*frameState) int {
	n := 0
	for _, s := range st {
		if s.check.doubtful {
			n++
		}
	}
	return n
}

// seedScores applies the original worker's formulas (per-frame edge maps,
// their per-pixel maximum blended with the grey variance) to the display
// frames and records seedDefectPercentage, seedDamageScore and the seed
// region scores.
func seedScores(ctx context.Context, frames []*frameState, all []*frameState, w, h int, rep *Report) error {
	if len(frames) == 0 {
		return nil
	}
	common := commonValid(frames, w, h)
	maps := make([][]float32, len(frames))
	err := parallel(ctx, len(frames), func(i int) error {
		maps[i] = frameMap(frames[i].grey, common)
		return nil
	})
	if err != nil {
		return err
	}
	var greys []gocv.Mat
	for _, s := range frames {
		greys = append(greys, s.grey)
	}
	an := combine(maps, greys, common, w, h)
	var seed Report
	regions(an, frames[0].grey, common, &seed)
	rep.SeedDamageScore = seed.DamageScore
	rep.SeedDefectPercentage = seed.DefectPercentage
	rep.SeedRegionScores = seed.RegionScores
	return nil
}

// glintMaps finds each display frame's specular highlights (against the
// median whiteness of the aligned ones) and records their coverage.
func glintMaps(ctx context.Context, display []*frameState, w, h int, rep *Report) ([][]uint8, error) {
	sats, vals := make([][]uint8, len(display)), make([][]uint8, len(display))
	whites := make([][]uint8, len(display))
	err := parallel(ctx, len(display), func(i int) error {
		sats[i], vals[i] = hsvPlanes(display[i].aligned)
		if display[i].used {
			whites[i] = whiteness(sats[i], vals[i])
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var median []uint8
	var uv [][]uint8
	for i, s := range display {
		if s.used {
			uv = append(uv, whites[i])
		}
	}
	if len(uv) > 1 {
		median = medianPlane(uv)
	}
	glints := make([][]uint8, len(display))
	err = parallel(ctx, len(display), func(i int) error {
		med := median
		if !display[i].used {
			med = nil
		}
		glints[i] = glintMap(sats[i], vals[i], med, display[i].valid, w, h)
		return nil
	})
	if err != nil {
		return nil, err
	}
	rep.GlintCoverage = nil
	for i, s := range display {
		rep.GlintCoverage = append(rep.GlintCoverage, Coverage{Frame: s.index, Percent: round(coveragePercent(glints[i], s.valid), 2)})
	}
	return glints, nil
}

// canvasSize picks the rectified image size from the reference frame: the
// item's height in pixels (clamped) and the item type's aspect ratio.
func canvasSize(itemType item.Type, ref *frameState) (w, h int, landscape bool) {
	fw, fh := float64(ref.src.Cols()), float64(ref.src.Rows())
	clampSide := func(v float64) float64 {
		return math.Max(minRectifiedSide, math.Min(maxRectifiedSide, v))
	}
	fit := func(w, h float64) (int, int) {
		s := clampSide(math.Max(w, h)) / math.Max(w, h)
		return max(1, int(math.Round(w*s))), max(1, int(math.Round(h*s)))
	}
	if !ref.found {
		w, h = fit(fw, fh)
		return w, h, false
	}
	c := ref.corners
	a := aspect(itemType)
	if a == 0 {
		w, h = fit(c[1][0]-c[0][0]+1, c[3][1]-c[0][1]+1)
		return w, h, false
	}
	hpx := (dist(c[0], c[3]) + dist(c[1], c[2])) / 2
	wpx := (dist(c[0], c[1]) + dist(c[3], c[2])) / 2
	if wpx > 1.2*hpx {
		long := clampSide(wpx)
		return int(math.Round(long)), int(math.Round(long * a)), true
	}
	long := clampSide(hpx)
	return int(math.Round(long * a)), int(math.Round(long)), false
}

// toCanvas maps a frame onto the w×h canvas: its outline quad (comic,
// card), its bounding box (toy) or, without an outline, the whole frame.
func toCanvas(itemType item.Type, s *frameState, w, h int) homography {
	fw, fh := float64(s.src.Cols()), float64(s.src.Rows())
	whole := scaleRect(-0.5, -0.5, fw-0.5, fh-0.5, w, h)
	if !s.found {
		return whole
	}
	c := s.corners
	if itemType == ItemToy {
		return scaleRect(c[0][0]-0.5, c[0][1]-0.5, c[2][0]+0.5, c[2][1]+0.5, w, h)
	}
	H, ok := quadToRect(c, w, h)
	if !ok {
		return whole
	}
	return H
}

// warp returns src warped by H onto a w×h canvas (bilinear, borders
// replicated so the warp edge adds no artificial contrast).
func warp(src gocv.Mat, H homography, w, h int) gocv.Mat {
	m := H.mat()
	defer m.Close()
	dst := gocv.NewMat()
	gocv.WarpPerspectiveWithParams(src, &dst, m, image.Pt(w, h), gocv.InterpolationLinear, gocv.BorderReplicate, color.RGBA{})
	return dst
}

// validMask marks the canvas pixels that come from inside the source frame,
// shrunk by 3 px so filters near the warp edge do not count.
func validMask(sw, sh int, H homography, w, h int) gocv.Mat {
	if insideSource(sw, sh, H, w, h) {
		// Every canvas pixel comes from inside the frame (the usual case:
		// the item is in the picture), and the erosion leaves the canvas
		// edges alone: what the warp below makes, without its frame-sized
		// Mat.
		return gocv.NewMatWithSizeFromScalar(gocv.NewScalar(255, 0, 0, 0), h, w, gocv.MatTypeCV8U)
	}
	return warpedValidMask(sw, sh, H, w, h)
}

// insideSource reports whether every pixel of the w×h canvas maps, through
// the inverse of H (source frame → canvas), to a point at least a pixel
// inside the sw×sh source frame (so a nearest-neighbour warp reads the
// frame everywhere, whatever its rounding). The denominator of a
// homography is affine, so if it has one sign at the canvas corners it
// has it on the whole canvas, which then maps into the convex hull of the
// corners' images.
func insideSource(sw, sh int, H homography, w, h int) bool {
	inv, ok := H.inv()
	if !ok {
		return false
	}
	sign := 0.0
	for _, c := range [4][2]float64{{0, 0}, {float64(w - 1), 0}, {float64(w - 1), float64(h - 1)}, {0, float64(h - 1)}} {
		d := inv[6]*c[0] + inv[7]*c[1] + inv[8]
		if sign == 0 {
			sign = math.Copysign(1, d)
		}
		if d*sign <= 1e-9 {
			return false
		}
		x, y := inv.apply(c[0], c[1])
		if x < 1 || y < 1 || x > float64(sw)-2 || y > float64(sh)-2 {
			return false
		}
	}
	return true
}

// warpedValidMask is validMask computed by warping a frame of 255s.
func warpedValidMask(sw, sh int, H homography, w, h int) gocv.Mat {
	ones := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(255, 0, 0, 0), sh, sw, gocv.MatTypeCV8U)
	defer ones.Close()
	m := H.mat()
	defer m.Close()
	warped := gocv.NewMat()
	defer warped.Close()
	gocv.WarpPerspectiveWithParams(ones, &warped, m, image.Pt(w, h), gocv.InterpolationNearestNeighbor, gocv.BorderConstant, color.RGBA{})
	k := gocv.GetStructuringElement(gocv.MorphRect, image.Pt(7, 7))
	defer k.Close()
	out := gocv.NewMat()
	gocv.Erode(warped, &out, k)
	return out
}

// commonValid is the intersection of the used frames' valid masks, as a Go
// slice of 0/1.
func commonValid(used []*frameState, w, h int) []uint8 {
	v := make([]uint8, w*h)
	for i := range v {
		v[i] = 1
	}
	for _, s := range used {
		p, err := s.valid.DataPtrUint8()
		if err != nil {
			continue
		}
		for i := range v {
			if p[i] == 0 {
				v[i] = 0
			}
		}
	}
	return v
}

// analysisGCPercent is the garbage collector's GOGC while an analysis
// runs. Its large allocations (grey planes, per-frame residuals, defect
// evidence: float32 canvases) hold no pointers, so a collection costs
// little; at the default 100 the heap grew to twice its live size, about
// 80 MB at 1080p, 30 MB more than at 25.
const analysisGCPercent = 25

var gcState struct {
	sync.Mutex
	running int // analyses running
	saved   int // GOGC before the first of them
}

// lowerGC sets GOGC to analysisGCPercent until the returned function is
// called; with analyses running concurrently, the last one to finish
// restores the setting.
func lowerGC() (restore func()) {
	gcState.Lock()
	defer gcState.Unlock()
	if gcState.running == 0 {
		gcState.saved = debug.SetGCPercent(analysisGCPercent)
	}
	gcState.running++
	return func() {
		gcState.Lock()
		defer gcState.Unlock()
		if gcState.running--; gcState.running == 0 {
			debug.SetGCPercent(gcState.saved)
		}
	}
}

// parallel runs fn(0..n-1) on up to GOMAXPROCS goroutines and returns the
// first error or ctx's error. Results must go to per-index slots so the
// outcome does not depend on scheduling.
func parallel(ctx context.Context, n int, fn func(i int) error) error {
	return parallelN(ctx, runtime.GOMAXPROCS(0), n, fn)
}

// parallelN is parallel on up to workers goroutines.
func parallelN(ctx context.Context, workers, n int, fn func(i int) error) error {
	workers = min(n, workers)
	next := make(chan int)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if ctx.Err() != nil {
					continue
				}
				errs[i] = fn(i)
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// round rounds v to d decimals.
func round(v float64, d int) float64 {
	p := math.Pow(10, float64(d))
	return math.Round(v*p) / p
}
