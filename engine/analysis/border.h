#ifndef GRADEVAULT_ANALYSIS_BORDER_H
#define GRADEVAULT_ANALYSIS_BORDER_H

// reflect101 maps an index outside [0, len) back inside as OpenCV's
// borderInterpolate does for BORDER_REFLECT_101 (gfedcb|abcdefgh|gfedcba),
// however far outside; a length of 1 maps everything to 0.
static inline int reflect101(int p, int len) {
    if (len == 1) {
        return 0;
    }
    while (p < 0 || p >= len) {
        p = p < 0 ? -p : 2 * (len - 1) - p;
    }
    return p;
}

#endif
