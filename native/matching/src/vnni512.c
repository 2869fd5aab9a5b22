/* int8 scoring on AVX-512 VNNI; see facematch_matching.h for the layout and the exactness argument. Compiled for
 * a baseline x86-64 target with per-function target attributes, so the library loads on any CPU and
 * fm_i8_vnni512_supported() decides whether the kernels may be called. */
#include "facematch_matching.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define FM_TARGET __attribute__((target("avx512f,avx512bw,avx512vnni")))

int fm_i8_vnni512_supported(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vnni");
}

/* The exact integer sum minus the bias, converted once. */
static inline FM_TARGET float finish(__m512i acc, int32_t row_sum) {
    return (float)(_mm512_reduce_add_epi32(acc) - (row_sum << 7));
}

float FM_TARGET fm_i8_vnni512_dot(const int8_t *row, const uint8_t *query, int32_t steps, int32_t row_sum) {
    __m512i a0 = _mm512_setzero_si512(), a1 = _mm512_setzero_si512();
    int32_t s = 0;
    for (; s + 2 <= steps; s += 2) {
        a0 = _mm512_dpbusd_epi32(a0, _mm512_loadu_si512(query + 64 * s), _mm512_loadu_si512(row + 64 * s));
        a1 = _mm512_dpbusd_epi32(a1, _mm512_loadu_si512(query + 64 * s + 64), _mm512_loadu_si512(row + 64 * s + 64));
    }
    if (s < steps) a0 = _mm512_dpbusd_epi32(a0, _mm512_loadu_si512(query + 64 * s), _mm512_loadu_si512(row + 64 * s));
    return finish(_mm512_add_epi32(a0, a1), row_sum);
}

void FM_TARGET fm_i8_vnni512_score1(const int8_t *block, ptrdiff_t stride, int32_t rows, const uint8_t *query,
                                    int32_t steps, float *scores, const int32_t *row_sums) {
    int32_t r = 0;
    for (; r + 4 <= rows; r += 4) {
        const int8_t *p0 = block + r * stride, *p1 = p0 + stride, *p2 = p1 + stride, *p3 = p2 + stride;
        __m512i a0 = _mm512_setzero_si512(), a1 = _mm512_setzero_si512();
        __m512i a2 = _mm512_setzero_si512(), a3 = _mm512_setzero_si512();
        for (int32_t s = 0; s < steps; s++) {
            __m512i q = _mm512_loadu_si512(query + 64 * s);
            a0 = _mm512_dpbusd_epi32(a0, q, _mm512_loadu_si512(p0 + 64 * s));
            a1 = _mm512_dpbusd_epi32(a1, q, _mm512_loadu_si512(p1 + 64 * s));
            a2 = _mm512_dpbusd_epi32(a2, q, _mm512_loadu_si512(p2 + 64 * s));
            a3 = _mm512_dpbusd_epi32(a3, q, _mm512_loadu_si512(p3 + 64 * s));
        }
        scores[r] = finish(a0, row_sums[r]);
        scores[r + 1] = finish(a1, row_sums[r + 1]);
        scores[r + 2] = finish(a2, row_sums[r + 2]);
        scores[r + 3] = finish(a3, row_sums[r + 3]);
    }
    for (; r < rows; r++) scores[r] = fm_i8_vnni512_dot(block + r * stride, query, steps, row_sums[r]);
}

/* Sums of two accumulators' halves side by side: [x.lo256 + x.hi256 | y.lo256 + y.hi256]. Integer sums are exact, so
 * any reduction order gives the same result; this one sums sixteen accumulators in four shuffle levels. */
static inline FM_TARGET __m512i halves(__m512i x, __m512i y) {
    return _mm512_add_epi32(_mm512_shuffle_i32x4(x, y, 0x44), _mm512_shuffle_i32x4(x, y, 0xEE));
}
static inline FM_TARGET __m512i quarters(__m512i x, __m512i y) {
    return _mm512_add_epi32(_mm512_shuffle_i32x4(x, y, 0x88), _mm512_shuffle_i32x4(x, y, 0xDD));
}
static inline FM_TARGET __m512i pairs(__m512i x, __m512i y) {
    return _mm512_add_epi32(_mm512_unpacklo_epi64(x, y), _mm512_unpackhi_epi64(x, y));
}
static inline FM_TARGET __m512i singles(__m512i x, __m512i y) {
    __m512 fx = _mm512_castsi512_ps(x), fy = _mm512_castsi512_ps(y);
    return _mm512_add_epi32(_mm512_castps_si512(_mm512_shuffle_ps(fx, fy, 0x88)),
                            _mm512_castps_si512(_mm512_shuffle_ps(fx, fy, 0xDD)));
}

void FM_TARGET fm_i8_vnni512_score4(const int8_t *block, ptrdiff_t stride, int32_t rows, const uint8_t *queries,
                                    ptrdiff_t query_pitch, int32_t steps, float *scores, int32_t score_pitch,
                                    const int32_t *row_sums) {
    const uint8_t *q0 = queries, *q1 = queries + query_pitch, *q2 = queries + 2 * query_pitch, *q3 = queries + 3 * query_pitch;
    int32_t r = 0;
    for (; r + 4 <= rows; r += 4) {
        const int8_t *p0 = block + r * stride, *p1 = p0 + stride, *p2 = p1 + stride, *p3 = p2 + stride;
        /* a[4 * row + query] */
        __m512i a[16];
        for (int i = 0; i < 16; i++) a[i] = _mm512_setzero_si512();
        for (int32_t s = 0; s < steps; s++) {
            __m512i y0 = _mm512_loadu_si512(q0 + 64 * s), y1 = _mm512_loadu_si512(q1 + 64 * s);
            __m512i y2 = _mm512_loadu_si512(q2 + 64 * s), y3 = _mm512_loadu_si512(q3 + 64 * s);
            __m512i x = _mm512_loadu_si512(p0 + 64 * s);
            a[0] = _mm512_dpbusd_epi32(a[0], y0, x); a[1] = _mm512_dpbusd_epi32(a[1], y1, x);
            a[2] = _mm512_dpbusd_epi32(a[2], y2, x); a[3] = _mm512_dpbusd_epi32(a[3], y3, x);
            x = _mm512_loadu_si512(p1 + 64 * s);
            a[4] = _mm512_dpbusd_epi32(a[4], y0, x); a[5] = _mm512_dpbusd_epi32(a[5], y1, x);
            a[6] = _mm512_dpbusd_epi32(a[6], y2, x); a[7] = _mm512_dpbusd_epi32(a[7], y3, x);
            x = _mm512_loadu_si512(p2 + 64 * s);
            a[8] = _mm512_dpbusd_epi32(a[8], y0, x); a[9] = _mm512_dpbusd_epi32(a[9], y1, x);
            a[10] = _mm512_dpbusd_epi32(a[10], y2, x); a[11] = _mm512_dpbusd_epi32(a[11], y3, x);
            x = _mm512_loadu_si512(p3 + 64 * s);
            a[12] = _mm512_dpbusd_epi32(a[12], y0, x); a[13] = _mm512_dpbusd_epi32(a[13], y1, x);
            a[14] = _mm512_dpbusd_epi32(a[14], y2, x); a[15] = _mm512_dpbusd_epi32(a[15], y3, x);
        }
        /* Lane 4j + t of the result holds accumulator j + 4t: quarter j is query j's four rows. */
        __m512i b0 = halves(a[0], a[1]), b1 = halves(a[2], a[3]), b2 = halves(a[4], a[5]), b3 = halves(a[6], a[7]);
        __m512i b4 = halves(a[8], a[9]), b5 = halves(a[10], a[11]), b6 = halves(a[12], a[13]), b7 = halves(a[14], a[15]);
        __m512i c0 = quarters(b0, b1), c1 = quarters(b2, b3), c2 = quarters(b4, b5), c3 = quarters(b6, b7);
        __m512i sum = singles(pairs(c0, c1), pairs(c2, c3));
        __m512i bias = _mm512_slli_epi32(_mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)(row_sums + r))), 7);
        __m512 tile = _mm512_cvtepi32_ps(_mm512_sub_epi32(sum, bias));
        float *c = scores + r;
        _mm_storeu_ps(c, _mm512_castps512_ps128(tile));
        _mm_storeu_ps(c + score_pitch, _mm512_extractf32x4_ps(tile, 1));
        _mm_storeu_ps(c + 2 * score_pitch, _mm512_extractf32x4_ps(tile, 2));
        _mm_storeu_ps(c + 3 * score_pitch, _mm512_extractf32x4_ps(tile, 3));
    }
    for (; r < rows; r++) {
        const int8_t *p = block + r * stride;
        __m512i a0 = _mm512_setzero_si512(), a1 = _mm512_setzero_si512(), a2 = _mm512_setzero_si512(), a3 = _mm512_setzero_si512();
        for (int32_t s = 0; s < steps; s++) {
            __m512i x = _mm512_loadu_si512(p + 64 * s);
            a0 = _mm512_dpbusd_epi32(a0, _mm512_loadu_si512(q0 + 64 * s), x);
            a1 = _mm512_dpbusd_epi32(a1, _mm512_loadu_si512(q1 + 64 * s), x);
            a2 = _mm512_dpbusd_epi32(a2, _mm512_loadu_si512(q2 + 64 * s), x);
            a3 = _mm512_dpbusd_epi32(a3, _mm512_loadu_si512(q3 + 64 * s), x);
        }
        scores[r] = finish(a0, row_sums[r]);
        scores[score_pitch + r] = finish(a1, row_sums[r]);
        scores[2 * score_pitch + r] = finish(a2, row_sums[r]);
        scores[3 * score_pitch + r] = finish(a3, row_sums[r]);
    }
}

#else /* not x86-64 with GCC/Clang: the path is never offered */
int fm_i8_vnni512_supported(void) { return 0; }
float fm_i8_vnni512_dot(const int8_t *row, const uint8_t *query, int32_t steps, int32_t row_sum) {
    (void)row; (void)query; (void)steps; (void)row_sum;
    return 0.0f;
}
void fm_i8_vnni512_score1(const int8_t *block, ptrdiff_t stride, int32_t rows, const uint8_t *query, int32_t steps,
                          float *scores, const int32_t *row_sums) {
    (void)block; (void)stride; (void)rows; (void)query; (void)steps; (void)scores; (void)row_sums;
}
void fm_i8_vnni512_score4(const int8_t *block, ptrdiff_t stride, int32_t rows, const uint8_t *queries, ptrdiff_t query_pitch,
                          int32_t steps, float *scores, int32_t score_pitch, const int32_t *row_sums) {
    (void)block; (void)stride; (void)rows; (void)queries; (void)query_pitch; (void)steps; (void)scores; (void)score_pitch;
    (void)row_sums;
}
#endif
