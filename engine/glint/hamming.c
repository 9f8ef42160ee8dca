#include <stdint.h>
#include "hamming.h"

static inline __attribute__((always_inline)) void knn2(const uint64_t *query, int nq, const uint64_t *train, int nt, int32_t *out) {
	for (int i = 0; i < nq; i++) {
		const uint64_t *a = query + 4 * i;
		int32_t best = -1, second = -1, db = INT32_MAX, ds = INT32_MAX;
		for (int t = 0; t < nt; t++) {
			const uint64_t *b = train + 4 * t;
			int32_t x = __builtin_popcountll(a[0] ^ b[0]) + __builtin_popcountll(a[1] ^ b[1]) +
			            __builtin_popcountll(a[2] ^ b[2]) + __builtin_popcountll(a[3] ^ b[3]);
			if (x < ds) {
				if (x < db) {
					second = best;
					ds = db;
					best = t;
					db = x;
				} else {
					second = t;
					ds = x;
				}
			}
		}
		out[4 * i] = best;
		out[4 * i + 1] = second;
		out[4 * i + 2] = db;
		out[4 * i + 3] = ds;
	}
}

// The same loop compiled twice on x86-64: with the POPCNT instruction
// (every x86-64 CPU since 2008), and without it (a portable bit count) for
// the rare CPU that lacks it, chosen at run time. Elsewhere the compiler's
// own bit count is used.
static void knn2_portable(const uint64_t *query, int nq, const uint64_t *train, int nt, int32_t *out) {
	knn2(query, nq, train, nt, out);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
__attribute__((target("popcnt"))) static void knn2_popcnt(const uint64_t *query, int nq, const uint64_t *train, int nt, int32_t *out) {
	knn2(query, nq, train, nt, out);
}
#endif

void gv_knn2_hamming256(const uint64_t *query, int nq, const uint64_t *train, int nt, int32_t *out, int popcnt) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
	if (popcnt && __builtin_cpu_supports("popcnt")) {
		knn2_popcnt(query, nq, train, nt, out);
		return;
	}
#endif
	knn2_portable(query, nq, train, nt, out);
}
