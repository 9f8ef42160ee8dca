package analysis

import (
	"reflect"
	"strings"
	"testing"

	"gradevault/engine/event"
	"gradevault/engine/video"
)

func frames(motion, sharp []float64) []Frame {
	fs := make([]Frame, len(motion))
	for i := range motion {
		fs[i] = Frame{Index: i, Motion: motion[i], Sharpness: sharp[i], Stable: motion[i] <= 1}
	}
	return fs
}

func pickFrames(ps []Pick) (idx []int, relaxed []bool) {
	for _, p := range ps {
		idx = append(idx, p.Index)
		relaxed = append(relaxed, p.Relaxed)
	}
	return
}

func TestSelect(t *testing.T) {
	tests := []struct {
		name        string
		motion      []float64
		sharp       []float64
		gap, count  int
		want        []int
		wantRelaxed []bool
		warn        string
	}{
		{
			name:   "sharpest stable frames, gap respected",
			motion: []float64{0, 0.5, 0.5, 2, 0.1, 0.2},
			sharp:  []float64{10, 50, 49, 99, 40, 30},
			gap:    2, count: 2,
			want: []int{1, 4}, wantRelaxed: []bool{false, false},
		},
		{
			name:   "ties broken by frame number",
			motion: []float64{0, 0, 0, 0},
			sharp:  []float64{5, 5, 5, 5},
			gap:    1, count: 2,
			want: []int{0, 1}, wantRelaxed: []bool{false, false},
		},
		{
			name:   "threshold is inclusive",
			motion: []float64{1.0, 1.0001},
			sharp:  []float64{1, 100},
			gap:    1, count: 1,
			want: []int{0}, wantRelaxed: []bool{false},
		},
		{
			name:   "relaxed fill ranks by sharpness over motion and respects the gap",
			motion: []float64{0.2, 3, 1.5, 9, 2, 1.2, 7},
			sharp:  []float64{10, 90, 90, 90, 90, 90, 90},
			gap:    2, count: 3,
			want: []int{0, 2, 5}, wantRelaxed: []bool{false, true, true},
			warn: "relaxed",
		},
		{
			name:   "too short for the gap: fewer picks, with a warning",
			motion: []float64{0, 0, 0, 0},
			sharp:  []float64{1, 2, 3, 4},
			gap:    3, count: 5,
			want: []int{0, 3}, wantRelaxed: []bool{false, false},
			warn: "only 2 of 5",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sel := Select(frames(tt.motion, tt.sharp), SelectOptions{Threshold: 1.0, MinGap: tt.gap, Count: tt.count, Policy: PolicySeed})
			warns := sel.Warnings
			got, relaxed := pickFrames(sel.Picks)
			if !reflect.DeepEqual(got, tt.want) || !reflect.DeepEqual(relaxed, tt.wantRelaxed) {
				t.Fatalf("picks %v relaxed %v, want %v %v", got, relaxed, tt.want, tt.wantRelaxed)
			}
			joined := strings.Join(warns, "\n")
			if tt.warn == "" && len(warns) > 0 {
				t.Fatalf("unexpected warnings %q", warns)
			}
			if !strings.Contains(joined, tt.warn) {
				t.Fatalf("warnings %q do not mention %q", warns, tt.warn)
			}
		})
	}
}

func TestPlanChunksOriginalFormula(t *testing.T) {
	tests := []struct {
		total  int
		chunks int
		size   int
	}{
		{total: 300, chunks: 10, size: 30},
		{total: 90, chunks: 3, size: 30},
		{total: 60, chunks: 2, size: 30},
		{total: 45, chunks: 2, size: 22},
		{total: 601, chunks: 10, size: 60},
		{total: 3, chunks: 2, size: 1},
	}
	for _, tt := range tests {
		cs := PlanChunks(tt.total)
		if len(cs) != tt.chunks {
			t.Fatalf("total %d: %d chunks, want %d", tt.total, len(cs), tt.chunks)
		}
		next := 0
		for i, c := range cs {
			if c.Index != i || c.Start != next {
				t.Fatalf("total %d: chunk %d = %+v, want start %d", tt.total, i, c, next)
			}
			if i < len(cs)-1 && c.Len() != tt.size {
				t.Fatalf("total %d: chunk %d has %d frames, want %d", tt.total, i, c.Len(), tt.size)
			}
			next = c.End
		}
		if next != tt.total {
			t.Fatalf("total %d: chunks end at %d", tt.total, next)
		}
	}
	if got := PlanChunks(1); !reflect.DeepEqual(got, []event.Chunk{{Start: 0, End: 1}}) {
		t.Fatalf("PlanChunks(1) = %v", got)
	}
	if PlanChunks(0) != nil {
		t.Fatal("PlanChunks(0) should be empty")
	}
}

func TestFastLevels(t *testing.T) {
	for _, tt := range []struct{ side, want int }{{320, 1}, {640, 1}, {960, 1}, {1280, 1}, {1920, 2}, {3840, 3}} {
		if got := FastLevels(tt.side); got != tt.want {
			t.Errorf("FastLevels(%d) = %d, want %d", tt.side, got, tt.want)
		}
	}
}

func TestPoses(t *testing.T) {
	//                  pose 0 (bridged 1.4)    sweep        pose 1   short sweep, then a long one
	motion := []float64{0, .2, .1, 1.4, .1, .3, 5, 6, 7, .1, .2, .4, 3, 4, 5, 6, .1}
	sharp := make([]float64, len(motion))
	for i := range sharp {
		sharp[i] = float64(10 + i%4)
	}
	got := Poses(frames(motion, sharp), 1.0, 2)
	want := []Pose{{ID: 0, Start: 0, End: 6, Best: 2, Settled: true}, {ID: 1, Start: 9, End: 12, Best: 11}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Poses = %+v, want %+v", got, want)
	}
}

// An evenly blurred still stretch (a focus hunt, or a sweep too smeared
// for the flow) is as even as a hold; it has not settled when the video
// shows frames three times as sharp, and then the video has no still frame.
func TestPosesEvenlyBlurredIsNotSettled(t *testing.T) {
	//                  sharp, then moving   blurred, still     moving   hold
	motion := []float64{0, 5, 6, 7, 6, 5, .1, .1, .1, .1, .1, 5, 6, 7, .1, .1, .1, .1}
	sharp := []float64{400, 40, 40, 40, 40, 40, 30, 31, 30, 31, 30, 40, 40, 40, 390, 395, 391, 393}
	got := Poses(frames(motion, sharp), 1.0, 2)
	if len(got) != 2 || got[0].Settled || !got[1].Settled {
		t.Fatalf("Poses = %+v, want the blurred stretch unsettled and the hold settled", got)
	}
	sel := Select(frames(motion[:14], sharp[:14]), SelectOptions{MinGap: 2, Count: 3})
	if c := Assess(&Result{Poses: sel.Poses, Picks: sel.Picks, Options: Options{Count: 3, MotionThreshold: 1}}); c.Level != Low {
		t.Errorf("without the hold: confidence %+v, want low", c)
	}
}

func TestSelectCoversPoses(t *testing.T) {
	// Three holds; the first is much sharper, so the seed rule takes all
	// its picks there.
	var motion, sharp []float64
	for h, base := range []float64{1000, 700, 500} {
		for i := 0; i < 20; i++ {
			motion = append(motion, 0.1)
			sharp = append(sharp, base+float64(i))
		}
		if h < 2 {
			for i := 0; i < 5; i++ {
				motion = append(motion, 8)
				sharp = append(sharp, 50)
			}
		}
	}
	fs := frames(motion, sharp)
	seed := Select(fs, SelectOptions{MinGap: 5, Count: 3, Policy: PolicySeed})
	poses := Select(fs, SelectOptions{MinGap: 5, Count: 3})
	seedIdx, _ := pickFrames(seed.Picks)
	if !reflect.DeepEqual(seedIdx, []int{9, 14, 19}) {
		t.Fatalf("seed picks %v, want the three sharpest of hold 0", seedIdx)
	}
	got, _ := pickFrames(poses.Picks)
	if !reflect.DeepEqual(got, []int{19, 44, 69}) {
		t.Fatalf("pose picks %v, want the sharpest frame of each hold", got)
	}
	for i, p := range poses.Picks {
		if p.Pose != i || p.Rank == 0 {
			t.Errorf("pick %d: pose %d rank %d", i, p.Pose, p.Rank)
		}
	}
	// More picks than poses: one per pose, then the next sharpest.
	more := Select(fs, SelectOptions{MinGap: 5, Count: 5})
	got, _ = pickFrames(more.Picks)
	if !reflect.DeepEqual(got, []int{4, 9, 14, 19, 44}) && !reflect.DeepEqual(got, []int{9, 14, 19, 44, 69}) {
		t.Fatalf("5 picks %v", got)
	}
	covered := map[int]bool{}
	for _, p := range more.Picks {
		covered[p.Pose] = true
	}
	if len(covered) != 3 {
		t.Fatalf("5 picks cover poses %v, want all 3", covered)
	}
}

func TestRelaxedPicksAreNeverBlurred(t *testing.T) {
	// One short hold; the moving frames are either slightly moving and
	// sharp, or barely moving and defocused (sharpness 2 % of the still
	// frames'). The lowest-motion frames are the defocused ones.
	motion := []float64{0.1, 0.1, 0.1, 0.1}
	sharp := []float64{1000, 1001, 1002, 1003}
	for i := 4; i < 60; i++ {
		if i%2 == 0 {
			motion = append(motion, 1.1) // defocused, almost still
			sharp = append(sharp, 20)
		} else {
			motion = append(motion, 2.5+float64(i%7)/10) // moving a little, sharp
			sharp = append(sharp, 900)
		}
	}
	fs := frames(motion, sharp)
	sel := Select(fs, SelectOptions{MinGap: 5, Count: 5})
	if len(sel.Picks) != 5 {
		t.Fatalf("%d picks", len(sel.Picks))
	}
	for _, p := range sel.Picks {
		if p.Sharpness < 500 {
			t.Errorf("pick %d is defocused (sharpness %v) while sharp candidates exist", p.Index, p.Sharpness)
		}
	}
	// Only defocused frames besides the hold: fewer picks, no blur.
	for i := 4; i < len(fs); i++ {
		if i%2 == 1 {
			fs[i].Sharpness = 15
		}
	}
	sel = Select(fs, SelectOptions{MinGap: 5, Count: 5})
	if len(sel.Picks) != 1 || !strings.Contains(strings.Join(sel.Warnings, " "), "without taking a blurred frame") {
		t.Fatalf("picks %v warnings %q: want only the still frame and a warning", sel.Picks, sel.Warnings)
	}
}

func TestConfidence(t *testing.T) {
	moving := make([]float64, 40)
	sharp := make([]float64, 40)
	for i := range moving {
		moving[i], sharp[i] = 3+float64(i%5), 100+float64(i)
	}
	res := Reselect(video.Info{Frames: 40, FPS: 30}, frames(moving, sharp), Options{})
	if res.Confidence.Level != Low || !strings.Contains(strings.Join(res.Confidence.Reasons, " "), NoStillMessage) {
		t.Fatalf("no still frame: confidence %+v", res.Confidence)
	}
	for i := range moving {
		if i/10%2 == 0 {
			moving[i] = 0.1
		}
	}
	res = Reselect(video.Info{Frames: 40, FPS: 30}, frames(moving, sharp), Options{MinGap: 5, Count: 3})
	if res.Confidence.Level != High || len(res.Poses) != 2 {
		t.Fatalf("two holds: confidence %+v, poses %v", res.Confidence, res.Poses)
	}
	// The same holds while the lens hunts for focus: the camera is still,
	// the sharpness swings; no settled pose, no trustworthy frame.
	for i := range sharp {
		sharp[i] = 100 / float64(1+i%10)
	}
	res = Reselect(video.Info{Frames: 40, FPS: 30}, frames(moving, sharp), Options{MinGap: 5, Count: 3})
	if res.Confidence.Level != Low {
		t.Fatalf("focus hunting only: confidence %+v, poses %+v", res.Confidence, res.Poses)
	}
}
