/* PNG through libspng. spng enforces the dimension and chunk limits itself while parsing; pixel-count limits
   are checked here after IHDR and before anything image-sized is allocated. Upright non-interlaced images
   stream row by row into the caller's buffer; interlaced or EXIF-rotated ones go through one scratch image. */
#include "internal.h"

#include <spng.h>
#include <stdlib.h>
#include <string.h>

/* Ancillary chunks we never use (text, ICC profiles, ...) may not hold more memory than this in total
   (spng requires it to be at least the per-chunk limit). */
#define FM_PNG_CHUNK_CACHE_LIMIT ((size_t)16 << 20)

typedef struct png_state {
    spng_ctx *ctx;
    bool alpha;
    bool interlaced;
} png_state;

static int32_t spng_failure(int e, const char *stage, fm_error *err)
{
    switch (e) {
    case SPNG_IO_EOF:
    case SPNG_EOF:
    case SPNG_EIDAT_TOO_SHORT:
        return fm_fail(err, FM_ERR_TRUNCATED, "PNG data ends early (%s: %s)", stage, spng_strerror(e));
    case SPNG_EUSER_WIDTH:
    case SPNG_EUSER_HEIGHT:
        return fm_fail(err, FM_ERR_TOO_LARGE, "PNG is larger than the dimension limit (%s)", stage);
    case SPNG_ECHUNK_LIMITS:
        return fm_fail(err, FM_ERR_TOO_LARGE, "PNG chunks exceed the size limits (%s)", stage);
    case SPNG_EMEM:
        return fm_fail(err, FM_ERR_OUT_OF_MEMORY, "out of memory decoding PNG (%s)", stage);
    default:
        return fm_fail(err, FM_ERR_CORRUPT, "invalid PNG (%s: %s)", stage, spng_strerror(e));
    }
}

/* CRC-32 as PNG defines it (ISO 3309 polynomial, reflected), bitwise: it only ever covers IHDR here. */
static uint32_t png_crc(const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    }
    return ~c;
}

static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

/* The first chunk must be an intact IHDR. Checked before libspng, which validates the declared size
   against the limits before the CRC and would call a corrupted size "too large". */
static int32_t check_ihdr(const uint8_t *d, size_t len, fm_error *err)
{
    if (len < 8 + 25)
        return fm_fail(err, FM_ERR_TRUNCATED, "PNG data ends inside the header");
    if (be32(d + 8) != 13 || memcmp(d + 12, "IHDR", 4) != 0)
        return fm_fail(err, FM_ERR_CORRUPT, "PNG does not start with a valid IHDR chunk");
    if (png_crc(d + 12, 17) != be32(d + 29))
        return fm_fail(err, FM_ERR_CORRUPT, "PNG header CRC mismatch");
    return FM_OK;
}

static void png_destroy(fm_decoder *d)
{
    png_state *st = d->codec;
    if (st) {
        spng_ctx_free(st->ctx);
        free(st);
    }
    d->codec = NULL;
}

static int png_decode(fm_decoder *d, uint8_t *dst, size_t dst_stride, fm_error *err)
{
    png_state *st = d->codec;
    const int fmt = st->alpha ? SPNG_FMT_RGBA8 : SPNG_FMT_RGB8;
    const int flags = st->alpha ? SPNG_DECODE_TRNS : 0;
    const src_kind kind = st->alpha ? SRC_RGBA8 : SRC_RGB8;
    const size_t bpp = st->alpha ? 4 : 3;
    const int w = d->info.stored_width, h = d->info.stored_height, orientation = d->info.orientation;
    int rc;

    if (st->interlaced || orientation != 1) {
        size_t size = 0;
        if ((rc = spng_decoded_image_size(st->ctx, fmt, &size)) != 0)
            return spng_failure(rc, "image size", err);
        uint8_t *scratch = malloc(size);
        if (!scratch)
            return fm_fail(err, FM_ERR_OUT_OF_MEMORY, "out of memory for a %dx%d decode buffer", w, h);
        if ((rc = spng_decode_image(st->ctx, scratch, size, fmt, flags)) != 0) {
            free(scratch);
            return spng_failure(rc, "image data", err);
        }
        fm_orient_convert(scratch, w, h, (size_t)w * bpp, kind, d->options.background, orientation, dst, dst_stride);
        free(scratch);
        return FM_OK;
    }

    if ((rc = spng_decode_image(st->ctx, NULL, 0, fmt, flags | SPNG_DECODE_PROGRESSIVE)) != 0)
        return spng_failure(rc, "image data", err);
    uint8_t *row = NULL;
    if (st->alpha && !(row = malloc((size_t)w * 4)))
        return fm_fail(err, FM_ERR_OUT_OF_MEMORY, "out of memory");
    for (;;) {
        struct spng_row_info info;
        if ((rc = spng_get_row_info(st->ctx, &info)) != 0)
            break;
        uint8_t *out = dst + (size_t)info.row_num * dst_stride;
        rc = spng_decode_row(st->ctx, row ? row : out, (size_t)w * bpp);
        if (rc != 0 && rc != SPNG_EOI)
            break;
        if (row)
            fm_convert_row(row, w, kind, d->options.background, out);
        if (rc == SPNG_EOI)
            break;
    }
    free(row);
    return rc == SPNG_EOI ? FM_OK : spng_failure(rc, "image data", err);
}

int32_t fm_png_open(fm_decoder *d, fm_error *err)
{
    int32_t status = check_ihdr(d->data, d->len, err);
    if (status)
        return status;
    png_state *st = calloc(1, sizeof *st);
    if (!st)
        return fm_fail(err, FM_ERR_OUT_OF_MEMORY, "out of memory");
    d->codec = st;
    d->destroy = png_destroy;
    d->decode = png_decode;
    if (!(st->ctx = spng_ctx_new(0)))
        return fm_fail(err, FM_ERR_OUT_OF_MEMORY, "cannot create a PNG decoder");

    const uint32_t max_dim = (uint32_t)d->options.max_dimension;
    const int64_t max_chunk = d->options.max_encoded_bytes < INT32_MAX ? d->options.max_encoded_bytes : INT32_MAX;
    const size_t cache = (size_t)max_chunk > FM_PNG_CHUNK_CACHE_LIMIT ? (size_t)max_chunk : FM_PNG_CHUNK_CACHE_LIMIT;
    int rc;
    if ((rc = spng_set_image_limits(st->ctx, max_dim, max_dim)) != 0 ||
        (rc = spng_set_chunk_limits(st->ctx, (size_t)max_chunk, cache)) != 0 ||
        (rc = spng_set_png_buffer(st->ctx, d->data, d->len)) != 0)
        return fm_fail(err, FM_ERR_INVALID_ARGUMENT, "PNG decoder setup rejected the limits: %s", spng_strerror(rc));

    struct spng_ihdr ihdr;
    if ((rc = spng_get_ihdr(st->ctx, &ihdr)) != 0)
        return spng_failure(rc, "header", err);
    status = fm_check_dimensions(&d->options, ihdr.width, ihdr.height, err);
    if (status)
        return status;

    struct spng_trns trns;
    rc = spng_get_trns(st->ctx, &trns);
    if (rc != 0 && rc != SPNG_ECHUNKAVAIL)
        return spng_failure(rc, "tRNS", err);
    st->alpha = rc == 0 || ihdr.color_type == SPNG_COLOR_TYPE_GRAYSCALE_ALPHA ||
                ihdr.color_type == SPNG_COLOR_TYPE_TRUECOLOR_ALPHA;
    st->interlaced = ihdr.interlace_method != SPNG_INTERLACE_NONE;

    int orientation = 1;
    if (!(d->options.flags & FM_DECODE_IGNORE_ORIENTATION)) {
        struct spng_exif exif;
        rc = spng_get_exif(st->ctx, &exif);
        if (rc == 0)
            orientation = fm_exif_orientation((const uint8_t *)exif.data, exif.length);
        else if (rc != SPNG_ECHUNKAVAIL)
            return spng_failure(rc, "eXIf", err);
    }

    switch (ihdr.color_type) {
    case SPNG_COLOR_TYPE_GRAYSCALE:
    case SPNG_COLOR_TYPE_GRAYSCALE_ALPHA: d->info.color_model = FM_COLOR_GRAY; break;
    case SPNG_COLOR_TYPE_INDEXED: d->info.color_model = FM_COLOR_PALETTE; break;
    default: d->info.color_model = FM_COLOR_RGB; break;
    }
    d->info.stored_width = (int32_t)ihdr.width;
    d->info.stored_height = (int32_t)ihdr.height;
    d->info.orientation = orientation;
    d->info.width = orientation >= 5 ? (int32_t)ihdr.height : (int32_t)ihdr.width;
    d->info.height = orientation >= 5 ? (int32_t)ihdr.width : (int32_t)ihdr.height;
    d->info.scale_denom = 1;
    d->info.bit_depth = ihdr.bit_depth;
    d->info.has_alpha = st->alpha;
    if (st->interlaced)
        d->info.flags |= FM_INFO_PROGRESSIVE;
    return FM_OK;
}
