#ifndef GRADEVAULT_GLINT_ECC_H
#define GRADEVAULT_GLINT_ECC_H
#ifdef __cplusplus
extern "C" {
#endif

// gv_find_ecc refines the 3×3 homography warp9 (row-major, maps template
// coordinates to input coordinates) with cv::findTransformECC. It returns
// the correlation coefficient, or a negative value if OpenCV threw (for
// example when the iteration diverges); warp9 is only updated on success.
double gv_find_ecc(void *templ, void *input, double *warp9, int iterations, double eps, int gaussFiltSize);

#ifdef __cplusplus
}
#endif
#endif
