/* libfacematch_matching.so: int8 scoring kernels on AVX-512 VNNI (512-bit VPDPBUSD), which .NET 10 has no
 * intrinsic for (it exposes VPDPBUSD on 128/256-bit registers only). P/Invoked by src/FaceMatch.Matching
 * (Kernels/NativeVnni512.cs) as the KernelPath.Avx512Vnni path.
 *
 * Layout, as the managed int8 kernels read it (src/FaceMatch.Matching/Kernels/RowLayout.cs): rows are signed int8,
 * zero-padded to whole 64-byte lines, `stride` bytes apart; a query is unsigned bytes, value + 128, padded the same
 * way; each row's element sum is in row_sums. A raw sum of (q + 128) * r therefore carries 128 * sum(r), which is
 * taken off in integers before the one conversion to float: every score is the exact integer dot product rounded
 * once, the same bits as every other int8 path. `steps` counts 64-byte steps (the padded length / 64).
 */
#ifndef FACEMATCH_MATCHING_H
#define FACEMATCH_MATCHING_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define FM_MATCHING_API __attribute__((visibility("default")))
#else
#define FM_MATCHING_API
#endif

/* 1 if this CPU has AVX-512 F, BW and VNNI (and the OS saves zmm state), else 0. Call before the others. */
FM_MATCHING_API int fm_i8_vnni512_supported(void);

/* Score of one row against one query. */
FM_MATCHING_API float fm_i8_vnni512_dot(const int8_t *row, const uint8_t *query, int32_t steps, int32_t row_sum);

/* Scores of `rows` consecutive rows against one query: scores[r]. */
FM_MATCHING_API void fm_i8_vnni512_score1(const int8_t *block, ptrdiff_t stride, int32_t rows, const uint8_t *query,
                                          int32_t steps, float *scores, const int32_t *row_sums);

/* Scores of `rows` rows against four queries (query j at queries + j * query_pitch), in 4 x 4 register tiles:
 * scores[j * score_pitch + r]. */
FM_MATCHING_API void fm_i8_vnni512_score4(const int8_t *block, ptrdiff_t stride, int32_t rows, const uint8_t *queries,
                                          ptrdiff_t query_pitch, int32_t steps, float *scores, int32_t score_pitch,
                                          const int32_t *row_sums);

#endif
