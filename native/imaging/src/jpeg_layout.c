/* Walks the JPEG marker structure without decoding: finds the EXIF orientation and the Adobe marker, and
   decides whether the stream is complete (ends with EOI). libjpeg only warns about a premature end and
   pads the image with grey, so truncation is established here, before decoding, from the structure. */
#include "internal.h"

#include <string.h>

void fm_jpeg_layout_scan(const uint8_t *d, size_t n, jpeg_layout *out)
{
    memset(out, 0, sizeof *out);
    out->orientation = 1;
    bool have_exif = false;
    size_t pos = 2; /* after SOI */
    for (;;) {
        /* Find the next marker prefix; bytes before it are garbage that libjpeg skips with a warning. */
        const uint8_t *ff = pos < n ? memchr(d + pos, 0xFF, n - pos) : NULL;
        if (!ff)
            return;
        pos = (size_t)(ff - d);
        while (pos < n && d[pos] == 0xFF)
            pos++;
        if (pos >= n)
            return;
        uint8_t marker = d[pos++];
        if (marker == 0xD9) { /* EOI */
            out->complete = true;
            return;
        }
        if (marker == 0x00 || marker == 0x01 || marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7))
            continue; /* stuffed byte, TEM, SOI, RSTn: no length field */
        if (pos + 2 > n)
            return;
        size_t seg_len = (size_t)d[pos] << 8 | d[pos + 1];
        if (seg_len < 2) {
            out->malformed = true;
            return;
        }
        if (pos + seg_len > n)
            return;
        const uint8_t *seg = d + pos + 2;
        size_t body = seg_len - 2;
        if (marker == 0xE1 && !have_exif && body >= 6 && memcmp(seg, "Exif\0\0", 6) == 0) {
            have_exif = true;
            out->orientation = fm_exif_orientation(seg + 6, body - 6);
        } else if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC &&
                   out->sof == 0 && body >= 1) {
            out->sof = marker;
            out->precision = seg[0];
        } else if (marker == 0xEE && body >= 5 && memcmp(seg, "Adobe", 5) == 0) {
            out->adobe = true;
        }
        pos += seg_len;
        if (marker != 0xDA)
            continue;
        /* Entropy-coded data follows SOS up to the next marker that is neither stuffing nor RSTn. */
        out->scans++;
        for (;;) {
            ff = pos < n ? memchr(d + pos, 0xFF, n - pos) : NULL;
            if (!ff || (size_t)(ff - d) + 1 >= n)
                return;
            pos = (size_t)(ff - d);
            uint8_t next = d[pos + 1];
            if (next == 0x00 || (next >= 0xD0 && next <= 0xD7))
                pos += 2;
            else if (next == 0xFF)
                pos += 1;
            else
                break;
        }
    }
}
