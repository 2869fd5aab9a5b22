/* Grey conversion and the sharpness/exposure statistics the quality gate uses. Sums are exact integers. */
#include "internal.h"

#include <math.h>
#include <stdlib.h>

static inline uint8_t luma(const uint8_t *p) { return (uint8_t)((77u * p[0] + 150u * p[1] + 29u * p[2] + 128u) >> 8); }

int32_t fm_rgb_to_gray(const fm_image *src, uint8_t *dst, int32_t dst_stride, size_t dst_len, fm_error *err)
{
    int32_t rc = fm_check_image(src, "grey source", err);
    if (rc)
        return rc;
    if (!dst || dst_stride < src->width)
        return fm_fail(err, FM_ERR_INVALID_ARGUMENT, "grey destination missing or stride too short");
    if ((uint64_t)dst_len < (uint64_t)(src->height - 1) * (uint64_t)dst_stride + (uint64_t)src->width)
        return fm_fail(err, FM_ERR_BUFFER_TOO_SMALL, "grey destination too small");
    for (int y = 0; y < src->height; y++) {
        const uint8_t *s = src->data + (size_t)y * (size_t)src->stride;
        uint8_t *d = dst + (size_t)y * (size_t)dst_stride;
        for (int x = 0; x < src->width; x++)
            d[x] = luma(s + (size_t)x * 3);
    }
    return fm_ok(err);
}

int32_t fm_region_stats_compute(const fm_image *src, int32_t x, int32_t y, int32_t w, int32_t h,
                                fm_region_stats *out, fm_error *err)
{
    int32_t rc = fm_check_image(src, "statistics source", err);
    if (rc)
        return rc;
    if (!out)
        return fm_fail(err, FM_ERR_INVALID_ARGUMENT, "statistics: null result");
    const int64_t x0 = x < 0 ? 0 : x, y0 = y < 0 ? 0 : y;
    const int64_t x1 = (int64_t)x + w > src->width ? src->width : (int64_t)x + w;
    const int64_t y1 = (int64_t)y + h > src->height ? src->height : (int64_t)y + h;
    if (w <= 0 || h <= 0 || x1 <= x0 || y1 <= y0)
        return fm_fail(err, FM_ERR_INVALID_ARGUMENT, "statistics: region (%d,%d %dx%d) does not overlap the image",
                       x, y, w, h);
    const int rw = (int)(x1 - x0), rh = (int)(y1 - y0);
    uint8_t *g = malloc((size_t)rw * (size_t)rh);
    if (!g)
        return fm_fail(err, FM_ERR_OUT_OF_MEMORY, "out of memory");

    uint64_t sum = 0, sumsq = 0, dark = 0, bright = 0;
    for (int j = 0; j < rh; j++) {
        const uint8_t *s = src->data + (size_t)(y0 + j) * (size_t)src->stride + (size_t)x0 * 3;
        uint8_t *d = g + (size_t)j * (size_t)rw;
        for (int i = 0; i < rw; i++) {
            const unsigned v = luma(s + (size_t)i * 3);
            d[i] = (uint8_t)v;
            sum += v;
            sumsq += v * v;
            dark += v <= 16;
            bright += v >= 239;
        }
    }
    const double n = (double)rw * rh;
    out->pixel_count = (int64_t)rw * rh;
    out->mean_luma = (double)sum / n;
    out->luma_stddev = sqrt(fmax(0.0, (double)sumsq / n - out->mean_luma * out->mean_luma));
    out->dark_fraction = (double)dark / n;
    out->bright_fraction = (double)bright / n;

    /* 4-neighbour Laplacian (OpenCV's ksize=1 kernel) over pixels whose neighbours lie in the region. */
    int64_t lsum = 0;
    uint64_t lsq = 0, ln = 0;
    for (int j = 1; j + 1 < rh; j++) {
        const uint8_t *r0 = g + (size_t)(j - 1) * (size_t)rw, *r1 = r0 + rw, *r2 = r1 + rw;
        for (int i = 1; i + 1 < rw; i++) {
            const int lap = r0[i] + r2[i] + r1[i - 1] + r1[i + 1] - 4 * r1[i];
            lsum += lap;
            lsq += (uint64_t)(lap * lap);
            ln++;
        }
    }
    if (ln > 0) {
        const double mean = (double)lsum / (double)ln;
        out->laplacian_variance = fmax(0.0, (double)lsq / (double)ln - mean * mean);
    } else {
        out->laplacian_variance = 0.0;
    }
    free(g);
    return fm_ok(err);
}
