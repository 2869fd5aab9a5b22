/* PNG encoding with libspng, for debug output and for tests that need every PNG flavour (16-bit, palette,
   alpha, sub-byte grey, eXIf). Rows are fed one at a time so any stride works. */
#include "internal.h"

#include <spng.h>
#include <stdlib.h>
#include <string.h>

static int channels(int color_type)
{
    switch (color_type) {
    case 0: return 1;
    case 2: return 3;
    case 3: return 1;
    case 4: return 2;
    case 6: return 4;
    default: return 0;
    }
}

static bool depth_allowed(int color_type, int depth)
{
    switch (color_type) {
    case 0: return depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16;
    case 3: return depth == 1 || depth == 2 || depth == 4 || depth == 8;
    case 2:
    case 4:
    case 6: return depth == 8 || depth == 16;
    default: return false;
    }
}

int32_t fm_png_encode(const fm_png_params *p, fm_buffer *out, fm_error *err)
{
    if (!p || !out || !p->pixels)
        return fm_fail(err, FM_ERR_INVALID_ARGUMENT, "png: null argument");
    memset(out, 0, sizeof *out);
    if (p->width <= 0 || p->height <= 0)
        return fm_fail(err, FM_ERR_INVALID_ARGUMENT, "png: size %dx%d is empty", p->width, p->height);
    if (!depth_allowed(p->color_type, p->bit_depth))
        return fm_fail(err, FM_ERR_INVALID_ARGUMENT, "png: bit depth %d not allowed for colour type %d", p->bit_depth,
                       p->color_type);
    const size_t row_bytes = ((size_t)p->width * (size_t)channels(p->color_type) * (size_t)p->bit_depth + 7) / 8;
    if ((size_t)p->stride < row_bytes)
        return fm_fail(err, FM_ERR_INVALID_ARGUMENT, "png: stride %d shorter than a row (%zu bytes)", p->stride,
                       row_bytes);
    if (p->color_type == 3 && (p->palette_entries < 1 || p->palette_entries > 256 || !p->palette))
        return fm_fail(err, FM_ERR_INVALID_ARGUMENT, "png: indexed image needs 1..256 palette entries");
    if (p->palette_alpha_entries < 0 || p->palette_alpha_entries > p->palette_entries ||
        (p->palette_alpha_entries > 0 && !p->palette_alpha))
        return fm_fail(err, FM_ERR_INVALID_ARGUMENT, "png: palette alpha entries exceed the palette");
    if (p->exif_len < 0 || (p->exif_len > 0 && !p->exif))
        return fm_fail(err, FM_ERR_INVALID_ARGUMENT, "png: bad eXIf payload");

    spng_ctx *ctx = spng_ctx_new(SPNG_CTX_ENCODER);
    if (!ctx)
        return fm_fail(err, FM_ERR_OUT_OF_MEMORY, "png: cannot create an encoder");
    int rc = spng_set_option(ctx, SPNG_ENCODE_TO_BUFFER, 1);
    if (!rc && p->compression_level >= 0)
        rc = spng_set_option(ctx, SPNG_IMG_COMPRESSION_LEVEL, p->compression_level > 9 ? 9 : p->compression_level);
    struct spng_ihdr ihdr = {
        .width = (uint32_t)p->width,
        .height = (uint32_t)p->height,
        .bit_depth = (uint8_t)p->bit_depth,
        .color_type = (uint8_t)p->color_type,
        .interlace_method = (uint8_t)(p->interlaced ? SPNG_INTERLACE_ADAM7 : SPNG_INTERLACE_NONE),
    };
    if (!rc)
        rc = spng_set_ihdr(ctx, &ihdr);
    if (!rc && p->color_type == 3) {
        struct spng_plte plte = {.n_entries = (uint32_t)p->palette_entries};
        for (int i = 0; i < p->palette_entries; i++) {
            plte.entries[i].red = p->palette[i * 3];
            plte.entries[i].green = p->palette[i * 3 + 1];
            plte.entries[i].blue = p->palette[i * 3 + 2];
        }
        rc = spng_set_plte(ctx, &plte);
        if (!rc && p->palette_alpha_entries > 0) {
            struct spng_trns trns = {.n_type3_entries = (uint32_t)p->palette_alpha_entries};
            memcpy(trns.type3_alpha, p->palette_alpha, (size_t)p->palette_alpha_entries);
            rc = spng_set_trns(ctx, &trns);
        }
    }
    if (!rc && p->exif_len > 0) {
        struct spng_exif exif = {.length = (size_t)p->exif_len, .data = (char *)p->exif};
        rc = spng_set_exif(ctx, &exif);
    }
    if (!rc && p->interlaced) {
        /* Adam7 needs the whole image at once: spng takes it only as one contiguous block. */
        const size_t size = row_bytes * (size_t)p->height;
        uint8_t *packed = (size_t)p->stride == row_bytes ? NULL : malloc(size);
        if ((size_t)p->stride != row_bytes && !packed)
            rc = SPNG_EMEM;
        for (int y = 0; !rc && packed && y < p->height; y++)
            memcpy(packed + (size_t)y * row_bytes, p->pixels + (size_t)y * (size_t)p->stride, row_bytes);
        if (!rc)
            rc = spng_encode_image(ctx, packed ? packed : p->pixels, size, SPNG_FMT_PNG, SPNG_ENCODE_FINALIZE);
        free(packed);
    } else {
        if (!rc)
            rc = spng_encode_image(ctx, NULL, 0, SPNG_FMT_PNG, SPNG_ENCODE_PROGRESSIVE | SPNG_ENCODE_FINALIZE);
        for (int y = 0; !rc && y < p->height; y++)
            rc = spng_encode_row(ctx, p->pixels + (size_t)y * (size_t)p->stride, row_bytes);
    }
    if (rc != 0 && rc != SPNG_EOI) {
        spng_ctx_free(ctx);
        return fm_fail(err, rc == SPNG_EMEM ? FM_ERR_OUT_OF_MEMORY : FM_ERR_ENCODE, "png: encoding failed: %s",
                       spng_strerror(rc));
    }
    size_t len = 0;
    int buf_err = 0;
    void *png = spng_get_png_buffer(ctx, &len, &buf_err);
    spng_ctx_free(ctx);
    if (!png || buf_err)
        return fm_fail(err, FM_ERR_ENCODE, "png: no output: %s", spng_strerror(buf_err));
    out->data = png;
    out->len = len;
    out->owner = 0; /* malloc, per spng_get_png_buffer's contract with the default allocator */
    return fm_ok(err);
}
