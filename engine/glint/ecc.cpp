#include <opencv2/core.hpp>
#include <opencv2/video/tracking.hpp>

#include "ecc.h"

extern "C" double gv_find_ecc(void *templ, void *input, double *warp9, int iterations, double eps, int gaussFiltSize) {
    try {
        cv::Mat w(3, 3, CV_32F);
        for (int i = 0; i < 9; i++) {
            w.at<float>(i / 3, i % 3) = (float)warp9[i];
        }
        cv::TermCriteria crit(cv::TermCriteria::COUNT + cv::TermCriteria::EPS, iterations, eps);
        double rho = cv::findTransformECC(*(cv::Mat *)templ, *(cv::Mat *)input, w, cv::MOTION_HOMOGRAPHY, crit,
                                          cv::noArray(), gaussFiltSize);
        for (int i = 0; i < 9; i++) {
            warp9[i] = (double)w.at<float>(i / 3, i % 3);
        }
        return rho;
    } catch (...) {
        return -2;
    }
}
