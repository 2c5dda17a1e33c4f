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
 * The CPU backend. float32 work goes to the Vector API kernels ({@link VectorKernels}); every
 * other dtype, and everything when the reference path is selected, goes to the scalar
 * {@link ReferenceKernels}. Select the reference path for a whole run with
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
        ReferenceKernels.where(cpu(cond), cl, cpu(a), al, cpu(b), bl, cpu(out), ol);
    }

    @Override
    public void reduce(ReduceOp op, Storage x, Layout xl, boolean[] dims, Storage out) {
        if (vector(x, out) && op != ReduceOp.ARGMAX && op != ReduceOp.ARGMIN) {
            VectorKernels.reduce(op, (CpuStorage.F32) x, xl, dims, (CpuStorage.F32) out);
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

    @Override
    public void indexSelect(Storage src, Layout sl, int dim, Storage idx, Layout il, Storage out) {
        ReferenceKernels.indexSelect(cpu(src), sl, dim, cpu(idx), il, cpu(out));
    }

    @Override
    public void indexAdd(Storage dst, Layout dl, int dim, Storage idx, Layout il, Storage src, Layout sl) {
        ReferenceKernels.indexAdd(cpu(dst), dl, dim, cpu(idx), il, cpu(src), sl);
    }

    @Override
    public void gather(Storage src, Layout sl, int dim, Storage idx, Layout il, Storage out) {
        ReferenceKernels.gather(cpu(src), sl, dim, cpu(idx), il, cpu(out));
    }

    @Override
    public void scatterAdd(Storage dst, Layout dl, int dim, Storage idx, Layout il, Storage src, Layout sl) {
        ReferenceKernels.scatterAdd(cpu(dst), dl, dim, cpu(idx), il, cpu(src), sl);
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
