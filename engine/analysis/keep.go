package analysis

import (
	"slices"
	"sync"

	"gocv.io/x/gocv"
)

// DefaultKeepBytes is how much memory Options.Keep may use for kept frames
// by default: 64 MiB, 10 frames at 1080p (the analysis peaks at about 280
// MB at 1080p with it, half of it the decoder, the frames in flight and the
// libraries); see keepBudget for 4K.
const DefaultKeepBytes = 64 << 20

// keepBudget is the kept-frame budget for frames of frameBytes when the
// caller will take want of them: the option's; the default budget
// stretches to up to twice itself to hold want frames (the five golden
// frames at 4K, 124 MB, instead of 2; the defect analysis's dozen at
// 1080p, 75 MB, instead of 10), since each frame not kept is a seek
// through up to a keyframe interval later (1.2 s for one frame near the
// end of a 1080p video with a single keyframe).
func keepBudget(opt, frameBytes, want int) int {
	if opt != DefaultKeepBytes {
		return opt
	}
	return max(opt, min(2*opt, want*frameBytes))
}

// keeper keeps, while the video is decoded, the sharpest frame of every
// run of still frames. Those are the frames the golden-frame selection and
// the defect analysis take (every still pose's best frame is the best of
// one of its runs), so they need no second decode. Frames reach it out of
// order from the workers; it looks at them in frame order, holding each
// one's slot until then. It holds on to the slot of the open run's
// sharpest frame so far, and when the run ends it takes that slot's image
// over (the slot gets a new one): nothing is copied.
//
// It keeps at most max runs' frames; past that, it drops the least
// promising (runs too short to settle first, then the least sharp). A
// dropped frame costs only a seek later.
type keeper struct {
	threshold float64
	max       int
	release   func(*slot)

	mu      sync.Mutex
	next    int                 // the next frame in order
	pending map[int]keptPending // arrived early
	run     *Kept               // the open still run's best frame so far, nil between runs
	held    *slot               // and the slot it is in
	runLen  int
	kept    []*Kept
}

type keptPending struct {
	f Frame
	s *slot
}

// Kept is one frame kept in memory during the analysis (BGR, as decoded).
type Kept struct {
	Index     int
	Sharpness float64
	Image     gocv.Mat
	runLen    int // still frames in its run
}

func newKeeper(threshold float64, frameBytes, budget int, release func(*slot)) *keeper {
	return &keeper{
		threshold: threshold,
		max:       max(1, budget/max(frameBytes, 1)),
		release:   release,
		pending:   map[int]keptPending{},
	}
}

// offer hands over frame f (measured) and one reference to its slot.
func (k *keeper) offer(f Frame, s *slot) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.pending[f.Index] = keptPending{f, s}
	for {
		p, ok := k.pending[k.next]
		if !ok {
			return
		}
		delete(k.pending, k.next)
		k.next++
		k.look(p.f, p.s)
		k.release(p.s)
	}
}

// look follows the still runs in frame order.
func (k *keeper) look(f Frame, s *slot) {
	if f.Motion > k.threshold {
		k.closeRun()
		return
	}
	k.runLen++
	if k.run == nil || f.Sharpness > k.run.Sharpness {
		s.refs.Add(1) // offer's reference is still held: s cannot be in the pool
		if k.held != nil {
			k.release(k.held)
		}
		k.held = s
		if k.run == nil {
			k.run = &Kept{}
		}
		k.run.Index, k.run.Sharpness = f.Index, f.Sharpness
	}
}

// closeRun ends the open run: its best frame's image moves from its slot
// into the kept frames.
func (k *keeper) closeRun() {
	if k.run == nil {
		return
	}
	// The slot's own job is done and the next frame's uses only its flow
	// input: nobody else reads its image until the decoder refills it.
	k.run.Image = k.held.bgr
	k.held.bgr = gocv.NewMat()
	k.release(k.held)
	k.held = nil
	k.run.runLen = k.runLen
	k.kept = append(k.kept, k.run)
	k.run, k.runLen = nil, 0
	if len(k.kept) <= k.max {
		return
	}
	worst := 0
	for i, c := range k.kept {
		if keepsBetter(k.kept[worst], c) {
			worst = i
		}
	}
	k.kept[worst].Image.Close()
	k.kept = slices.Delete(k.kept, worst, worst+1)
}

// keepsBetter reports whether a is more worth keeping than b: a run long
// enough for the focus to settle beats a shorter one, then sharpness.
func keepsBetter(a, b *Kept) bool {
	as, bs := a.runLen >= settledFrames, b.runLen >= settledFrames
	if as != bs {
		return as
	}
	return a.Sharpness > b.Sharpness
}

// finish closes the last run, releases what never came in order (after an
// error) and returns the kept frames in frame order.
func (k *keeper) finish() []*Kept {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.closeRun()
	for i, p := range k.pending {
		k.release(p.s)
		delete(k.pending, i)
	}
	slices.SortFunc(k.kept, func(a, b *Kept) int { return a.Index - b.Index })
	out := k.kept
	k.kept = nil
	return out
}

// discard closes kept frames.
func discard(ks []*Kept) {
	for _, c := range ks {
		c.Image.Close()
	}
}
