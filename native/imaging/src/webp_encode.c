/* WebP encoding with libwebp (lossy at a quality, or lossless), for test fixtures. The output stays in
   libwebp's allocator and is released through fm_buffer_free (owner 2). */
#include "internal.h"

#include <string.h>
#include <webp/encode.h>

int32_t fm_webp_encode(const uint8_t *pixels, int32_t width, int32_t height, int32_t stride, int32_t channels,
                       int32_t quality, int32_t lossless, fm_buffer *out, fm_error *err)
{
    if (!pixels || !out)
        return fm_fail(err, FM_ERR_INVALID_ARGUMENT, "webp: null argument");
    memset(out, 0, sizeof *out);
    if (width <= 0 || height <= 0 || width > WEBP_MAX_DIMENSION || height > WEBP_MAX_DIMENSION)
        return fm_fail(err, FM_ERR_INVALID_ARGUMENT, "webp: size %dx%d outside 1..%d", width, height, WEBP_MAX_DIMENSION);
    if (channels != 3 && channels != 4)
        return fm_fail(err, FM_ERR_INVALID_ARGUMENT, "webp: %d channels (3 RGB or 4 RGBA)", channels);
    if ((int64_t)stride < (int64_t)width * channels)
        return fm_fail(err, FM_ERR_INVALID_ARGUMENT, "webp: stride %d shorter than a row", stride);
    if (!lossless && (quality < 0 || quality > 100))
        return fm_fail(err, FM_ERR_INVALID_ARGUMENT, "webp: quality %d outside 0..100", quality);
    uint8_t *webp = NULL;
    size_t size;
    if (channels == 4)
        size = lossless ? WebPEncodeLosslessRGBA(pixels, width, height, stride, &webp)
                        : WebPEncodeRGBA(pixels, width, height, stride, (float)quality, &webp);
    else
        size = lossless ? WebPEncodeLosslessRGB(pixels, width, height, stride, &webp)
                        : WebPEncodeRGB(pixels, width, height, stride, (float)quality, &webp);
    if (size == 0) {
        WebPFree(webp);
        return fm_fail(err, FM_ERR_ENCODE, "webp: encoding failed");
    }
    out->data = webp;
    out->len = size;
    out->owner = 2;
    return fm_ok(err);
}
