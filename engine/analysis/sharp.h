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

// gv_grey_sharp_reduce does, in one pass over a BGR image (8-bit, 3
// channels), what cv::cvtColor(COLOR_BGR2GRAY), gv_laplacian_sums on the
// grey image and cv::pyrDown of it (into half, (rows+1)/2 × (cols+1)/2,
// BORDER_REFLECT_101) give, bit for bit. grey3 is scratch for 3 × cols
// bytes, h5 for 5 × (cols+1)/2 values. simd 0 turns the SSSE3 colour
// conversion off (for tests of the portable one).
void gv_grey_sharp_reduce(const uint8_t *bgr, int rows, int cols, size_t step,
                          uint8_t *half, size_t hstep, uint8_t *grey3, uint16_t *h5,
                          int64_t *sum, uint64_t *sumsq, int simd);

#ifdef __cplusplus
}
#endif
#endif
