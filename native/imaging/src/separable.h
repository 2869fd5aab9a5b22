/* Separable resampling shared by the letterbox and axis-aligned warps: per output index, a run of source
   indices with weights; an output row is the vertical combination of its source rows, filtered horizontally. */
#ifndef FACEMATCH_SEPARABLE_H
#define FACEMATCH_SEPARABLE_H

#include "tensor_write.h"

typedef struct filter_taps {
    int *start;     /* first source index per output index */
    int *count;
    float *weight;  /* max_taps weights per output index */
    int max_taps;
} filter_taps;

void taps_free(filter_taps *t);

/* out[i] = sum_k w[k] * row_k[i] for len bytes, row_k = first_row + k * stride (the vertical pass). */
void combine_rows(const uint8_t *first_row, size_t stride, const float *w, int n, size_t len, float *out);

/* out[u] = sum_k w[u][k] * in[start[u] + k] per RGB channel (the horizontal pass). in needs one float of slack
   after its last pixel. */
void filter_row(const float *in, const filter_taps *tx, int out_w, float *out);

#endif
