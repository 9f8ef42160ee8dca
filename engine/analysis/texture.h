#ifndef GRADEVAULT_ANALYSIS_TEXTURE_H
#define GRADEVAULT_ANALYSIS_TEXTURE_H
#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

// gv_texture_weight computes fast mode's texture weight of an 8-bit
// one-channel image into out (rows×cols floats): the local gradient energy
// gx² + gy² (OpenCV's 3×3 Sobel, BORDER_REFLECT_101) averaged over 7×7
// (normalised box filter, BORDER_REFLECT_101). Every sum is an exact
// integer and the mean is the sum times 1/49 in double, as OpenCV computes
// it, so the result is bit for bit what cv::Sobel, cv::multiply, cv::add and
// cv::boxFilter give on CV_32F. energy is scratch for rows×cols + cols + 6
// ints.
void gv_texture_weight(const uint8_t *img, int rows, int cols, size_t step, float *out, int32_t *energy);

#ifdef __cplusplus
}
#endif
#endif
