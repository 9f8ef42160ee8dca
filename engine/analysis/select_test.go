package analysis

import (
	"reflect"
	"strings"
	"testing"

	"gradevault/engine/event"
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
			name:   "relaxed fill uses the lowest motion that respects the gap",
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
			picks, warns := Select(frames(tt.motion, tt.sharp), 1.0, tt.gap, tt.count)
			got, relaxed := pickFrames(picks)
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

func TestChunkQueueGivesContiguousRuns(t *testing.T) {
	q := newChunkQueue(10, 2)
	// Worker 0 starts at chunk 0, worker 1 at chunk 5.
	if i, _ := q.take(0, -1); i != 0 {
		t.Fatalf("worker 0 starts at %d", i)
	}
	if i, _ := q.take(1, -1); i != 5 {
		t.Fatalf("worker 1 starts at %d", i)
	}
	// Each continues with the next chunk while it is free.
	if i, _ := q.take(1, 5); i != 6 {
		t.Fatalf("worker 1 continues at %d", i)
	}
	for want := 1; want <= 4; want++ {
		if i, _ := q.take(0, want-1); i != want {
			t.Fatalf("worker 0 continues at %d, want %d", i, want)
		}
	}
	// Worker 0 reaches worker 1's run: it takes the middle of what is left
	// (7, 8, 9 → 8), leaving 7 to worker 1.
	if i, _ := q.take(0, 4); i != 8 {
		t.Fatalf("worker 0 jumps to %d, want 8", i)
	}
	if i, _ := q.take(1, 6); i != 7 {
		t.Fatalf("worker 1 continues at %d, want 7", i)
	}
	if i, _ := q.take(0, 8); i != 9 {
		t.Fatalf("worker 0 continues at %d, want 9", i)
	}
	if _, ok := q.take(1, 7); ok {
		t.Fatal("a chunk was handed out twice")
	}
}
