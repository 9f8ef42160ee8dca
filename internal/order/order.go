// Package order finds order statistics (the k-th smallest value, the
// median) without sorting.
package order

import "cmp"

// Nth returns the value slices.Sort would put at s[k], in linear time on
// average (Hoare's quickselect), and leaves s reordered with every value
// before s[k] no greater than it and every value after no smaller. s must
// not hold NaNs.
func Nth[T cmp.Ordered](s []T, k int) T {
	lo, hi := 0, len(s)-1
	for lo < hi {
		// Median of three as the pivot keeps sorted and constant runs fast.
		mid := lo + (hi-lo)/2
		a, b, c := s[lo], s[mid], s[hi]
		pivot := max(min(a, b), min(max(a, b), c))
		i, j := lo, hi
		for i <= j {
			for s[i] < pivot {
				i++
			}
			for s[j] > pivot {
				j--
			}
			if i <= j {
				s[i], s[j] = s[j], s[i]
				i++
				j--
			}
		}
		// Now s[lo..j] <= pivot <= s[i..hi], and s[j+1..i-1] == pivot.
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return s[k]
		}
	}
	return s[k]
}

// Median returns the median of s, the mean of the two middle values for
// an even count (0 for none), as sorting s would give it; s is reordered
// and must not hold NaNs.
func Median[T ~float32 | ~float64](s []T) T {
	if len(s) == 0 {
		return 0
	}
	m := len(s) / 2
	hi := Nth(s, m)
	if len(s)%2 == 1 {
		return hi
	}
	// Nth left the m smallest values before s[m]: the largest of them is
	// the lower middle value.
	lo := s[0]
	for _, v := range s[1:m] {
		lo = max(lo, v)
	}
	return (lo + hi) / 2
}
