// LayerNorm and RMSNorm, forward and backward, over the rows of contiguous [rows, cols] buffers.
//
// CPU reference: CompositeKernels.layerNorm / layerNormBackward / rmsNorm / rmsNormBackward
// (run on the CPU with ReferenceKernels). The math, per row:
//   layer norm: mean = Σx/C, var = Σ(x-mean)²/C (biased), rstd = 1/√(var+eps),
//               x̂ = (x-mean)·rstd, out = x̂·weight + bias
//   rms norm:   rstd = 1/√(Σx²/C + eps), x̂ = x·rstd, out = x̂·weight
//   backward, with g = dy·weight:
//               layer norm dx = rstd·(g - mean(g) - x̂·mean(g·x̂))
//               rms norm   dx = rstd·(g - x̂·mean(g·x̂))
//               dweight = Σ_rows dy·x̂,  dbias = Σ_rows dy
// weight, bias and mean may be null pointers (no affine weight / no bias / RMS norm).
//
// Thread layout of the row kernels: a group of G = blockDim.x threads per row (LaunchShapes.rows),
// blockDim.y rows per block, as in softmax.cu. The parameter gradients are column sums over all
// rows; to keep them deterministic (no atomics) they are computed in two fixed-order steps:
// norm_param_grad_partial sums a chunk of rows per column (grid: column tiles × row chunks,
// one thread per column), and column_sum adds the chunks' partial sums in order.
#include "common.cuh"

__device__ __forceinline__ float rsqrt_t(float x) { return 1.0f / sqrtf(x); }
__device__ __forceinline__ double rsqrt_t(double x) { return 1.0 / sqrt(x); }

template <typename T>
__device__ void layernorm_forward_rows(const T* x, const T* weight, const T* bias, T* out, T* mean, T* rstd,
                                       int rows, int cols, T eps) {
    __shared__ T scratch[32];
    const int row = blockIdx.x * blockDim.y + threadIdx.y;
    const bool valid = row < rows;
    const T* xr = x + (long long) row * cols;

    T s = 0;
    if (valid) {
        for (int j = threadIdx.x; j < cols; j += blockDim.x) {
            s += xr[j];
        }
    }
    const T mu = group_reduce(s, scratch, SumOp()) / T(cols);

    T sq = 0;                                           // second pass over x: Σ(x - mean)², no cancellation
    if (valid) {
        for (int j = threadIdx.x; j < cols; j += blockDim.x) {
            const T d = xr[j] - mu;
            sq += d * d;
        }
    }
    const T rs = rsqrt_t(group_reduce(sq, scratch, SumOp()) / T(cols) + eps);

    if (valid) {
        T* yr = out + (long long) row * cols;
        for (int j = threadIdx.x; j < cols; j += blockDim.x) {
            T y = (xr[j] - mu) * rs;
            if (weight != nullptr) y *= weight[j];
            if (bias != nullptr) y += bias[j];
            yr[j] = y;
        }
        if (threadIdx.x == 0) {
            mean[row] = mu;
            rstd[row] = rs;
        }
    }
}

template <typename T>
__device__ void rmsnorm_forward_rows(const T* x, const T* weight, T* out, T* rstd, int rows, int cols, T eps) {
    __shared__ T scratch[32];
    const int row = blockIdx.x * blockDim.y + threadIdx.y;
    const bool valid = row < rows;
    const T* xr = x + (long long) row * cols;

    T sq = 0;
    if (valid) {
        for (int j = threadIdx.x; j < cols; j += blockDim.x) {
            sq += xr[j] * xr[j];
        }
    }
    const T rs = rsqrt_t(group_reduce(sq, scratch, SumOp()) / T(cols) + eps);

    if (valid) {
        T* yr = out + (long long) row * cols;
        for (int j = threadIdx.x; j < cols; j += blockDim.x) {
            T y = xr[j] * rs;
            if (weight != nullptr) y *= weight[j];
            yr[j] = y;
        }
        if (threadIdx.x == 0) {
            rstd[row] = rs;
        }
    }
}

// dx of layer norm (mean != null) or RMS norm (mean == null): in the forward pass this was
// out = x̂·w (+ b) with x̂ = (x - mean)·rstd, so dx = rstd·(g - mean(g) - x̂·mean(g·x̂)) with
// g = dy·w, and the mean(g) term drops out for RMS norm, whose x̂ has no mean subtracted.
template <typename T>
__device__ void norm_backward_rows(const T* x, const T* weight, const T* mean, const T* rstd, const T* dy, T* dx,
                                   int rows, int cols) {
    __shared__ T scratch[32];
    const int row = blockIdx.x * blockDim.y + threadIdx.y;
    const bool valid = row < rows;
    const long long base = (long long) row * cols;
    const T mu = valid && mean != nullptr ? mean[row] : T(0);
    const T rs = valid ? rstd[row] : T(0);

    T sumG = 0;
    T sumGX = 0;
    if (valid) {
        for (int j = threadIdx.x; j < cols; j += blockDim.x) {
            const T g = weight != nullptr ? dy[base + j] * weight[j] : dy[base + j];
            const T xhat = (x[base + j] - mu) * rs;
            sumG += g;
            sumGX += g * xhat;
        }
    }
    const T meanG = mean != nullptr ? group_reduce(sumG, scratch, SumOp()) / T(cols) : T(0);
    const T meanGX = group_reduce(sumGX, scratch, SumOp()) / T(cols);

    if (valid) {
        for (int j = threadIdx.x; j < cols; j += blockDim.x) {
            const T g = weight != nullptr ? dy[base + j] * weight[j] : dy[base + j];
            const T xhat = (x[base + j] - mu) * rs;
            dx[base + j] = rs * (g - meanG - xhat * meanGX);
        }
    }
}

// Partial column sums over one chunk of rows: partialW[chunk, c] = Σ dy·x̂ and
// partialB[chunk, c] = Σ dy over rows chunk·rowsPerChunk .. (chunk+1)·rowsPerChunk - 1.
// Consecutive threads take consecutive columns, so every row is read coalesced.
template <typename T>
__device__ void norm_param_grad_partial(const T* x, const T* mean, const T* rstd, const T* dy, T* partialW,
                                        T* partialB, int rows, int cols, int rowsPerChunk) {
    const int c = blockIdx.x * blockDim.x + threadIdx.x;
    const int chunk = blockIdx.y;
    if (c >= cols) {
        return;
    }
    const int r0 = chunk * rowsPerChunk;
    const int r1 = min(rows, r0 + rowsPerChunk);
    T accW = 0;
    T accB = 0;
    for (int r = r0; r < r1; r++) {
        const long long i = (long long) r * cols + c;
        const T mu = mean != nullptr ? mean[r] : T(0);
        accW += dy[i] * (x[i] - mu) * rstd[r];
        accB += dy[i];
    }
    if (partialW != nullptr) partialW[(long long) chunk * cols + c] = accW;
    if (partialB != nullptr) partialB[(long long) chunk * cols + c] = accB;
}

// out[c] = Σ_k partial[k, c] for k = 0 .. chunks-1, in that order.
template <typename T>
__device__ void column_sum(const T* partial, int chunks, int cols, T* out) {
    const int c = blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= cols) {
        return;
    }
    T s = 0;
    for (int k = 0; k < chunks; k++) {
        s += partial[(long long) k * cols + c];
    }
    out[c] = s;
}

#define NORM_KERNELS(T, sfx)                                                                                   \
    extern "C" __global__ void layernorm_forward_##sfx(const T* x, const T* weight, const T* bias, T* out,      \
                                                       T* mean, T* rstd, int rows, int cols, double eps) {      \
        layernorm_forward_rows<T>(x, weight, bias, out, mean, rstd, rows, cols, T(eps));                        \
    }                                                                                                          \
    extern "C" __global__ void rmsnorm_forward_##sfx(const T* x, const T* weight, T* out, T* rstd, int rows,    \
                                                     int cols, double eps) {                                    \
        rmsnorm_forward_rows<T>(x, weight, out, rstd, rows, cols, T(eps));                                      \
    }                                                                                                          \
    extern "C" __global__ void norm_backward_##sfx(const T* x, const T* weight, const T* mean, const T* rstd,   \
                                                   const T* dy, T* dx, int rows, int cols) {                   \
        norm_backward_rows<T>(x, weight, mean, rstd, dy, dx, rows, cols);                                       \
    }                                                                                                          \
    extern "C" __global__ void norm_param_grad_partial_##sfx(const T* x, const T* mean, const T* rstd,          \
                                                             const T* dy, T* partialW, T* partialB, int rows,   \
                                                             int cols, int rowsPerChunk) {                      \
        norm_param_grad_partial<T>(x, mean, rstd, dy, partialW, partialB, rows, cols, rowsPerChunk);            \
    }                                                                                                          \
    extern "C" __global__ void column_sum_##sfx(const T* partial, int chunks, int cols, T* out) {               \
        column_sum<T>(partial, chunks, cols, out);                                                              \
    }

NORM_KERNELS(float, f32)
NORM_KERNELS(double, f64)
