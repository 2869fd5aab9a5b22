/* Affine warps by inverse mapping: each destination sample point is mapped back into the source with the
   inverted matrix and read bilinearly. Taps outside the source take the fill colour, so edges blend into
   it over one pixel and everything beyond is fill. */
#include "tensor_write.h"

#include <math.h>

typedef struct inverse_map {
    double a, b, c, d, e, f; /* destination -> source, continuous coordinates */
    int n;                   /* supersampling grid per axis */
} inverse_map;

static int32_t inverse_map_init(inverse_map *m, const double fwd[6], int32_t supersample, fm_error *err)
{
    if (!fwd)
        return fm_fail(err, FM_ERR_INVALID_ARGUMENT, "warp: null matrix");
    for (int i = 0; i < 6; i++)
        if (!isfinite(fwd[i]))
            return fm_fail(err, FM_ERR_INVALID_ARGUMENT, "warp: matrix has a non-finite entry");
    const double det = fwd[0] * fwd[4] - fwd[1] * fwd[3];
    if (!(fabs(det) > 1e-12))
        return fm_fail(err, FM_ERR_INVALID_ARGUMENT, "warp: matrix is singular (determinant %g)", det);
    if (supersample < 0 || supersample > 8)
        return fm_fail(err, FM_ERR_INVALID_ARGUMENT, "warp: supersample %d outside 0..8", supersample);
    m->a = fwd[4] / det;
    m->b = -fwd[1] / det;
    m->d = -fwd[3] / det;
    m->e = fwd[0] / det;
    m->c = -(m->a * fwd[2] + m->b * fwd[5]);
    m->f = -(m->d * fwd[2] + m->e * fwd[5]);
    if (supersample == 0) {
        /* sqrt|det| is the area scale of the forward map: below 1 each output pixel covers several source
           pixels, which bilinear alone would skip over. */
        const double scale = sqrt(fabs(det));
        supersample = scale >= 1.0 ? 1 : fm_clamp_int((int)ceil(1.0 / scale - 1e-9), 1, 4);
    }
    m->n = supersample;
    return FM_OK;
}

static inline void sample(const fm_image *src, double sx, double sy, const float fill[3], float out[3])
{
    /* (sx, sy) continuous; pixel centres sit at +0.5, so the integer grid of centres is sx - 0.5. */
    const double px = sx - 0.5, py = sy - 0.5;
    const double fx0 = floor(px), fy0 = floor(py);
    if (fx0 < -1.0 || fy0 < -1.0 || fx0 >= src->width || fy0 >= src->height) {
        out[0] = fill[0], out[1] = fill[1], out[2] = fill[2];
        return;
    }
    const int x0 = (int)fx0, y0 = (int)fy0;
    const float ax = (float)(px - fx0), ay = (float)(py - fy0);
    const float wts[4] = {(1 - ax) * (1 - ay), ax * (1 - ay), (1 - ax) * ay, ax * ay};
    const int xs[4] = {x0, x0 + 1, x0, x0 + 1}, ys[4] = {y0, y0, y0 + 1, y0 + 1};
    float r = 0, g = 0, b = 0;
    for (int k = 0; k < 4; k++) {
        if (wts[k] == 0.0f)
            continue;
        if (xs[k] >= 0 && xs[k] < src->width && ys[k] >= 0 && ys[k] < src->height) {
            const uint8_t *p = src->data + (size_t)ys[k] * (size_t)src->stride + (size_t)xs[k] * 3;
            r += wts[k] * p[0], g += wts[k] * p[1], b += wts[k] * p[2];
        } else {
            r += wts[k] * fill[0], g += wts[k] * fill[1], b += wts[k] * fill[2];
        }
    }
    out[0] = r, out[1] = g, out[2] = b;
}

/* Average of an n x n grid of samples inside destination pixel (u, v). */
static inline void sample_pixel(const fm_image *src, const inverse_map *m, int u, int v, const float fill[3],
                                float out[3])
{
    if (m->n == 1) {
        const double x = u + 0.5, y = v + 0.5;
        sample(src, m->a * x + m->b * y + m->c, m->d * x + m->e * y + m->f, fill, out);
        return;
    }
    float acc[3] = {0, 0, 0}, s[3];
    for (int j = 0; j < m->n; j++)
        for (int i = 0; i < m->n; i++) {
            const double x = u + (i + 0.5) / m->n, y = v + (j + 0.5) / m->n;
            sample(src, m->a * x + m->b * y + m->c, m->d * x + m->e * y + m->f, fill, s);
            acc[0] += s[0], acc[1] += s[1], acc[2] += s[2];
        }
    const float inv = 1.0f / (float)(m->n * m->n);
    out[0] = acc[0] * inv, out[1] = acc[1] * inv, out[2] = acc[2] * inv;
}

int32_t fm_warp_affine_f32(const fm_image *src, const double matrix[6], const fm_tensor_format *format,
                           int32_t supersample, float *dst, size_t dst_len, fm_error *err)
{
    int32_t rc = fm_check_image(src, "warp source", err);
    if (rc)
        return rc;
    tensor_writer tw = {0};
    inverse_map m;
    if ((rc = tensor_writer_init(&tw, format, dst, dst_len, err)) != 0 ||
        (rc = inverse_map_init(&m, matrix, supersample, err)) != 0)
        return rc;
    const float fill[3] = {format->fill[0], format->fill[1], format->fill[2]};
    float px[3];
    for (int v = 0; v < format->height; v++)
        for (int u = 0; u < format->width; u++) {
            sample_pixel(src, &m, u, v, fill, px);
            tensor_put(&tw, u, v, px[0], px[1], px[2]);
        }
    return fm_ok(err);
}

static inline uint8_t to_u8(float v) { return (uint8_t)(v <= 0.0f ? 0 : v >= 255.0f ? 255 : (int)(v + 0.5f)); }

int32_t fm_warp_affine_rgb8(const fm_image *src, const double matrix[6], const uint8_t fill[3], int32_t supersample,
                            fm_image *dst, fm_error *err)
{
    int32_t rc = fm_check_image(src, "warp source", err);
    if (rc || (rc = fm_check_image(dst, "warp destination", err)) != 0)
        return rc;
    if (!fill)
        return fm_fail(err, FM_ERR_INVALID_ARGUMENT, "warp: null fill colour");
    inverse_map m;
    if ((rc = inverse_map_init(&m, matrix, supersample, err)) != 0)
        return rc;
    const float fillf[3] = {fill[0], fill[1], fill[2]};
    float px[3];
    for (int v = 0; v < dst->height; v++) {
        uint8_t *row = dst->data + (size_t)v * (size_t)dst->stride;
        for (int u = 0; u < dst->width; u++) {
            sample_pixel(src, &m, u, v, fillf, px);
            row[u * 3] = to_u8(px[0]), row[u * 3 + 1] = to_u8(px[1]), row[u * 3 + 2] = to_u8(px[2]);
        }
    }
    return fm_ok(err);
}
