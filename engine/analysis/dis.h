#ifndef GRADEVAULT_ANALYSIS_DIS_H
#define GRADEVAULT_ANALYSIS_DIS_H
#ifdef __cplusplus
extern "C" {
#endif

// gv_dis_new creates a cv::DISOpticalFlow with the given preset
// (0 ultrafast, 1 fast, 2 medium) and, if refinementIterations >= 0, that
// many variational refinement iterations; NULL if OpenCV threw.
void *gv_dis_new(int preset, int refinementIterations);
// gv_dis_calc computes dense flow from prev to next (8-bit grey cv::Mat*)
// into flow (a cv::Mat*, CV_32FC2). It returns 0, or -1 if OpenCV threw.
int gv_dis_calc(void *dis, void *prev, void *next, void *flow);
void gv_dis_free(void *dis);

#ifdef __cplusplus
}
#endif
#endif
