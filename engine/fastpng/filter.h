#include <stdint.h>

void gv_png_order(uint8_t *dst, const uint8_t *src, int n, int ch);
void gv_png_paeth(uint8_t *dst, const uint8_t *cur, const uint8_t *prev, int n, int bpp);
