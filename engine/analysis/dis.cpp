#include <opencv2/core.hpp>
#include <opencv2/video/tracking.hpp>

#include "dis.h"

typedef cv::Ptr<cv::DISOpticalFlow> DIS;

extern "C" void *gv_dis_new(int preset, int refinementIterations) {
    try {
        DIS d = cv::DISOpticalFlow::create(preset);
        if (refinementIterations >= 0) {
            d->setVariationalRefinementIterations(refinementIterations);
        }
        return new DIS(d);
    } catch (...) {
        return nullptr;
    }
}

extern "C" int gv_dis_calc(void *dis, void *prev, void *next, void *flow) {
    try {
        (*(DIS *)dis)->calc(*(cv::Mat *)prev, *(cv::Mat *)next, *(cv::Mat *)flow);
        return 0;
    } catch (...) {
        return -1;
    }
}

extern "C" void gv_dis_free(void *dis) { delete (DIS *)dis; }
