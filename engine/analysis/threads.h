#ifndef GRADEVAULT_ANALYSIS_THREADS_H
#define GRADEVAULT_ANALYSIS_THREADS_H
#ifdef __cplusplus
extern "C" {
#endif

// gv_set_num_threads sets the number of threads OpenCV's parallel loops
// use (cv::setNumThreads).
void gv_set_num_threads(int n);

#ifdef __cplusplus
}
#endif
#endif
