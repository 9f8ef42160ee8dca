package analysis

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// nthElement must give exactly what sorting gives on random, duplicated,
// sorted, reversed and constant data.
func TestNthElement(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 2, 3, 10, 257, 4096} {
		random, dups, asc, desc, flat := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
		for i := range n {
			random[i] = rng.Float32()
			dups[i] = float32(rng.IntN(4))
			asc[i], desc[i], flat[i] = float32(i), float32(n-i), 7
		}
		for name, v := range map[string][]float32{"random": random, "dups": dups, "asc": asc, "desc": desc, "flat": flat} {
			sorted := slices.Clone(v)
			slices.Sort(sorted)
			ranks := []int{0, n / 2, n - 1}
			for k := range min(n, 300) {
				ranks = append(ranks, k*n/min(n, 300))
			}
			for _, k := range ranks {
				if got := nthElement(slices.Clone(v), k); got != sorted[k] {
					t.Fatalf("%s/%d: rank %d: got %v, want %v", name, n, k, got, sorted[k])
				}
			}
		}
	}
}

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
