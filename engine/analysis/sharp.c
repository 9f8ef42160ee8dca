#include "border.h"
#include "sharp.h"

// row_sums adds up the Laplacian of row y over all columns. up and down
// are the rows above and below (reflected at the image's edge).
static void row_sums(const uint8_t *up, const uint8_t *cur, const uint8_t *down,
                     int cols, int64_t *sum, uint64_t *sumsq) {
    int64_t s = 0;
    uint64_t q = 0;
    int x;
    // Edge columns, with reflected neighbours.
    for (x = 0; x < cols; x += (cols > 1 ? cols - 1 : 1)) {
        int l = cur[reflect101(x - 1, cols)], r = cur[reflect101(x + 1, cols)];
        int v = up[x] + down[x] + l + r - 4 * cur[x];
        s += v;
        q += (uint64_t)(v * v);
    }
    // The interior: a plain loop the compiler vectorises. Per row the sums
    // fit 32 bits (|v| <= 1020, v*v <= 1040400, cols < 2000 per block).
    for (x = 1; x < cols - 1;) {
        int end = x + 2048 < cols - 1 ? x + 2048 : cols - 1;
        int32_t bs = 0;
        uint32_t bq = 0;
        for (int k = x; k < end; k++) {
            int v = up[k] + down[k] + cur[k - 1] + cur[k + 1] - 4 * cur[k];
            bs += v;
            bq += (uint32_t)(v * v);
        }
        s += bs;
        q += bq;
        x = end;
    }
    *sum += s;
    *sumsq += q;
}

void gv_laplacian_sums(const uint8_t *data, int rows, int cols, size_t step,
                       int64_t *sum, uint64_t *sumsq) {
    *sum = 0;
    *sumsq = 0;
    if (rows <= 0 || cols <= 0) return;
    for (int y = 0; y < rows; y++) {
        const uint8_t *up = data + (size_t)reflect101(y - 1, rows) * step;
        const uint8_t *down = data + (size_t)reflect101(y + 1, rows) * step;
        row_sums(up, data + (size_t)y * step, down, cols, sum, sumsq);
    }
}

// grey_row converts a row of BGR pixels to grey as cv::cvtColor
// (COLOR_BGR2GRAY) does for 8-bit images: the fixed-point weights 3735,
// 19235 and 9798 (of 2^15) with rounding.
static void grey_row(const uint8_t *restrict bgr, uint8_t *restrict g, int cols) {
    for (int x = 0; x < cols; x++) {
        g[x] = (uint8_t)((bgr[3 * x] * 3735 + bgr[3 * x + 1] * 19235 + bgr[3 * x + 2] * 9798 + (1 << 14)) >> 15);
    }
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <tmmintrin.h>
#define HAVE_GREY_SSSE3 1

// grey_row_ssse3 is grey_row 16 pixels at a time, as OpenCV's own SIMD
// conversion does it: the three channels unpacked with byte shuffles, then
// (b·3735 + g·19235) and (r·9798 + 1·16384) as 16-bit multiply-adds. The
// compiler cannot vectorise grey_row's 3-byte stride without SSSE3's
// shuffle, which every x86-64 processor since 2006 has (checked at run
// time all the same).
__attribute__((target("ssse3"))) static void grey_row_ssse3(const uint8_t *restrict bgr, uint8_t *restrict g, int cols) {
    const __m128i sb0 = _mm_setr_epi8(0, 3, 6, 9, 12, 15, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
    const __m128i sb1 = _mm_setr_epi8(-1, -1, -1, -1, -1, -1, 2, 5, 8, 11, 14, -1, -1, -1, -1, -1);
    const __m128i sb2 = _mm_setr_epi8(-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 1, 4, 7, 10, 13);
    const __m128i sg0 = _mm_setr_epi8(1, 4, 7, 10, 13, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
    const __m128i sg1 = _mm_setr_epi8(-1, -1, -1, -1, -1, 0, 3, 6, 9, 12, 15, -1, -1, -1, -1, -1);
    const __m128i sg2 = _mm_setr_epi8(-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 2, 5, 8, 11, 14);
    const __m128i sr0 = _mm_setr_epi8(2, 5, 8, 11, 14, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
    const __m128i sr1 = _mm_setr_epi8(-1, -1, -1, -1, -1, 1, 4, 7, 10, 13, -1, -1, -1, -1, -1, -1);
    const __m128i sr2 = _mm_setr_epi8(-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 3, 6, 9, 12, 15);
    const __m128i cbg = _mm_setr_epi16(3735, 19235, 3735, 19235, 3735, 19235, 3735, 19235);
    const __m128i cr1 = _mm_setr_epi16(9798, 1 << 14, 9798, 1 << 14, 9798, 1 << 14, 9798, 1 << 14);
    const __m128i one = _mm_set1_epi16(1), zero = _mm_setzero_si128();
    int x = 0;
    for (; x + 16 <= cols; x += 16) {
        const uint8_t *p = bgr + 3 * x;
        __m128i v0 = _mm_loadu_si128((const __m128i *)p), v1 = _mm_loadu_si128((const __m128i *)(p + 16)),
                v2 = _mm_loadu_si128((const __m128i *)(p + 32));
        __m128i b = _mm_or_si128(_mm_or_si128(_mm_shuffle_epi8(v0, sb0), _mm_shuffle_epi8(v1, sb1)), _mm_shuffle_epi8(v2, sb2));
        __m128i gr = _mm_or_si128(_mm_or_si128(_mm_shuffle_epi8(v0, sg0), _mm_shuffle_epi8(v1, sg1)), _mm_shuffle_epi8(v2, sg2));
        __m128i r = _mm_or_si128(_mm_or_si128(_mm_shuffle_epi8(v0, sr0), _mm_shuffle_epi8(v1, sr1)), _mm_shuffle_epi8(v2, sr2));
        __m128i bl = _mm_unpacklo_epi8(b, zero), bh = _mm_unpackhi_epi8(b, zero);
        __m128i gl = _mm_unpacklo_epi8(gr, zero), gh = _mm_unpackhi_epi8(gr, zero);
        __m128i rl = _mm_unpacklo_epi8(r, zero), rh = _mm_unpackhi_epi8(r, zero);
        __m128i y0 = _mm_add_epi32(_mm_madd_epi16(_mm_unpacklo_epi16(bl, gl), cbg), _mm_madd_epi16(_mm_unpacklo_epi16(rl, one), cr1));
        __m128i y1 = _mm_add_epi32(_mm_madd_epi16(_mm_unpackhi_epi16(bl, gl), cbg), _mm_madd_epi16(_mm_unpackhi_epi16(rl, one), cr1));
        __m128i y2 = _mm_add_epi32(_mm_madd_epi16(_mm_unpacklo_epi16(bh, gh), cbg), _mm_madd_epi16(_mm_unpacklo_epi16(rh, one), cr1));
        __m128i y3 = _mm_add_epi32(_mm_madd_epi16(_mm_unpackhi_epi16(bh, gh), cbg), _mm_madd_epi16(_mm_unpackhi_epi16(rh, one), cr1));
        __m128i lo = _mm_packs_epi32(_mm_srai_epi32(y0, 15), _mm_srai_epi32(y1, 15));
        __m128i hi = _mm_packs_epi32(_mm_srai_epi32(y2, 15), _mm_srai_epi32(y3, 15));
        _mm_storeu_si128((__m128i *)(g + x), _mm_packus_epi16(lo, hi));
    }
    grey_row(bgr + 3 * x, g + x, cols - x);
}
#endif

// pyr_row is pyrDown's horizontal pass over one grey row: the taps
// 1 4 6 4 1 around every even column (reflected at the edges), unscaled
// (at most 16 × 255, a uint16).
static void pyr_row(const uint8_t *restrict g, uint16_t *restrict h, int cols, int dcols) {
    // Interior: the columns whose five taps are all inside the row.
    int end = (cols - 3) / 2 + 1; // first x with 2x+2 > cols-1
    if (end > dcols) {
        end = dcols;
    }
    for (int x = 1; x < end; x++) {
        const uint8_t *s = g + 2 * x;
        h[x] = (uint16_t)(s[-2] + s[2] + 4 * (s[-1] + s[1]) + 6 * s[0]);
    }
    // Then the edge columns, 0 and end…dcols-1, with reflected taps.
    for (int x = 0; x < dcols; x += (x == 0 && end > 1 ? end : 1)) {
        int c = 2 * x;
        h[x] = (uint16_t)(g[reflect101(c - 2, cols)] + g[reflect101(c + 2, cols)] +
                          4 * (g[reflect101(c - 1, cols)] + g[reflect101(c + 1, cols)]) + 6 * g[c]);
    }
}

void gv_grey_sharp_reduce(const uint8_t *bgr, int rows, int cols, size_t step,
                          uint8_t *half, size_t hstep, uint8_t *grey3, uint16_t *h5,
                          int64_t *sum, uint64_t *sumsq, int simd) {
    *sum = 0;
    *sumsq = 0;
    if (rows <= 0 || cols <= 0) return;
    void (*grey)(const uint8_t *restrict, uint8_t *restrict, int) = grey_row;
#ifdef HAVE_GREY_SSSE3
    if (simd && __builtin_cpu_supports("ssse3")) {
        grey = grey_row_ssse3;
    }
#endif
    const int drows = (rows + 1) / 2, dcols = (cols + 1) / 2;
#define GREY(r) (grey3 + (size_t)((r) % 3) * cols)
#define HROW(r) (h5 + (size_t)((r) % 5) * dcols)
    int out = 0; // the next row of half
    for (int r = 0; r <= rows; r++) {
        if (r < rows) {
            grey(bgr + (size_t)r * step, GREY(r), cols);
            pyr_row(GREY(r), HROW(r), cols, dcols);
        }
        // Row r-1's Laplacian: its neighbours are rows r-2 and r (or
        // their reflections), all among the last three grey rows.
        if (r >= 1) {
            int y = r - 1;
            row_sums(GREY(reflect101(y - 1, rows)), GREY(y), GREY(reflect101(y + 1, rows)), cols, sum, sumsq);
        }
        // The half rows whose five source rows are now all filtered: rows
        // 2k-2 … 2k+2 (reflected), among the last five.
        int last = r < rows ? r : rows - 1;
        while (out < drows && (2 * out + 2 < rows ? 2 * out + 2 : rows - 1) <= last) {
            const uint16_t *h0 = HROW(reflect101(2 * out - 2, rows)), *h1 = HROW(reflect101(2 * out - 1, rows)),
                           *h2 = HROW(2 * out), *h3 = HROW(reflect101(2 * out + 1, rows)),
                           *h4 = HROW(reflect101(2 * out + 2, rows));
            uint8_t *d = half + (size_t)out * hstep;
            for (int x = 0; x < dcols; x++) {
                d[x] = (uint8_t)((uint16_t)(h0[x] + h4[x] + 4 * (h1[x] + h3[x]) + 6 * h2[x] + 128) >> 8);
            }
            out++;
        }
    }
#undef GREY
#undef HROW
}
