// Elementwise kernels: unary and binary ops with broadcasting through strides, where, fill,
// and copy with dtype conversion.
//
// CPU reference: ReferenceKernels.{unary, binary, where, fill, copy} and the scalar
// definitions in UnaryOp.apply / BinaryOp.apply. Each op has two kernels named after its
// kernelName(): `<name>_f32` when every operand is float32 (computed in float), and
// `<name>_any` for every other dtype mix (operands read and written through double, like the
// reference kernels).
//
// Thread layout: one thread per output element, grid-stride loop; the Java side has merged
// adjacent dims (ViewMerge) so that contiguous operands arrive as rank 1, where the offset of
// element i is just offset + i*stride.
#include "common.cuh"

// ----- float/double overloads of the math functions, so each op is written once -----
namespace m {
__device__ __forceinline__ float exp_(float x) { return expf(x); }
__device__ __forceinline__ double exp_(double x) { return exp(x); }
__device__ __forceinline__ float log_(float x) { return logf(x); }
__device__ __forceinline__ double log_(double x) { return log(x); }
__device__ __forceinline__ float log1p_(float x) { return log1pf(x); }
__device__ __forceinline__ double log1p_(double x) { return log1p(x); }
__device__ __forceinline__ float sqrt_(float x) { return sqrtf(x); }
__device__ __forceinline__ double sqrt_(double x) { return sqrt(x); }
__device__ __forceinline__ float sin_(float x) { return sinf(x); }
__device__ __forceinline__ double sin_(double x) { return sin(x); }
__device__ __forceinline__ float cos_(float x) { return cosf(x); }
__device__ __forceinline__ double cos_(double x) { return cos(x); }
__device__ __forceinline__ float tanh_(float x) { return tanhf(x); }
__device__ __forceinline__ double tanh_(double x) { return tanh(x); }
__device__ __forceinline__ float erf_(float x) { return erff(x); }
__device__ __forceinline__ double erf_(double x) { return erf(x); }
__device__ __forceinline__ float abs_(float x) { return fabsf(x); }
__device__ __forceinline__ double abs_(double x) { return fabs(x); }
__device__ __forceinline__ float pow_(float a, float b) { return powf(a, b); }
__device__ __forceinline__ double pow_(double a, double b) { return pow(a, b); }
}  // namespace m

#define SQRT_2_OVER_PI 0.7978845608028654
#define INV_SQRT_2 0.7071067811865476
#define INV_SQRT_2PI 0.3989422804014327

// ----- unary ops: the math of UnaryOp.apply -----
template <typename T> __device__ __forceinline__ T op_neg(T x) { return -x; }
template <typename T> __device__ __forceinline__ T op_abs(T x) { return m::abs_(x); }
// Math.signum: ±1, and x itself for ±0 and NaN.
template <typename T> __device__ __forceinline__ T op_sign(T x) { return x > 0 ? T(1) : (x < 0 ? T(-1) : x); }
template <typename T> __device__ __forceinline__ T op_exp(T x) { return m::exp_(x); }
template <typename T> __device__ __forceinline__ T op_log(T x) { return m::log_(x); }
template <typename T> __device__ __forceinline__ T op_sqrt(T x) { return m::sqrt_(x); }
template <typename T> __device__ __forceinline__ T op_rsqrt(T x) { return T(1) / m::sqrt_(x); }
template <typename T> __device__ __forceinline__ T op_reciprocal(T x) { return T(1) / x; }
template <typename T> __device__ __forceinline__ T op_sin(T x) { return m::sin_(x); }
template <typename T> __device__ __forceinline__ T op_cos(T x) { return m::cos_(x); }
template <typename T> __device__ __forceinline__ T op_tanh(T x) { return m::tanh_(x); }
// 1/(1+e^-x) for x >= 0, e^x/(1+e^x) below: neither branch overflows.
template <typename T> __device__ __forceinline__ T op_sigmoid(T x) {
    if (x >= 0) {
        return T(1) / (T(1) + m::exp_(-x));
    }
    T e = m::exp_(x);
    return e / (T(1) + e);
}
// max(x, 0) with NaN kept, as Math.max(x, 0.0).
template <typename T> __device__ __forceinline__ T op_relu(T x) { return x != x ? x : (x > 0 ? x : T(0)); }
// x·Φ(x) = x/2·(1 + erf(x/√2))
template <typename T> __device__ __forceinline__ T op_gelu(T x) { return T(0.5) * x * (T(1) + m::erf_(x * T(INV_SQRT_2))); }
// x/2·(1 + tanh(√(2/π)·(x + 0.044715x³)))
template <typename T> __device__ __forceinline__ T op_gelu_tanh(T x) {
    return T(0.5) * x * (T(1) + m::tanh_(T(SQRT_2_OVER_PI) * (x + T(0.044715) * x * x * x)));
}
template <typename T> __device__ __forceinline__ T op_silu(T x) { return x * op_sigmoid(x); }
// max(x, 0) + log1p(e^-|x|)
template <typename T> __device__ __forceinline__ T op_softplus(T x) {
    T mx = x > 0 ? x : T(0);
    return (x != x ? x : mx) + m::log1p_(m::exp_(-m::abs_(x)));
}
// d/dx x·Φ(x) = Φ(x) + x·φ(x)
template <typename T> __device__ __forceinline__ T op_gelu_grad(T x) {
    T cdf = T(0.5) * (T(1) + m::erf_(x * T(INV_SQRT_2)));
    T pdf = m::exp_(T(-0.5) * x * x) * T(INV_SQRT_2PI);
    return cdf + x * pdf;
}
template <typename T> __device__ __forceinline__ T op_gelu_tanh_grad(T x) {
    T inner = T(SQRT_2_OVER_PI) * (x + T(0.044715) * x * x * x);
    T t = m::tanh_(inner);
    T dInner = T(SQRT_2_OVER_PI) * (T(1) + T(3.0 * 0.044715) * x * x);
    return T(0.5) * (T(1) + t) + T(0.5) * x * (T(1) - t * t) * dInner;
}
template <typename T> __device__ __forceinline__ T op_logical_not(T x) { return x == 0 ? T(1) : T(0); }

// ----- binary ops: the math of BinaryOp.apply -----
template <typename T> __device__ __forceinline__ T op_add(T a, T b) { return a + b; }
template <typename T> __device__ __forceinline__ T op_sub(T a, T b) { return a - b; }
template <typename T> __device__ __forceinline__ T op_mul(T a, T b) { return a * b; }
template <typename T> __device__ __forceinline__ T op_div(T a, T b) { return a / b; }
template <typename T> __device__ __forceinline__ T op_pow(T a, T b) { return m::pow_(a, b); }
template <typename T> __device__ __forceinline__ T op_maximum(T a, T b) { return nan_max(a, b); }
template <typename T> __device__ __forceinline__ T op_minimum(T a, T b) { return nan_min(a, b); }
template <typename T> __device__ __forceinline__ T op_eq(T a, T b) { return a == b ? T(1) : T(0); }
template <typename T> __device__ __forceinline__ T op_ne(T a, T b) { return a != b ? T(1) : T(0); }
template <typename T> __device__ __forceinline__ T op_lt(T a, T b) { return a < b ? T(1) : T(0); }
template <typename T> __device__ __forceinline__ T op_le(T a, T b) { return a <= b ? T(1) : T(0); }
template <typename T> __device__ __forceinline__ T op_gt(T a, T b) { return a > b ? T(1) : T(0); }
template <typename T> __device__ __forceinline__ T op_ge(T a, T b) { return a >= b ? T(1) : T(0); }
template <typename T> __device__ __forceinline__ T op_logical_and(T a, T b) { return a != 0 && b != 0 ? T(1) : T(0); }
template <typename T> __device__ __forceinline__ T op_logical_or(T a, T b) { return a != 0 || b != 0 ? T(1) : T(0); }

// out = op(x): `<name>_f32(x, xs, out, os, dims)` and
// `<name>_any(x, xdtype, xs, out, odtype, os, dims)`.
#define UNARY_KERNELS(name)                                                                          \
    extern "C" __global__ void name##_f32(const float* __restrict__ x, Strides xs, float* out,       \
                                          Strides os, Dims dims) {                                   \
        QKV_FOR_EACH(i, dims.numel) {                                                                \
            int p[2];                                                                                \
            view_offsets(dims, i, p, xs, os);                                                          \
            out[p[1]] = op_##name<float>(x[p[0]]);                                                   \
        }                                                                                            \
    }                                                                                                \
    extern "C" __global__ void name##_any(const void* x, int xdtype, Strides xs, void* out,          \
                                          int odtype, Strides os, Dims dims) {                       \
        QKV_FOR_EACH(i, dims.numel) {                                                                \
            int p[2];                                                                                \
            view_offsets(dims, i, p, xs, os);                                                          \
            store_from_double(out, odtype, p[1], op_##name<double>(load_as_double(x, xdtype, p[0]))); \
        }                                                                                            \
    }

// out = op(a, b), all three views of the output's shape.
#define BINARY_KERNELS(name)                                                                         \
    extern "C" __global__ void name##_f32(const float* __restrict__ a, Strides as,                   \
                                          const float* __restrict__ b, Strides bs, float* out,       \
                                          Strides os, Dims dims) {                                   \
        QKV_FOR_EACH(i, dims.numel) {                                                                \
            int p[3];                                                                                \
            view_offsets(dims, i, p, as, bs, os);                                                          \
            out[p[2]] = op_##name<float>(a[p[0]], b[p[1]]);                                          \
        }                                                                                            \
    }                                                                                                \
    extern "C" __global__ void name##_any(const void* a, int adtype, Strides as, const void* b,      \
                                          int bdtype, Strides bs, void* out, int odtype, Strides os, \
                                          Dims dims) {                                               \
        QKV_FOR_EACH(i, dims.numel) {                                                                \
            int p[3];                                                                                \
            view_offsets(dims, i, p, as, bs, os);                                                          \
            double r = op_##name<double>(load_as_double(a, adtype, p[0]), load_as_double(b, bdtype, p[1])); \
            store_from_double(out, odtype, p[2], r);                                                 \
        }                                                                                            \
    }

UNARY_KERNELS(neg)
UNARY_KERNELS(abs)
UNARY_KERNELS(sign)
UNARY_KERNELS(exp)
UNARY_KERNELS(log)
UNARY_KERNELS(sqrt)
UNARY_KERNELS(rsqrt)
UNARY_KERNELS(reciprocal)
UNARY_KERNELS(sin)
UNARY_KERNELS(cos)
UNARY_KERNELS(tanh)
UNARY_KERNELS(sigmoid)
UNARY_KERNELS(relu)
UNARY_KERNELS(gelu)
UNARY_KERNELS(gelu_tanh)
UNARY_KERNELS(silu)
UNARY_KERNELS(softplus)
UNARY_KERNELS(gelu_grad)
UNARY_KERNELS(gelu_tanh_grad)
UNARY_KERNELS(logical_not)

BINARY_KERNELS(add)
BINARY_KERNELS(sub)
BINARY_KERNELS(mul)
BINARY_KERNELS(div)
BINARY_KERNELS(pow)
BINARY_KERNELS(maximum)
BINARY_KERNELS(minimum)
BINARY_KERNELS(eq)
BINARY_KERNELS(ne)
BINARY_KERNELS(lt)
BINARY_KERNELS(le)
BINARY_KERNELS(gt)
BINARY_KERNELS(ge)
BINARY_KERNELS(logical_and)
BINARY_KERNELS(logical_or)

// out = cond != 0 ? a : b (ReferenceKernels.where). When a, b and out share a dtype the chosen
// element is copied bit for bit; otherwise it is converted through double.
extern "C" __global__ void where_any(const void* cond, int cdtype, Strides cs, const void* a, int adtype, Strides as,
                                     const void* b, int bdtype, Strides bs, void* out, int odtype, Strides os,
                                     Dims dims) {
    const bool raw = adtype == odtype && bdtype == odtype;
    const int bytes = dtype_bytes(odtype);
    QKV_FOR_EACH(i, dims.numel) {
        int p[4];
        view_offsets(dims, i, p, cs, as, bs, os);
        const bool takeA = load_as_double(cond, cdtype, p[0]) != 0.0;
        if (raw) {
            copy_raw(takeA ? a : b, takeA ? p[1] : p[2], out, p[3], bytes);
        } else {
            double v = takeA ? load_as_double(a, adtype, p[1]) : load_as_double(b, bdtype, p[2]);
            store_from_double(out, odtype, p[3], v);
        }
    }
}

// out[...] = value over a view (ReferenceKernels.fill), value converted to the dtype.
extern "C" __global__ void fill_any(void* out, int odtype, Strides os, Dims dims, double value) {
    QKV_FOR_EACH(i, dims.numel) {
        store_from_double(out, odtype, view_offset(dims, os, i), value);
    }
}

// dst[...] = src[...] between two views of one shape (ReferenceKernels.copy): bit for bit when
// the dtypes agree, else converted through double like CpuStorage.get/set.
extern "C" __global__ void copy_any(const void* src, int sdtype, Strides ss, void* dst, int ddtype, Strides ds,
                                    Dims dims) {
    const bool raw = sdtype == ddtype;
    const int bytes = dtype_bytes(ddtype);
    QKV_FOR_EACH(i, dims.numel) {
        int p[2];
        view_offsets(dims, i, p, ss, ds);
        if (raw) {
            copy_raw(src, p[0], dst, p[1], bytes);
        } else {
            store_from_double(dst, ddtype, p[1], load_as_double(src, sdtype, p[0]));
        }
    }
}

// copy_any for 4-byte elements whose views share a contiguous innermost run of a multiple of 4
// elements (a transpose of [B, T, H, D] heads, a slice): the views are rescaled on the host to
// count 16-byte units (ViewMerge.byFour), so each thread moves four elements with one load and
// one store, and the index arithmetic is done once per four elements. Same result, bit for bit.
extern "C" __global__ void copy_x4(const float4* src, Strides ss, float4* dst, Strides ds, Dims dims) {
    QKV_FOR_EACH(i, dims.numel) {
        int p[2];
        view_offsets(dims, i, p, ss, ds);
        dst[p[1]] = src[p[0]];
    }
}
