/* JPEG encoding with TurboJPEG, for tests (re-encoding at low quality, grey and CMYK fixtures) and debug
   captures. The output buffer stays in TurboJPEG's allocator and is released through fm_buffer_free. */
#include "internal.h"

#include <string.h>
#include <turbojpeg.h>

int32_t fm_jpeg_encode(const uint8_t *pixels, int32_t width, int32_t height, int32_t stride, int32_t pixel_kind,
                       int32_t quality, int32_t subsampling, int32_t progressive, fm_buffer *out, fm_error *err)
{
    if (!pixels || !out)
        return fm_fail(err, FM_ERR_INVALID_ARGUMENT, "jpeg: null argument");
    memset(out, 0, sizeof *out);
    if (width <= 0 || height <= 0 || width > 65500 || height > 65500)
        return fm_fail(err, FM_ERR_INVALID_ARGUMENT, "jpeg: size %dx%d outside 1..65500", width, height);
    if (quality < 1 || quality > 100)
        return fm_fail(err, FM_ERR_INVALID_ARGUMENT, "jpeg: quality %d outside 1..100", quality);
    int pf, bpp;
    switch (pixel_kind) {
    case FM_JPEG_PIXELS_RGB: pf = TJPF_RGB, bpp = 3; break;
    case FM_JPEG_PIXELS_GRAY: pf = TJPF_GRAY, bpp = 1; break;
    case FM_JPEG_PIXELS_CMYK: pf = TJPF_CMYK, bpp = 4; break;
    default: return fm_fail(err, FM_ERR_INVALID_ARGUMENT, "jpeg: unknown pixel kind %d", pixel_kind);
    }
    if ((int64_t)stride < (int64_t)width * bpp)
        return fm_fail(err, FM_ERR_INVALID_ARGUMENT, "jpeg: stride %d shorter than a row", stride);
    int samp;
    switch (subsampling) {
    case FM_JPEG_444: samp = TJSAMP_444; break;
    case FM_JPEG_422: samp = TJSAMP_422; break;
    case FM_JPEG_420: samp = TJSAMP_420; break;
    case FM_JPEG_GRAYSCALE: samp = TJSAMP_GRAY; break;
    default: return fm_fail(err, FM_ERR_INVALID_ARGUMENT, "jpeg: unknown subsampling %d", subsampling);
    }
    if (pf == TJPF_GRAY)
        samp = TJSAMP_GRAY; /* a grey source can only make a grey JPEG */

    tjhandle tj = tjInitCompress();
    if (!tj)
        return fm_fail(err, FM_ERR_OUT_OF_MEMORY, "jpeg: cannot create a compressor");
    unsigned char *jpeg = NULL;
    unsigned long size = 0;
    const int flags = TJFLAG_ACCURATEDCT | (progressive ? TJFLAG_PROGRESSIVE : 0);
    if (tjCompress2(tj, pixels, width, stride, height, pf, &jpeg, &size, samp, quality, flags) != 0) {
        int32_t rc = fm_fail(err, FM_ERR_ENCODE, "jpeg: encoding failed: %s", tjGetErrorStr2(tj));
        tjFree(jpeg);
        tjDestroy(tj);
        return rc;
    }
    tjDestroy(tj);
    out->data = jpeg;
    out->len = size;
    out->owner = 1;
    return fm_ok(err);
}
