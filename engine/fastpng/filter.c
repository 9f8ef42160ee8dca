#include "filter.h"

// gv_png_order copies n bytes of OpenCV's BGR or BGRA pixels into dst as
// PNG's RGB or RGBA (grey as it is).
void gv_png_order(uint8_t *dst, const uint8_t *src, int n, int ch) {
    if (ch == 3) {
        for (int i = 0; i + 2 < n; i += 3) {
            dst[i] = src[i + 2];
            dst[i + 1] = src[i + 1];
            dst[i + 2] = src[i];
        }
    } else if (ch == 4) {
        for (int i = 0; i + 3 < n; i += 4) {
            dst[i] = src[i + 2];
            dst[i + 1] = src[i + 1];
            dst[i + 2] = src[i];
            dst[i + 3] = src[i + 3];
        }
    } else {
        for (int i = 0; i < n; i++) dst[i] = src[i];
    }
}

// gv_png_paeth filters the n bytes of row cur with the Paeth predictor
// into dst: each byte minus whichever of its left (a), upper (b) and
// upper-left (c) neighbours, bpp bytes apart, is nearest to a + b - c,
// preferring a, then b. prev is the row above (zeros for the first row).
// Encoding reads only the original bytes, so the loop has no dependency
// from one byte to the next and the compiler vectorises it.
void gv_png_paeth(uint8_t *dst, const uint8_t *cur, const uint8_t *prev, int n, int bpp) {
    int i = 0;
    for (; i < bpp && i < n; i++) dst[i] = (uint8_t)(cur[i] - prev[i]);
    for (; i < n; i++) {
        int16_t a = cur[i - bpp], b = prev[i], c = prev[i - bpp];
        int16_t pa = b - c, pb = a - c, pc = pa + pb;
        pa = pa < 0 ? -pa : pa;
        pb = pb < 0 ? -pb : pb;
        pc = pc < 0 ? -pc : pc;
        int16_t p = (pa <= pb && pa <= pc) ? a : (pb <= pc ? b : c);
        dst[i] = (uint8_t)(cur[i] - p);
    }
}
