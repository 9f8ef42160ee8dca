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
