// Cross-entropy of each row of [rows, cols] logits against an integer target, with label
// smoothing ε and an ignored target value; forward and backward.
//
// CPU reference: CompositeKernels.crossEntropy / crossEntropyBackward (log-softmax, gather,
// where), run on the CPU with ReferenceKernels. Per row, with lse = log Σ exp(x):
//   loss    = (1-ε)·(lse - x[t]) + ε·(lse - mean(x)),   0 where t == ignoreIndex
//   dlogits = dloss·(softmax(x) - (1-ε)·onehot(t) - ε/C), 0 where t == ignoreIndex
// lse is written for every row (the backward pass reuses it).
//
// Thread layout: a group of G = blockDim.x threads per row, blockDim.y rows per block, as in
// softmax.cu. A target outside [0, C) that is not ignoreIndex is reported through `err` (the
// CPU backend throws there); that row gets loss NaN and no gradient.
#include "common.cuh"
#include <math_constants.h>

__device__ __forceinline__ float exp_t(float x) { return expf(x); }
__device__ __forceinline__ double exp_t(double x) { return exp(x); }
__device__ __forceinline__ float log_t(float x) { return logf(x); }
__device__ __forceinline__ double log_t(double x) { return log(x); }

template <typename T>
__device__ void cross_entropy_forward_rows(const T* logits, const void* targets, int tdtype, T* loss, T* lse,
                                           int rows, int cols, int ignoreIndex, T smoothing, int* err) {
    __shared__ T scratch[32];
    const int row = blockIdx.x * blockDim.y + threadIdx.y;
    const bool valid = row < rows;
    const T* xr = logits + (long long) row * cols;

    T mx = T(-CUDART_INF);
    if (valid) {
        for (int j = threadIdx.x; j < cols; j += blockDim.x) {
            mx = nan_max(mx, xr[j]);
        }
    }
    mx = group_reduce(mx, scratch, MaxOp());
    T sumExp = 0;
    T sumX = 0;
    if (valid) {
        for (int j = threadIdx.x; j < cols; j += blockDim.x) {
            sumExp += exp_t(xr[j] - mx);
            sumX += xr[j];
        }
    }
    sumExp = group_reduce(sumExp, scratch, SumOp());
    if (smoothing != T(0)) {                                // uniform across the block
        sumX = group_reduce(sumX, scratch, SumOp());
    }
    if (!valid || threadIdx.x != 0) {
        return;
    }
    const T rowLse = mx + log_t(sumExp);                    // log Σ exp(x) = max + log Σ exp(x - max)
    lse[row] = rowLse;
    const long long t = load_index(targets, tdtype, row);
    if (t == ignoreIndex) {
        loss[row] = 0;
    } else if (t < 0 || t >= cols) {
        report_index_error(err, QKV_ERR_CROSS_ENTROPY, t, cols);
        loss[row] = T(CUDART_NAN);
    } else {
        const T nll = rowLse - xr[t];                       // -log softmax(x)[t]
        loss[row] = smoothing != T(0) ? (T(1) - smoothing) * nll + smoothing * (rowLse - sumX / T(cols)) : nll;
    }
}

// In the forward pass this was loss = (1-ε)·(lse - x[t]) + ε·(lse - Σx/C); since
// d lse/dx = softmax(x), the gradient is softmax(x) - (1-ε)·onehot(t) - ε/C, times dloss.
// One thread per element of the row, no reduction needed: lse comes from the forward pass.
template <typename T>
__device__ void cross_entropy_backward_rows(const T* logits, const void* targets, int tdtype, const T* lse,
                                            const T* dloss, T* dlogits, int rows, int cols, int ignoreIndex,
                                            T smoothing) {
    const int row = blockIdx.x * blockDim.y + threadIdx.y;
    if (row >= rows) {
        return;
    }
    const long long t = load_index(targets, tdtype, row);
    const bool counted = t != ignoreIndex && t >= 0 && t < cols;
    const T scale = counted ? dloss[row] : T(0);
    const T rowLse = lse[row];
    const long long base = (long long) row * cols;
    for (int j = threadIdx.x; j < cols; j += blockDim.x) {
        T p = exp_t(logits[base + j] - rowLse) - smoothing / T(cols);
        if (j == t) {
            p -= T(1) - smoothing;
        }
        dlogits[base + j] = counted ? scale * p : T(0);
    }
}

#define CE_KERNELS(T, sfx)                                                                                    \
    extern "C" __global__ void cross_entropy_forward_##sfx(const T* logits, const void* targets, int tdtype,  \
                                                           T* loss, T* lse, int rows, int cols,               \
                                                           int ignoreIndex, double smoothing, int* err) {     \
        cross_entropy_forward_rows<T>(logits, targets, tdtype, loss, lse, rows, cols, ignoreIndex,            \
                                      T(smoothing), err);                                                     \
    }                                                                                                         \
    extern "C" __global__ void cross_entropy_backward_##sfx(const T* logits, const void* targets, int tdtype, \
                                                            const T* lse, const T* dloss, T* dlogits,         \
                                                            int rows, int cols, int ignoreIndex,              \
                                                            double smoothing) {                               \
        cross_entropy_backward_rows<T>(logits, targets, tdtype, lse, dloss, dlogits, rows, cols, ignoreIndex, \
                                       T(smoothing));                                                         \
    }

CE_KERNELS(float, f32)
CE_KERNELS(double, f64)
