/* Recognises the container from its first bytes, so unsupported formats get a named error. */
#include "internal.h"

#include <string.h>

static bool starts(const uint8_t *d, size_t len, size_t at, const char *magic, size_t n)
{
    return len >= at + n && memcmp(d + at, magic, n) == 0;
}

int32_t fm_sniff(const uint8_t *d, size_t len, fm_format *format, fm_error *err)
{
    *format = FM_FORMAT_UNKNOWN;
    if (len >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF) {
        *format = FM_FORMAT_JPEG;
        return FM_OK;
    }
    if (starts(d, len, 0, "\x89PNG\r\n\x1a\n", 8)) {
        *format = FM_FORMAT_PNG;
        return FM_OK;
    }
    if (starts(d, len, 0, "RIFF", 4) && starts(d, len, 8, "WEBP", 4)) {
        *format = FM_FORMAT_WEBP;
        return FM_OK;
    }
    const char *name = NULL;
    if (starts(d, len, 0, "GIF87a", 6) || starts(d, len, 0, "GIF89a", 6))
        name = "GIF";
    else if (starts(d, len, 4, "ftypheic", 8) || starts(d, len, 4, "ftypheix", 8) ||
             starts(d, len, 4, "ftypmif1", 8) || starts(d, len, 4, "ftypmsf1", 8))
        name = "HEIF/HEIC";
    else if (starts(d, len, 4, "ftypavif", 8))
        name = "AVIF";
    else if (starts(d, len, 0, "BM", 2) && len >= 26)
        name = "BMP";
    else if (starts(d, len, 0, "II*\0", 4) || starts(d, len, 0, "MM\0*", 4))
        name = "TIFF";
    else if (starts(d, len, 0, "\xFF\x0A", 2) || starts(d, len, 0, "\0\0\0\x0CJXL ", 8))
        name = "JPEG XL";
    else if (starts(d, len, 0, "\0\0\0\x0CjP  ", 8))
        name = "JPEG 2000";
    if (name)
        return fm_fail(err, FM_ERR_UNSUPPORTED, "%s images are not supported (JPEG, PNG and WebP only)", name);
    return fm_fail(err, FM_ERR_UNKNOWN_FORMAT, "not a JPEG, PNG or WebP image (unrecognised leading bytes)");
}
