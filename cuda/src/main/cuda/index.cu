// Indexing kernels: indexSelect / indexAdd (whole slices picked by a 1-D index) and
// gather / scatterAdd (one index per element).
//
// CPU reference: ReferenceKernels.{indexSelect, indexAdd, gather, scatterAdd}.
//   indexSelect: out[..., i, ...] = src[..., idx[i], ...]            (i along `dim`)
//   indexAdd:    dst[..., idx[i], ...] += src[..., i, ...]
//   gather:      out[p] = src[p with p[dim] = idx[p]]                 (p over idx's shape)
//   scatterAdd:  dst[p with p[dim] = idx[p]] += src[p]
//
// Thread layout: one thread per element of the walked shape (out for the selects, src / idx
// for the adds), grid-stride loop. The element's coordinates are computed once; the operand
// offsets are dot products of those coordinates with each operand's strides, with the
// coordinate along `dim` replaced by the index value where the op says so.
// Adds use atomicAdd, since several i may name the same slot: the *order* of float additions
// into one slot is therefore not fixed (results may differ in the last bits between runs).
// An index out of range is reported through `err` (the CPU throws) and the element skipped.
#include "common.cuh"

// Coordinates of linear index `i` of `dims`, row-major.
// Unrolled over all QKV_MAX_DIMS dims (see common.cuh) so that c stays in registers.
__device__ __forceinline__ void coords_of(const Dims& dims, int i, int* c) {
#pragma unroll
    for (int d = QKV_MAX_DIMS - 1; d >= 0; d--) {
        if (d < dims.rank) {
            c[d] = i % dims.shape[d];
            i /= dims.shape[d];
        } else {
            c[d] = 0;
        }
    }
}

// Storage position of coordinates c in a view, with c[dim] replaced by k (k < 0: not replaced).
__device__ __forceinline__ int offset_at(const Strides& s, int rank, const int* c, int dim, int k) {
    int pos = s.offset;
#pragma unroll
    for (int d = 0; d < QKV_MAX_DIMS; d++) {
        if (d < rank) {
            pos += (d == dim && k >= 0 ? k : c[d]) * s.stride[d];
        }
    }
    return pos;
}

// c[dim] for a runtime dim, without indexing c at run time.
__device__ __forceinline__ int pick(const int* c, int dim) {
    int r = 0;
#pragma unroll
    for (int d = 0; d < QKV_MAX_DIMS; d++) {
        if (d == dim) r = c[d];
    }
    return r;
}

// dst[i] += v for any dtype. float, double, int32 and int64 use the hardware atomicAdd; the
// one-byte dtypes update their byte inside the aligned 32-bit word with a compare-and-swap loop.
__device__ void atomic_add_any(void* p, int dtype, int i, double v) {
    switch (dtype) {
        case QKV_FLOAT32: atomicAdd((float*) p + i, (float) v); return;
        case QKV_FLOAT64: atomicAdd((double*) p + i, v); return;
        case QKV_INT32: atomicAdd((int*) p + i, (int) (long long) v); return;
        case QKV_INT64: atomicAdd((unsigned long long*) p + i, (unsigned long long) (long long) v); return;
        default: {
            char* bytePtr = (char*) p + i;
            unsigned int* word = (unsigned int*) ((uintptr_t) bytePtr & ~(uintptr_t) 3);
            const int shift = ((uintptr_t) bytePtr & 3) * 8;
            unsigned int old = *word;
            unsigned int assumed;
            do {
                assumed = old;
                int8_t cur = (int8_t) ((assumed >> shift) & 0xff);
                double now = dtype == QKV_UINT8 ? (double) (uint8_t) cur : (double) cur;
                const double sum = now + v;         // converted like store_from_double
                const int8_t next = dtype == QKV_BOOL ? (sum != 0.0 ? 1 : 0) : (int8_t) (long long) sum;
                unsigned int replaced = (assumed & ~(0xffu << shift)) | ((unsigned int) (uint8_t) next << shift);
                old = atomicCAS(word, assumed, replaced);
            } while (old != assumed);
        }
    }
}

// out (contiguous, shape outDims = src's with `dim` resized to idx's length) = src.index_select(dim, idx).
extern "C" __global__ void index_select_any(const void* src, int sdtype, Strides srcS, void* out, int odtype,
                                            Dims outDims, const void* idx, int idtype, int idxOffset, int idxStride,
                                            int dim, int srcDimSize, int* err) {
    const bool raw = sdtype == odtype;
    const int bytes = dtype_bytes(odtype);
    QKV_FOR_EACH(i, outDims.numel) {
        int c[QKV_MAX_DIMS];
        coords_of(outDims, i, c);
        const long long k = load_index(idx, idtype, idxOffset + pick(c, dim) * idxStride);
        if (k < 0 || k >= srcDimSize) {
            report_index_error(err, QKV_ERR_INDEX_SELECT, k, srcDimSize);
            continue;
        }
        const int s = offset_at(srcS, outDims.rank, c, dim, (int) k);
        if (raw) {
            copy_raw(src, s, out, i, bytes);
        } else {
            store_from_double(out, odtype, i, load_as_double(src, sdtype, s));
        }
    }
}

// dst.index_add_(dim, idx, src): src has shape srcDims (dst's with `dim` resized to idx's length).
extern "C" __global__ void index_add_any(void* dst, int ddtype, Strides dstS, const void* src, int sdtype,
                                         Strides srcS, Dims srcDims, const void* idx, int idtype, int idxOffset,
                                         int idxStride, int dim, int dstDimSize, int* err) {
    QKV_FOR_EACH(i, srcDims.numel) {
        int c[QKV_MAX_DIMS];
        coords_of(srcDims, i, c);
        const long long k = load_index(idx, idtype, idxOffset + pick(c, dim) * idxStride);
        if (k < 0 || k >= dstDimSize) {
            report_index_error(err, QKV_ERR_INDEX_ADD, k, dstDimSize);
            continue;
        }
        const double v = load_as_double(src, sdtype, offset_at(srcS, srcDims.rank, c, -1, -1));
        atomic_add_any(dst, ddtype, offset_at(dstS, srcDims.rank, c, dim, (int) k), v);
    }
}

// out (contiguous, idx's shape idxDims) = src.gather(dim, idx).
extern "C" __global__ void gather_any(const void* src, int sdtype, Strides srcS, void* out, int odtype,
                                      Dims idxDims, const void* idx, int idtype, Strides idxS, int dim,
                                      int srcDimSize, int* err) {
    const bool raw = sdtype == odtype;
    const int bytes = dtype_bytes(odtype);
    QKV_FOR_EACH(i, idxDims.numel) {
        int c[QKV_MAX_DIMS];
        coords_of(idxDims, i, c);
        const long long k = load_index(idx, idtype, offset_at(idxS, idxDims.rank, c, -1, -1));
        if (k < 0 || k >= srcDimSize) {
            report_index_error(err, QKV_ERR_GATHER, k, srcDimSize);
            continue;
        }
        const int s = offset_at(srcS, idxDims.rank, c, dim, (int) k);
        if (raw) {
            copy_raw(src, s, out, i, bytes);
        } else {
            store_from_double(out, odtype, i, load_as_double(src, sdtype, s));
        }
    }
}

// dst.scatter_add_(dim, idx, src): for p over idx's shape, dst[p with p[dim] = idx[p]] += src[p].
extern "C" __global__ void scatter_add_any(void* dst, int ddtype, Strides dstS, const void* src, int sdtype,
                                           Strides srcS, Dims idxDims, const void* idx, int idtype, Strides idxS,
                                           int dim, int dstDimSize, int* err) {
    QKV_FOR_EACH(i, idxDims.numel) {
        int c[QKV_MAX_DIMS];
        coords_of(idxDims, i, c);
        const long long k = load_index(idx, idtype, offset_at(idxS, idxDims.rank, c, -1, -1));
        if (k < 0 || k >= dstDimSize) {
            report_index_error(err, QKV_ERR_SCATTER_ADD, k, dstDimSize);
            continue;
        }
        const double v = load_as_double(src, sdtype, offset_at(srcS, idxDims.rank, c, -1, -1));
        atomic_add_any(dst, ddtype, offset_at(dstS, idxDims.rank, c, dim, (int) k), v);
    }
}
