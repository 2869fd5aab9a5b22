/* Mutation fuzzer for the decoder and the pixel operations behind it, meant to run under AddressSanitizer
   and UBSan (see docs/vision-imaging.md). Seeds are generated with the library's own encoders (every JPEG,
   PNG and WebP flavour the decoder handles), then mutated deterministically: bit flips, truncations, random runs,
   header flips. Every call must return a status; ASan/UBSan abort on any memory or UB error, and
   LeakSanitizer reports anything an error path forgot to free.
   Usage: mutate_decode [iterations per seed, default 20000] [extra seed files...] */
#include "facematch_imaging.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned long long state = 88172645463325252ull;
static unsigned next_random(void)
{
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return (unsigned)state;
}

typedef struct seed { unsigned char *data; size_t len; const char *name; } seed;

static seed from_buffer(fm_buffer *b, const char *name)
{
    seed s = {malloc(b->len), b->len, name};
    memcpy(s.data, b->data, b->len);
    fm_buffer_free(b);
    return s;
}

static int make_seeds(seed *out)
{
    enum { W = 48, H = 40 };
    static unsigned char px[W * H * 4];
    for (int i = 0; i < W * H * 4; i++)
        px[i] = (unsigned char)(i * 7 + (i / (W * 4)) * 13);
    fm_buffer b;
    fm_error e;
    int n = 0;
    if (!fm_jpeg_encode(px, W, H, W * 3, FM_JPEG_PIXELS_RGB, 80, FM_JPEG_420, 0, &b, &e)) out[n++] = from_buffer(&b, "baseline 4:2:0");
    if (!fm_jpeg_encode(px, W, H, W * 3, FM_JPEG_PIXELS_RGB, 80, FM_JPEG_422, 1, &b, &e)) out[n++] = from_buffer(&b, "progressive 4:2:2");
    if (!fm_jpeg_encode(px, W, H, W * 4, FM_JPEG_PIXELS_CMYK, 80, FM_JPEG_444, 0, &b, &e)) out[n++] = from_buffer(&b, "cmyk");
    if (!fm_jpeg_encode(px, W, H, W, FM_JPEG_PIXELS_GRAY, 80, FM_JPEG_GRAYSCALE, 1, &b, &e)) out[n++] = from_buffer(&b, "grey progressive");
    fm_png_params rgba = {px, W, H, W * 4, 6, 8, 0, NULL, 0, NULL, 0, NULL, -1, 0};
    if (!fm_png_encode(&rgba, &b, &e)) out[n++] = from_buffer(&b, "png rgba");
    rgba.interlaced = 1;
    if (!fm_png_encode(&rgba, &b, &e)) out[n++] = from_buffer(&b, "png rgba adam7");
    static unsigned char indices[W * H], palette[12 * 3], alpha[4] = {0, 50, 100, 200};
    for (int i = 0; i < W * H; i++) indices[i] = (unsigned char)(px[i] % 12);
    for (int i = 0; i < 36; i++) palette[i] = (unsigned char)(i * 7);
    fm_png_params pal = {indices, W, H, W, 3, 8, 12, palette, 4, alpha, 0, NULL, -1, 0};
    if (!fm_png_encode(&pal, &b, &e)) out[n++] = from_buffer(&b, "png palette trns");
    fm_png_params g16 = {px, W / 2, H, W, 0, 16, 0, NULL, 0, NULL, 0, NULL, -1, 1};
    if (!fm_png_encode(&g16, &b, &e)) out[n++] = from_buffer(&b, "png grey16 adam7");
    if (!fm_webp_encode(px, W, H, W * 3, 3, 75, 0, &b, &e)) out[n++] = from_buffer(&b, "webp lossy");
    if (!fm_webp_encode(px, W, H, W * 4, 4, 0, 1, &b, &e)) out[n++] = from_buffer(&b, "webp lossless rgba");
    return n;
}

static void exercise(const unsigned char *px, const fm_image_info *info, int it)
{
    fm_image img = {(unsigned char *)px, info->width, info->height, info->width * 3};
    fm_tensor_format tf = {64, 48, it & 3, 0, {127.5f, 127.5f, 127.5f}, {1 / 127.5f, 1 / 127.5f, 1 / 127.5f}, {0, 0, 0}};
    static float tensor[64 * 48 * 3];
    fm_letterbox lb;
    fm_error e;
    double m[6] = {0.3, 0.1, 5, -0.1, 0.3, 2};
    fm_region_stats rs;
    if (fm_letterbox_f32(&img, &tf, tensor, 64 * 48 * 3, &lb, &e) || fm_warp_affine_f32(&img, m, &tf, 0, tensor, 64 * 48 * 3, &e) ||
        fm_region_stats_compute(&img, -3, -3, info->width, info->height, &rs, &e)) {
        fprintf(stderr, "pixel operation failed on a decoded image: %s\n", e.message);
        exit(1);
    }
}

int main(int argc, char **argv)
{
    const int iterations = argc > 1 ? atoi(argv[1]) : 20000;
    seed seeds[32];
    int n = make_seeds(seeds);
    for (int a = 2; a < argc && n < 32; a++) {
        FILE *f = fopen(argv[a], "rb");
        if (!f) continue;
        fseek(f, 0, SEEK_END);
        long len = ftell(f);
        fseek(f, 0, SEEK_SET);
        seeds[n] = (seed){malloc((size_t)len), (size_t)len, argv[a]};
        if (fread(seeds[n].data, 1, (size_t)len, f) == (size_t)len) n++;
        fclose(f);
    }
    long counts[16] = {0};
    for (int s = 0; s < n; s++) {
        unsigned char *d = malloc(seeds[s].len);
        for (int it = 0; it < iterations; it++) {
            size_t len = seeds[s].len;
            memcpy(d, seeds[s].data, len);
            switch (next_random() % 4) {
            case 0: for (unsigned k = next_random() % 8 + 1; k; k--) d[next_random() % len] ^= (unsigned char)(1u << (next_random() % 8)); break;
            case 1: len = next_random() % len + 1; break;
            case 2: {
                size_t at = next_random() % len, run = next_random() % 32 + 1;
                if (at + run > len) run = len - at;
                for (size_t i = 0; i < run; i++) d[at + i] = (unsigned char)next_random();
                break;
            }
            default: for (unsigned k = next_random() % 4 + 1; k; k--) d[next_random() % (len < 300 ? len : 300)] ^= (unsigned char)(1u << (next_random() % 8)); break;
            }
            fm_decode_options o = {20 << 20, 40000000, 16384, (int32_t)(next_random() % 3) * 64, 0,
                                   (int32_t)(next_random() % 8), {128, 128, 128, 0}};
            fm_decoder *dec;
            fm_image_info info;
            fm_error err;
            int rc = fm_decoder_open(d, len, &o, &dec, &info, &err);
            if (rc == FM_OK) {
                size_t size = (size_t)info.width * (size_t)info.height * 3;
                unsigned char *px = malloc(size);
                rc = fm_decoder_decode(dec, px, info.width * 3, size, &err);
                fm_decoder_close(dec);
                if (rc == FM_OK) exercise(px, &info, it);
                free(px);
            }
            if (rc < 0 || rc > 15) { fprintf(stderr, "unexpected status %d\n", rc); return 1; }
            counts[rc]++;
        }
        free(d);
    }
    for (int s = 0; s < n; s++)
        free(seeds[s].data); /* so LeakSanitizer's report covers only the library */
    printf("%d seeds x %d mutations:", n, iterations);
    for (int i = 0; i < 16; i++) if (counts[i]) printf(" status %d: %ld", i, counts[i]);
    printf("\n");
    return 0;
}
