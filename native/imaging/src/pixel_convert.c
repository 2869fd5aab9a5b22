/* Colour conversion to RGB8 fused with the EXIF reorientation, so each decoded pixel is touched once. */
#include "internal.h"

#include <stddef.h>

#define FM_INLINE static inline __attribute__((always_inline))

FM_INLINE uint8_t div255(unsigned v) { return (uint8_t)((v + 128 + ((v + 128) >> 8)) >> 8); }

FM_INLINE void convert_pixel(const uint8_t *s, src_kind kind, const uint8_t bg[3], uint8_t *d)
{
    switch (kind) {
    case SRC_RGB8:
        d[0] = s[0], d[1] = s[1], d[2] = s[2];
        break;
    case SRC_CMYK_INVERTED: { /* stored value = 255 - ink, so "no ink" multiplies through as 255 */
        unsigned k = s[3];
        d[0] = div255(s[0] * k), d[1] = div255(s[1] * k), d[2] = div255(s[2] * k);
        break;
    }
    case SRC_CMYK: {
        unsigned k = 255u - s[3];
        d[0] = div255((255u - s[0]) * k), d[1] = div255((255u - s[1]) * k), d[2] = div255((255u - s[2]) * k);
        break;
    }
    case SRC_RGBA8: {
        unsigned a = s[3], na = 255u - a;
        d[0] = div255(s[0] * a + bg[0] * na);
        d[1] = div255(s[1] * a + bg[1] * na);
        d[2] = div255(s[2] * a + bg[2] * na);
        break;
    }
    }
}

FM_INLINE void convert_row_kind(const uint8_t *src, int width, src_kind kind, const uint8_t bg[3], uint8_t *dst)
{
    const int bpp = kind == SRC_RGB8 ? 3 : 4;
    for (int x = 0; x < width; x++)
        convert_pixel(src + (size_t)x * bpp, kind, bg, dst + (size_t)x * 3);
}

void fm_convert_row(const uint8_t *src, int width, src_kind kind, const uint8_t background[3], uint8_t *dst)
{
    switch (kind) {
    case SRC_RGB8: convert_row_kind(src, width, SRC_RGB8, background, dst); break;
    case SRC_CMYK_INVERTED: convert_row_kind(src, width, SRC_CMYK_INVERTED, background, dst); break;
    case SRC_CMYK: convert_row_kind(src, width, SRC_CMYK, background, dst); break;
    case SRC_RGBA8: convert_row_kind(src, width, SRC_RGBA8, background, dst); break;
    }
}

/* Source offset of destination pixel (dx, dy) is origin + dx * step_x + dy * step_y (in bytes). For the
   transposing orientations 5..8 one step walks source columns, so the copy goes in square tiles to keep
   both sides in cache. */
FM_INLINE void orient_kind(const uint8_t *src, int sw, int sh, size_t sstride, src_kind kind, const uint8_t bg[3],
                           int orientation, uint8_t *dst, size_t dstride)
{
    const ptrdiff_t bpp = kind == SRC_RGB8 ? 3 : 4;
    const ptrdiff_t row = (ptrdiff_t)sstride;
    const ptrdiff_t last_x = (ptrdiff_t)(sw - 1) * bpp, last_y = (ptrdiff_t)(sh - 1) * row;
    ptrdiff_t origin = 0, step_x = bpp, step_y = row;
    switch (orientation) {
    case 2: origin = last_x, step_x = -bpp, step_y = row; break;
    case 3: origin = last_x + last_y, step_x = -bpp, step_y = -row; break;
    case 4: origin = last_y, step_x = bpp, step_y = -row; break;
    case 5: origin = 0, step_x = row, step_y = bpp; break;
    case 6: origin = last_y, step_x = -row, step_y = bpp; break;
    case 7: origin = last_x + last_y, step_x = -row, step_y = -bpp; break;
    case 8: origin = last_x, step_x = row, step_y = -bpp; break;
    default: break;
    }
    const int dw = orientation >= 5 ? sh : sw, dh = orientation >= 5 ? sw : sh;
    enum { TILE = 64 };
    for (int ty = 0; ty < dh; ty += TILE) {
        const int ey = ty + TILE < dh ? ty + TILE : dh;
        for (int tx = 0; tx < dw; tx += TILE) {
            const int ex = tx + TILE < dw ? tx + TILE : dw;
            for (int dy = ty; dy < ey; dy++) {
                const uint8_t *s = src + origin + (ptrdiff_t)dy * step_y + (ptrdiff_t)tx * step_x;
                uint8_t *d = dst + (size_t)dy * dstride + (size_t)tx * 3;
                for (int dx = tx; dx < ex; dx++, s += step_x, d += 3)
                    convert_pixel(s, kind, bg, d);
            }
        }
    }
}

void fm_orient_convert(const uint8_t *src, int sw, int sh, size_t src_stride, src_kind kind,
                       const uint8_t background[3], int orientation, uint8_t *dst, size_t dst_stride)
{
    switch (kind) {
    case SRC_RGB8: orient_kind(src, sw, sh, src_stride, SRC_RGB8, background, orientation, dst, dst_stride); break;
    case SRC_CMYK_INVERTED:
        orient_kind(src, sw, sh, src_stride, SRC_CMYK_INVERTED, background, orientation, dst, dst_stride);
        break;
    case SRC_CMYK: orient_kind(src, sw, sh, src_stride, SRC_CMYK, background, orientation, dst, dst_stride); break;
    case SRC_RGBA8: orient_kind(src, sw, sh, src_stride, SRC_RGBA8, background, orientation, dst, dst_stride); break;
    }
}
