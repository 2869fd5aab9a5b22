/* Random warps over sources that end exactly at a page boundary followed by an inaccessible guard page, so any
   read past the last pixel (the AVX2 kernel gathers four bytes at a time) faults at once; AddressSanitizer
   cannot see into gathers, this can. Each warp also runs on the reference path, and the two must agree to
   float rounding. Usage: warp_guard [iterations, default 20000] */
#include "facematch_imaging.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static unsigned long long state = 0x9E3779B97F4A7C15ull;
static double uniform(void)
{
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return (double)(state >> 11) / 9007199254740992.0;
}

/* width x height RGB8 pixels whose last byte sits just before a PROT_NONE page. */
static uint8_t *guarded_pixels(int width, int height, int stride, void **mapping, size_t *mapped)
{
    const size_t page = (size_t)sysconf(_SC_PAGESIZE);
    const size_t bytes = (size_t)(height - 1) * (size_t)stride + (size_t)width * 3;
    const size_t pages = (bytes + page - 1) / page + 1;
    uint8_t *base = mmap(NULL, pages * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED)
        return NULL;
    mprotect(base + (pages - 1) * page, page, PROT_NONE);
    uint8_t *pixels = base + (pages - 1) * page - bytes;
    for (size_t i = 0; i < bytes; i++)
        pixels[i] = (uint8_t)(uniform() * 256);
    *mapping = base;
    *mapped = pages * page;
    return pixels;
}

int main(int argc, char **argv)
{
    const long iterations = argc > 1 ? atol(argv[1]) : 20000;
    float *fast = malloc(sizeof(float) * 64 * 64 * 3), *reference = malloc(sizeof(float) * 64 * 64 * 3);
    double worst = 0;
    for (long it = 0; it < iterations; it++) {
        const int w = 2 + (int)(uniform() * 70), h = 2 + (int)(uniform() * 70), stride = w * 3 + (int)(uniform() * 2) * 5;
        void *mapping;
        size_t mapped;
        uint8_t *pixels = guarded_pixels(w, h, stride, &mapping, &mapped);
        if (!pixels)
            return 2;
        fm_image src = {pixels, w, h, stride};
        const int ow = 1 + (int)(uniform() * 40), oh = 1 + (int)(uniform() * 40);
        /* Scale 0.2..3, any angle (axis-aligned a quarter of the time), placed so the bottom-right corner of the
           source lands inside the output, where the last pixels get read. */
        const double scale = 0.2 + uniform() * 2.8, angle = uniform() < 0.25 ? 0.0 : uniform() * 6.283185307179586;
        const double a = scale * cos(angle), b = -scale * sin(angle), d = scale * sin(angle), e = scale * cos(angle);
        const double tx = uniform() * ow - (a * w + b * h), ty = uniform() * oh - (d * w + e * h);
        const double m[6] = {a, b, tx, d, e, ty};
        fm_tensor_format format = {.width = ow, .height = oh, .scale = {1, 1, 1}, .fill = {7, 77, 177}};
        fm_error err;
        const int32_t ss = (int32_t)(uniform() * 4);
        if (fm_warp_affine_f32(&src, m, &format, ss, fast, 64 * 64 * 3, &err) != FM_OK)
            return fprintf(stderr, "warp failed: %s\n", err.message), 1;
        fm_simd_override(0);
        fm_warp_affine_f32(&src, m, &format, ss, reference, 64 * 64 * 3, &err);
        fm_simd_override(-1);
        for (int i = 0; i < ow * oh * 3; i++)
            worst = fmax(worst, fabs((double)fast[i] - reference[i]));
        munmap(mapping, mapped);
    }
    printf("%ld warps, largest difference from the reference %.5f grey levels\n", iterations, worst);
    free(fast);
    free(reference);
    return worst <= 0.02 ? 0 : 1;
}
