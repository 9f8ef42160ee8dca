package analysis

import (
	"slices"
	"testing"
)

// percentile32 samples without touching its input and reuses its buffer.
func TestPercentile32(t *testing.T) {
	v := make([]float32, 10000)
	for i := range v {
		v[i] = float32((i * 7919) % 10000)
	}
	before := slices.Clone(v)
	var buf []float32
	want := func(q float64) float32 {
		var s []float32
		for i := 0; i < len(v); i += len(v) / 4096 {
			s = append(s, v[i])
		}
		slices.Sort(s)
		return s[int(q*float64(len(s)-1))]
	}
	for _, q := range []float64{0, 0.25, 0.5, 1} {
		if got := percentile32(v, q, &buf); got != want(q) {
			t.Errorf("q %v: got %v, want %v", q, got, want(q))
		}
	}
	if !slices.Equal(v, before) {
		t.Error("percentile32 modified its input")
	}
	if got := percentile32(nil, 0.5, &buf); got != 0 {
		t.Errorf("empty: got %v", got)
	}
}
