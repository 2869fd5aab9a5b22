/* JPEG through the TurboJPEG API: header and limits at open, then one tjDecompress2 call, either straight
   into the caller's buffer (upright YCbCr/RGB/grey images) or into a scratch buffer that is reoriented
   and/or converted from CMYK on the way into the caller's buffer. */
#include "internal.h"

#include <stdlib.h>
#include <turbojpeg.h>

typedef struct jpeg_state {
    tjhandle tj;
    int colorspace;       /* TJCS_* */
    int stored_scaled_w;  /* decoded size before orientation */
    int stored_scaled_h;
    bool adobe;
} jpeg_state;

static void jpeg_destroy(fm_decoder *d)
{
    jpeg_state *st = d->codec;
    if (st) {
        if (st->tj)
            tjDestroy(st->tj);
        free(st);
    }
    d->codec = NULL;
}

static bool factor_available(int denom)
{
    int n = 0;
    tjscalingfactor *f = tjGetScalingFactors(&n);
    for (int i = 0; f && i < n; i++)
        if (f[i].num == 1 && f[i].denom == denom)
            return true;
    return false;
}

static int scaled(int size, int denom) { return (size + denom - 1) / denom; }

/* The smallest output (largest denominator) that still meets both minimums; full size when none does.
   Only 1/2, 1/4 and 1/8 are used: libjpeg-turbo has SIMD reduced-size IDCTs for them. */
static int choose_denominator(int w, int h, int min_long, int min_short)
{
    if (min_long <= 0 && min_short <= 0)
        return 1;
    static const int denoms[] = {8, 4, 2};
    for (size_t i = 0; i < sizeof denoms / sizeof denoms[0]; i++) {
        int sw = scaled(w, denoms[i]), sh = scaled(h, denoms[i]);
        int lo = sw < sh ? sw : sh, hi = sw < sh ? sh : sw;
        if (hi >= min_long && lo >= min_short && factor_available(denoms[i]))
            return denoms[i];
    }
    return 1;
}

static int jpeg_decode(fm_decoder *d, uint8_t *dst, size_t dst_stride, fm_error *err)
{
    jpeg_state *st = d->codec;
    const bool strict = (d->options.flags & FM_DECODE_STRICT_JPEG) != 0;
    const bool cmyk = st->colorspace == TJCS_CMYK || st->colorspace == TJCS_YCCK;
    const int sw = st->stored_scaled_w, sh = st->stored_scaled_h, orientation = d->info.orientation;
    const int flags = TJFLAG_LIMITSCANS | (strict ? TJFLAG_STOPONWARNING : 0);

    uint8_t *scratch = NULL;
    int rc;
    if (!cmyk && orientation == 1) {
        rc = tjDecompress2(st->tj, d->data, (unsigned long)d->len, dst, sw, (int)dst_stride, sh, TJPF_RGB, flags);
    } else {
        const size_t bpp = cmyk ? 4 : 3;
        scratch = malloc((size_t)sw * (size_t)sh * bpp);
        if (!scratch)
            return fm_fail(err, FM_ERR_OUT_OF_MEMORY, "out of memory for a %dx%d decode buffer", sw, sh);
        rc = tjDecompress2(st->tj, d->data, (unsigned long)d->len, scratch, sw, (int)((size_t)sw * bpp), sh,
                           cmyk ? TJPF_CMYK : TJPF_RGB, flags);
    }
    if (rc != 0 && (strict || tjGetErrorCode(st->tj) == TJERR_FATAL)) {
        free(scratch);
        return fm_fail(err, FM_ERR_CORRUPT, "JPEG decoding failed: %s", tjGetErrorStr2(st->tj));
    }
    /* A warning (e.g. corrupt entropy data, extraneous bytes) leaves a complete image: accepted unless
       strict, as cameras and editors produce such files routinely. */
    if (scratch) {
        src_kind kind = !cmyk ? SRC_RGB8 : st->adobe ? SRC_CMYK_INVERTED : SRC_CMYK;
        fm_orient_convert(scratch, sw, sh, (size_t)sw * (cmyk ? 4 : 3), kind, d->options.background, orientation,
                          dst, dst_stride);
        free(scratch);
    }
    return FM_OK;
}

int32_t fm_jpeg_open(fm_decoder *d, fm_error *err)
{
    jpeg_layout layout;
    fm_jpeg_layout_scan(d->data, d->len, &layout);
    if (layout.malformed)
        return fm_fail(err, FM_ERR_CORRUPT, "JPEG marker segment with an invalid length");

    jpeg_state *st = calloc(1, sizeof *st);
    if (!st)
        return fm_fail(err, FM_ERR_OUT_OF_MEMORY, "out of memory");
    d->codec = st;
    d->destroy = jpeg_destroy;
    d->decode = jpeg_decode;
    st->tj = tjInitDecompress();
    if (!st->tj)
        return fm_fail(err, FM_ERR_OUT_OF_MEMORY, "cannot create a JPEG decompressor");

    int w = 0, h = 0, subsamp = 0, cs = 0;
    if (tjDecompressHeader3(st->tj, d->data, (unsigned long)d->len, &w, &h, &subsamp, &cs) != 0) {
        if (!layout.complete)
            return fm_fail(err, FM_ERR_TRUNCATED, "JPEG data ends inside the headers");
        if (layout.sof != 0 && (layout.precision != 8 || layout.sof == 0xC3 || layout.sof >= 0xC9))
            return fm_fail(err, FM_ERR_UNSUPPORTED, "JPEG variant not supported (SOF 0x%02X, %d-bit): %s",
                           layout.sof, layout.precision, tjGetErrorStr2(st->tj));
        return fm_fail(err, FM_ERR_CORRUPT, "invalid JPEG header: %s", tjGetErrorStr2(st->tj));
    }
    /* A stream cut before its frame header parses as "tables only" and reports a 0x0 image. */
    if (w <= 0 || h <= 0)
        return layout.complete ? fm_fail(err, FM_ERR_CORRUPT, "JPEG has no frame header")
                               : fm_fail(err, FM_ERR_TRUNCATED, "JPEG data ends before the frame header");
    int32_t rc = fm_check_dimensions(&d->options, w, h, err);
    if (rc)
        return rc;
    if (layout.scans == 0)
        return layout.complete ? fm_fail(err, FM_ERR_CORRUPT, "JPEG has no image data (no scan)")
                               : fm_fail(err, FM_ERR_TRUNCATED, "JPEG data ends before the image data");
    if (!layout.complete) {
        if (!(d->options.flags & FM_DECODE_ALLOW_TRUNCATED))
            return fm_fail(err, FM_ERR_TRUNCATED, "JPEG data ends before the end-of-image marker");
        d->info.flags |= FM_INFO_TRUNCATED;
    }

    switch (cs) {
    case TJCS_GRAY: d->info.color_model = FM_COLOR_GRAY; break;
    case TJCS_RGB:
    case TJCS_YCbCr: d->info.color_model = FM_COLOR_RGB; break;
    case TJCS_CMYK: d->info.color_model = FM_COLOR_CMYK; break;
    case TJCS_YCCK: d->info.color_model = FM_COLOR_YCCK; break;
    default: return fm_fail(err, FM_ERR_UNSUPPORTED, "JPEG colour space %d not supported", cs);
    }
    st->colorspace = cs;
    st->adobe = layout.adobe;
    if ((cs == TJCS_CMYK || cs == TJCS_YCCK) && layout.adobe)
        d->info.flags |= FM_INFO_ADOBE_CMYK;
    if (layout.sof == 0xC2 || layout.sof == 0xC6 || layout.sof == 0xCA || layout.sof == 0xCE)
        d->info.flags |= FM_INFO_PROGRESSIVE;

    const int denom = choose_denominator(w, h, d->options.min_long_side, d->options.min_short_side);
    st->stored_scaled_w = scaled(w, denom);
    st->stored_scaled_h = scaled(h, denom);
    const int orientation = (d->options.flags & FM_DECODE_IGNORE_ORIENTATION) ? 1 : layout.orientation;

    d->info.stored_width = w;
    d->info.stored_height = h;
    d->info.scale_denom = denom;
    d->info.orientation = orientation;
    d->info.width = orientation >= 5 ? st->stored_scaled_h : st->stored_scaled_w;
    d->info.height = orientation >= 5 ? st->stored_scaled_w : st->stored_scaled_h;
    d->info.bit_depth = 8;
    d->info.has_alpha = 0;
    return FM_OK;
}
