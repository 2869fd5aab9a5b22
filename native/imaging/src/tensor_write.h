/* Where normalised values land in an NHWC or NCHW float tensor, and how they are normalised. */
#ifndef FACEMATCH_TENSOR_WRITE_H
#define FACEMATCH_TENSOR_WRITE_H

#include "internal.h"

typedef struct tensor_writer {
    float *base;
    size_t pixel_step;      /* floats between horizontally adjacent pixels */
    size_t row_step;
    size_t channel_pos[3];  /* offset of R, G, B within a pixel (BGR and NCHW reorder these) */
    float mean[3];
    float scale[3];
    float fill[3];          /* fill value already normalised, per R, G, B */
} tensor_writer;

static inline int32_t tensor_writer_init(tensor_writer *t, const fm_tensor_format *f, float *dst, size_t dst_len,
                                         fm_error *err)
{
    if (!f || !dst)
        return fm_fail(err, FM_ERR_INVALID_ARGUMENT, "tensor: null argument");
    if (f->width <= 0 || f->height <= 0)
        return fm_fail(err, FM_ERR_INVALID_ARGUMENT, "tensor: size %dx%d is empty", f->width, f->height);
    const size_t plane = (size_t)f->width * (size_t)f->height;
    if (dst_len < plane * 3)
        return fm_fail(err, FM_ERR_BUFFER_TOO_SMALL, "tensor: %zu floats given, %zu needed", dst_len, plane * 3);
    const bool nchw = (f->flags & FM_TENSOR_NCHW) != 0, bgr = (f->flags & FM_TENSOR_BGR) != 0;
    t->base = dst;
    t->pixel_step = nchw ? 1 : 3;
    t->row_step = t->pixel_step * (size_t)f->width;
    for (int c = 0; c < 3; c++) {
        const size_t slot = (size_t)(bgr ? 2 - c : c);
        t->channel_pos[c] = nchw ? slot * plane : slot;
        t->mean[c] = f->mean[c];
        t->scale[c] = f->scale[c];
        t->fill[c] = (f->fill[c] - f->mean[c]) * f->scale[c];
    }
    return FM_OK;
}

static inline void tensor_put(const tensor_writer *t, int x, int y, float r, float g, float b)
{
    float *p = t->base + (size_t)y * t->row_step + (size_t)x * t->pixel_step;
    p[t->channel_pos[0]] = (r - t->mean[0]) * t->scale[0];
    p[t->channel_pos[1]] = (g - t->mean[1]) * t->scale[1];
    p[t->channel_pos[2]] = (b - t->mean[2]) * t->scale[2];
}

static inline void tensor_put_fill(const tensor_writer *t, int x, int y)
{
    float *p = t->base + (size_t)y * t->row_step + (size_t)x * t->pixel_step;
    p[t->channel_pos[0]] = t->fill[0];
    p[t->channel_pos[1]] = t->fill[1];
    p[t->channel_pos[2]] = t->fill[2];
}

#endif
