/* The format-independent decoder: validates options and input size, sniffs the format and hands over to
   the JPEG, PNG or WebP implementation. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

static int32_t check_options(const fm_decode_options *o, fm_error *err)
{
    if (o->max_encoded_bytes <= 0 || o->max_pixels <= 0 || o->max_dimension <= 0)
        return fm_fail(err, FM_ERR_INVALID_ARGUMENT, "decode limits must be positive");
    /* TurboJPEG and libspng take int/uint32 sizes, and row pitches are int: keep every product in range. */
    if (o->max_dimension > 65535 || o->max_pixels > (int64_t)1 << 30)
        return fm_fail(err, FM_ERR_INVALID_ARGUMENT, "decode limits above 65535 px per side or 2^30 pixels");
    if (o->min_long_side < 0 || o->min_short_side < 0)
        return fm_fail(err, FM_ERR_INVALID_ARGUMENT, "minimum output sides must not be negative");
    return FM_OK;
}

int32_t fm_decoder_open(const uint8_t *data, size_t len, const fm_decode_options *options, fm_decoder **out,
                        fm_image_info *info, fm_error *err)
{
    if (!out || !options || !info)
        return fm_fail(err, FM_ERR_INVALID_ARGUMENT, "fm_decoder_open: null argument");
    *out = NULL;
    memset(info, 0, sizeof *info);
    int32_t rc = check_options(options, err);
    if (rc)
        return rc;
    if (!data || len == 0)
        return fm_fail(err, FM_ERR_EMPTY, "no image data (0 bytes)");
    if ((uint64_t)len > (uint64_t)options->max_encoded_bytes)
        return fm_fail(err, FM_ERR_TOO_LARGE, "encoded image is %zu bytes, more than the limit of %lld", len,
                       (long long)options->max_encoded_bytes);
    fm_format format;
    rc = fm_sniff(data, len, &format, err);
    if (rc)
        return rc;

    fm_decoder *d = calloc(1, sizeof *d);
    if (!d)
        return fm_fail(err, FM_ERR_OUT_OF_MEMORY, "out of memory");
    d->data = data;
    d->len = len;
    d->options = *options;
    d->info.format = format;
    d->info.scale_denom = 1;
    d->info.orientation = 1;
    rc = format == FM_FORMAT_JPEG ? fm_jpeg_open(d, err) : format == FM_FORMAT_PNG ? fm_png_open(d, err) : fm_webp_open(d, err);
    if (rc) {
        fm_decoder_close(d);
        return rc;
    }
    *info = d->info;
    *out = d;
    return fm_ok(err);
}

int32_t fm_decoder_decode(fm_decoder *d, uint8_t *dst, int32_t dst_stride, size_t dst_len, fm_error *err)
{
    if (!d || !dst)
        return fm_fail(err, FM_ERR_INVALID_ARGUMENT, "fm_decoder_decode: null argument");
    if (d->used)
        return fm_fail(err, FM_ERR_INVALID_ARGUMENT, "decoder already used; open a new one");
    d->used = true;
    const int64_t row = (int64_t)d->info.width * 3;
    if (dst_stride < row)
        return fm_fail(err, FM_ERR_INVALID_ARGUMENT, "stride %d is shorter than a row (%lld bytes)", dst_stride,
                       (long long)row);
    const uint64_t need = (uint64_t)(d->info.height - 1) * (uint64_t)dst_stride + (uint64_t)row;
    if ((uint64_t)dst_len < need)
        return fm_fail(err, FM_ERR_BUFFER_TOO_SMALL, "destination holds %zu bytes, the image needs %llu", dst_len,
                       (unsigned long long)need);
    int32_t rc = d->decode(d, dst, (size_t)dst_stride, err);
    return rc ? rc : fm_ok(err);
}

void fm_decoder_close(fm_decoder *d)
{
    if (!d)
        return;
    if (d->destroy)
        d->destroy(d);
    free(d);
}
