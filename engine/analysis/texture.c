#include "border.h"
#include "texture.h"

void gv_texture_weight(const uint8_t *img, int rows, int cols, size_t step, float *out, int32_t *energy) {
	// 1. The Sobel gradients' energy: the first and last columns, whose
	// neighbours are reflected, then the others in a loop the compiler
	// vectorises.
	for (int y = 0; y < rows; y++) {
		const uint8_t *a = img + (size_t)reflect101(y - 1, rows) * step; // row above
		const uint8_t *b = img + (size_t)y * step;
		const uint8_t *c = img + (size_t)reflect101(y + 1, rows) * step; // row below
		int32_t *e = energy + (size_t)y * cols;
		for (int k = 0; k < 2 && k < cols; k++) {
			int x = k == 0 ? 0 : cols - 1;
			int l = reflect101(x - 1, cols), r = reflect101(x + 1, cols);
			int32_t gx = (a[r] - a[l]) + 2 * (b[r] - b[l]) + (c[r] - c[l]);
			int32_t gy = (c[l] + 2 * c[x] + c[r]) - (a[l] + 2 * a[x] + a[r]);
			e[x] = gx * gx + gy * gy;
		}
		for (int x = 1; x < cols - 1; x++) {
			int32_t gx = (a[x + 1] - a[x - 1]) + 2 * (b[x + 1] - b[x - 1]) + (c[x + 1] - c[x - 1]);
			int32_t gy = (c[x - 1] + 2 * c[x] + c[x + 1]) - (a[x - 1] + 2 * a[x] + a[x + 1]);
			e[x] = gx * gx + gy * gy;
		}
	}
	// 2. The 7×7 sums, columns first (at most 49 × 2,080,800: an int32).
	const double scale = 1. / 49;
	int32_t *col = energy + (size_t)rows * cols;
	for (int y = 0; y < rows; y++) {
		const int32_t *r[7];
		for (int k = 0; k < 7; k++) {
			r[k] = energy + (size_t)reflect101(y + k - 3, rows) * cols;
		}
		for (int x = 0; x < cols; x++) {
			col[x + 3] = r[0][x] + r[1][x] + r[2][x] + r[3][x] + r[4][x] + r[5][x] + r[6][x];
		}
		for (int k = 0; k < 3; k++) {
			col[k] = col[3 + reflect101(k - 3, cols)];
			col[cols + 3 + k] = col[3 + reflect101(cols + k, cols)];
		}
		float *o = out + (size_t)y * cols;
		int32_t s = col[0] + col[1] + col[2] + col[3] + col[4] + col[5] + col[6];
		o[0] = (float)((double)s * scale);
		for (int x = 1; x < cols; x++) {
			s += col[x + 6] - col[x - 1];
			o[x] = (float)((double)s * scale);
		}
	}
}
