// Package synth generates deterministic synthetic test videos of a
// collectible (a comic book cover or a trading card) lying on a table and
// filmed by a hand-held phone while the light moves over it, together with
// the exact ground truth of every frame.
//
// A Scene describes the video: frame size, frame rate, item, random seed,
// perspective tilt, optional defects (a crease across the surface and a dented
// corner) and a script of motion phases:
//
//   - Hold: the camera is still; at most a tiny sub-pixel jitter (< 0.15 px
//     between frames) and the frames are sharp.
//   - Sweep: the camera moves several pixels per frame (and may rotate); each
//     frame is rendered with the motion blur of that movement (the exposure
//     covers the whole frame interval, so the streak length equals the
//     displacement since the previous frame).
//   - Focus: the camera is still but the lens hunts for focus: a Gaussian
//     defocus whose sigma varies over the phase.
//
// A soft, low-saturation specular glint slides across the item during the
// whole video, as if the light moved while the item was tilted. The crease
// reacts to it: the side facing the glint brightens, the other side darkens
// and the fold line lights up where the glint crosses it.
//
// Real phones on real desks are hostile, and the scene can be too (all off
// by default): a dark low-texture play-mat (Background), phone sensor noise
// (read noise plus signal-dependent shot noise, luma and half-resolution
// chroma, new every frame, optionally with 1–2 px grain: Noise, ShotNoise,
// Grain), low light (Exposure), mains flicker and white-balance/exposure
// drift (Flicker, FlickerHz, WBDrift), a strong saturating glint that sweeps
// across the item while the camera is still (GlintStrength, GlintSize,
// GlintPasses), phone variable frame rate with dropped and duplicated frames
// (VFRPattern), HEVC (Codec), rotation metadata and portrait frames, items
// filling 25–90 % of the frame height, a card's printed border of known
// widths (CardBorder), the busiest comic cover (Busy) and a burnt-in picture
// number (FrameCode, ReadFrameCode). Corpus and CorpusAt name a set of such
// scenes for the tests of the other packages (see synthtest.Corpus), and
// gencorpus writes them with their truth as JSON.
//
// Truth: TruthOf gives every frame of the written file in presentation
// order (the n-th frame a sequential decoder returns): its time, the picture
// it shows (Source; a duplicate shows the previous one), its still pose
// (Pose: the index in Truth.Holds, -1 outside holds; each hold is one camera
// pose under a different light angle), Sharp, Blur, MotionBlur, Motion, the
// photometric Gain, corners, crease, dent and glint positions.
//
// Everything is a pure function of the Scene: Render(s, i) always returns the
// same pixels for frame i, Write always produces a byte-identical file, and a
// scene with defects differs from the same scene without them only where the
// defects are drawn.
//
// Coordinates: frame coordinates are upright frame pixels with OpenCV's
// convention (the centre of pixel (col,row) is at (col,row)). Item-relative
// coordinates are fractions of the item's width and height (0..1) measured
// from its top-left corner, so they match the region fractions used by the
// glint analysis.
//
// gocv Mats are C memory: every Mat returned by this package must be closed
// by the caller; the package closes every Mat it creates internally.
package synth

import (
	"errors"
	"fmt"
	"math"
)

// Item is the kind of collectible that is filmed.
type Item string

// Items the generator can draw.
const (
	Comic Item = "comic" // comic book cover, 6.625 × 10.25 in, portrait
	Card  Item = "card"  // trading card, 2.5 × 3.5 in, portrait
)

// Aspect returns the item's width divided by its height.
func (it Item) Aspect() float64 {
	if it == Card {
		return 2.5 / 3.5
	}
	return 6.625 / 10.25
}

// PhaseKind is the kind of camera motion during a phase.
type PhaseKind string

// Phase kinds.
const (
	Hold  PhaseKind = "hold"  // still and sharp
	Sweep PhaseKind = "sweep" // moving, motion blurred
	Focus PhaseKind = "focus" // still, defocused (varying Gaussian blur)
)

// Phase is one segment of the motion script.
type Phase struct {
	Kind   PhaseKind
	Frames int // number of frames in the phase (> 0)

	// Sweep only: movement of the item in the frame per frame.
	DX, DY float64 // pixels per frame
	DRot   float64 // in-plane rotation, degrees per frame
	DTilt  float64 // change of the perspective tilt, degrees per frame

	// Focus only: the peak Gaussian defocus sigma in pixels. The sigma of
	// frame k of n is MaxBlur·(0.55 + 0.45·sin(π(k+½)/n)), so every frame of
	// the phase is clearly soft (at least 0.55·MaxBlur).
	MaxBlur float64
}

// Codec selects how Write encodes the video.
type Codec string

// Codecs.
const (
	// CodecH264 is libx264, preset veryfast, CRF 14, yuv420p: what a phone
	// produces, visually near-lossless. The default.
	CodecH264 Codec = "h264"
	// CodecLossless is libx264rgb at QP 0 in bgr24: decoded frames are
	// exactly the rendered ones (larger files).
	CodecLossless Codec = "h264-lossless"
	// CodecHEVC is libx265, preset veryfast, CRF 18, yuv420p, B-frames on
	// (x265's default), tagged hvc1 in MP4/MOV: what recent phones record.
	CodecHEVC Codec = "hevc"
)

// Background is what the item lies on.
type Background string

// Backgrounds.
const (
	// BackgroundTable is a brown wooden table top with visible grain (the
	// default).
	BackgroundTable Background = ""
	// BackgroundMat is a dark play-mat: grey 20–40 with only a faint
	// rubber/fabric texture (a fine weave of ±2 grey levels and soft blotches),
	// the known failure case of motion estimation once sensor noise is added.
	BackgroundMat Background = "mat"
)

// VFRPattern names a variable-frame-rate timing pattern.
type VFRPattern string

// VFR patterns.
const (
	// VFRNone stamps frame n at n/FPS (or uses the VFR flag's pattern).
	VFRNone VFRPattern = ""
	// VFRPhone is a phone's timing under load: the first third of the frames
	// at FPS, the second third at 2/3·FPS (20 fps for 30), the last third
	// at FPS with every 8th frame dropped (a timestamp gap of two frame
	// intervals; the picture sequence goes on), and two duplicated frames (the
	// previous picture again, with its own timestamp): one in the middle of
	// the second hold (or the first) and one in a sweep (or the last hold).
	// FPS must divide 45000 (15, 24, 25, 30, 60…). Truth.Frames records each
	// frame's Time, Source (picture number), Dup and Gap.
	VFRPhone VFRPattern = "phone"
)

// Border is a card's printed border: the width of the uniform border colour
// between the card's edge and its inner artwork on each side, as a fraction
// of the card's width (Left, Right) or height (Top, Bottom).
type Border struct {
	Left, Right, Top, Bottom float64
}

// IsZero reports whether no border is set.
func (b Border) IsZero() bool { return b == Border{} }

// Dent corner names, matching the glint analysis region names.
const (
	CornerTL = "corner_tl"
	CornerTR = "corner_tr"
	CornerBL = "corner_bl"
	CornerBR = "corner_br"
)

// Scene describes a synthetic video. The zero values of the optional fields
// select sensible defaults (see the field comments); DefaultScene fills a
// complete scene.
type Scene struct {
	Width, Height int     // upright frame size in pixels; both even, ≥ 64
	FPS           float64 // frames per second (> 0)
	Item          Item    // Comic or Card
	Seed          int64   // drives the design, the table and the noise

	ItemScale float64 // item height as a fraction of the frame height (0 → 0.5)
	Tilt      float64 // perspective tilt about the item's horizontal axis, degrees (top farther away when > 0)
	Rot0      float64 // initial in-plane rotation, degrees (clockwise on screen)

	Crease     bool   // draw a thin crease across the surface region
	Dent       bool   // draw a dented, whitened, slightly missing corner
	DentCorner string // CornerTL… ; "" → chosen from the seed

	Noise float64 // sensor noise sigma in grey levels added to every frame (0 → none)

	Phases []Phase // the motion script; NumFrames is the sum of their Frames

	// Rotation is the display rotation written into the file's metadata:
	// 0, 90, 180 or 270 degrees clockwise, like a phone filming sideways.
	// The stored pixels are rotated the opposite way, so a player that
	// honours the metadata shows exactly what Render returns. Only for
	// .mp4/.mov files.
	Rotation int

	Codec Codec // "" → CodecH264
	// CRF is the lossy codecs' constant rate factor (0 → 14 for H.264, 18
	// for HEVC: visually near-lossless). Phones compress harder (about 23–28),
	// which smears noise into blotches and blocks. 0..51; ignored by
	// CodecLossless.
	CRF int

	// VFR writes a variable-frame-rate file: frame n is stamped at
	// (n + 0.3·(n mod 2))/FPS seconds instead of n/FPS. The frame timestamps
	// are in Truth.Frames[n].Time.
	VFR bool

	// The fields below make the video as hostile as a real phone on a real
	// desk. Their zero values keep the scene as it was without them.

	// VFRPattern selects phone-like variable timing with dropped and
	// duplicated frames (see VFRPhone); it excludes VFR. "" → none.
	VFRPattern VFRPattern

	// Background is the surface under the item ("" → the wooden table).
	Background Background

	// ShotNoise adds signal-dependent (photon shot) noise: its sigma is
	// ShotNoise·√level grey levels, level being the noiseless value (0..255)
	// after Exposure, flicker and drift. With ShotNoise or Grain set, the
	// noise is the phone model: new every frame, Noise (read noise) and shot
	// noise added in quadrature, 80 % of the variance shared by the three
	// channels (luma grain) and 20 % independent per channel (chroma noise,
	// at half resolution like 4:2:0 chroma), spatially correlated by Grain.
	// 0..5.
	ShotNoise float64
	// Grain is the spatial correlation of the noise: the white noise is
	// blurred by a Gaussian of this sigma in pixels and rescaled so each
	// pixel's sigma stays as specified (demosaicing and denoising leave grain
	// of 1–2 px). 0 → independent pixels; 0..3.
	Grain float64

	// Exposure is a gain applied to the rendered scene before the noise
	// (0 → 1): below 1 is low light, where the grain dominates. 0..4.
	Exposure float64

	// Flicker is the amplitude of mains flicker, a relative global brightness
	// modulation per frame: 1 + Flicker·sin(2π·FlickerHz·t + φ) plus a small
	// random part (Flicker/4 sigma), t the frame's time. 0..0.5.
	Flicker float64
	// FlickerHz is the light's flicker frequency (0 → 100 Hz, 50 Hz mains).
	// Sampled at the frame rate it aliases to |FlickerHz − k·FPS| (100 Hz at
	// 30 fps beats at 10 Hz: a 3-frame cycle; 121 Hz at 30 fps at 1 Hz).
	FlickerHz float64
	// WBDrift is the amplitude of slow white-balance and exposure drift over
	// the video: each channel's gain wanders smoothly by up to ±WBDrift
	// (a common exposure part and a per-channel part). 0..0.3.
	WBDrift float64

	// GlintStrength is the specular glint's peak blend towards white
	// (0 → 0.6, a soft low-saturation glint). Values above 1 saturate: the
	// core of the highlight is clipped white, like a real reflection of a
	// lamp. 0..4.
	GlintStrength float64
	// GlintSize scales the glint's extent (0 → 1). 0..3.
	GlintSize float64
	// GlintPasses is how many times the glint crosses the item over the
	// video, back and forth (0 → one slide from upper left to lower right).
	// With several passes it sweeps across the item during the holds while
	// the camera is perfectly still. 0..20.
	GlintPasses float64

	// CardBorder draws the card (Card only) with a printed border of known
	// widths around its inner artwork, for centering tests; zero → the
	// usual card look. Each side 0.01..0.2.
	CardBorder Border

	// Busy gives a comic the busiest cover: halftone dots and speed lines
	// in every panel and a barcode box in the bottom-left corner.
	Busy bool

	// FrameCode burns the picture number (FrameTruth.Source) into the top-
	// left corner of every frame as a row of black/white blocks (see
	// ReadFrameCode and Truth.CodeRect), so a decoded frame can be matched
	// to its truth. Drawn after the noise.
	FrameCode bool
}

// ErrBadScene is wrapped by the errors returned for an invalid Scene.
var ErrBadScene = errors.New("synth: invalid scene")

// DefaultScene returns an 88-frame, 30 fps scene of the item at w×h:
// five holds of 12 frames (their centres 18–22 frames apart), three sweeps of
// 6 frames (alternating direction, about 1.4 % of the width per frame plus a
// little rotation) and one 10-frame focus hunt, in this order:
//
//	hold 12, sweep 6, hold 12, sweep 6, hold 12, focus 10, hold 12, sweep 6, hold 12
//
// The item covers half the frame height with a 10° perspective tilt and a
// −3° rotation, seed 1, sensor noise sigma 1, no defects, no rotation
// metadata, H.264. Set Crease/Dent on the result to add defects.
func DefaultScene(item Item, w, h int) Scene {
	dx := 0.014 * float64(w)
	dy := 0.008 * float64(h)
	blur := math.Max(1.5, 2.5*float64(h)/240)
	sweep := func(sign float64) Phase {
		return Phase{Kind: Sweep, Frames: 6, DX: sign * dx, DY: sign * dy, DRot: sign * 0.6}
	}
	hold := Phase{Kind: Hold, Frames: 12}
	return Scene{
		Width: w, Height: h, FPS: 30, Item: item, Seed: 1,
		ItemScale: 0.5, Tilt: 10, Rot0: -3, Noise: 1,
		Phases: []Phase{
			hold, sweep(1), hold, sweep(-1), hold,
			{Kind: Focus, Frames: 10, MaxBlur: blur},
			hold, sweep(1), hold,
		},
	}
}

// NumFrames returns the number of frames of the scene: the frames of the
// written file, with duplicates (VFRPattern) counted, as they replace a
// picture.
func (s Scene) NumFrames() int {
	n := 0
	for _, p := range s.Phases {
		n += p.Frames
	}
	return n
}

// Validate reports whether the scene can be rendered and written. The error
// wraps ErrBadScene.
func (s Scene) Validate() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrBadScene, fmt.Sprintf(format, a...))
	}
	switch {
	case s.Width < 64 || s.Height < 64 || s.Width > 8192 || s.Height > 8192:
		return bad("frame size %dx%d out of range 64..8192", s.Width, s.Height)
	case s.Width%2 != 0 || s.Height%2 != 0:
		return bad("frame size %dx%d must be even (yuv420p)", s.Width, s.Height)
	case !(s.FPS > 0 && s.FPS <= 240):
		return bad("fps %v out of range (0, 240]", s.FPS)
	case s.Item != Comic && s.Item != Card:
		return bad("unknown item %q", s.Item)
	case s.ItemScale < 0 || s.ItemScale > 0.9:
		return bad("item scale %v out of range [0, 0.9]", s.ItemScale)
	case math.Abs(s.Tilt) > 60:
		return bad("tilt %v out of range [-60, 60]", s.Tilt)
	case s.Rotation != 0 && s.Rotation != 90 && s.Rotation != 180 && s.Rotation != 270:
		return bad("rotation %d is not 0, 90, 180 or 270", s.Rotation)
	case s.Codec != "" && s.Codec != CodecH264 && s.Codec != CodecLossless && s.Codec != CodecHEVC:
		return bad("unknown codec %q", s.Codec)
	case s.Noise < 0 || s.Noise > 50:
		return bad("noise %v out of range [0, 50]", s.Noise)
	case s.CRF < 0 || s.CRF > 51:
		return bad("crf %d out of range [0, 51]", s.CRF)
	case s.ShotNoise < 0 || s.ShotNoise > 5:
		return bad("shot noise %v out of range [0, 5]", s.ShotNoise)
	case s.Grain < 0 || s.Grain > 3:
		return bad("grain %v out of range [0, 3]", s.Grain)
	case s.Exposure < 0 || s.Exposure > 4:
		return bad("exposure %v out of range [0, 4]", s.Exposure)
	case s.Flicker < 0 || s.Flicker > 0.5:
		return bad("flicker %v out of range [0, 0.5]", s.Flicker)
	case s.FlickerHz < 0 || s.FlickerHz > 1000:
		return bad("flicker frequency %v out of range [0, 1000] Hz", s.FlickerHz)
	case s.WBDrift < 0 || s.WBDrift > 0.3:
		return bad("white-balance drift %v out of range [0, 0.3]", s.WBDrift)
	case s.GlintStrength < 0 || s.GlintStrength > 4:
		return bad("glint strength %v out of range [0, 4]", s.GlintStrength)
	case s.GlintSize < 0 || s.GlintSize > 3:
		return bad("glint size %v out of range [0, 3]", s.GlintSize)
	case s.GlintPasses < 0 || s.GlintPasses > 20:
		return bad("glint passes %v out of range [0, 20]", s.GlintPasses)
	case s.Background != BackgroundTable && s.Background != BackgroundMat:
		return bad("unknown background %q", s.Background)
	case s.VFRPattern != VFRNone && s.VFRPattern != VFRPhone:
		return bad("unknown VFR pattern %q", s.VFRPattern)
	case s.VFRPattern != VFRNone && s.VFR:
		return bad("VFR and VFRPattern exclude each other")
	case s.VFRPattern != VFRNone && math.Mod(45000, s.FPS) != 0:
		return bad("VFR pattern %q needs an fps dividing 45000, not %v", s.VFRPattern, s.FPS)
	case s.VFRPattern != VFRNone && s.NumFrames() < 24:
		return bad("VFR pattern %q needs at least 24 frames", s.VFRPattern)
	case s.Busy && s.Item != Comic:
		return bad("busy cover is for comics only")
	}
	if !s.CardBorder.IsZero() {
		b := s.CardBorder
		if s.Item != Card {
			return bad("card border on a %s", s.Item)
		}
		for _, v := range []float64{b.Left, b.Right, b.Top, b.Bottom} {
			if !(v >= 0.01 && v <= 0.2) {
				return bad("card border %+v: each side must be in [0.01, 0.2]", b)
			}
		}
	}
	switch s.DentCorner {
	case "", CornerTL, CornerTR, CornerBL, CornerBR:
	default:
		return bad("unknown dent corner %q", s.DentCorner)
	}
	if len(s.Phases) == 0 {
		return bad("no phases")
	}
	for i, p := range s.Phases {
		if p.Frames <= 0 {
			return bad("phase %d has %d frames", i, p.Frames)
		}
		switch p.Kind {
		case Hold, Sweep:
		case Focus:
			if p.MaxBlur < 0 || p.MaxBlur > 50 {
				return bad("phase %d: max blur %v out of range [0, 50]", i, p.MaxBlur)
			}
		default:
			return bad("phase %d: unknown kind %q", i, p.Kind)
		}
	}
	if n := s.NumFrames(); n > 100000 {
		return bad("%d frames is too many", n)
	}
	return nil
}

// itemScale returns the effective item scale.
func (s Scene) itemScale() float64 {
	if s.ItemScale == 0 {
		return 0.5
	}
	return s.ItemScale
}

// itemSize returns the nominal item width and height in world units (frame
// pixels at the item's centre depth).
func (s Scene) itemSize() (w, h float64) {
	h = s.itemScale() * float64(s.Height)
	return h * s.Item.Aspect(), h
}

// dentCorner returns the dented corner's name (from the seed when unset).
func (s Scene) dentCorner() string {
	if s.DentCorner != "" {
		return s.DentCorner
	}
	r := newRand(s.Seed, streamDent)
	return [...]string{CornerTL, CornerTR, CornerBL, CornerBR}[r.IntN(4)]
}

// frameTime returns the presentation time of frame n in seconds.
func (s Scene) frameTime(n int) float64 {
	if s.VFR && n%2 == 1 {
		return (float64(n) + 0.3) / s.FPS
	}
	return float64(n) / s.FPS
}

// timeBase is the number of timestamp ticks per second of VFR patterns.
const timeBase = 90000

// slot is one frame of the written file in presentation order.
type slot struct {
	src   int     // picture (render index) shown
	time  float64 // presentation time, seconds
	ticks int64   // presentation time in 1/timeBase s (VFR patterns)
	dup   bool    // same picture as the previous frame
	gap   bool    // a dropped frame precedes it (timestamp gap)
}

// timeline returns every frame of the file in presentation order.
func (s Scene) timeline() []slot {
	n := s.NumFrames()
	out := make([]slot, n)
	for i := range out {
		out[i] = slot{src: i, time: s.frameTime(i)}
	}
	if s.VFRPattern != VFRPhone {
		return out
	}
	base := int64(math.Round(timeBase / s.FPS))
	a, b := n/3, 2*n/3
	var t int64
	for i := range out {
		if i > 0 {
			iv := base
			switch {
			case i >= a && i < b:
				iv = base * 3 / 2
			case i >= b && (i-b)%8 == 7:
				iv = 2 * base
				out[i].gap = true
			}
			t += iv
		}
		out[i].ticks = t
		out[i].time = float64(t) / timeBase
	}
	for _, d := range s.dupFrames() {
		out[d].src = out[d-1].src
		out[d].dup = true
	}
	return out
}

// dupFrames returns the two duplicated frames of VFRPhone: the middle of the
// second hold (or of the first) and the third frame of the first sweep in
// the second half (or of any sweep, or the middle of the last hold).
func (s Scene) dupFrames() []int {
	var holds, sweeps [][2]int
	start := 0
	for _, p := range s.Phases {
		r := [2]int{start, start + p.Frames}
		switch p.Kind {
		case Hold:
			holds = append(holds, r)
		case Sweep:
			sweeps = append(sweeps, r)
		}
		start += p.Frames
	}
	n := start
	var d []int
	mid := func(r [2]int) int { return max(1, (r[0]+r[1])/2) }
	if len(holds) > 1 {
		d = append(d, mid(holds[1]))
	} else if len(holds) == 1 {
		d = append(d, mid(holds[0]))
	}
	var sw int
	for _, r := range sweeps {
		if r[1]-r[0] >= 4 {
			sw = r[0] + 2
			if r[0] >= n/2 {
				break
			}
		}
	}
	if sw == 0 && len(holds) > 0 {
		sw = mid(holds[len(holds)-1]) + 1
	}
	if sw == 0 {
		sw = n / 2
	}
	if len(d) == 0 {
		d = append(d, n/4)
	}
	if sw == d[0] || sw == d[0]+1 || sw == d[0]-1 {
		sw = min(n-1, d[0]+3)
	}
	return append(d, sw)
}

// SampleScene returns the scene of the sample video shipped to new users: a
// comic with a crease and a dented bottom-right corner, about 8 s at 30 fps
// (244 frames) at w×h, with nine holds of 18–20 frames, six sweeps of 8
// frames and two focus hunts.
func SampleScene(w, h int) Scene {
	s := DefaultScene(Comic, w, h)
	s.Seed = 7
	s.ItemScale = 0.85 // a grader fills the frame with the item
	s.Crease, s.Dent = true, true
	s.DentCorner = CornerBR
	sweep := func(sign float64, dRot float64) Phase {
		return Phase{Kind: Sweep, Frames: 8, DX: sign * 0.012 * float64(w), DY: -sign * 0.006 * float64(h), DRot: dRot, DTilt: sign * 0.4}
	}
	focus := func(n int) Phase { return Phase{Kind: Focus, Frames: n, MaxBlur: math.Max(1.5, 2.5*float64(h)/240)} }
	hold := func(n int) Phase { return Phase{Kind: Hold, Frames: n} }
	s.Phases = []Phase{
		hold(20), sweep(1, 0.5), hold(20), sweep(-1, -0.5), hold(18), focus(12),
		hold(20), sweep(-1, 0.4), hold(18), sweep(1, -0.4), hold(20), focus(10),
		hold(18), sweep(1, 0.3), hold(20), sweep(-1, -0.3), hold(20),
	}
	return s
}
