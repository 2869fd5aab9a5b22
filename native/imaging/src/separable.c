/* The two passes of separable resampling; see separable.h. */
#include "separable.h"

#include <stdlib.h>
#if defined(__SSE__)
#include <xmmintrin.h>
#endif

void taps_free(filter_taps *t)
{
    free(t->start);
    free(t->count);
    free(t->weight);
}

/* out[i] = sum_k w[k] * rows[k][i] over the row's bytes: the vertical pass. Cloned for AVX2, where the CPU has it,
   so the loops run eight floats wide. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("avx2", "default")))
#endif
void combine_rows(const uint8_t *first_row, size_t stride, const float *w, int n, size_t len, float *out)
{
    for (size_t i = 0; i < len; i++)
        out[i] = w[0] * (float)first_row[i];
    for (int k = 1; k < n; k++) {
        const uint8_t *row = first_row + (size_t)k * stride;
        const float wk = w[k];
        for (size_t i = 0; i < len; i++)
            out[i] += wk * (float)row[i];
    }
}

/* The horizontal pass over one vertically combined row of RGB floats. in has one float of slack after its
   last pixel: a pixel is read as four floats (R, G, B and the next value, whose lane is discarded). */
void filter_row(const float *in, const filter_taps *tx, int out_w, float *out)
{
    for (int u = 0; u < out_w; u++) {
        const float *p = in + (size_t)tx->start[u] * 3;
        const float *w = tx->weight + (size_t)u * (size_t)tx->max_taps;
#if defined(__SSE__)
        __m128 acc = _mm_setzero_ps();
        for (int k = 0; k < tx->count[u]; k++, p += 3)
            acc = _mm_add_ps(acc, _mm_mul_ps(_mm_set1_ps(w[k]), _mm_loadu_ps(p)));
        float lanes[4];
        _mm_storeu_ps(lanes, acc);
        out[u * 3] = lanes[0], out[u * 3 + 1] = lanes[1], out[u * 3 + 2] = lanes[2];
#else
        float r = 0, g = 0, b = 0;
        for (int k = 0; k < tx->count[u]; k++, p += 3) {
            r += w[k] * p[0];
            g += w[k] * p[1];
            b += w[k] * p[2];
        }
        out[u * 3] = r, out[u * 3 + 1] = g, out[u * 3 + 2] = b;
#endif
    }
}

