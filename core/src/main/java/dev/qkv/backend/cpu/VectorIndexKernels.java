package dev.qkv.backend.cpu;

import dev.qkv.tensor.Layout;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * float32 fast paths of indexSelect / indexAdd (whole slices: an embedding lookup is a row copy,
 * its backward a row add) and gather / scatterAdd (one element per index, typed arrays instead of
 * {@link CpuStorage#get}). Indices are validated, in the reference's order and with its messages,
 * before anything is written. {@link ReferenceKernels} holds the definitions.
 *
 * <p>indexSelect/indexAdd need the dims after {@code dim} to be one contiguous block in every
 * float operand ({@link #innerBlock}); the caller sends other layouts to the reference.
 */
final class VectorIndexKernels {
    private VectorIndexKernels() {
    }

    private static final VectorSpecies<Float> S = VectorKernels.S;
    private static final int UNIT = 16384;
    /** Columns per task of indexAdd. */
    private static final int COL_TILE = 512;

    /** Elements in the dims after {@code dim}, or -1 if they are not contiguous in {@code l}. */
    static int innerBlock(Layout l, int dim) {
        int expected = 1;
        for (int d = l.rank() - 1; d > dim; d--) {
            if (l.shape(d) != 1 && l.stride(d) != expected) {
                return -1;
            }
            expected *= l.shape(d);
        }
        return expected;
    }

    /** Every index as an int, checked against the dim's size in order (the first bad one throws). */
    private static int[] checkedIndices(String op, CpuStorage idx, Layout il, int size) {
        int[] ks = new int[il.numel()];
        for (int i = 0; i < ks.length; i++) {
            ks[i] = IndexCheck.index(op, idx.get(il.offsetOfLinear(i)), size);
        }
        return ks;
    }

    /** The dims before {@code dim}: their offsets (with the view's offset) via offsetOfLinear. */
    private static Layout outerDims(Layout l, int dim) {
        int[] shape = Arrays.copyOf(l.shape(), dim);
        int[] strides = Arrays.copyOf(l.strides(), dim);
        return new Layout(shape, strides, l.offset());
    }

    /** out[outer, i, inner] = src[outer, idx[i], inner], one System.arraycopy per slice. */
    static void indexSelect(CpuStorage.F32 src, Layout sl, int dim, CpuStorage idx, Layout il, CpuStorage.F32 out) {
        int[] ks = checkedIndices("indexSelect", idx, il, sl.shape(dim));
        int inner = innerBlock(sl, dim);
        Layout outer = outerDims(sl, dim);
        int nIdx = ks.length;
        int nOuter = outer.numel();
        float[] s = src.data;
        float[] o = out.data;
        int stride = sl.stride(dim);
        Parallel.forRange(nOuter * nIdx, Math.max(1, UNIT / Math.max(inner, 1)), (t0, t1) -> {
            for (int t = t0; t < t1; t++) {
                int oi = t / nIdx;
                int i = t % nIdx;
                System.arraycopy(s, outer.offsetOfLinear(oi) + ks[i] * stride, o, t * inner, inner);
            }
        });
    }

    /**
     * dst[outer, idx[i], inner] += src[outer, i, inner] for every i in order. Tasks own disjoint
     * tiles of dst's inner columns, so repeated indices never race and add up in index order.
     */
    static void indexAdd(CpuStorage.F32 dst, Layout dl, int dim, CpuStorage idx, Layout il, CpuStorage.F32 src,
                         Layout sl) {
        int[] ks = checkedIndices("indexAdd", idx, il, dl.shape(dim));
        int inner = innerBlock(dl, dim);
        Layout dOuter = outerDims(dl, dim);
        Layout sOuter = outerDims(sl, dim);
        int nOuter = dOuter.numel();
        int tilesPerOuter = (inner + COL_TILE - 1) / COL_TILE;
        float[] d = dst.data;
        float[] s = src.data;
        int dStride = dl.stride(dim);
        int sStride = sl.stride(dim);
        int work = ks.length * Math.min(inner, COL_TILE);
        Parallel.forRange(nOuter * tilesPerOuter, Math.max(1, UNIT / Math.max(work, 1)), (t0, t1) -> {
            for (int t = t0; t < t1; t++) {
                int oi = t / tilesPerOuter;
                int c0 = (t % tilesPerOuter) * COL_TILE;
                int width = Math.min(COL_TILE, inner - c0);
                int dBase = dOuter.offsetOfLinear(oi) + c0;
                int sBase = sOuter.offsetOfLinear(oi) + c0;
                for (int i = 0; i < ks.length; i++) {
                    addInto(d, dBase + ks[i] * dStride, s, sBase + i * sStride, width);
                }
            }
        });
    }

    /** d[di, di + n) += s[si, si + n). */
    private static void addInto(float[] d, int di, float[] s, int si, int n) {
        int j = 0;
        for (; j <= n - S.length(); j += S.length()) {
            FloatVector.fromArray(S, d, di + j).add(FloatVector.fromArray(S, s, si + j)).intoArray(d, di + j);
        }
        for (; j < n; j++) {
            d[di + j] += s[si + j];
        }
    }

    /**
     * The view of src that, walked with idx's shape, points at src[..., 0 (at dim), ...]: idx's
     * shape, src's strides, stride 0 along dim (the index supplies that coordinate).
     */
    private static Layout atIndexShape(Layout l, Layout il, int dim) {
        int[] strides = l.strides();
        strides[dim] = 0;
        return new Layout(il.shape(), strides, l.offset());
    }

    /** out[pos] = src[pos with pos[dim] = idx[pos]], walked row by row; sequential (it is small). */
    static void gather(CpuStorage.F32 src, Layout sl, int dim, CpuStorage idx, Layout il, CpuStorage.F32 out) {
        StridedLoop it = new StridedLoop(atIndexShape(sl, il, dim), il, Layout.contiguous(il.shape()));
        int size = sl.shape(dim);
        int stride = sl.stride(dim);
        float[] s = src.data;
        float[] o = out.data;
        for (int r = 0; r < it.rows; r++) {
            int si = it.rowStart(0, r);
            int ii = it.rowStart(1, r);
            int oi = it.rowStart(2, r);
            for (int j = 0; j < it.inner; j++) {
                int k = IndexCheck.index("gather", idx.get(ii + j * it.innerStride[1]), size);
                o[oi + j * it.innerStride[2]] = s[si + j * it.innerStride[0] + k * stride];
            }
        }
    }

    /** dst[pos with pos[dim] = idx[pos]] += src[pos], in idx's row-major order like the reference. */
    static void scatterAdd(CpuStorage.F32 dst, Layout dl, int dim, CpuStorage idx, Layout il, CpuStorage.F32 src,
                           Layout sl) {
        int size = dl.shape(dim);
        for (int i = 0; i < il.numel(); i++) {              // validate first: no partial update on error
            IndexCheck.index("scatterAdd", idx.get(il.offsetOfLinear(i)), size);
        }
        StridedLoop it = new StridedLoop(atIndexShape(dl, il, dim), il, new Layout(il.shape(), sl.strides(), sl.offset()));
        int stride = dl.stride(dim);
        float[] d = dst.data;
        float[] s = src.data;
        for (int r = 0; r < it.rows; r++) {
            int di = it.rowStart(0, r);
            int ii = it.rowStart(1, r);
            int si = it.rowStart(2, r);
            for (int j = 0; j < it.inner; j++) {
                int k = (int) idx.get(ii + j * it.innerStride[1]);
                d[di + j * it.innerStride[0] + k * stride] += s[si + j * it.innerStride[2]];
            }
        }
    }
}
