package order

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestNthAndMedianAreSortings: on random, constant, sorted, reversed and
// few-valued slices of every length up to 70, Nth gives what sorting puts
// at every k (and partitions around it), and Median the sorted middle.
func TestNthAndMedianAreSortings(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 1; n <= 70; n++ {
		for kind := range 5 {
			s := make([]float64, n)
			for i := range s {
				switch kind {
				case 0:
					s[i] = rng.NormFloat64()
				case 1:
					s[i] = 3
				case 2:
					s[i] = float64(i)
				case 3:
					s[i] = float64(n - i)
				default:
					s[i] = float64(rng.IntN(3))
				}
			}
			sorted := slices.Sorted(slices.Values(s))
			for k := range n {
				c := slices.Clone(s)
				if got := Nth(c, k); got != sorted[k] {
					t.Fatalf("n %d kind %d: Nth(%d) = %v, sorted %v", n, kind, k, got, sorted[k])
				}
				for i, v := range c {
					if i < k && v > c[k] || i > k && v < c[k] {
						t.Fatalf("n %d kind %d k %d: s[%d] = %v on the wrong side of %v", n, kind, k, i, v, c[k])
					}
				}
			}
			want := sorted[n/2]
			if n%2 == 0 {
				want = (sorted[n/2-1] + sorted[n/2]) / 2
			}
			if got := Median(slices.Clone(s)); got != want {
				t.Fatalf("n %d kind %d: Median = %v, sorted %v", n, kind, got, want)
			}
			f32 := make([]float32, n)
			for i, v := range s {
				f32[i] = float32(v)
			}
			s32 := slices.Sorted(slices.Values(f32))
			want32 := s32[n/2]
			if n%2 == 0 {
				want32 = (s32[n/2-1] + s32[n/2]) / 2
			}
			if got := Median(f32); got != want32 {
				t.Fatalf("n %d kind %d: float32 Median = %v, sorted %v", n, kind, got, want32)
			}
		}
	}
	if Median([]float64{}) != 0 {
		t.Error("the median of nothing is not 0")
	}
}

// Nth gives exactly what sorting gives, on float32 too and long slices, on random, duplicated,
// sorted, reversed and constant data.
func TestNthLong(t *testing.T) {
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
				if got := Nth(slices.Clone(v), k); got != sorted[k] {
					t.Fatalf("%s/%d: rank %d: got %v, want %v", name, n, k, got, sorted[k])
				}
			}
		}
	}
}
