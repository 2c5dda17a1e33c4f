package dev.qkv.backend.cuda;

import dev.qkv.backend.AttentionArgs;
import dev.qkv.backend.Storage;
import dev.qkv.tensor.DType;

/**
 * Fused attention on the kernels of attention.cu: float32 buffers, head and value dims up to
 * 128, any mask layout of rank 4. Returns false otherwise, and the backend falls back to
 * Backend's default (the CPU kernel through host copies).
 */
final class CudaAttention {
    private final CudaBackend be;

    CudaAttention(CudaBackend be) {
        this.be = be;
    }

    static boolean supported(AttentionArgs a) {
        return CudaBackend.allF32(a.q(), a.k(), a.v(), a.out(), a.lse(), a.mask())
                && (a.mask() == null || a.maskLayout().rank() == 4)
                && a.numKvHeads() > 0 && a.numHeads() % a.numKvHeads() == 0
                && LaunchShapes.attentionSupports(a.headDim(), a.valueDim());
    }

    /** The mask's offset and strides over [B, H, Tq, Tk] (zeros without a mask). */
    private static ViewMerge.Strides maskStrides(AttentionArgs a) {
        if (a.mask() == null) {
            return new ViewMerge.Strides(0, new int[4]);
        }
        return ViewMerge.strides(a.maskLayout());
    }

    /** The arguments every attention kernel ends with. */
    private static KernelArgs sizes(KernelArgs k, AttentionArgs a) {
        return k.i32(a.batch()).i32(a.numHeads()).i32(a.numKvHeads()).i32(a.tq()).i32(a.tk()).i32(a.headDim())
                .i32(a.valueDim()).flag(a.causal()).i32(a.causalOffset()).f64(a.scale()).f64(a.dropoutP())
                .u64(a.dropoutSeed());
    }

    private CudaStorage c(Storage s) {
        return s == null ? null : be.cuda(s, "attention");
    }

    boolean forward(AttentionArgs a) {
        if (!supported(a)) {
            return false;
        }
        if ((long) a.batch() * a.numHeads() * a.tq() == 0) {
            return true;
        }
        int smem = LaunchShapes.attentionForwardShared(a.headDim(), a.valueDim());
        KernelArgs k = new KernelArgs().ptr(c(a.q())).ptr(c(a.k())).ptr(c(a.v())).ptr(c(a.mask()))
                .strides(maskStrides(a)).ptr(c(a.out())).ptr(c(a.lse()));
        be.launch(Kernels.ATTENTION_FORWARD, LaunchShapes.attentionQueryRows(a.batch(), a.numHeads(), a.tq(), smem),
                sizes(k, a));
        return true;
    }

    boolean backward(AttentionArgs a, Storage dout, Storage dq, Storage dk, Storage dv) {
        if (!supported(a) || !CudaBackend.allF32(dout, dq, dk, dv)) {
            return false;
        }
        int rows = a.batch() * a.numHeads() * a.tq();
        if (rows == 0 || a.tk() == 0) {
            return true;                                      // no visible keys: all gradients stay 0
        }
        CudaStorage delta = be.scratch(DType.FLOAT32, rows);   // D_i = dO_i · O_i
        be.launch(Kernels.ATTENTION_DELTA, LaunchShapes.warpPerRow(rows), new KernelArgs()
                .ptr(c(a.out())).ptr(c(dout)).ptr(delta).i32(rows).i32(a.valueDim()));
        KernelArgs q = new KernelArgs().ptr(c(a.q())).ptr(c(a.k())).ptr(c(a.v())).ptr(c(a.mask()))
                .strides(maskStrides(a)).ptr(c(a.lse())).ptr(delta).ptr(c(dout)).ptr(c(dq));
        be.launch(Kernels.ATTENTION_DQ, LaunchShapes.attentionQueryRows(a.batch(), a.numHeads(), a.tq(),
                LaunchShapes.attentionDqShared(a.headDim(), a.valueDim())), sizes(q, a));
        KernelArgs kv = new KernelArgs().ptr(c(a.q())).ptr(c(a.k())).ptr(c(a.v())).ptr(c(a.mask()))
                .strides(maskStrides(a)).ptr(c(a.lse())).ptr(delta).ptr(c(dout)).ptr(c(dk)).ptr(c(dv));
        be.launch(Kernels.ATTENTION_DKDV, LaunchShapes.attentionKeyRows(a.batch(), a.numKvHeads(), a.tk(),
                LaunchShapes.attentionDkDvShared(a.headDim(), a.valueDim())), sizes(kv, a));
        delta.close();
        return true;
    }
}
