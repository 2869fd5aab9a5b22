// FaceMatch CUDA 1:N top-k scan over a float32 gallery mirror. See facematch_cuda.h for the contract.
//
// UNTESTED ON HARDWARE: this was written on a machine without nvcc or a GPU. It is kept out of the default
// build (root CMakeLists.txt adds it only with -DFACEMATCH_CUDA=ON), and the C# side uses it only when the
// library loads and a device is present.
//
// Two kernels per search:
//   1. score_slice_topk: grid (slices, queries). A block scores SLICE_ROWS consecutive rows against one query
//      (one warp per row, float4 loads, shuffle reduction) into shared memory, then selects that slice's k best
//      by k rounds of block-wide argmax, writing k candidates per (query, slice).
//   2. merge_topk: one block per query selects the final k from all slices' candidates the same way.
// Order: score descending, then row ascending (the CPU path's tie-break), so results match the CPU's up to
// float summation order.

#include "facematch_cuda.h"

#include <cuda_runtime.h>
#include <math_constants.h>

#include <climits>
#include <cstddef>
#include <cstdio>
#include <cstdlib>

namespace {

constexpr int kSliceRows = 2048;
constexpr int kBlockThreads = 256;
constexpr int kWarps = kBlockThreads / 32;

thread_local char g_error[512] = "";

int fail(const char* what, cudaError_t e)
{
    std::snprintf(g_error, sizeof g_error, "%s: %s", what, cudaGetErrorString(e));
    return e == cudaSuccess ? -1 : static_cast<int>(e);
}

int fail_msg(const char* message)
{
    std::snprintf(g_error, sizeof g_error, "%s", message);
    return -1;
}

// (score, row) ordering shared by both kernels: higher score first, lower row on ties.
__device__ __forceinline__ bool better(float s, int r, float best_s, int best_r)
{
    return s > best_s || (s == best_s && r < best_r);
}

// Block-wide argmax of one (score, row, position) triple per thread; the result lands in thread 0's arguments.
__device__ __forceinline__ void block_best(float& s, int& r, int& pos, float* sh_s, int* sh_r, int* sh_p)
{
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    for (int off = 16; off > 0; off >>= 1)
    {
        float os = __shfl_xor_sync(0xffffffffu, s, off);
        int orow = __shfl_xor_sync(0xffffffffu, r, off);
        int opos = __shfl_xor_sync(0xffffffffu, pos, off);
        if (better(os, orow, s, r)) { s = os; r = orow; pos = opos; }
    }
    if (lane == 0) { sh_s[warp] = s; sh_r[warp] = r; sh_p[warp] = pos; }
    __syncthreads();
    if (threadIdx.x == 0)
    {
        for (int w = 1; w < kWarps; w++)
            if (better(sh_s[w], sh_r[w], s, r)) { s = sh_s[w]; r = sh_r[w]; pos = sh_p[w]; }
    }
}

__global__ void __launch_bounds__(kBlockThreads)
score_slice_topk(const float* __restrict__ rows, const unsigned char* __restrict__ dead, int n, int stride,
                 const float* __restrict__ queries, int k, float* __restrict__ cand_scores, int* __restrict__ cand_rows)
{
    extern __shared__ float s_scores[]; // kSliceRows
    __shared__ float sh_s[kWarps];
    __shared__ int sh_r[kWarps];
    __shared__ int sh_p[kWarps];

    const int slice = blockIdx.x;
    const int q = blockIdx.y;
    const int first = slice * kSliceRows;
    const int count = min(kSliceRows, n - first);
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const float4* query = reinterpret_cast<const float4*>(queries + static_cast<size_t>(q) * stride);
    const int vecs = stride / 4; // stride is a multiple of 16 floats (64-byte rows)

    for (int i = warp; i < kSliceRows; i += kWarps)
    {
        float acc = 0.f;
        if (i < count)
        {
            const float4* row = reinterpret_cast<const float4*>(rows + static_cast<size_t>(first + i) * stride);
            for (int j = lane; j < vecs; j += 32)
            {
                float4 a = row[j];
                float4 b = __ldg(query + j);
                acc = fmaf(a.x, b.x, acc);
                acc = fmaf(a.y, b.y, acc);
                acc = fmaf(a.z, b.z, acc);
                acc = fmaf(a.w, b.w, acc);
            }
            for (int off = 16; off > 0; off >>= 1) acc += __shfl_xor_sync(0xffffffffu, acc, off);
        }
        if (lane == 0) s_scores[i] = (i < count && dead[first + i] == 0) ? acc : -CUDART_INF_F;
    }
    __syncthreads();

    const size_t base = (static_cast<size_t>(q) * gridDim.x + slice) * k;
    for (int round = 0; round < k; round++)
    {
        float best = -CUDART_INF_F;
        int best_row = INT_MAX, best_pos = -1;
        for (int i = threadIdx.x; i < kSliceRows; i += kBlockThreads)
        {
            float s = s_scores[i];
            if (s != -CUDART_INF_F && better(s, first + i, best, best_row)) { best = s; best_row = first + i; best_pos = i; }
        }
        block_best(best, best_row, best_pos, sh_s, sh_r, sh_p);
        if (threadIdx.x == 0)
        {
            cand_scores[base + round] = best;
            cand_rows[base + round] = best_pos < 0 ? INT_MAX : best_row;
            if (best_pos >= 0) s_scores[best_pos] = -CUDART_INF_F;
        }
        __syncthreads();
    }
}

__global__ void __launch_bounds__(kBlockThreads)
merge_topk(float* __restrict__ cand_scores, const int* __restrict__ cand_rows, int per_query, int k,
           float* __restrict__ out_scores, int* __restrict__ out_rows)
{
    __shared__ float sh_s[kWarps];
    __shared__ int sh_r[kWarps];
    __shared__ int sh_p[kWarps];

    const int q = blockIdx.x;
    float* cs = cand_scores + static_cast<size_t>(q) * per_query;
    const int* cr = cand_rows + static_cast<size_t>(q) * per_query;

    for (int round = 0; round < k; round++)
    {
        float best = -CUDART_INF_F;
        int best_row = INT_MAX, best_pos = -1;
        for (int i = threadIdx.x; i < per_query; i += kBlockThreads)
        {
            float s = cs[i];
            int r = cr[i];
            if (s != -CUDART_INF_F && better(s, r, best, best_row)) { best = s; best_row = r; best_pos = i; }
        }
        block_best(best, best_row, best_pos, sh_s, sh_r, sh_p);
        if (threadIdx.x == 0)
        {
            out_scores[static_cast<size_t>(q) * k + round] = best;
            out_rows[static_cast<size_t>(q) * k + round] = best_pos < 0 ? -1 : best_row;
            if (best_pos >= 0) cs[best_pos] = -CUDART_INF_F;
        }
        __syncthreads(); // also makes thread 0's global write visible to the block's next round
    }
}

template <typename T>
int ensure(T** buffer, size_t* capacity, size_t needed, const char* what)
{
    if (*capacity >= needed) return 0;
    if (*buffer) cudaFree(*buffer);
    *buffer = nullptr;
    *capacity = 0;
    cudaError_t e = cudaMalloc(reinterpret_cast<void**>(buffer), needed * sizeof(T));
    if (e != cudaSuccess) return fail(what, e);
    *capacity = needed;
    return 0;
}

} // namespace

struct fm_cuda_gallery
{
    int device;
    int stride;
    int capacity;
    float* rows;
    unsigned char* dead;
    cudaStream_t stream;
    float* queries; size_t queries_cap;
    float* cand_scores; size_t cand_scores_cap;
    int* cand_rows; size_t cand_rows_cap;
    float* out_scores; size_t out_scores_cap;
    int* out_rows; size_t out_rows_cap;
};

extern "C" {

const char* fm_cuda_last_error(void) { return g_error; }

int fm_cuda_device_count(int* count)
{
    if (!count) return fail_msg("count is null");
    *count = 0;
    cudaError_t e = cudaGetDeviceCount(count);
    if (e != cudaSuccess) { *count = 0; return fail("cudaGetDeviceCount", e); }
    return 0;
}

int fm_cuda_gallery_create(int device, int stride_floats, int capacity_rows, fm_cuda_gallery** out)
{
    if (!out) return fail_msg("out is null");
    *out = nullptr;
    if (stride_floats <= 0 || stride_floats % 16 != 0) return fail_msg("stride must be a positive multiple of 16 floats");
    if (capacity_rows <= 0) return fail_msg("capacity must be positive");
    cudaError_t e = cudaSetDevice(device);
    if (e != cudaSuccess) return fail("cudaSetDevice", e);
    auto* g = static_cast<fm_cuda_gallery*>(std::calloc(1, sizeof(fm_cuda_gallery)));
    if (!g) return fail_msg("out of host memory");
    g->device = device;
    g->stride = stride_floats;
    g->capacity = capacity_rows;
    if ((e = cudaMalloc(reinterpret_cast<void**>(&g->rows), static_cast<size_t>(capacity_rows) * stride_floats * sizeof(float))) != cudaSuccess ||
        (e = cudaMalloc(reinterpret_cast<void**>(&g->dead), static_cast<size_t>(capacity_rows))) != cudaSuccess ||
        (e = cudaMemset(g->dead, 0, static_cast<size_t>(capacity_rows))) != cudaSuccess ||
        (e = cudaStreamCreateWithFlags(&g->stream, cudaStreamNonBlocking)) != cudaSuccess)
    {
        int code = fail("allocating the gallery mirror", e);
        fm_cuda_gallery_destroy(g);
        return code;
    }
    *out = g;
    return 0;
}

void fm_cuda_gallery_destroy(fm_cuda_gallery* g)
{
    if (!g) return;
    cudaSetDevice(g->device);
    if (g->stream) cudaStreamSynchronize(g->stream);
    cudaFree(g->rows);
    cudaFree(g->dead);
    cudaFree(g->queries);
    cudaFree(g->cand_scores);
    cudaFree(g->cand_rows);
    cudaFree(g->out_scores);
    cudaFree(g->out_rows);
    if (g->stream) cudaStreamDestroy(g->stream);
    std::free(g);
}

int fm_cuda_gallery_upload(fm_cuda_gallery* g, int first_row, int rows, const float* data)
{
    if (!g || !data) return fail_msg("null argument");
    if (first_row < 0 || rows < 0 || first_row + rows > g->capacity) return fail_msg("rows out of the mirror's capacity");
    if (rows == 0) return 0;
    cudaError_t e = cudaSetDevice(g->device);
    if (e != cudaSuccess) return fail("cudaSetDevice", e);
    size_t bytes = static_cast<size_t>(rows) * g->stride * sizeof(float);
    e = cudaMemcpy(g->rows + static_cast<size_t>(first_row) * g->stride, data, bytes, cudaMemcpyHostToDevice);
    return e == cudaSuccess ? 0 : fail("uploading rows", e);
}

int fm_cuda_gallery_set_dead(fm_cuda_gallery* g, int first_row, int rows, const unsigned char* dead)
{
    if (!g || !dead) return fail_msg("null argument");
    if (first_row < 0 || rows < 0 || first_row + rows > g->capacity) return fail_msg("rows out of the mirror's capacity");
    if (rows == 0) return 0;
    cudaError_t e = cudaSetDevice(g->device);
    if (e != cudaSuccess) return fail("cudaSetDevice", e);
    e = cudaMemcpy(g->dead + first_row, dead, static_cast<size_t>(rows), cudaMemcpyHostToDevice);
    return e == cudaSuccess ? 0 : fail("uploading tombstones", e);
}

int fm_cuda_search(fm_cuda_gallery* g, int rows, const float* queries, int nq, int k, float* out_scores, int* out_rows)
{
    if (!g || !queries || !out_scores || !out_rows) return fail_msg("null argument");
    if (rows < 0 || rows > g->capacity) return fail_msg("rows exceed the mirror's capacity");
    if (nq <= 0 || nq > 65535) return fail_msg("query count must be in 1..65535");
    if (k <= 0 || k > FM_CUDA_MAX_K) return fail_msg("k must be in 1..FM_CUDA_MAX_K");
    cudaError_t e = cudaSetDevice(g->device);
    if (e != cudaSuccess) return fail("cudaSetDevice", e);

    const int slices = rows == 0 ? 1 : (rows + kSliceRows - 1) / kSliceRows;
    const size_t per_query = static_cast<size_t>(slices) * k;
    int rc;
    if ((rc = ensure(&g->queries, &g->queries_cap, static_cast<size_t>(nq) * g->stride, "allocating queries")) != 0 ||
        (rc = ensure(&g->cand_scores, &g->cand_scores_cap, per_query * nq, "allocating candidates")) != 0 ||
        (rc = ensure(&g->cand_rows, &g->cand_rows_cap, per_query * nq, "allocating candidates")) != 0 ||
        (rc = ensure(&g->out_scores, &g->out_scores_cap, static_cast<size_t>(nq) * k, "allocating results")) != 0 ||
        (rc = ensure(&g->out_rows, &g->out_rows_cap, static_cast<size_t>(nq) * k, "allocating results")) != 0)
        return rc;

    e = cudaMemcpyAsync(g->queries, queries, static_cast<size_t>(nq) * g->stride * sizeof(float), cudaMemcpyHostToDevice, g->stream);
    if (e != cudaSuccess) return fail("uploading queries", e);

    dim3 grid1(static_cast<unsigned>(slices), static_cast<unsigned>(nq));
    score_slice_topk<<<grid1, kBlockThreads, kSliceRows * sizeof(float), g->stream>>>(
        g->rows, g->dead, rows, g->stride, g->queries, k, g->cand_scores, g->cand_rows);
    if ((e = cudaGetLastError()) != cudaSuccess) return fail("launching score_slice_topk", e);

    merge_topk<<<static_cast<unsigned>(nq), kBlockThreads, 0, g->stream>>>(
        g->cand_scores, g->cand_rows, static_cast<int>(per_query), k, g->out_scores, g->out_rows);
    if ((e = cudaGetLastError()) != cudaSuccess) return fail("launching merge_topk", e);

    e = cudaMemcpyAsync(out_scores, g->out_scores, static_cast<size_t>(nq) * k * sizeof(float), cudaMemcpyDeviceToHost, g->stream);
    if (e == cudaSuccess)
        e = cudaMemcpyAsync(out_rows, g->out_rows, static_cast<size_t>(nq) * k * sizeof(int), cudaMemcpyDeviceToHost, g->stream);
    if (e == cudaSuccess) e = cudaStreamSynchronize(g->stream);
    return e == cudaSuccess ? 0 : fail("running the search", e);
}

} // extern "C"
