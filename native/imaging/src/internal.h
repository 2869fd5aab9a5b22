/* Helpers shared by the translation units of facematch_imaging; nothing here is exported. */
#ifndef FACEMATCH_IMAGING_INTERNAL_H
#define FACEMATCH_IMAGING_INTERNAL_H

#include "facematch_imaging.h"

#include <stdbool.h>

#if defined(__GNUC__)
#define FM_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define FM_PRINTF(f, a)
#endif

/* Records code and message in err (when non-null) and returns code, so callers can `return fm_fail(...)`. */
int32_t fm_fail(fm_error *err, int32_t code, const char *fmt, ...) FM_PRINTF(3, 4);
int32_t fm_ok(fm_error *err);

/* ---- format sniffing (sniff.c) ---- */
/* FM_OK with *format set for JPEG/PNG/WebP; FM_ERR_UNSUPPORTED naming GIF/HEIC/... ; FM_ERR_UNKNOWN_FORMAT. */
int32_t fm_sniff(const uint8_t *data, size_t len, fm_format *format, fm_error *err);

/* ---- EXIF (exif.c) ---- */
/* Orientation (1..8) from a TIFF structure ("II*\0" / "MM\0*" header onwards); 1 when absent or invalid. */
int fm_exif_orientation(const uint8_t *tiff, size_t len);

/* ---- JPEG marker walk (jpeg_layout.c) ---- */
typedef struct jpeg_layout {
    bool complete;        /* an EOI marker ends the last scan */
    bool malformed;       /* a marker segment with an impossible length */
    bool adobe;           /* APP14 "Adobe" present: CMYK samples are stored inverted */
    int orientation;      /* from the first APP1 Exif segment, 1 if none */
    int scans;            /* SOS markers seen */
    int sof;              /* frame marker (0xC0..0xCF) of the first SOF, 0 if none */
    int precision;        /* sample precision from that SOF */
} jpeg_layout;

void fm_jpeg_layout_scan(const uint8_t *data, size_t len, jpeg_layout *out);

/* ---- orientation-aware pixel copies (pixel_convert.c) ---- */
typedef enum src_kind {
    SRC_RGB8 = 0,          /* 3 bytes per pixel, copied */
    SRC_CMYK_INVERTED = 1, /* 4 bytes, Adobe convention: 255 = no ink */
    SRC_CMYK = 2,          /* 4 bytes, 255 = full ink */
    SRC_RGBA8 = 3          /* 4 bytes, composited onto background */
} src_kind;

/* Writes the EXIF-oriented version of a sw x sh source into dst. For orientations 5..8 dst is sh wide
   and sw high. */
void fm_orient_convert(const uint8_t *src, int sw, int sh, size_t src_stride, src_kind kind,
                       const uint8_t background[3], int orientation, uint8_t *dst, size_t dst_stride);

/* One row of a conversion without reorientation (used by the streaming PNG path). */
void fm_convert_row(const uint8_t *src, int width, src_kind kind, const uint8_t background[3], uint8_t *dst);

/* ---- decoder internals ---- */
struct fm_decoder {
    const uint8_t *data;
    size_t len;
    fm_decode_options options;
    fm_image_info info;
    bool used;
    int (*decode)(struct fm_decoder *self, uint8_t *dst, size_t dst_stride, fm_error *err);
    void (*destroy)(struct fm_decoder *self);
    void *codec;          /* codec-specific state */
};

int32_t fm_jpeg_open(struct fm_decoder *d, fm_error *err);
int32_t fm_png_open(struct fm_decoder *d, fm_error *err);
int32_t fm_webp_open(struct fm_decoder *d, fm_error *err);

/* Checks stored dimensions against the limits; FM_OK or FM_ERR_TOO_LARGE / FM_ERR_CORRUPT. */
int32_t fm_check_dimensions(const fm_decode_options *o, int64_t width, int64_t height, fm_error *err);

/* ---- shared validation ---- */
int32_t fm_check_image(const fm_image *img, const char *what, fm_error *err);

static inline int fm_clamp_int(int v, int lo, int hi) { return v < lo ? lo : (v > hi ? hi : v); }

#endif
