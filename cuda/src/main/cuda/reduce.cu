// Reductions over a set of dims: sum, max, min, argmax, argmin.
//
// CPU reference: ReferenceKernels.reduce with ReduceViews.split. The input view is split into
// a "kept" view (the dims that stay, with the input's offset) and a "reduced" view (the dims
// that collapse, offset 0), so that output element o reduces the elements at
//     kept(o) + reduced(j),   j = 0 .. n-1,
// and the contiguous output holds element o at position o.
//
// Thread layout: a group of G = blockDim.x threads (a power of two, 1..1024) per output
// element, blockDim.y outputs per block. Lane t of a group reads j = t, t+G, t+2G, ... and
// keeps a partial result; the group then combines the partials (group_reduce in common.cuh).
// G is chosen on the host from n (LaunchShapes.reduce): one thread per output for tiny n, up
// to a whole block for long rows.
#include "common.cuh"
#include <math_constants.h>

// ----- sum / max / min -----

template <typename T, typename Op, typename Load>
__device__ void reduce_values(Strides keptS, Dims keptD, Strides redS, Dims redD, T init, Op op, Load load,
                              T* result, int* outIndex) {
    __shared__ T scratch[32];
    const int outer = keptD.numel;
    const int n = redD.numel;
    const int o = blockIdx.x * blockDim.y + threadIdx.y;
    T acc = init;
    if (o < outer) {
        const int base = view_offset(keptD, keptS, o);
        for (int j = threadIdx.x; j < n; j += blockDim.x) {
            acc = op(acc, load(base + view_offset(redD, redS, j)));
        }
    }
    acc = group_reduce(acc, scratch, op);
    *result = acc;
    *outIndex = o < outer && threadIdx.x == 0 ? o : -1;
}

struct LoadF32 {
    const float* x;
    __device__ float operator()(int i) const { return x[i]; }
};
struct LoadAny {
    const void* x;
    int dtype;
    __device__ double operator()(int i) const { return load_as_double(x, dtype, i); }
};

#define REDUCE_KERNELS(name, OpType, initF, initD)                                                       \
    extern "C" __global__ void reduce_##name##_f32(const float* __restrict__ x, Strides keptS, Dims keptD, \
                                                   Strides redS, Dims redD, float* out) {                \
        float r;                                                                                         \
        int o;                                                                                           \
        reduce_values<float>(keptS, keptD, redS, redD, initF, OpType(), LoadF32{x}, &r, &o);             \
        if (o >= 0) out[o] = r;                                                                          \
    }                                                                                                    \
    extern "C" __global__ void reduce_##name##_any(const void* x, int xdtype, Strides keptS, Dims keptD, \
                                                   Strides redS, Dims redD, void* out, int odtype) {     \
        double r;                                                                                        \
        int o;                                                                                           \
        reduce_values<double>(keptS, keptD, redS, redD, initD, OpType(), LoadAny{x, xdtype}, &r, &o);    \
        if (o >= 0) store_from_double(out, odtype, o, r);                                                \
    }

REDUCE_KERNELS(sum, SumOp, 0.0f, 0.0)
REDUCE_KERNELS(max, MaxOp, -CUDART_INF_F, -CUDART_INF)
REDUCE_KERNELS(min, MinOp, CUDART_INF_F, CUDART_INF)

// ----- argmax / argmin: the first index of the extreme value -----
// The CPU loop keeps (best value, its index) and replaces them when v beats the best, or when v
// is NaN and the best is not (so the first NaN wins). Each lane runs that loop over its own
// increasing j's, starting from (±inf, NONE); partial results are then combined by `better`,
// which prefers NaN, then the extreme value, then the smaller index, so the result is the CPU
// loop's. NONE (no element beat the start value, e.g. all -inf for argmax) becomes index 0,
// as on the CPU.
#define NONE 0x7fffffff

template <typename T, bool MAX>
__device__ __forceinline__ bool beats(T v, T best) {      // the CPU loop's replacement test
    return (MAX ? v > best : v < best) || (v != v && best == best);
}

template <typename T, bool MAX>
__device__ __forceinline__ void better(T& v, int& i, T ov, int oi) {
    bool take;
    if ((v != v) != (ov != ov)) {
        take = ov != ov;                                   // exactly one NaN: it wins
    } else if (v != v || v == ov) {
        take = oi < i;                                     // both NaN, or equal: the first index
    } else {
        take = MAX ? ov > v : ov < v;
    }
    if (take) {
        v = ov;
        i = oi;
    }
}

template <typename T, bool MAX, typename Load>
__device__ void arg_reduce(Strides keptS, Dims keptD, Strides redS, Dims redD, Load load, void* out, int odtype) {
    __shared__ T scratchV[32];
    __shared__ int scratchI[32];
    const int outer = keptD.numel;
    const int n = redD.numel;
    const int o = blockIdx.x * blockDim.y + threadIdx.y;
    T best = MAX ? T(-CUDART_INF) : T(CUDART_INF);
    int bestIndex = NONE;
    if (o < outer) {
        const int base = view_offset(keptD, keptS, o);
        for (int j = threadIdx.x; j < n; j += blockDim.x) {
            T v = load(base + view_offset(redD, redS, j));
            if (beats<T, MAX>(v, best)) {
                best = v;
                bestIndex = j;
            }
        }
    }
    // Combine within the warp segment, then across the warps of a large group.
    const int g = blockDim.x;
    const int width = g < 32 ? g : 32;
    for (int offset = width / 2; offset > 0; offset /= 2) {
        T ov = __shfl_down_sync(0xffffffffu, best, offset, width);
        int oi = __shfl_down_sync(0xffffffffu, bestIndex, offset, width);
        better<T, MAX>(best, bestIndex, ov, oi);
    }
    if (g > 32) {
        const int tid = threadIdx.y * blockDim.x + threadIdx.x;
        if ((tid & 31) == 0) {
            scratchV[tid / 32] = best;
            scratchI[tid / 32] = bestIndex;
        }
        __syncthreads();
        const int warpsPerGroup = g / 32;
        const int first = threadIdx.y * warpsPerGroup;
        best = scratchV[first];
        bestIndex = scratchI[first];
        for (int w = 1; w < warpsPerGroup; w++) {
            better<T, MAX>(best, bestIndex, scratchV[first + w], scratchI[first + w]);
        }
    }
    if (o < outer && threadIdx.x == 0) {
        store_from_double(out, odtype, o, bestIndex == NONE ? 0.0 : (double) bestIndex);
    }
}

#define ARG_KERNELS(name, MAX)                                                                           \
    extern "C" __global__ void reduce_##name##_f32(const float* __restrict__ x, Strides keptS, Dims keptD, \
                                                   Strides redS, Dims redD, void* out, int odtype) {     \
        arg_reduce<float, MAX>(keptS, keptD, redS, redD, LoadF32{x}, out, odtype);                       \
    }                                                                                                    \
    extern "C" __global__ void reduce_##name##_any(const void* x, int xdtype, Strides keptS, Dims keptD, \
                                                   Strides redS, Dims redD, void* out, int odtype) {     \
        arg_reduce<double, MAX>(keptS, keptD, redS, redD, LoadAny{x, xdtype}, out, odtype);              \
    }

ARG_KERNELS(argmax, true)
ARG_KERNELS(argmin, false)

// ----- column sums: the sum over the leading dim of a row-major [rows, cols] block -----
// (a bias gradient: Σ over the batch of a [batch, features] gradient). The kernels above give an
// output a group of threads that read its column with stride cols, one 32-byte sector per float;
// here a warp's 32 threads take 32 adjacent columns, so each row's read is one coalesced line.
// partial[chunk][c] = Σ x[offset + r·cols + c] over the chunk's rows, in order, in double;
// column_total_f32 then adds the chunks in order, in double, and rounds once: deterministic, and
// as accurate as the tree sums of the generic kernel (a float running sum over 20000 rows was not).
// grid = column tiles × row chunks (LaunchShapes.normParamPartial), one thread per column.
extern "C" __global__ void column_partial_sum_f32(const float* __restrict__ x, int offset, int rows, int cols,
                                                  int rowsPerChunk, double* partial) {
    const int c = blockIdx.x * blockDim.x + threadIdx.x;
    const int chunk = blockIdx.y;
    if (c >= cols) {
        return;
    }
    const int r0 = chunk * rowsPerChunk;
    const int r1 = min(rows, r0 + rowsPerChunk);
    double acc = 0.0;
    for (int r = r0; r < r1; r++) {
        acc += x[offset + (long long) r * cols + c];
    }
    partial[(long long) chunk * cols + c] = acc;
}

// out[c] = (float) Σ_k partial[k][c], k = 0 .. chunks-1 in order. One thread per column.
extern "C" __global__ void column_total_f32(const double* partial, int chunks, int cols, float* out) {
    const int c = blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= cols) {
        return;
    }
    double s = 0.0;
    for (int k = 0; k < chunks; k++) {
        s += partial[(long long) k * cols + c];
    }
    out[c] = (float) s;
}
