#ifndef GRADEVAULT_GLINT_HAMMING_H
#define GRADEVAULT_GLINT_HAMMING_H
#include <stdint.h>

// gv_knn2_hamming256 finds, for each of the nq query rows of four 64-bit
// words (ORB's 32 bytes), the two nearest of the nt train rows by Hamming
// distance, as cv::BFMatcher(NORM_HAMMING).knnMatch(query, train, 2)
// does: strict comparisons, so the lower train row comes first among
// equals. out gets four ints a query: the best row, the second row (-1 if
// none) and their distances (INT32_MAX if none). With popcnt 0 the POPCNT
// instruction is not used even where the CPU has it (for tests).
void gv_knn2_hamming256(const uint64_t *query, int nq, const uint64_t *train, int nt, int32_t *out, int popcnt);

#endif
