/* Error reporting and small shared checks. */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <turbojpeg.h>
#include <webp/types.h>

int32_t fm_fail(fm_error *err, int32_t code, const char *fmt, ...)
{
    if (err) {
        err->code = code;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return code;
}

int32_t fm_ok(fm_error *err)
{
    if (err) {
        err->code = FM_OK;
        err->message[0] = '\0';
    }
    return FM_OK;
}

int32_t fm_check_image(const fm_image *img, const char *what, fm_error *err)
{
    if (!img || !img->data)
        return fm_fail(err, FM_ERR_INVALID_ARGUMENT, "%s: no pixel data", what);
    if (img->width <= 0 || img->height <= 0)
        return fm_fail(err, FM_ERR_INVALID_ARGUMENT, "%s: size %dx%d is empty", what, img->width, img->height);
    if ((int64_t)img->stride < (int64_t)img->width * 3)
        return fm_fail(err, FM_ERR_INVALID_ARGUMENT, "%s: stride %d is shorter than a row of %d pixels", what,
                       img->stride, img->width);
    return FM_OK;
}

int32_t fm_check_dimensions(const fm_decode_options *o, int64_t width, int64_t height, fm_error *err)
{
    if (width <= 0 || height <= 0)
        return fm_fail(err, FM_ERR_CORRUPT, "header declares an empty image (%lldx%lld)", (long long)width,
                       (long long)height);
    if (width > o->max_dimension || height > o->max_dimension)
        return fm_fail(err, FM_ERR_TOO_LARGE, "image is %lldx%lld, larger than the %d pixel dimension limit",
                       (long long)width, (long long)height, o->max_dimension);
    if (width * height > o->max_pixels)
        return fm_fail(err, FM_ERR_TOO_LARGE, "image has %lld pixels, more than the limit of %lld",
                       (long long)(width * height), (long long)o->max_pixels);
    return FM_OK;
}

void fm_buffer_free(fm_buffer *buffer)
{
    if (!buffer)
        return;
    /* owner 1: TurboJPEG's allocator (jpeg_encode.c); owner 2: libwebp's (webp_encode.c); owner 0: malloc, as
       spng documents for its buffers. */
    if (buffer->owner == 1)
        tjFree(buffer->data);
    else if (buffer->owner == 2)
        WebPFree(buffer->data);
    else
        free(buffer->data);
    buffer->data = NULL;
    buffer->len = 0;
}

int32_t fm_abi_version(void) { return FM_ABI_VERSION; }

int32_t fm_struct_size(int32_t which)
{
    switch (which) {
    case 0: return (int32_t)sizeof(fm_error);
    case 1: return (int32_t)sizeof(fm_decode_options);
    case 2: return (int32_t)sizeof(fm_image_info);
    case 3: return (int32_t)sizeof(fm_image);
    case 4: return (int32_t)sizeof(fm_tensor_format);
    case 5: return (int32_t)sizeof(fm_letterbox);
    case 6: return (int32_t)sizeof(fm_region_stats);
    case 7: return (int32_t)sizeof(fm_buffer);
    case 8: return (int32_t)sizeof(fm_png_params);
    default: return -1;
    }
}
