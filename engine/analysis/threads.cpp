#include <opencv2/core/utility.hpp>

#include "threads.h"

extern "C" void gv_set_num_threads(int n) { cv::setNumThreads(n); }
