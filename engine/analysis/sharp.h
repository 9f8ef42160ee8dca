#ifndef GRADEVAULT_ANALYSIS_SHARP_H
#define GRADEVAULT_ANALYSIS_SHARP_H
#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

// gv_laplacian_sums sums the 3×3 Laplacian (OpenCV's ksize 1 kernel
// 0 1 0 / 1 -4 1 / 0 1 0, BORDER_REFLECT_101) of an 8-bit one-channel image
// and its square, in one pass and in exact integer arithmetic.
void gv_laplacian_sums(const uint8_t *data, int rows, int cols, size_t step,
                       int64_t *sum, uint64_t *sumsq);

#ifdef __cplusplus
}
#endif
#endif
