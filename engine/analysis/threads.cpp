#include <opencv2/core/utility.hpp>

#include "threads.h"

extern "C" int gv_set_num_threads(int n) {
    int before = cv::getNumThreads();
    cv::setNumThreads(n);
    return before;
}
