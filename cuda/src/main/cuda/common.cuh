// Shared definitions of qkv's CUDA kernels: dtype codes, strided views, and the reductions
// that several kernel families use. Every kernel is `extern "C"` so that its PTX entry name is
// the plain name the Java side looks up (see dev.qkv.backend.cuda.KernelSpecs).
//
// Conventions, the same in every .cu file:
//   * Sizes and element offsets are int (a Storage holds at most 2^31-1 elements); products that
//     can pass 2^31 are formed in long long.
//   * Buffers are passed as raw device pointers of their element type; "any"-dtype kernels take
//     `void*` plus a dtype code and convert through double, exactly like the CPU's
//     ReferenceKernels read and write every element through CpuStorage.get/set as a double.
#pragma once

#include <stdint.h>

// ----- dtype codes: the ordinals of dev.qkv.tensor.DType (a test holds the two equal) -----
#define QKV_BOOL 0
#define QKV_UINT8 1
#define QKV_INT8 2
#define QKV_INT32 3
#define QKV_INT64 4
#define QKV_FLOAT32 5
#define QKV_FLOAT64 6

// The most dims a view may have after adjacent dims are merged (ViewMerge.MAX_DIMS in Java).
#define QKV_MAX_DIMS 8

// The shape walked by an elementwise kernel: `rank` dims, `numel` elements in all.
struct Dims {
    int rank;
    int numel;
    int shape[QKV_MAX_DIMS];
};

// Where one operand's elements sit: element (i0, ..., ik) of the walked shape is at
// offset + i0*stride[0] + ... + ik*stride[k]. Stride 0 broadcasts.
struct Strides {
    int offset;
    int stride[QKV_MAX_DIMS];
};

// The dim loops below are unrolled over all QKV_MAX_DIMS dims with a `d < rank` guard, so
// that every index into a kernel-parameter struct is a compile-time constant: a runtime index
// would make the compiler copy the struct to local memory first.

// Storage position of the element with row-major linear index `linear` of `dims` in a view.
// One operand: used where the others do not share the shape (reductions).
__device__ __forceinline__ int view_offset(const Dims& dims, const Strides& s, int linear) {
    if (dims.rank == 1) {
        return s.offset + linear * s.stride[0];
    }
    int pos = s.offset;
#pragma unroll
    for (int d = QKV_MAX_DIMS - 1; d >= 0; d--) {
        if (d < dims.rank) {
            const int n = dims.shape[d];
            pos += (linear % n) * s.stride[d];
            linear /= n;
        }
    }
    return pos;
}

// The same for several operands of one shape: the index is split into coordinates once and
// pos[v] receives the position in the v-th view.
template <typename... S>
__device__ __forceinline__ void view_offsets(const Dims& dims, int linear, int* pos, const S&... s) {
    if (dims.rank == 1) {
        int v = 0;
        ((pos[v++] = s.offset + linear * s.stride[0]), ...);
        return;
    }
    {
        int v = 0;
        ((pos[v++] = s.offset), ...);
    }
#pragma unroll
    for (int d = QKV_MAX_DIMS - 1; d >= 0; d--) {
        if (d < dims.rank) {
            const int n = dims.shape[d];
            const int c = linear % n;
            linear /= n;
            int v = 0;
            ((pos[v++] += c * s.stride[d]), ...);
        }
    }
}

// ----- reading and writing any dtype as a double (CpuStorage.get / CpuStorage.set) -----

__device__ __forceinline__ double load_as_double(const void* p, int dtype, int i) {
    switch (dtype) {
        case QKV_BOOL:
        case QKV_INT8: return (double) ((const int8_t*) p)[i];
        case QKV_UINT8: return (double) ((const uint8_t*) p)[i];
        case QKV_INT32: return (double) ((const int32_t*) p)[i];
        case QKV_INT64: return (double) ((const long long*) p)[i];
        case QKV_FLOAT32: return (double) ((const float*) p)[i];
        default: return ((const double*) p)[i];
    }
}

// Converts like CpuStorage.set: integers truncate toward zero (through a 64-bit integer, as
// Java's (int) (long) v does), BOOL stores v != 0.
__device__ __forceinline__ void store_from_double(void* p, int dtype, int i, double v) {
    switch (dtype) {
        case QKV_BOOL: ((int8_t*) p)[i] = v != 0.0 ? 1 : 0; break;
        case QKV_INT8:
        case QKV_UINT8: ((int8_t*) p)[i] = (int8_t) (long long) v; break;
        case QKV_INT32: ((int32_t*) p)[i] = (int32_t) (long long) v; break;
        case QKV_INT64: ((long long*) p)[i] = (long long) v; break;
        case QKV_FLOAT32: ((float*) p)[i] = (float) v; break;
        default: ((double*) p)[i] = v; break;
    }
}

__device__ __forceinline__ int dtype_bytes(int dtype) {
    switch (dtype) {
        case QKV_BOOL:
        case QKV_UINT8:
        case QKV_INT8: return 1;
        case QKV_INT32:
        case QKV_FLOAT32: return 4;
        default: return 8;
    }
}

// Copies one element bit for bit between buffers of the same dtype (exact for int64 too).
__device__ __forceinline__ void copy_raw(const void* src, int si, void* dst, int di, int bytes) {
    switch (bytes) {
        case 1: ((int8_t*) dst)[di] = ((const int8_t*) src)[si]; break;
        case 4: ((int32_t*) dst)[di] = ((const int32_t*) src)[si]; break;
        default: ((long long*) dst)[di] = ((const long long*) src)[si]; break;
    }
}

// An index value of an INT64 / INT32 (or any) index buffer.
__device__ __forceinline__ long long load_index(const void* p, int dtype, int i) {
    switch (dtype) {
        case QKV_INT64: return ((const long long*) p)[i];
        case QKV_INT32: return ((const int32_t*) p)[i];
        default: return (long long) load_as_double(p, dtype, i);
    }
}

// ----- device-side error reports -----
// A kernel cannot throw. Where the CPU backend throws (an index out of range), the kernel skips
// the element and records the first such event in a 4-int buffer {op, index lo, index hi, size};
// CudaBackend reads it at its next synchronisation and throws IndexOutOfBoundsException.
#define QKV_ERR_INDEX_SELECT 1
#define QKV_ERR_INDEX_ADD 2
#define QKV_ERR_GATHER 3
#define QKV_ERR_SCATTER_ADD 4
#define QKV_ERR_CROSS_ENTROPY 5
#define QKV_ERR_EMBEDDING 6

__device__ __forceinline__ void report_index_error(int* err, int op, long long index, int size) {
    if (err != nullptr && atomicCAS(err, 0, op) == 0) {
        err[1] = (int) (index & 0xffffffffLL);
        err[2] = (int) (index >> 32);
        err[3] = size;
    }
}

// ----- NaN-propagating max/min, like Java's Math.max/Math.min -----
template <typename T>
__device__ __forceinline__ T nan_max(T a, T b) {
    return (a != a || b != b) ? (a != a ? a : b) : (a > b ? a : b);
}
template <typename T>
__device__ __forceinline__ T nan_min(T a, T b) {
    return (a != a || b != b) ? (a != a ? a : b) : (a < b ? a : b);
}

// ----- group reductions -----
// Row kernels give each row (or each output element) a *group* of G consecutive threads, G a
// power of two from 1 to 1024; a block holds blockDim.y such groups (threadIdx.x is the lane
// within the group). Groups of up to 32 threads live inside one warp and reduce with shuffles;
// larger groups reduce each warp first and then combine the warps' results through `scratch`
// (one slot per warp of the block) in a fixed order, so every result is deterministic.
// Every thread of the block must call these functions (no early return before them).

struct SumOp {
    template <typename T> __device__ __forceinline__ T operator()(T a, T b) const { return a + b; }
};
struct MaxOp {
    template <typename T> __device__ __forceinline__ T operator()(T a, T b) const { return nan_max(a, b); }
};
struct MinOp {
    template <typename T> __device__ __forceinline__ T operator()(T a, T b) const { return nan_min(a, b); }
};

template <typename T, typename Op>
__device__ __forceinline__ T warp_reduce(T v, int width, Op op) {
    for (int offset = width / 2; offset > 0; offset /= 2) {
        v = op(v, __shfl_down_sync(0xffffffffu, v, offset, width));
    }
    return __shfl_sync(0xffffffffu, v, 0, width);   // lane 0 of the segment holds the result
}

// The reduction of v over the calling thread's group, returned to every thread of the group.
template <typename T, typename Op>
__device__ T group_reduce(T v, T* scratch, Op op) {
    const int g = blockDim.x;
    if (g <= 32) {
        return warp_reduce(v, g, op);
    }
    const int tid = threadIdx.y * blockDim.x + threadIdx.x;
    const int warp = tid / 32;
    const int warpsPerGroup = g / 32;
    v = warp_reduce(v, 32, op);
    __syncthreads();                                   // scratch may still be read by a previous call
    if ((tid & 31) == 0) {
        scratch[warp] = v;
    }
    __syncthreads();
    const int first = threadIdx.y * warpsPerGroup;
    T r = scratch[first];
    for (int w = 1; w < warpsPerGroup; w++) {          // fixed order: deterministic
        r = op(r, scratch[first + w]);
    }
    return r;
}

// Grid-stride loop over n items.
#define QKV_FOR_EACH(i, n) \
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += blockDim.x * gridDim.x)
