// Row-wise softmax and log-softmax, forward and backward, on contiguous [rows, cols] buffers.
//
// CPU reference: the composition in CompositeKernels.softmax / softmaxBackward (max, x - max,
// exp, sum, divide), which the CPU backend runs with ReferenceKernels.
//   forward:  y = exp(x - max) / Σ exp(x - max);   log-softmax: y = (x - max) - log Σ exp(x - max)
//   backward: dx = y·(dy - Σ dy·y);                log-softmax: dx = dy - exp(y)·Σ dy
//
// Thread layout: a group of G = blockDim.x threads per row (G a power of two, 32..1024, from
// LaunchShapes.rows), blockDim.y rows per block; each pass strides the row by G and ends in a
// group reduction. The row is read three times (max, sum, write) rather than held in registers,
// which keeps one kernel right for any number of columns.
#include "common.cuh"
#include <math_constants.h>

__device__ __forceinline__ float exp_t(float x) { return expf(x); }
__device__ __forceinline__ double exp_t(double x) { return exp(x); }
__device__ __forceinline__ float log_t(float x) { return logf(x); }
__device__ __forceinline__ double log_t(double x) { return log(x); }

template <typename T>
__device__ void softmax_rows(const T* x, T* out, int rows, int cols, int logSoftmax) {
    __shared__ T scratch[32];
    const int row = blockIdx.x * blockDim.y + threadIdx.y;
    const bool valid = row < rows;
    const T* xr = x + (long long) row * cols;
    T* yr = out + (long long) row * cols;

    T mx = T(-CUDART_INF);
    if (valid) {
        for (int j = threadIdx.x; j < cols; j += blockDim.x) {
            mx = nan_max(mx, xr[j]);
        }
    }
    mx = group_reduce(mx, scratch, MaxOp());               // max, so that exp never overflows

    T sum = 0;
    if (valid) {
        for (int j = threadIdx.x; j < cols; j += blockDim.x) {
            sum += exp_t(xr[j] - mx);
        }
    }
    sum = group_reduce(sum, scratch, SumOp());             // Σ exp(x - max)

    if (valid) {
        const T logSum = log_t(sum);
        for (int j = threadIdx.x; j < cols; j += blockDim.x) {
            const T shifted = xr[j] - mx;
            yr[j] = logSoftmax ? shifted - logSum : exp_t(shifted) / sum;
        }
    }
}

template <typename T>
__device__ void softmax_backward_rows(const T* y, const T* dy, T* dx,
                                      int rows, int cols, int logSoftmax) {
    __shared__ T scratch[32];
    const int row = blockIdx.x * blockDim.y + threadIdx.y;
    const bool valid = row < rows;
    const long long base = (long long) row * cols;

    T s = 0;                                                // Σ dy·y, or Σ dy for log-softmax
    if (valid) {
        for (int j = threadIdx.x; j < cols; j += blockDim.x) {
            s += logSoftmax ? dy[base + j] : dy[base + j] * y[base + j];
        }
    }
    s = group_reduce(s, scratch, SumOp());

    if (valid) {
        for (int j = threadIdx.x; j < cols; j += blockDim.x) {
            const T yv = y[base + j];
            const T g = dy[base + j];
            dx[base + j] = logSoftmax ? g - exp_t(yv) * s : yv * (g - s);
        }
    }
}

extern "C" __global__ void softmax_forward_f32(const float* x, float* out, int rows, int cols, int logSoftmax) {
    softmax_rows<float>(x, out, rows, cols, logSoftmax);
}
extern "C" __global__ void softmax_forward_f64(const double* x, double* out, int rows, int cols, int logSoftmax) {
    softmax_rows<double>(x, out, rows, cols, logSoftmax);
}
extern "C" __global__ void softmax_backward_f32(const float* y, const float* dy, float* dx, int rows, int cols,
                                                int logSoftmax) {
    softmax_backward_rows<float>(y, dy, dx, rows, cols, logSoftmax);
}
extern "C" __global__ void softmax_backward_f64(const double* y, const double* dy, double* dx, int rows, int cols,
                                                int logSoftmax) {
    softmax_backward_rows<double>(y, dy, dx, rows, cols, logSoftmax);
}
