/* WebP (lossy and lossless, still images) through libwebp. The same limits as JPEG and PNG: the bitstream's
   size is read from its header and checked against the dimension and pixel limits before anything image-sized
   is allocated; animations are refused. EXIF orientation comes from the container's EXIF chunk (libwebpdemux).
   Opaque upright images decode straight into the caller's buffer; images with alpha (composited onto the
   background, as PNG) or an EXIF rotation go through one scratch image. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>
#include <webp/decode.h>
#include <webp/demux.h>

typedef struct webp_state {
    bool alpha;
} webp_state;

static int32_t webp_failure(VP8StatusCode s, const char *stage, fm_error *err)
{
    switch (s) {
    case VP8_STATUS_NOT_ENOUGH_DATA:
        return fm_fail(err, FM_ERR_TRUNCATED, "WebP data ends early (%s)", stage);
    case VP8_STATUS_OUT_OF_MEMORY:
        return fm_fail(err, FM_ERR_OUT_OF_MEMORY, "out of memory decoding WebP (%s)", stage);
    case VP8_STATUS_UNSUPPORTED_FEATURE:
        return fm_fail(err, FM_ERR_UNSUPPORTED, "WebP feature not supported (%s)", stage);
    default:
        return fm_fail(err, FM_ERR_CORRUPT, "invalid WebP (%s: status %d)", stage, (int)s);
    }
}

/* Orientation from the EXIF chunk, whose payload is a TIFF structure (some writers prefix "Exif\0\0"). */
static int webp_orientation(const uint8_t *data, size_t len)
{
    WebPData webp = { data, len };
    WebPDemuxer *demux = WebPDemux(&webp);
    if (!demux)
        return 1;
    int orientation = 1;
    WebPChunkIterator it;
    if (WebPDemuxGetChunk(demux, "EXIF", 1, &it)) {
        const uint8_t *tiff = it.chunk.bytes;
        size_t n = it.chunk.size;
        if (n >= 6 && memcmp(tiff, "Exif\0\0", 6) == 0) {
            tiff += 6;
            n -= 6;
        }
        orientation = fm_exif_orientation(tiff, n);
        WebPDemuxReleaseChunkIterator(&it);
    }
    WebPDemuxDelete(demux);
    return orientation;
}

static int webp_decode(fm_decoder *d, uint8_t *dst, size_t dst_stride, fm_error *err)
{
    const webp_state *st = d->codec;
    const int w = d->info.stored_width, h = d->info.stored_height, orientation = d->info.orientation;
    if (!st->alpha && orientation == 1) {
        const size_t size = (size_t)(h - 1) * dst_stride + (size_t)w * 3;
        if (!WebPDecodeRGBInto(d->data, d->len, dst, size, (int)dst_stride))
            return fm_fail(err, FM_ERR_CORRUPT, "invalid WebP image data");
        return FM_OK;
    }
    const size_t bpp = st->alpha ? 4 : 3;
    const size_t stride = (size_t)w * bpp;
    uint8_t *scratch = malloc(stride * (size_t)h);
    if (!scratch)
        return fm_fail(err, FM_ERR_OUT_OF_MEMORY, "out of memory for a %dx%d decode buffer", w, h);
    const uint8_t *ok = st->alpha ? WebPDecodeRGBAInto(d->data, d->len, scratch, stride * (size_t)h, (int)stride)
                                  : WebPDecodeRGBInto(d->data, d->len, scratch, stride * (size_t)h, (int)stride);
    if (!ok) {
        free(scratch);
        return fm_fail(err, FM_ERR_CORRUPT, "invalid WebP image data");
    }
    fm_orient_convert(scratch, w, h, stride, st->alpha ? SRC_RGBA8 : SRC_RGB8, d->options.background, orientation,
                      dst, dst_stride);
    free(scratch);
    return FM_OK;
}

static void webp_destroy(fm_decoder *d)
{
    free(d->codec);
    d->codec = NULL;
}

int32_t fm_webp_open(fm_decoder *d, fm_error *err)
{
    WebPBitstreamFeatures features;
    VP8StatusCode s = WebPGetFeatures(d->data, d->len, &features);
    if (s != VP8_STATUS_OK)
        return webp_failure(s, "header", err);
    if (features.has_animation)
        return fm_fail(err, FM_ERR_UNSUPPORTED, "animated WebP images are not supported (still images only)");
    int32_t rc = fm_check_dimensions(&d->options, features.width, features.height, err);
    if (rc)
        return rc;
    webp_state *st = calloc(1, sizeof *st);
    if (!st)
        return fm_fail(err, FM_ERR_OUT_OF_MEMORY, "out of memory");
    d->codec = st;
    d->destroy = webp_destroy;
    d->decode = webp_decode;
    st->alpha = features.has_alpha != 0;

    const int orientation = (d->options.flags & FM_DECODE_IGNORE_ORIENTATION) ? 1 : webp_orientation(d->data, d->len);
    d->info.color_model = FM_COLOR_RGB;
    d->info.stored_width = features.width;
    d->info.stored_height = features.height;
    d->info.orientation = orientation;
    d->info.width = orientation >= 5 ? features.height : features.width;
    d->info.height = orientation >= 5 ? features.width : features.height;
    d->info.scale_denom = 1;
    d->info.bit_depth = 8;
    d->info.has_alpha = st->alpha;
    return FM_OK;
}
