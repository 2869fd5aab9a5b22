/* Reads the Orientation tag (0x0112) from IFD0 of an EXIF TIFF structure. Every offset is bounds-checked
   in 64-bit arithmetic: the data comes straight from untrusted files. */
#include "internal.h"

static unsigned rd16(const uint8_t *p, bool le) { return le ? (unsigned)(p[0] | p[1] << 8) : (unsigned)(p[0] << 8 | p[1]); }

static uint32_t rd32(const uint8_t *p, bool le)
{
    return le ? ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24)
              : ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3]);
}

int fm_exif_orientation(const uint8_t *tiff, size_t len)
{
    if (!tiff || len < 8)
        return 1;
    bool le;
    if (tiff[0] == 'I' && tiff[1] == 'I')
        le = true;
    else if (tiff[0] == 'M' && tiff[1] == 'M')
        le = false;
    else
        return 1;
    if (rd16(tiff + 2, le) != 42)
        return 1;
    uint64_t ifd = rd32(tiff + 4, le);
    if (ifd + 2 > len)
        return 1;
    unsigned entries = rd16(tiff + ifd, le);
    for (unsigned i = 0; i < entries; i++) {
        uint64_t e = ifd + 2 + 12ull * i;
        if (e + 12 > len)
            break;
        if (rd16(tiff + e, le) != 0x0112)
            continue;
        unsigned type = rd16(tiff + e + 2, le);
        uint32_t count = rd32(tiff + e + 4, le);
        if (count < 1)
            return 1;
        unsigned value;
        if (type == 3) /* SHORT: left-justified in the 4-byte value field */
            value = rd16(tiff + e + 8, le);
        else if (type == 4) /* LONG: not what the spec says, but some writers use it */
            value = rd32(tiff + e + 8, le);
        else
            return 1;
        return value >= 1 && value <= 8 ? (int)value : 1;
    }
    return 1;
}
