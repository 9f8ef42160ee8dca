package synth

import (
	"math"
	"strings"
)

// CorpusEntry is one named scene of the test corpus.
type CorpusEntry struct {
	Name     string // short unique name, also the file's base name
	Stresses string // one line: what the scene stresses
	Scene    Scene
	// File is the file name to write it to: Name + ".mp4", or ".mkv" for
	// the entries that exercise Matroska.
	File string
}

// Corpus returns the named test corpus at test resolution (320×240
// landscape, 240×320 portrait): see CorpusAt.
func Corpus() []CorpusEntry { return CorpusAt(320, 240) }

// CorpusAt returns the named test corpus with landscape frames of w×h (both
// even, w ≥ h; portrait entries are h×w), e.g. CorpusAt(1920, 1080) for
// benchmarks. Motions and blurs scale with the size; noise levels are per
// pixel and do not. Every scene is 60–130 frames at 30 fps, keeps the item
// entirely inside the frame, and lists its still poses in
// TruthOf(scene).Holds. Entries, in order:
//
//	comic-clean        clean comic on the wooden table, 5 holds
//	card-clean         clean card on the wooden table, 5 holds
//	vfr-phone          phone VFR: 30→20→30 fps, every 8th frame dropped, 2 duplicates; frame code
//	card-dark-mat      card on a dark play-mat with ISO-like grain (read + shot noise, 1 px grain)
//	low-light          exposure 0.3: grain dominates a dark comic
//	flicker-drift      100 Hz flicker at 30 fps (±8 %) and white-balance drift (±15 %)
//	glint-sweep        saturating glint sweeping across a still comic during every hold
//	comic-25           comic filling 25 % of the frame height
//	comic-40-damaged   comic at 40 %, crease + blunted bottom-left corner
//	card-40-damaged    card at 40 %, crease + blunted top-right corner
//	comic-85-damaged   comic at 85 %, crease + blunted bottom-right corner
//	card-75-damaged    card at 75 %, crease + blunted top-left corner
//	portrait-rot90     portrait comic filmed sideways: rotation 90 metadata, crease + dent
//	portrait-rot270    portrait card, rotation 270 metadata, crease + dent
//	hevc               HEVC (libx265, B-frames, phone-like CRF 26) comic with a frame code
//	few-stills         two short holds among slow sweeps and focus hunts (relaxed picks), .mkv
//	no-still           no still frame at all: only sweeps and focus hunts
//	busy-clean         busiest comic cover (halftone everywhere, barcode), clean, 75 %
//	busy-damaged       the same cover with a crease and a blunted corner
//	card-centering     card with a 60/40 left/right, 50/50 top/bottom printed border
func CorpusAt(w, h int) []CorpusEntry {
	if w < h {
		w, h = h, w
	}
	var out []CorpusEntry
	add := func(name, stresses string, s Scene) {
		ext := ".mp4"
		if name == "few-stills" {
			ext = ".mkv"
		}
		out = append(out, CorpusEntry{Name: name, Stresses: stresses, Scene: s, File: name + ext})
	}
	base := func(it Item, seed int64, scale float64) Scene {
		return Scene{Width: w, Height: h, FPS: 30, Item: it, Seed: seed,
			ItemScale: scale, Tilt: 10, Rot0: -3, Noise: 1, ShotNoise: 0.15}
	}
	portrait := func(s Scene) Scene {
		s.Width, s.Height = h, w
		return s
	}
	// std is the usual script: n holds of hl frames separated by sweeps of
	// 6 frames, with a 10-frame focus hunt instead of the sweep after the
	// second hold.
	std := func(s Scene, n, hl int, amp float64) Scene {
		c := newScript(s, amp)
		for k := range n {
			if k > 0 {
				if k == 2 {
					c.focus(10)
				} else {
					c.sweep(6)
				}
			}
			c.hold(hl)
		}
		s.Phases = c.ph
		return s
	}

	add("comic-clean", "clean comic on a wooden table: the baseline", std(base(Comic, 11, 0.55), 5, 12, 0.014))
	add("card-clean", "clean card on a wooden table: the baseline", std(base(Card, 12, 0.5), 5, 12, 0.014))

	s := base(Comic, 13, 0.5)
	s.VFRPattern, s.FrameCode = VFRPhone, true
	add("vfr-phone", "phone VFR: 30, 20 then 30 fps with every 8th frame dropped, a duplicated hold frame and a duplicated sweep frame", std(s, 6, 12, 0.014))

	s = base(Card, 14, 0.45)
	s.Background, s.Noise, s.ShotNoise, s.Grain = BackgroundMat, 3, 0.6, 1
	add("card-dark-mat", "card on a dark low-texture play-mat with ISO-like grain (read 3 + shot 0.6·√level, 1 px grain)", std(s, 5, 14, 0.012))

	s = base(Comic, 15, 0.5)
	s.Exposure, s.Noise, s.ShotNoise, s.Grain = 0.3, 3, 0.9, 1.2
	add("low-light", "low light: exposure 0.3 with strong read and shot noise, so grain dominates", std(s, 5, 12, 0.014))

	s = base(Card, 16, 0.5)
	s.Flicker, s.FlickerHz, s.WBDrift, s.Noise, s.ShotNoise = 0.08, 100, 0.15, 1.5, 0.3
	add("flicker-drift", "mains flicker (100 Hz at 30 fps, ±8 %) and white-balance/exposure drift (±15 %) on still frames", std(s, 5, 12, 0.014))

	s = base(Comic, 17, 0.55)
	s.GlintStrength, s.GlintSize, s.GlintPasses = 2.5, 1.4, 6
	add("glint-sweep", "a strong saturating glint sweeping across the item while the camera is still", std(s, 5, 16, 0.014))

	add("comic-25", "small item: comic filling 25 % of the frame height", std(base(Comic, 18, 0.25), 5, 12, 0.014))

	s = base(Comic, 19, 0.4)
	s.Crease, s.Dent, s.DentCorner = true, true, CornerBL
	add("comic-40-damaged", "comic at 40 % with a crease and a blunted bottom-left corner", std(s, 5, 12, 0.014))

	s = base(Card, 20, 0.4)
	s.Crease, s.Dent, s.DentCorner = true, true, CornerTR
	add("card-40-damaged", "card at 40 % with a crease and a blunted top-right corner", std(s, 5, 12, 0.014))

	s = base(Comic, 21, 0.85)
	s.Tilt, s.Rot0 = 6, -2
	s.Crease, s.Dent, s.DentCorner = true, true, CornerBR
	add("comic-85-damaged", "comic filling 85 % of the frame height with a crease and a blunted bottom-right corner", std(s, 5, 12, 0.008))

	s = base(Card, 22, 0.75)
	s.Tilt, s.Rot0 = 6, -2
	s.Crease, s.Dent, s.DentCorner = true, true, CornerTL
	add("card-75-damaged", "card at 75 % with a crease and a blunted top-left corner", std(s, 5, 12, 0.01))

	s = portrait(base(Comic, 23, 0.7))
	s.Rotation = 90
	s.Crease, s.Dent, s.DentCorner = true, true, CornerBR
	add("portrait-rot90", "portrait phone video stored sideways with rotation 90 metadata; comic at 70 % with crease and dent", std(s, 5, 12, 0.008))

	s = portrait(base(Card, 24, 0.6))
	s.Rotation = 270
	s.Crease, s.Dent, s.DentCorner = true, true, CornerBL
	add("portrait-rot270", "portrait phone video with rotation 270 metadata; card at 60 % with crease and dent", std(s, 5, 12, 0.014))

	s = base(Comic, 25, 0.6)
	s.Codec, s.CRF, s.FrameCode, s.Noise, s.ShotNoise = CodecHEVC, 26, true, 1.5, 0.3
	add("hevc", "HEVC (libx265, CRF 26 like a phone: blotchy compression artifacts) with B-frames and reordering; frame code for identity", std(s, 5, 12, 0.014))

	s = base(Card, 26, 0.5)
	{
		c := newScript(s, 0.006) // slow sweeps: a little motion blur
		c.sweep(6)
		c.focus(8)
		c.sweep(6)
		c.hold(6)
		c.sweep(6)
		c.focus(8)
		c.sweep(6)
		c.sweep(6)
		c.hold(6)
		c.focus(8)
		c.sweep(6)
		c.focus(8)
		s.Phases = c.ph
	}
	add("few-stills", "only two short holds among slow sweeps and still-but-defocused focus hunts: relaxed picks must stay sharp; Matroska", s)

	s = base(Comic, 27, 0.5)
	{
		c := newScript(s, 0.012)
		for k := range 5 {
			c.sweep(7)
			if k%2 == 0 {
				c.focus(8)
			}
			c.sweep(5)
		}
		s.Phases = c.ph
	}
	add("no-still", "no still frame at all: only sweeps and focus hunts", s)

	s = base(Comic, 28, 0.75)
	s.Tilt, s.Rot0, s.Busy = 6, -2, true
	busy := std(s, 6, 12, 0.01)
	add("busy-clean", "busiest printed cover (halftone, speed lines, barcode), no defect", busy)
	busy.Crease, busy.Dent, busy.DentCorner = true, true, CornerBR
	add("busy-damaged", "the busy cover of busy-clean with a crease and a blunted bottom-right corner", busy)

	s = base(Card, 29, 0.75)
	s.Tilt, s.Rot0 = 4, -1.5
	s.CardBorder = Border{Left: 0.075, Right: 0.05, Top: 0.06, Bottom: 0.06}
	add("card-centering", "card with a printed border of known widths: 60/40 left/right, 50/50 top/bottom", std(s, 5, 12, 0.01))
	return out
}

// CorpusEntryNamed returns the entry of CorpusAt(w, h) with the given
// name.
func CorpusEntryNamed(name string, w, h int) (CorpusEntry, bool) {
	for _, e := range CorpusAt(w, h) {
		if strings.EqualFold(e.Name, name) {
			return e, true
		}
	}
	return CorpusEntry{}, false
}

// script builds a motion script whose sweeps alternate in direction, so
// the item never drifts more than one sweep from the centre.
type script struct {
	s    Scene
	amp  float64 // sweep speed as a fraction of the width per frame
	sign float64
	ph   []Phase
}

func newScript(s Scene, amp float64) *script { return &script{s: s, amp: amp, sign: 1} }

func (c *script) hold(n int) { c.ph = append(c.ph, Phase{Kind: Hold, Frames: n}) }

func (c *script) focus(n int) {
	blur := math.Max(1.5, 2.5*float64(min(c.s.Width, c.s.Height))/240)
	c.ph = append(c.ph, Phase{Kind: Focus, Frames: n, MaxBlur: blur})
}

func (c *script) sweep(n int) {
	dy := 0.57 * c.amp * float64(c.s.Height)
	if c.s.ItemScale >= 0.7 {
		dy = 0.15 * c.amp * float64(c.s.Height) // little vertical room
	}
	c.ph = append(c.ph, Phase{Kind: Sweep, Frames: n,
		DX: c.sign * c.amp * float64(c.s.Width), DY: c.sign * dy,
		DRot: c.sign * 0.5, DTilt: -c.sign * 0.3})
	c.sign = -c.sign
}
