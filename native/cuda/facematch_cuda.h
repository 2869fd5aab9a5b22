/* FaceMatch CUDA 1:N scan: C API P/Invoked by FaceMatch.Matching (Gpu/CudaNative.cs).
 *
 * A gallery mirror holds a float32 row-major matrix on the device (rows padded to `stride` floats, padding zero,
 * vectors L2-normalised by the caller) and one tombstone byte per row. fm_cuda_search returns, per query, the k
 * best (score, row) pairs by score descending then row ascending (the CPU path's order); slots past the number of
 * live rows hold row -1. Every function returns 0 on success or a nonzero code; fm_cuda_last_error() describes
 * the last failure on the calling thread.
 *
 * UNTESTED ON HARDWARE: written without nvcc or a GPU. */
#ifndef FACEMATCH_CUDA_H
#define FACEMATCH_CUDA_H

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define FM_CUDA_API __attribute__((visibility("default")))
#else
#define FM_CUDA_API
#endif

/* Largest k fm_cuda_search accepts. */
#define FM_CUDA_MAX_K 1024

typedef struct fm_cuda_gallery fm_cuda_gallery;

FM_CUDA_API int fm_cuda_device_count(int* count);
FM_CUDA_API const char* fm_cuda_last_error(void);

FM_CUDA_API int fm_cuda_gallery_create(int device, int stride_floats, int capacity_rows, fm_cuda_gallery** out);
FM_CUDA_API void fm_cuda_gallery_destroy(fm_cuda_gallery* gallery);

/* Copies rows [first_row, first_row + rows) from host memory (rows * stride floats). */
FM_CUDA_API int fm_cuda_gallery_upload(fm_cuda_gallery* gallery, int first_row, int rows, const float* data);

/* Copies tombstone flags (1 = removed) for rows [first_row, first_row + rows). */
FM_CUDA_API int fm_cuda_gallery_set_dead(fm_cuda_gallery* gallery, int first_row, int rows, const unsigned char* dead);

/* Scans rows [0, rows) for nq queries (nq * stride floats, padded like the rows) and writes nq * k results. */
FM_CUDA_API int fm_cuda_search(fm_cuda_gallery* gallery, int rows, const float* queries, int nq, int k,
                               float* out_scores, int* out_rows);

#ifdef __cplusplus
}
#endif

#endif
