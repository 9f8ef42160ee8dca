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
)

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

	// VFR writes a variable-frame-rate file: frame n is stamped at
	// (n + 0.3·(n mod 2))/FPS seconds instead of n/FPS. The frame timestamps
	// are in Truth.Frames[n].Time.
	VFR bool
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

// NumFrames returns the number of frames of the scene.
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
	case s.Codec != "" && s.Codec != CodecH264 && s.Codec != CodecLossless:
		return bad("unknown codec %q", s.Codec)
	case s.Noise < 0 || s.Noise > 50:
		return bad("noise %v out of range [0, 50]", s.Noise)
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
