/* Affine warps by inverse mapping: each destination sample point is mapped back into the source with the
   inverted matrix and read bilinearly. Taps outside the source take the fill colour, so edges blend into
   it over one pixel and everything beyond is fill. */
#include "separable.h"

#include <math.h>
#include <stdlib.h>

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

/* Bilinear sample at continuous point (sx, sy); pixel centres sit at +0.5, so the grid of centres is at
   sx - 0.5. Taps outside the source read as fill. */
static inline void sample(const fm_image *src, double sx, double sy, const float fill[3], float out[3])
{
    const double px = sx - 0.5, py = sy - 0.5;
    if (px >= 0.0 && py >= 0.0 && px < src->width - 1 && py < src->height - 1) {
        /* Interior (the common case): all four taps exist. Lerps keep exact values when a weight is 0. */
        const int x0 = (int)px, y0 = (int)py;
        const float ax = (float)(px - x0), ay = (float)(py - y0);
        const uint8_t *p = src->data + (size_t)y0 * (size_t)src->stride + (size_t)x0 * 3, *q = p + src->stride;
        for (int c = 0; c < 3; c++) {
            const float top = p[c] + ax * (float)(p[c + 3] - p[c]);
            const float bottom = q[c] + ax * (float)(q[c + 3] - q[c]);
            out[c] = top + ay * (bottom - top);
        }
        return;
    }
    const double fx0 = floor(px), fy0 = floor(py);
    if (!(fx0 >= -1.0 && fy0 >= -1.0 && fx0 < src->width && fy0 < src->height)) {
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

/* Average of an n x n grid of samples inside destination pixel (u, v): sub-sample (i, j) sits at
   (u + (i + 0.5) / n, v + (j + 0.5) / n), mapped through the inverse matrix incrementally. */
static inline void sample_pixel(const fm_image *src, const inverse_map *m, int u, int v, const float fill[3],
                                float out[3])
{
    const int n = m->n;
    const double x = u + 0.5 / n, y = v + 0.5 / n;
    const double bx = m->a * x + m->b * y + m->c, by = m->d * x + m->e * y + m->f;
    if (n == 1) {
        sample(src, bx, by, fill, out);
        return;
    }
    const double step_ix = m->a / n, step_iy = m->d / n, step_jx = m->b / n, step_jy = m->e / n;
    float acc[3] = {0, 0, 0}, s[3];
    for (int j = 0; j < n; j++)
        for (int i = 0; i < n; i++) {
            sample(src, bx + i * step_ix + j * step_jx, by + i * step_iy + j * step_jy, fill, s);
            acc[0] += s[0], acc[1] += s[1], acc[2] += s[2];
        }
    const float inv = 1.0f / (float)(n * n);
    out[0] = acc[0] * inv, out[1] = acc[1] * inv, out[2] = acc[2] * inv;
}

/* ---- vector path ------------------------------------------------------------------------------------ */
/* The scalar functions above are the reference. The AVX2 row kernel computes the same samples eight destination
   pixels at a time; blocks where any tap would leave the source (edges, fill) go through the reference, so the
   two paths differ only by float rounding in the sample positions (well under 1/100 of a grey level). */

static _Thread_local int32_t simd_override = -1; /* -1 automatic, 0 reference only */

int32_t fm_simd_override(int32_t mode)
{
    const int32_t previous = simd_override;
    simd_override = mode < 0 ? -1 : 0;
    return previous;
}

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#include <immintrin.h>
#define FM_HAVE_AVX2_KERNEL 1

static bool cpu_has_avx2(void)
{
    static int cached = -1;
    int c = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (c < 0) {
        __builtin_cpu_init();
        c = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
        __atomic_store_n(&cached, c, __ATOMIC_RELAXED);
    }
    return c != 0;
}

/* Channel k (0 R, 1 G, 2 B) of eight gathered 32-bit words, each holding one pixel's R, G, B and a next byte. */
__attribute__((target("avx2,fma"))) static inline __m256 channel_of(__m256i words, int k)
{
    const __m256i byte = _mm256_set1_epi32(0xFF);
    return _mm256_cvtepi32_ps(_mm256_and_si256(_mm256_srli_epi32(words, 8 * k), byte));
}

/* Channel c of eight bilinear samples from the gathered taps (row y0: p0 p1, row y0 + 1: q0 q1), the reference's
   arithmetic: lerp along x in both rows, then along y. */
__attribute__((target("avx2,fma"))) static inline __m256 bilinear(__m256i p0, __m256i p1, __m256i q0, __m256i q1,
                                                                  __m256 ax, __m256 ay, int c)
{
    const __m256 a0 = channel_of(p0, c), a1 = channel_of(p1, c), b0 = channel_of(q0, c), b1 = channel_of(q1, c);
    const __m256 top = _mm256_fmadd_ps(ax, _mm256_sub_ps(a1, a0), a0);
    const __m256 bottom = _mm256_fmadd_ps(ax, _mm256_sub_ps(b1, b0), b0);
    return _mm256_fmadd_ps(ay, _mm256_sub_ps(bottom, top), top);
}

/* Eight destination pixels (u .. u+7, row v) into out[0..23] as R, G, B triples; false (nothing written) when a
   tap of some sample falls outside the source or past what a 4-byte gather may read. */
__attribute__((target("avx2,fma"))) static bool sample_block_avx2(const fm_image *src, const inverse_map *m, int u,
                                                                  int v, float out[24])
{
    const int n = m->n;
    const double inv_n = 1.0 / n;
    /* Bytes a gather at offset o may touch: o .. o + 3; the last tap (x0 + 1, y0 + 1) reads one byte past its
       pixel, so the bound is the end of the last row's pixels. */
    const int64_t limit = (int64_t)(src->height - 1) * src->stride + (int64_t)src->width * 3;
    if (limit > INT32_MAX)
        return false;
    const __m256 lanes = _mm256_setr_ps(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256 la = _mm256_mul_ps(lanes, _mm256_set1_ps((float)m->a));
    const __m256 ld = _mm256_mul_ps(lanes, _mm256_set1_ps((float)m->d));
    const __m256i stride = _mm256_set1_epi32(src->stride), three = _mm256_set1_epi32(3);
    const __m256i max_x = _mm256_set1_epi32(src->width - 2), max_y = _mm256_set1_epi32(src->height - 2);
    const __m256i last_offset = _mm256_set1_epi32((int32_t)(limit - 4 - src->stride - 3));
    const int *base = (const int *)src->data;
    __m256 acc_r = _mm256_setzero_ps(), acc_g = _mm256_setzero_ps(), acc_b = _mm256_setzero_ps();
    for (int j = 0; j < n; j++)
        for (int i = 0; i < n; i++) {
            /* Sample position of lane 0 in double, split into an integer origin and a small remainder, so the
               float lanes keep full precision however large the source is. */
            const double x = u + (i + 0.5) * inv_n, y = v + (j + 0.5) * inv_n;
            const double bx = m->a * x + m->b * y + m->c - 0.5, by = m->d * x + m->e * y + m->f - 0.5;
            if (!(fabs(bx) < 1e9 && fabs(by) < 1e9))
                return false;
            const double ox = floor(bx), oy = floor(by);
            const __m256 px = _mm256_add_ps(_mm256_set1_ps((float)(bx - ox)), la);
            const __m256 py = _mm256_add_ps(_mm256_set1_ps((float)(by - oy)), ld);
            const __m256 fx = _mm256_floor_ps(px), fy = _mm256_floor_ps(py);
            const __m256 ax = _mm256_sub_ps(px, fx), ay = _mm256_sub_ps(py, fy);
            const __m256i x0 = _mm256_add_epi32(_mm256_cvtps_epi32(fx), _mm256_set1_epi32((int)ox));
            const __m256i y0 = _mm256_add_epi32(_mm256_cvtps_epi32(fy), _mm256_set1_epi32((int)oy));
            /* Interior: 0 <= x0 <= width - 2 and 0 <= y0 <= height - 2 (the reference's fast case). */
            const __m256i outside = _mm256_or_si256(
                _mm256_or_si256(_mm256_cmpgt_epi32(_mm256_setzero_si256(), x0), _mm256_cmpgt_epi32(x0, max_x)),
                _mm256_or_si256(_mm256_cmpgt_epi32(_mm256_setzero_si256(), y0), _mm256_cmpgt_epi32(y0, max_y)));
            if (!_mm256_testz_si256(outside, outside))
                return false;
            const __m256i offset = _mm256_add_epi32(_mm256_mullo_epi32(y0, stride), _mm256_mullo_epi32(x0, three));
            const __m256i past = _mm256_cmpgt_epi32(offset, last_offset);
            if (!_mm256_testz_si256(past, past))
                return false;
            const __m256i below = _mm256_add_epi32(offset, stride);
            const __m256i p0 = _mm256_i32gather_epi32(base, offset, 1);
            const __m256i p1 = _mm256_i32gather_epi32(base, _mm256_add_epi32(offset, three), 1);
            const __m256i q0 = _mm256_i32gather_epi32(base, below, 1);
            const __m256i q1 = _mm256_i32gather_epi32(base, _mm256_add_epi32(below, three), 1);
            acc_r = _mm256_add_ps(acc_r, bilinear(p0, p1, q0, q1, ax, ay, 0));
            acc_g = _mm256_add_ps(acc_g, bilinear(p0, p1, q0, q1, ax, ay, 1));
            acc_b = _mm256_add_ps(acc_b, bilinear(p0, p1, q0, q1, ax, ay, 2));
        }
    const __m256 inv = _mm256_set1_ps(1.0f / (float)(n * n));
    float r[8], g[8], b[8];
    _mm256_storeu_ps(r, _mm256_mul_ps(acc_r, inv));
    _mm256_storeu_ps(g, _mm256_mul_ps(acc_g, inv));
    _mm256_storeu_ps(b, _mm256_mul_ps(acc_b, inv));
    for (int l = 0; l < 8; l++)
        out[l * 3] = r[l], out[l * 3 + 1] = g[l], out[l * 3 + 2] = b[l];
    return true;
}
#endif

/* ---- axis-aligned warps ------------------------------------------------------------------------------- */
/* Without rotation or shear (b = d = 0: crops and resizes) the supersampled bilinear warp is separable: each
   output pixel's n x n samples have weights (1/n sum of tents along x) x (1/n sum of tents along y), so the same
   result comes from a vertical then a horizontal pass, with each source pixel read a few times instead of once
   per sample. Taps beyond the source read as fill, as in the reference: their weight is made up with the fill
   colour at the end. */

typedef struct separable_plan {
    filter_taps x, y;
    float *inside_x, *inside_y; /* share of each output column's / row's weight that falls on the source */
    int x_first, x_end;         /* source columns any output reads */
    float *combined;            /* one vertically combined row over those columns, plus one float of slack */
} separable_plan;

static void plan_free(separable_plan *p)
{
    taps_free(&p->x);
    taps_free(&p->y);
    free(p->inside_x);
    free(p->inside_y);
    free(p->combined);
}

/* Taps along one axis: output u averages n bilinear samples at continuous source positions
   scale * (u + (i + 0.5) / n) + offset, each a tent over the two nearest pixel centres. */
static bool sample_box_taps(filter_taps *t, float *inside, int in_size, int out_size, double scale, double offset,
                            int n)
{
    t->max_taps = (int)ceil(fabs(scale)) + 3;
    t->start = malloc(sizeof(int) * (size_t)out_size);
    t->count = malloc(sizeof(int) * (size_t)out_size);
    t->weight = malloc(sizeof(float) * (size_t)out_size * (size_t)t->max_taps);
    double *acc = malloc(sizeof(double) * (size_t)t->max_taps);
    if (!t->start || !t->count || !t->weight || !acc) {
        free(acc);
        return false;
    }
    for (int u = 0; u < out_size; u++) {
        /* Pixel-centre grid coordinates of the first and last sample. */
        const double p0 = scale * (u + 0.5 / n) + offset - 0.5, p1 = scale * (u + (n - 0.5) / n) + offset - 0.5;
        const double lo_d = floor(fmin(p0, p1)), hi_d = floor(fmax(p0, p1)) + 1;
        t->start[u] = 0, t->count[u] = 0, inside[u] = 0.0f;
        if (hi_d < 0 || lo_d > in_size - 1)
            continue; /* entirely beyond the source */
        const int lo = (int)lo_d, hi = (int)hi_d;
        for (int k = 0; k <= hi - lo; k++)
            acc[k] = 0.0;
        for (int i = 0; i < n; i++) {
            const double pos = scale * (u + (i + 0.5) / n) + offset - 0.5, f = floor(pos), a = pos - f;
            acc[(int)f - lo] += (1.0 - a) / n;
            acc[(int)f + 1 - lo] += a / n;
        }
        const int first = lo < 0 ? 0 : lo, last = hi > in_size - 1 ? in_size - 1 : hi;
        float *w = t->weight + (size_t)u * (size_t)t->max_taps;
        double total = 0.0;
        for (int x = first; x <= last; x++)
            w[x - first] = (float)acc[x - lo], total += acc[x - lo];
        t->start[u] = first;
        t->count[u] = last - first + 1;
        inside[u] = (float)total;
    }
    free(acc);
    return true;
}

static bool plan_init(separable_plan *p, const fm_image *src, const inverse_map *m, int out_w, int out_h)
{
    *p = (separable_plan){0};
    p->inside_x = malloc(sizeof(float) * (size_t)out_w);
    p->inside_y = malloc(sizeof(float) * (size_t)out_h);
    if (!p->inside_x || !p->inside_y || !sample_box_taps(&p->x, p->inside_x, src->width, out_w, m->a, m->c, m->n) ||
        !sample_box_taps(&p->y, p->inside_y, src->height, out_h, m->e, m->f, m->n))
        return false;
    p->x_first = src->width, p->x_end = 0;
    for (int u = 0; u < out_w; u++)
        if (p->x.count[u] > 0) {
            p->x_first = p->x.start[u] < p->x_first ? p->x.start[u] : p->x_first;
            const int end = p->x.start[u] + p->x.count[u];
            p->x_end = end > p->x_end ? end : p->x_end;
        }
    if (p->x_end < p->x_first)
        p->x_first = p->x_end = 0;
    for (int u = 0; u < out_w; u++)
        p->x.start[u] -= p->x.count[u] > 0 ? p->x_first : 0;
    p->combined = malloc(sizeof(float) * ((size_t)(p->x_end - p->x_first) * 3 + 1));
    if (!p->combined)
        return false;
    p->combined[(size_t)(p->x_end - p->x_first) * 3] = 0.0f;
    return true;
}

static void separable_row(const separable_plan *p, const fm_image *src, int v, int width, const float fill[3],
                          float *out)
{
    const size_t len = (size_t)(p->x_end - p->x_first) * 3;
    if (p->y.count[v] > 0 && len > 0) {
        combine_rows(src->data + (size_t)p->y.start[v] * (size_t)src->stride + (size_t)p->x_first * 3,
                     (size_t)src->stride, p->y.weight + (size_t)v * (size_t)p->y.max_taps, p->y.count[v], len,
                     p->combined);
        filter_row(p->combined, &p->x, width, out);
    } else {
        for (int k = 0; k < width * 3; k++)
            out[k] = 0.0f;
    }
    for (int u = 0; u < width; u++) {
        const float outside = 1.0f - p->inside_x[u] * p->inside_y[v];
        if (outside > 0.0f)
            for (int c = 0; c < 3; c++)
                out[u * 3 + c] += outside * fill[c];
    }
}

/* ---- row dispatch ------------------------------------------------------------------------------------- */

/* How a warp produces its rows (separable when axis-aligned, else sample by sample), and the row it fills. */
typedef struct warp_rows {
    const fm_image *src;
    inverse_map m;
    bool separable;
    separable_plan plan;
    float fill[3];
    int width;
    float *row; /* RGB float triples, 3 * width */
} warp_rows;

static void warp_rows_free(warp_rows *r)
{
    if (r->separable)
        plan_free(&r->plan);
    free(r->row);
}

static int32_t warp_rows_init(warp_rows *r, const fm_image *src, const double matrix[6], int32_t supersample,
                              int out_w, int out_h, const float fill[3], fm_error *err)
{
    *r = (warp_rows){.src = src, .fill = {fill[0], fill[1], fill[2]}, .width = out_w};
    int32_t rc = inverse_map_init(&r->m, matrix, supersample, err);
    if (rc)
        return rc;
    /* Separable pays off while a pixel's taps stay few; extreme shrinking keeps the capped sampling grid. */
    r->separable = simd_override != 0 && r->m.b == 0.0 && r->m.d == 0.0 && fabs(r->m.a) <= 64.0 && fabs(r->m.e) <= 64.0;
    r->row = malloc(sizeof(float) * 3 * (size_t)out_w);
    if (!r->row || (r->separable && !plan_init(&r->plan, src, &r->m, out_w, out_h))) {
        warp_rows_free(r);
        return fm_fail(err, FM_ERR_OUT_OF_MEMORY, "out of memory for warp buffers");
    }
    return FM_OK;
}

/* Destination row v, as RGB float triples. */
static const float *warp_row(warp_rows *r, int v)
{
    float *out = r->row;
    const int width = r->width;
    if (r->separable) {
        separable_row(&r->plan, r->src, v, width, r->fill, out);
        return out;
    }
    const fm_image *src = r->src;
    const inverse_map *m = &r->m;
    int u = 0;
#ifdef FM_HAVE_AVX2_KERNEL
    if (simd_override != 0 && cpu_has_avx2())
        for (; u + 8 <= width; u += 8)
            if (!sample_block_avx2(src, m, u, v, out + (size_t)u * 3))
                for (int k = u; k < u + 8; k++)
                    sample_pixel(src, m, k, v, r->fill, out + (size_t)k * 3);
#endif
    for (; u < width; u++)
        sample_pixel(src, m, u, v, r->fill, out + (size_t)u * 3);
    return out;
}

int32_t fm_warp_affine_f32(const fm_image *src, const double matrix[6], const fm_tensor_format *format,
                           int32_t supersample, float *dst, size_t dst_len, fm_error *err)
{
    int32_t rc = fm_check_image(src, "warp source", err);
    if (rc)
        return rc;
    tensor_writer tw = {0};
    if ((rc = tensor_writer_init(&tw, format, dst, dst_len, err)) != 0)
        return rc;
    warp_rows rows;
    if ((rc = warp_rows_init(&rows, src, matrix, supersample, format->width, format->height, format->fill, err)) != 0)
        return rc;
    for (int v = 0; v < format->height; v++) {
        const float *row = warp_row(&rows, v);
        for (int u = 0; u < format->width; u++)
            tensor_put(&tw, u, v, row[u * 3], row[u * 3 + 1], row[u * 3 + 2]);
    }
    warp_rows_free(&rows);
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
    const float fillf[3] = {fill[0], fill[1], fill[2]};
    warp_rows rows;
    if ((rc = warp_rows_init(&rows, src, matrix, supersample, dst->width, dst->height, fillf, err)) != 0)
        return rc;
    for (int v = 0; v < dst->height; v++) {
        const float *row = warp_row(&rows, v);
        uint8_t *out = dst->data + (size_t)v * (size_t)dst->stride;
        for (int k = 0; k < dst->width * 3; k++)
            out[k] = to_u8(row[k]);
    }
    warp_rows_free(&rows);
    return fm_ok(err);
}
