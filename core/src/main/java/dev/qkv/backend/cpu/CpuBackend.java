package dev.qkv.backend.cpu;

import dev.qkv.backend.AttentionArgs;
import dev.qkv.backend.Backend;
import dev.qkv.backend.BinaryOp;
import dev.qkv.backend.Gemm;
import dev.qkv.backend.ReduceOp;
import dev.qkv.backend.Storage;
import dev.qkv.backend.UnaryOp;
import dev.qkv.tensor.DType;
import dev.qkv.tensor.Device;
import dev.qkv.tensor.Layout;

/**
 * The CPU backend. float32 work goes to the Vector API kernels ({@link VectorKernels},
 * {@link VectorReduce}, {@link VectorGemm}, {@link VectorIndexKernels}, and the fused row kernels
 * {@link VectorSoftmax} and {@link VectorNorms}); every other dtype, BOOL results, and everything
 * when the reference path is selected, go to the scalar {@link ReferenceKernels} and
 * {@link ReferenceRowKernels}. Select the reference path for a whole run with
 * {@code -Dqkv.cpu.kernels=reference}.
 */
public final class CpuBackend implements Backend {

    /** Which kernels run float32 work. */
    public enum Kernels { VECTOR, REFERENCE }

    private static final CpuBackend DEFAULT = new CpuBackend(
            "reference".equalsIgnoreCase(System.getProperty("qkv.cpu.kernels")) ? Kernels.REFERENCE : Kernels.VECTOR);

    private final Kernels kernels;

    public CpuBackend(Kernels kernels) {
        this.kernels = kernels;
    }

    /** The backend that CPU tensors use (vector kernels unless -Dqkv.cpu.kernels=reference). */
    public static CpuBackend instance() {
        return DEFAULT;
    }

    public Kernels kernels() {
        return kernels;
    }

    @Override
    public Device device() {
        return Device.CPU;
    }

    private static CpuStorage cpu(Storage s) {
        return (CpuStorage) s;
    }

    /** True when the fast float32 kernels apply to all these buffers. */
    private boolean vector(Storage... storages) {
        if (kernels != Kernels.VECTOR) {
            return false;
        }
        for (Storage s : storages) {
            if (s != null && s.dtype() != DType.FLOAT32) {
                return false;
            }
        }
        return true;
    }

    @Override
    public Storage allocate(DType dtype, int numel) {
        return CpuStorage.allocate(dtype, numel);
    }

    @Override
    public Storage upload(Storage hostStorage) {
        return hostStorage;
    }

    @Override
    public Storage download(Storage storage) {
        return storage;
    }

    @Override
    public void fill(Storage out, Layout ol, double value) {
        if (vector(out)) {
            VectorKernels.fill((CpuStorage.F32) out, ol, (float) value);
        } else {
            ReferenceKernels.fill(cpu(out), ol, value);
        }
    }

    @Override
    public void copy(Storage src, Layout sl, Storage dst, Layout dl) {
        if (vector(src, dst)) {
            VectorKernels.copy((CpuStorage.F32) src, sl, (CpuStorage.F32) dst, dl);
        } else {
            ReferenceKernels.copy(cpu(src), sl, cpu(dst), dl);
        }
    }

    @Override
    public void unary(UnaryOp op, Storage x, Layout xl, Storage out, Layout ol) {
        if (vector(x, out)) {
            VectorKernels.unary(op, (CpuStorage.F32) x, xl, (CpuStorage.F32) out, ol);
        } else {
            ReferenceKernels.unary(op, cpu(x), xl, cpu(out), ol);
        }
    }

    @Override
    public void binary(BinaryOp op, Storage a, Layout al, Storage b, Layout bl, Storage out, Layout ol) {
        if (vector(a, b, out)) {
            VectorKernels.binary(op, (CpuStorage.F32) a, al, (CpuStorage.F32) b, bl, (CpuStorage.F32) out, ol);
        } else {
            ReferenceKernels.binary(op, cpu(a), al, cpu(b), bl, cpu(out), ol);
        }
    }

    @Override
    public void where(Storage cond, Layout cl, Storage a, Layout al, Storage b, Layout bl, Storage out, Layout ol) {
        if (vector(a, b, out) && cond.dtype() == DType.BOOL) {
            VectorKernels.where((CpuStorage.Bytes) cond, cl, (CpuStorage.F32) a, al, (CpuStorage.F32) b, bl,
                    (CpuStorage.F32) out, ol);
        } else {
            ReferenceKernels.where(cpu(cond), cl, cpu(a), al, cpu(b), bl, cpu(out), ol);
        }
    }

    @Override
    public void reduce(ReduceOp op, Storage x, Layout xl, boolean[] dims, Storage out) {
        if (vector(x, out) && op != ReduceOp.ARGMAX && op != ReduceOp.ARGMIN) {
            VectorReduce.reduce(op, (CpuStorage.F32) x, xl, dims, (CpuStorage.F32) out);
        } else {
            ReferenceKernels.reduce(op, cpu(x), xl, dims, cpu(out));
        }
    }

    @Override
    public void gemm(Gemm g) {
        if (vector(g.a(), g.b(), g.c())) {
            VectorGemm.gemm(g);
        } else {
            ReferenceKernels.gemm(g);
        }
    }

    // ----- indexing: float32 slices / elements on the fast path, everything else on the reference -----

    @Override
    public void indexSelect(Storage src, Layout sl, int dim, Storage idx, Layout il, Storage out) {
        if (vector(src, out) && VectorIndexKernels.innerBlock(sl, dim) >= 0) {
            VectorIndexKernels.indexSelect((CpuStorage.F32) src, sl, dim, cpu(idx), il, (CpuStorage.F32) out);
        } else {
            ReferenceKernels.indexSelect(cpu(src), sl, dim, cpu(idx), il, cpu(out));
        }
    }

    @Override
    public void indexAdd(Storage dst, Layout dl, int dim, Storage idx, Layout il, Storage src, Layout sl) {
        if (vector(dst, src) && VectorIndexKernels.innerBlock(dl, dim) >= 0
                && VectorIndexKernels.innerBlock(sl, dim) >= 0) {
            VectorIndexKernels.indexAdd((CpuStorage.F32) dst, dl, dim, cpu(idx), il, (CpuStorage.F32) src, sl);
        } else {
            ReferenceKernels.indexAdd(cpu(dst), dl, dim, cpu(idx), il, cpu(src), sl);
        }
    }

    @Override
    public void gather(Storage src, Layout sl, int dim, Storage idx, Layout il, Storage out) {
        if (vector(src, out)) {
            VectorIndexKernels.gather((CpuStorage.F32) src, sl, dim, cpu(idx), il, (CpuStorage.F32) out);
        } else {
            ReferenceKernels.gather(cpu(src), sl, dim, cpu(idx), il, cpu(out));
        }
    }

    @Override
    public void scatterAdd(Storage dst, Layout dl, int dim, Storage idx, Layout il, Storage src, Layout sl) {
        if (vector(dst, src)) {
            VectorIndexKernels.scatterAdd((CpuStorage.F32) dst, dl, dim, cpu(idx), il, (CpuStorage.F32) src, sl);
        } else {
            ReferenceKernels.scatterAdd(cpu(dst), dl, dim, cpu(idx), il, cpu(src), sl);
        }
    }

    // ----- fused row operations: one kernel each instead of the composed defaults -----

    private static float[] f32(Storage s) {
        return s == null ? null : ((CpuStorage.F32) s).data;
    }

    @Override
    public void softmax(Storage x, Storage out, int rows, int cols, boolean log) {
        if (vector(x, out)) {
            VectorSoftmax.softmax(f32(x), f32(out), rows, cols, log);
        } else {
            ReferenceRowKernels.softmax(cpu(x), cpu(out), rows, cols, log);
        }
    }

    @Override
    public void softmaxBackward(Storage y, Storage dy, Storage dx, int rows, int cols, boolean log) {
        if (vector(y, dy, dx)) {
            VectorSoftmax.softmaxBackward(f32(y), f32(dy), f32(dx), rows, cols, log);
        } else {
            ReferenceRowKernels.softmaxBackward(cpu(y), cpu(dy), cpu(dx), rows, cols, log);
        }
    }

    @Override
    public void layerNorm(Storage x, Storage weight, Storage bias, Storage out, Storage mean, Storage rstd,
                          int rows, int cols, double eps) {
        if (vector(x, weight, bias, out, mean, rstd)) {
            VectorNorms.layerNorm(f32(x), f32(weight), f32(bias), f32(out), f32(mean), f32(rstd), rows, cols, eps);
        } else {
            ReferenceRowKernels.layerNorm(cpu(x), cpu(weight), cpu(bias), cpu(out), cpu(mean), cpu(rstd), rows, cols,
                    eps);
        }
    }

    @Override
    public void layerNormBackward(Storage x, Storage weight, Storage mean, Storage rstd, Storage dy, Storage dx,
                                  Storage dweight, Storage dbias, int rows, int cols) {
        if (vector(x, weight, mean, rstd, dy, dx, dweight, dbias)) {
            VectorNorms.layerNormBackward(f32(x), f32(weight), f32(mean), f32(rstd), f32(dy), f32(dx), f32(dweight),
                    f32(dbias), rows, cols);
        } else {
            ReferenceRowKernels.layerNormBackward(cpu(x), cpu(weight), cpu(mean), cpu(rstd), cpu(dy), cpu(dx),
                    cpu(dweight), cpu(dbias), rows, cols);
        }
    }

    @Override
    public void rmsNorm(Storage x, Storage weight, Storage out, Storage rstd, int rows, int cols, double eps) {
        if (vector(x, weight, out, rstd)) {
            VectorNorms.rmsNorm(f32(x), f32(weight), f32(out), f32(rstd), rows, cols, eps);
        } else {
            ReferenceRowKernels.rmsNorm(cpu(x), cpu(weight), cpu(out), cpu(rstd), rows, cols, eps);
        }
    }

    @Override
    public void rmsNormBackward(Storage x, Storage weight, Storage rstd, Storage dy, Storage dx, Storage dweight,
                                int rows, int cols) {
        if (vector(x, weight, rstd, dy, dx, dweight)) {
            VectorNorms.rmsNormBackward(f32(x), f32(weight), f32(rstd), f32(dy), f32(dx), f32(dweight), rows, cols);
        } else {
            ReferenceRowKernels.rmsNormBackward(cpu(x), cpu(weight), cpu(rstd), cpu(dy), cpu(dx), cpu(dweight), rows,
                    cols);
        }
    }

    @Override
    public void crossEntropy(Storage logits, Storage targets, Storage loss, Storage lse, int rows, int cols,
                             int ignoreIndex, double smoothing) {
        if (vector(logits, loss, lse)) {
            VectorSoftmax.crossEntropy(f32(logits), cpu(targets), f32(loss), f32(lse), rows, cols, ignoreIndex,
                    smoothing);
        } else {
            ReferenceRowKernels.crossEntropy(cpu(logits), cpu(targets), cpu(loss), cpu(lse), rows, cols, ignoreIndex,
                    smoothing);
        }
    }

    @Override
    public void crossEntropyBackward(Storage logits, Storage targets, Storage lse, Storage dloss, Storage dlogits,
                                     int rows, int cols, int ignoreIndex, double smoothing) {
        if (vector(logits, lse, dloss, dlogits)) {
            VectorSoftmax.crossEntropyBackward(f32(logits), cpu(targets), f32(lse), f32(dloss), f32(dlogits), rows,
                    cols, ignoreIndex, smoothing);
        } else {
            ReferenceRowKernels.crossEntropyBackward(cpu(logits), cpu(targets), cpu(lse), cpu(dloss), cpu(dlogits),
                    rows, cols, ignoreIndex, smoothing);
        }
    }

    @Override
    public void attentionForward(AttentionArgs a) {
        if (vector(a.q(), a.k(), a.v(), a.mask(), a.out(), a.lse())) {
            VectorAttention.forward(a);
        } else {
            ReferenceAttention.forward(a);
        }
    }

    @Override
    public void attentionBackward(AttentionArgs a, Storage dout, Storage dq, Storage dk, Storage dv) {
        if (vector(a.q(), a.k(), a.v(), a.mask(), a.out(), a.lse(), dout, dq, dk, dv)) {
            VectorAttention.backward(a, ((CpuStorage.F32) dout).data, ((CpuStorage.F32) dq).data,
                    ((CpuStorage.F32) dk).data, ((CpuStorage.F32) dv).data);
        } else {
            ReferenceAttention.backward(a, cpu(dout), cpu(dq), cpu(dk), cpu(dv));
        }
    }
}
