/*
 * facematch_imaging: image decoding, encoding and pixel operations for FaceMatch.Vision.
 *
 * Every entry point is reentrant and keeps no global state, so the managed side may call it from any
 * number of threads at once. Memory passed in is owned by the caller; the library never keeps a pointer
 * beyond the call that received it, except fm_decoder, which reads the encoded bytes given to
 * fm_decoder_open until fm_decoder_close.
 *
 * Coordinates (see docs/vision-imaging.md): continuous image coordinates with the origin at the top-left
 * corner of the top-left pixel; pixel (i, j) covers [i, i+1) x [j, j+1) and its centre is (i + 0.5, j + 0.5).
 * Affine matrices map SOURCE coordinates to DESTINATION coordinates (x' = a*x + b*y + c, y' = d*x + e*y + f);
 * warps invert them internally.
 *
 * The C# declarations in src/FaceMatch.Vision/Imaging/Native/ mirror these structs field by field.
 */
#ifndef FACEMATCH_IMAGING_H
#define FACEMATCH_IMAGING_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define FM_API __declspec(dllexport)
#else
#define FM_API __attribute__((visibility("default")))
#endif

/* Bumped whenever a struct layout or signature below changes; the managed side checks it at load. */
#define FM_ABI_VERSION 3

typedef enum fm_status {
    FM_OK = 0,
    FM_ERR_EMPTY = 1,             /* zero-length input */
    FM_ERR_UNKNOWN_FORMAT = 2,    /* neither JPEG nor PNG, nor a recognised other format */
    FM_ERR_CORRUPT = 3,           /* structurally invalid data */
    FM_ERR_TOO_LARGE = 4,         /* exceeds a configured limit (bytes, pixels, dimension) */
    FM_ERR_TRUNCATED = 5,         /* data ends before the image does */
    FM_ERR_UNSUPPORTED = 6,       /* a recognised format or feature this library does not decode */
    FM_ERR_OUT_OF_MEMORY = 7,
    FM_ERR_INVALID_ARGUMENT = 8,  /* caller error: null pointer, bad size, singular matrix ... */
    FM_ERR_BUFFER_TOO_SMALL = 9,  /* destination smaller than the operation needs */
    FM_ERR_ENCODE = 10            /* the encoder failed */
} fm_status;

/* Filled by every fallible call when non-null. message is NUL-terminated ASCII, never contains pixel data. */
typedef struct fm_error {
    int32_t code;
    char message[252];
} fm_error;

typedef enum fm_format { FM_FORMAT_UNKNOWN = 0, FM_FORMAT_JPEG = 1, FM_FORMAT_PNG = 2, FM_FORMAT_WEBP = 3 } fm_format;

typedef enum fm_color_model {
    FM_COLOR_GRAY = 1,
    FM_COLOR_RGB = 2,      /* JPEG YCbCr or RGB, PNG truecolour */
    FM_COLOR_CMYK = 3,     /* JPEG CMYK (Adobe) */
    FM_COLOR_YCCK = 4,     /* JPEG YCCK (Adobe) */
    FM_COLOR_PALETTE = 5   /* PNG indexed */
} fm_color_model;

/* fm_decode_options.flags */
#define FM_DECODE_IGNORE_ORIENTATION 1  /* leave pixels as stored, ignoring EXIF Orientation */
#define FM_DECODE_ALLOW_TRUNCATED    2  /* JPEG without EOI: decode what is there (libjpeg fills the rest) */
#define FM_DECODE_STRICT_JPEG        4  /* any libjpeg warning (corrupt entropy data) is an error */

typedef struct fm_decode_options {
    int64_t max_encoded_bytes;
    int64_t max_pixels;        /* width * height as stored in the header, checked before any allocation */
    int32_t max_dimension;     /* each of width and height as stored */
    int32_t min_long_side;     /* scaled JPEG decode: smallest 1/1, 1/2, 1/4, 1/8 whose output keeps */
    int32_t min_short_side;    /*   long side >= min_long_side and short side >= min_short_side (0 = any) */
    int32_t flags;
    uint8_t background[4];     /* RGB that alpha is composited onto; [3] unused */
} fm_decode_options;

/* fm_image_info.flags */
#define FM_INFO_TRUNCATED   1   /* decoding a truncated JPEG was allowed; the tail is filler */
#define FM_INFO_PROGRESSIVE 2   /* progressive JPEG or interlaced PNG */
#define FM_INFO_ADOBE_CMYK  4   /* CMYK/YCCK read as Adobe-inverted */

typedef struct fm_image_info {
    int32_t format;            /* fm_format */
    int32_t stored_width;      /* as in the header */
    int32_t stored_height;
    int32_t width;             /* output: after scaling and orientation */
    int32_t height;
    int32_t scale_denom;       /* output is 1/scale_denom of the stored size (before orientation) */
    int32_t orientation;       /* EXIF orientation applied, 1..8 (1 when absent or ignored) */
    int32_t color_model;       /* fm_color_model */
    int32_t bit_depth;
    int32_t has_alpha;
    int32_t flags;
    int32_t reserved;
} fm_image_info;

typedef struct fm_decoder fm_decoder;

/* Parses headers and checks limits; allocates nothing proportional to the image. On success *out must be
   released with fm_decoder_close, and data must stay valid until then. */
FM_API int32_t fm_decoder_open(const uint8_t *data, size_t len, const fm_decode_options *options,
                               fm_decoder **out, fm_image_info *info, fm_error *err);

/* Decodes into dst (RGB8 interleaved, info.width x info.height, rows dst_stride bytes apart). At most once
   per decoder. dst_len must cover (height - 1) * dst_stride + width * 3 bytes. */
FM_API int32_t fm_decoder_decode(fm_decoder *decoder, uint8_t *dst, int32_t dst_stride, size_t dst_len,
                                 fm_error *err);

FM_API void fm_decoder_close(fm_decoder *decoder);

/* ---- Pixel operations ---------------------------------------------------------------------------- */

typedef struct fm_image {
    uint8_t *data;             /* RGB8 interleaved (const for sources) */
    int32_t width;
    int32_t height;
    int32_t stride;            /* bytes between rows, >= width * 3 */
} fm_image;

/* fm_tensor_format.flags */
#define FM_TENSOR_NCHW 1        /* planar: all R, then all G, then all B (default NHWC interleaved) */
#define FM_TENSOR_BGR  2        /* channel order B, G, R (default R, G, B) */

/* out = (value - mean[c]) * scale[c], value in 0..255; mean/scale are given in R, G, B order. */
typedef struct fm_tensor_format {
    int32_t width;
    int32_t height;
    int32_t flags;
    int32_t reserved;
    float mean[3];
    float scale[3];
    float fill[3];             /* raw 0..255 RGB for padding / out-of-image samples, normalised like pixels */
} fm_tensor_format;

/* Letterbox: tensor = source * scale + offset per axis (continuous coordinates). */
typedef struct fm_letterbox {
    float scale_x;
    float scale_y;
    float offset_x;
    float offset_y;
    int32_t content_x;         /* the rectangle of the tensor covered by the image */
    int32_t content_y;
    int32_t content_width;
    int32_t content_height;
} fm_letterbox;

/* Fits src into the tensor keeping aspect ratio, centred, padding with fill. Resampling is bilinear
   (triangle filter), widened to the scale factor when shrinking so that downscaling averages instead of
   aliasing. dst holds width*height*3 floats (dst_len counts floats). */
FM_API int32_t fm_letterbox_f32(const fm_image *src, const fm_tensor_format *format, float *dst, size_t dst_len,
                                fm_letterbox *out, fm_error *err);

/* Affine warp: dst(p) = src(M^-1 p) sampled bilinearly at pixel centres; samples outside the source take
   fill. matrix = {a, b, c, d, e, f} maps source to destination. supersample: n x n samples per output
   pixel, averaged (1 = plain bilinear; 0 = automatic, ceil(1/scale) capped at 4, for strong shrinking). */
FM_API int32_t fm_warp_affine_f32(const fm_image *src, const double matrix[6], const fm_tensor_format *format,
                                  int32_t supersample, float *dst, size_t dst_len, fm_error *err);

FM_API int32_t fm_warp_affine_rgb8(const fm_image *src, const double matrix[6], const uint8_t fill[3],
                                   int32_t supersample, fm_image *dst, fm_error *err);

/* An image of exactly the tensor's width and height into the tensor (layout and normalisation only). */
FM_API int32_t fm_image_to_f32(const fm_image *src, const fm_tensor_format *format, float *dst, size_t dst_len,
                               fm_error *err);

/* Warps take two shortcuts: axis-aligned ones (crops, resizes) run as two separable passes, others use AVX2 where
   the CPU has it. Both compute the reference's samples (portable C, one sample at a time) and agree with it to
   float rounding. mode 0 makes the calling thread use only the reference, -1 restores the shortcuts; returns the
   previous mode. Per thread, so tests can compare the paths without touching other callers. */
FM_API int32_t fm_simd_override(int32_t mode);

/* Luma Y = (77 R + 150 G + 29 B + 128) >> 8 (BT.601 weights in 8-bit fixed point). */
FM_API int32_t fm_rgb_to_gray(const fm_image *src, uint8_t *dst, int32_t dst_stride, size_t dst_len, fm_error *err);

typedef struct fm_region_stats {
    double mean_luma;          /* 0..255 */
    double luma_stddev;
    double laplacian_variance; /* variance of the 4-neighbour Laplacian over the region's interior */
    double dark_fraction;      /* share of pixels with luma <= 16 */
    double bright_fraction;    /* share of pixels with luma >= 239 */
    int64_t pixel_count;
} fm_region_stats;

/* Statistics over the rectangle [x, x+w) x [y, y+h), clipped to the image (an empty result is an error). */
FM_API int32_t fm_region_stats_compute(const fm_image *src, int32_t x, int32_t y, int32_t w, int32_t h,
                                       fm_region_stats *out, fm_error *err);

/* ---- Encoders ------------------------------------------------------------------------------------ */

typedef struct fm_buffer {
    uint8_t *data;
    size_t len;
    int32_t owner;             /* internal: which allocator to release with */
    int32_t reserved;
} fm_buffer;

FM_API void fm_buffer_free(fm_buffer *buffer);

typedef struct fm_png_params {
    const uint8_t *pixels;     /* rows in PNG sample layout; 16-bit samples in host byte order */
    int32_t width;
    int32_t height;
    int32_t stride;
    int32_t color_type;        /* PNG colour type: 0 gray, 2 RGB, 3 indexed, 4 gray+alpha, 6 RGBA */
    int32_t bit_depth;         /* 1, 2, 4, 8, 16 as PNG allows for the colour type */
    int32_t palette_entries;   /* indexed: number of RGB triplets in palette */
    const uint8_t *palette;
    int32_t palette_alpha_entries; /* tRNS for indexed images (0 = none) */
    const uint8_t *palette_alpha;
    int32_t exif_len;          /* eXIf chunk payload (TIFF header onwards), 0 = none */
    const uint8_t *exif;
    int32_t compression_level; /* zlib level 0..9, -1 = default */
    int32_t interlaced;        /* 1 = Adam7 */
} fm_png_params;

FM_API int32_t fm_png_encode(const fm_png_params *params, fm_buffer *out, fm_error *err);

typedef enum fm_jpeg_pixels { FM_JPEG_PIXELS_RGB = 0, FM_JPEG_PIXELS_GRAY = 1, FM_JPEG_PIXELS_CMYK = 2 } fm_jpeg_pixels;
typedef enum fm_jpeg_subsampling {
    FM_JPEG_444 = 0, FM_JPEG_422 = 1, FM_JPEG_420 = 2, FM_JPEG_GRAYSCALE = 3
} fm_jpeg_subsampling;

/* CMYK input is written as is, with an Adobe marker: by Adobe convention the stored values are inverted
   (255 = no ink), and the decoder reads them back that way. */
FM_API int32_t fm_jpeg_encode(const uint8_t *pixels, int32_t width, int32_t height, int32_t stride,
                              int32_t pixel_kind, int32_t quality, int32_t subsampling, int32_t progressive,
                              fm_buffer *out, fm_error *err);

/* RGB (channels 3) or RGBA (4) pixels; lossy at quality 0..100, or lossless when lossless != 0 (quality ignored). */
FM_API int32_t fm_webp_encode(const uint8_t *pixels, int32_t width, int32_t height, int32_t stride, int32_t channels,
                              int32_t quality, int32_t lossless, fm_buffer *out, fm_error *err);

FM_API int32_t fm_abi_version(void);

/* sizeof of each struct above, so the managed side can verify its mirrors: 0 fm_error, 1 fm_decode_options,
   2 fm_image_info, 3 fm_image, 4 fm_tensor_format, 5 fm_letterbox, 6 fm_region_stats, 7 fm_buffer,
   8 fm_png_params; -1 for anything else. */
FM_API int32_t fm_struct_size(int32_t which);

#ifdef __cplusplus
}
#endif

#endif
