package synth

import (
	"math"
	"math/rand/v2"
)

// FrameTruth is the ground truth of one frame.
type FrameTruth struct {
	Index int
	Time  float64   // presentation time in seconds (n/FPS unless VFR or VFRPattern)
	Phase PhaseKind // phase the frame belongs to
	Hold  bool      // Phase == Hold

	// Source is the picture the frame shows (its render index): Index,
	// except for a duplicated frame, which shows the previous frame's
	// picture again. With Scene.FrameCode it is the number burnt into the
	// frame (ReadFrameCode).
	Source int
	// Dup is true for a duplicated frame (same picture as frame Index−1,
	// with its own timestamp; Motion 0).
	Dup bool
	// Gap is true when a dropped frame precedes this one: its timestamp is
	// two frame intervals after the previous frame's.
	Gap bool
	// Pose is the still pose the frame belongs to: the index of its hold in
	// Truth.Holds, or -1 outside holds. Each hold is one still camera pose;
	// the light (glint) differs between holds.
	Pose int
	// Sharp is true when the picture is neither defocused nor motion
	// blurred (Blur == 0 and MotionBlur < 1 px): every hold frame is sharp,
	// sweep and focus frames are not.
	Sharp bool
	// Gain is the photometric gain applied to the picture, BGR: Exposure ×
	// flicker × white-balance drift (1, 1, 1 without them).
	Gain [3]float64

	// Blur is the Gaussian defocus sigma in pixels (Focus frames; else 0).
	Blur float64
	// MotionBlur is the length in pixels of the longest motion-blur streak
	// (the largest displacement of an item corner during the picture's
	// exposure, which is the displacement since the previous frame unless a
	// duplicate precedes it) for Sweep frames; 0 for the others, which are
	// not motion blurred.
	MotionBlur float64
	// Motion is the mean displacement in pixels of points of the item (a 5×5
	// grid over it) since the previous frame; 0 for frame 0.
	Motion float64

	// Corners are the item's nominal corners TL, TR, BR, BL in upright frame
	// pixels at the end of the frame's exposure. The dented corner's nominal
	// point lies just outside the torn paper.
	Corners [4][2]float64
	// Crease holds the crease's endpoints in frame pixels (zero without one).
	Crease [2][2]float64
	// Dent is the centre of the dent's damaged patch in frame pixels (zero
	// without one).
	Dent [2]float64
	// Glint is the centre of the specular glint in frame pixels.
	Glint [2]float64
}

// Truth is the ground truth of a whole scene.
type Truth struct {
	Scene  Scene
	Frames []FrameTruth
	// Holds lists the hold phases as [start, end) frame ranges: the still,
	// sharp stretches. Holds[k] is still pose k (FrameTruth.Pose == k); each
	// is one camera pose under a different light angle.
	Holds [][2]int
	// Focus lists the focus phases as [start, end) frame ranges.
	Focus [][2]int
	// Sweeps lists the sweep phases as [start, end) frame ranges.
	Sweeps [][2]int

	// ItemSize is the item's nominal width and height in pixels at its centre
	// depth (before the perspective tilt).
	ItemSize [2]float64

	// CreaseItem holds the crease's endpoints in item-relative coordinates
	// (fractions 0..1 of the width and height); zero without a crease. The
	// crease is always inside the glint analysis "surface" region
	// (0.15..0.85 on both axes).
	CreaseItem [2][2]float64
	// CreaseWidth is the crease's full visible width in pixels (about).
	CreaseWidth float64

	// DentCorner is the dented corner's name (CornerTL…), "" without a dent.
	DentCorner string
	// DentItem is the dent patch centre in item-relative coordinates and
	// DentRadius its radius as a fraction of the item width.
	DentItem   [2]float64
	DentRadius float64

	// StoredWidth and StoredHeight are the pixel size stored in the file:
	// Width×Height, swapped when Rotation is 90 or 270.
	StoredWidth, StoredHeight int

	// CardBorder is the card's printed border (Scene.CardBorder; zero
	// without one) as fractions of the card width (Left, Right) and height
	// (Top, Bottom). The rendered border matches it to half a texel (a third
	// of a frame pixel at the item's centre).
	CardBorder Border
	// CenteringLR and CenteringTB are the card's centering as graders state
	// it, in percent: {100·L/(L+R), 100·R/(L+R)} (e.g. 60, 40) and the same
	// for top/bottom; zero without a border.
	CenteringLR, CenteringTB [2]float64

	// CodeRect is the frame code's rectangle (x0, y0, x1, y1, upright
	// pixels, end exclusive) when Scene.FrameCode is set; tests that look
	// at the background can mask it.
	CodeRect [4]int
}

// TruthOf returns the ground truth of a scene without rendering it. The
// scene should be valid (see Scene.Validate).
func TruthOf(s Scene) *Truth {
	n := s.NumFrames()
	poses := posesOf(s)
	wn, hn := s.itemSize()
	t := &Truth{Scene: s, Frames: make([]FrameTruth, n), ItemSize: [2]float64{wn, hn},
		StoredWidth: s.Width, StoredHeight: s.Height, CardBorder: s.CardBorder}
	if b := s.CardBorder; !b.IsZero() {
		t.CenteringLR = [2]float64{100 * b.Left / (b.Left + b.Right), 100 * b.Right / (b.Left + b.Right)}
		t.CenteringTB = [2]float64{100 * b.Top / (b.Top + b.Bottom), 100 * b.Bottom / (b.Top + b.Bottom)}
	}
	if s.FrameCode {
		t.CodeRect = s.CodeRect()
	}
	slots := s.timeline()
	gains := gainsOf(s, slots)
	if s.Rotation == 90 || s.Rotation == 270 {
		t.StoredWidth, t.StoredHeight = s.Height, s.Width
	}
	c := creaseOf(s)
	if s.Crease {
		t.CreaseItem = [2][2]float64{{c.u0, c.v0}, {c.u1, c.v1}}
		t.CreaseWidth = 2 * creaseHalfWidth(s)
	}
	d := dentOf(s)
	if s.Dent {
		t.DentCorner = d.corner
		t.DentItem = [2]float64{d.cu, d.cv}
		t.DentRadius = d.radius
	}
	start := 0
	for _, ph := range s.Phases {
		r := [2]int{start, start + ph.Frames}
		switch ph.Kind {
		case Hold:
			t.Holds = append(t.Holds, r)
		case Focus:
			t.Focus = append(t.Focus, r)
		case Sweep:
			t.Sweeps = append(t.Sweeps, r)
		}
		start += ph.Frames
	}
	pose := 0
	for i := range n {
		sl := slots[i]
		src := sl.src
		p := poses[src]
		h := p.itemToFrame(s)
		f := FrameTruth{Index: i, Time: sl.time, Phase: p.kind, Hold: p.kind == Hold, Blur: p.blur,
			Source: src, Dup: sl.dup, Gap: sl.gap, Pose: -1, Gain: gains[src]}
		for pose < len(t.Holds) && t.Holds[pose][1] <= i {
			pose++
		}
		if f.Hold && pose < len(t.Holds) && i >= t.Holds[pose][0] {
			f.Pose = pose
		}
		for k, uv := range [4][2]float64{{0, 0}, {1, 0}, {1, 1}, {0, 1}} {
			f.Corners[k] = h.apply(uv[0], uv[1])
		}
		if i > 0 {
			hp := poses[slots[i-1].src].itemToFrame(s)
			f.Motion = meanDisplacement(hp, h)
		}
		if src > 0 && p.kind == Sweep {
			f.MotionBlur = maxCornerDisplacement(poses[src-1].itemToFrame(s), h)
		}
		f.Sharp = f.Blur == 0 && f.MotionBlur < 1
		if s.Crease {
			f.Crease[0] = h.apply(c.u0, c.v0)
			f.Crease[1] = h.apply(c.u1, c.v1)
		}
		if s.Dent {
			f.Dent = h.apply(d.cu, d.cv)
		}
		gu, gv := glintCentre(s, src)
		f.Glint = h.apply(gu, gv)
		t.Frames[i] = f
	}
	return t
}

// pose is the camera pose of one frame.
type pose struct {
	cx, cy    float64 // item centre in the frame, pixels
	rot, tilt float64 // degrees
	kind      PhaseKind
	blur      float64 // defocus sigma
}

// posesOf returns the pose of every frame of the scene.
func posesOf(s Scene) []pose {
	r := newRand(s.Seed, streamJitter)
	pa, pb := r.Float64()*2*math.Pi, r.Float64()*2*math.Pi
	base := pose{cx: float64(s.Width-1) / 2, cy: float64(s.Height-1) / 2, rot: s.Rot0, tilt: s.Tilt}
	out := make([]pose, 0, s.NumFrames())
	for _, ph := range s.Phases {
		for k := range ph.Frames {
			p := base
			p.kind = ph.Kind
			switch ph.Kind {
			case Sweep:
				base.cx += ph.DX
				base.cy += ph.DY
				base.rot += ph.DRot
				base.tilt += ph.DTilt
				p = base
				p.kind = Sweep
			default:
				// Hand tremor: at most 0.05 px each way, so under 0.15 px
				// between frames.
				i := float64(len(out))
				p.cx += 0.05 * math.Sin(1.9*i+pa)
				p.cy += 0.05 * math.Sin(2.7*i+pb)
				if ph.Kind == Focus {
					p.blur = ph.MaxBlur * (0.55 + 0.45*math.Sin(math.Pi*(float64(k)+0.5)/float64(ph.Frames)))
				}
			}
			out = append(out, p)
		}
	}
	return out
}

// lerpPose interpolates between two poses (t in 0..1).
func lerpPose(a, b pose, t float64) pose {
	return pose{
		cx: a.cx + (b.cx-a.cx)*t, cy: a.cy + (b.cy-a.cy)*t,
		rot: a.rot + (b.rot-a.rot)*t, tilt: a.tilt + (b.tilt-a.tilt)*t,
		kind: b.kind, blur: b.blur,
	}
}

// homography is a 3×3 matrix, row-major.
type homography [9]float64

func (h homography) mul(o homography) homography {
	var r homography
	for i := range 3 {
		for j := range 3 {
			for k := range 3 {
				r[3*i+j] += h[3*i+k] * o[3*k+j]
			}
		}
	}
	return r
}

func (h homography) apply(x, y float64) [2]float64 {
	w := h[6]*x + h[7]*y + h[8]
	return [2]float64{(h[0]*x + h[1]*y + h[2]) / w, (h[3]*x + h[4]*y + h[5]) / w}
}

// focal returns the camera's focal length in pixels.
func (s Scene) focal() float64 { return 1.2 * float64(max(s.Width, s.Height)) }

// worldToFrame maps the table plane (world units = frame pixels at the item
// centre's depth, origin at the item's centre) to the frame: a pinhole camera
// at distance f looking at the plane tilted by p.tilt about its x axis and
// rotated by p.rot in the image plane.
func (p pose) worldToFrame(s Scene) homography {
	f := s.focal()
	t, r := p.tilt*math.Pi/180, p.rot*math.Pi/180
	ct, st, cr, sr := math.Cos(t), math.Sin(t), math.Cos(r), math.Sin(r)
	// R = Rz(r)·Rx(t); columns 1 and 2 (the plane's x and y axes).
	r1 := [3]float64{cr, sr, 0}
	r2 := [3]float64{-sr * ct, cr * ct, st}
	tr := [3]float64{0, 0, f}
	m := homography{r1[0], r2[0], tr[0], r1[1], r2[1], tr[1], r1[2], r2[2], tr[2]}
	k := homography{f, 0, p.cx, 0, f, p.cy, 0, 0, 1}
	return k.mul(m)
}

// itemToFrame maps item-relative coordinates (0..1) to frame pixels.
func (p pose) itemToFrame(s Scene) homography {
	wn, hn := s.itemSize()
	return p.worldToFrame(s).mul(homography{wn, 0, -wn / 2, 0, hn, -hn / 2, 0, 0, 1})
}

func meanDisplacement(a, b homography) float64 {
	sum := 0.0
	for i := range 5 {
		for j := range 5 {
			u, v := float64(i)/4, float64(j)/4
			p, q := a.apply(u, v), b.apply(u, v)
			sum += math.Hypot(p[0]-q[0], p[1]-q[1])
		}
	}
	return sum / 25
}

func maxCornerDisplacement(a, b homography) float64 {
	m := 0.0
	for _, uv := range [4][2]float64{{0, 0}, {1, 0}, {1, 1}, {0, 1}} {
		p, q := a.apply(uv[0], uv[1]), b.apply(uv[0], uv[1])
		m = math.Max(m, math.Hypot(p[0]-q[0], p[1]-q[1]))
	}
	return m
}

// Random streams: each part of the scene draws from its own stream so that,
// for example, turning the crease on does not change the design.
const (
	streamDesign = iota + 1
	streamTable
	streamJitter
	streamCrease
	streamDent
	streamGlint
	streamPaper
	streamFlicker
	streamBarcode
	streamNoise        = 1 << 32 // + picture index
	streamNoiseChroma  = 2 << 32 // + picture index
	streamFlickerFrame = 3 << 32 // + picture index
)

func newRand(seed int64, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15^stream))
}

// crease is the crease's geometry in item-relative coordinates.
type crease struct{ u0, v0, u1, v1 float64 }

func creaseOf(s Scene) crease {
	r := newRand(s.Seed, streamCrease)
	// A diagonal-ish line across the surface region (0.15..0.85).
	c := crease{
		u0: 0.22 + 0.1*r.Float64(), v0: 0.3 + 0.15*r.Float64(),
		u1: 0.68 + 0.1*r.Float64(), v1: 0.45 + 0.3*r.Float64(),
	}
	if r.IntN(2) == 1 {
		c.v0, c.v1 = c.v1, c.v0
	}
	return c
}

// creaseHalfWidth returns half the crease's width in frame pixels.
func creaseHalfWidth(s Scene) float64 {
	_, hn := s.itemSize()
	return math.Max(1.5, 0.009*hn)
}

// dent is the dent's geometry.
type dent struct {
	corner string
	cu, cv float64 // patch centre, item-relative
	radius float64 // patch radius as a fraction of the item width
	cut    float64 // size of the missing corner, fraction of the item width
}

func dentOf(s Scene) dent {
	d := dent{corner: s.dentCorner(), radius: 0.09, cut: 0.045}
	wn, hn := s.itemSize()
	ru, rv := d.radius*0.45, d.radius*0.45*wn/hn
	switch d.corner {
	case CornerTL:
		d.cu, d.cv = ru, rv
	case CornerTR:
		d.cu, d.cv = 1-ru, rv
	case CornerBL:
		d.cu, d.cv = ru, 1-rv
	default:
		d.cu, d.cv = 1-ru, 1-rv
	}
	return d
}

// glintCentre returns the glint's centre in item-relative coordinates at
// frame i: it slides from upper left to lower right over the video, with a
// gentle wobble.
func glintCentre(s Scene, i int) (u, v float64) {
	n := s.NumFrames()
	t := 0.0
	if n > 1 {
		t = float64(i) / float64(n-1)
	}
	r := newRand(s.Seed, streamGlint)
	ph := r.Float64() * 2 * math.Pi
	if s.GlintPasses > 0 {
		// Back and forth across the item: a triangle wave of GlintPasses
		// half-periods.
		x := math.Mod(s.GlintPasses*t, 2)
		if x > 1 {
			x = 2 - x
		}
		u = 0.1 + 0.8*x
		v = 0.25 + 0.5*t + 0.08*math.Sin(3*math.Pi*t+ph)
		return u, v
	}
	u = 0.1 + 0.8*t
	v = 0.2 + 0.55*t + 0.08*math.Sin(3*math.Pi*t+ph)
	return u, v
}
