/* Aspect-preserving resize into a float tensor. The resampler is separable with a triangle (bilinear)
   kernel whose radius is max(1, 1/scale) source pixels: plain bilinear when enlarging, an averaging
   filter when shrinking, so a 4000 px photo reduced to 256 px does not alias. Each output row first
   combines its source rows vertically over the full width (contiguous, so the compiler vectorises it),
   then filters that one row horizontally with a pixel's three channels in one vector. Filtering the
   vertical direction first means the horizontal taps run once per output row, not once per source row. */
#include "separable.h"

#include <math.h>
#include <stdlib.h>

/* Output index u (centre u + 0.5) reads the source around (u + 0.5) / scale. */
static bool triangle_taps(filter_taps *t, int in_size, int out_size, double scale)
{
    const double radius = scale < 1.0 ? 1.0 / scale : 1.0;
    t->max_taps = (int)ceil(2.0 * radius) + 2;
    t->start = malloc(sizeof(int) * (size_t)out_size);
    t->count = malloc(sizeof(int) * (size_t)out_size);
    t->weight = malloc(sizeof(float) * (size_t)out_size * (size_t)t->max_taps);
    if (!t->start || !t->count || !t->weight)
        return false;
    for (int u = 0; u < out_size; u++) {
        const double centre = (u + 0.5) / scale;
        int lo = (int)floor(centre - radius - 0.5), hi = (int)ceil(centre + radius - 0.5);
        lo = lo < 0 ? 0 : lo;
        hi = hi > in_size - 1 ? in_size - 1 : hi;
        float *w = t->weight + (size_t)u * (size_t)t->max_taps;
        double total = 0;
        int n = 0, first = -1;
        for (int i = lo; i <= hi && n < t->max_taps; i++) {
            const double k = 1.0 - fabs(i + 0.5 - centre) / radius;
            if (k <= 0 && first < 0)
                continue;
            if (first < 0)
                first = i;
            w[n++] = (float)(k > 0 ? k : 0);
            total += k > 0 ? k : 0;
        }
        if (first < 0 || total <= 0) { /* centre beyond the last pixel: replicate the edge */
            first = fm_clamp_int((int)floor(centre), 0, in_size - 1);
            n = 1;
            w[0] = 1.0f;
            total = 1.0;
        }
        for (int k = 0; k < n; k++)
            w[k] = (float)(w[k] / total);
        /* Trailing zero weights are dropped so the inner loops only touch contributing pixels. */
        while (n > 1 && w[n - 1] == 0.0f)
            n--;
        t->start[u] = first;
        t->count[u] = n;
    }
    return true;
}

int32_t fm_letterbox_f32(const fm_image *src, const fm_tensor_format *format, float *dst, size_t dst_len,
                         fm_letterbox *out, fm_error *err)
{
    int32_t rc = fm_check_image(src, "letterbox source", err);
    if (rc)
        return rc;
    tensor_writer tw = {0};
    if ((rc = tensor_writer_init(&tw, format, dst, dst_len, err)) != 0)
        return rc;
    if (!out)
        return fm_fail(err, FM_ERR_INVALID_ARGUMENT, "letterbox: null result");

    const int W = format->width, H = format->height, w = src->width, h = src->height;
    const double r = fmin((double)W / w, (double)H / h);
    const int cw = fm_clamp_int((int)lround(w * r), 1, W), ch = fm_clamp_int((int)lround(h * r), 1, H);
    const int cx = (W - cw) / 2, cy = (H - ch) / 2;
    const double sx = (double)cw / w, sy = (double)ch / h;

    filter_taps tx = {0}, ty = {0};
    float *combined = NULL;
    if (!triangle_taps(&tx, w, cw, sx) || !triangle_taps(&ty, h, ch, sy))
        goto oom;
    const size_t src_floats = (size_t)w * 3;
    /* the vertically combined source row (plus one float of slack, see filter_row), then one output row */
    combined = malloc(sizeof(float) * (src_floats + 1 + (size_t)cw * 3));
    if (!combined)
        goto oom;
    combined[src_floats] = 0.0f;
    float *filtered = combined + src_floats + 1;

    for (int y = 0; y < H; y++) {
        const bool content_row = y >= cy && y < cy + ch;
        for (int x = 0; x < W; x++)
            if (!content_row || x < cx || x >= cx + cw)
                tensor_put_fill(&tw, x, y);
    }

    for (int v = 0; v < ch; v++) {
        combine_rows(src->data + (size_t)ty.start[v] * (size_t)src->stride, (size_t)src->stride,
                     ty.weight + (size_t)v * (size_t)ty.max_taps, ty.count[v], src_floats, combined);
        filter_row(combined, &tx, cw, filtered);
        for (int u = 0; u < cw; u++)
            tensor_put(&tw, cx + u, cy + v, filtered[u * 3], filtered[u * 3 + 1], filtered[u * 3 + 2]);
    }

    out->scale_x = (float)sx;
    out->scale_y = (float)sy;
    out->offset_x = (float)cx;
    out->offset_y = (float)cy;
    out->content_x = cx;
    out->content_y = cy;
    out->content_width = cw;
    out->content_height = ch;
    taps_free(&tx);
    taps_free(&ty);
    free(combined);
    return fm_ok(err);
oom:
    taps_free(&tx);
    taps_free(&ty);
    free(combined);
    return fm_fail(err, FM_ERR_OUT_OF_MEMORY, "out of memory for letterbox filters");
}
