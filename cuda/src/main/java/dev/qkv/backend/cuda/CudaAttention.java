package dev.qkv.backend.cuda;

import dev.qkv.backend.AttentionArgs;
import dev.qkv.backend.Storage;
import dev.qkv.tensor.DType;

/**
 * Fused attention on the kernels of attention.cu: float32 buffers, head and value dims up to
 * 128, any mask layout of rank 4. Returns false otherwise, and the backend falls back to
 * Backend's default (the CPU kernel through host copies).
 *
 * <p>Two kernel families compute the same thing: the tiled kernels (64×64 score tiles, register
 * blocked; the fast path) and the warp-per-row kernels (one warp per query or key row; short,
 * and needing only 48 KiB of shared memory). The tiled ones run when their shared memory fits the
 * device: every head dim up to 128 on Hopper (227 KiB per block), up to 64 on the A100 (163 KiB);
 * other Ampere and Ada GPUs (99 KiB) run the warp-per-row kernels. Both families run in
 * forward and backward alike.
 */
final class CudaAttention {
    /** Which kernels run: {@link #AUTO} picks the tiled ones where they fit. Tests pin either. */
    enum KernelFamily {
        AUTO, TILED, WARP_PER_ROW
    }

    private final CudaBackend be;
    private KernelFamily kernels = KernelFamily.AUTO;

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

    /** Pins the kernel family (tests); TILED throws at launch where the tiles do not fit. */
    void useKernels(KernelFamily k) {
        kernels = k;
    }

    KernelFamily kernels() {
        return kernels;
    }

    /** The padded head dim of the tiled kernels for these arguments, or 0 to use the warp-per-row kernels. */
    int tiledDim(AttentionArgs a) {
        int dp = LaunchShapes.attentionTiledDim(a.headDim(), a.valueDim());
        int most = Math.max(LaunchShapes.attentionTiledForwardShared(dp),
                Math.max(LaunchShapes.attentionTiledDqShared(dp), LaunchShapes.attentionTiledDkDvShared(dp)));
        boolean fits = most <= be.maxSharedBytesPerBlock();
        return switch (kernels) {
            case AUTO -> fits ? dp : 0;
            case TILED -> dp;
            case WARP_PER_ROW -> 0;
        };
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
        KernelArgs k = sizes(new KernelArgs().ptr(c(a.q())).ptr(c(a.k())).ptr(c(a.v())).ptr(c(a.mask()))
                .strides(maskStrides(a)).ptr(c(a.out())).ptr(c(a.lse())), a);
        int dp = tiledDim(a);
        if (dp > 0) {
            be.launch(Kernels.attentionTiledForward(dp), LaunchShapes.attentionTiles(
                    a.batch() * a.numHeads(), a.tq(), LaunchShapes.attentionTiledForwardShared(dp)), k);
        } else {
            int smem = LaunchShapes.attentionForwardShared(a.headDim(), a.valueDim());
            be.launch(Kernels.ATTENTION_FORWARD,
                    LaunchShapes.attentionQueryRows(a.batch(), a.numHeads(), a.tq(), smem), k);
        }
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
        int dp = tiledDim(a);
        if (dp > 0) {
            be.launch(Kernels.attentionTiledDq(dp), LaunchShapes.attentionTiles(
                    a.batch() * a.numHeads(), a.tq(), LaunchShapes.attentionTiledDqShared(dp)), sizes(q, a));
        } else {
            be.launch(Kernels.ATTENTION_DQ, LaunchShapes.attentionQueryRows(a.batch(),
                    a.numHeads(), a.tq(), LaunchShapes.attentionDqShared(a.headDim(), a.valueDim())), sizes(q, a));
        }
        KernelArgs kv = new KernelArgs().ptr(c(a.q())).ptr(c(a.k())).ptr(c(a.v())).ptr(c(a.mask()))
                .strides(maskStrides(a)).ptr(c(a.lse())).ptr(delta).ptr(c(dout)).ptr(c(dk)).ptr(c(dv));
        if (dp > 0) {
            be.launch(Kernels.attentionTiledDkDv(dp), LaunchShapes.attentionTiles(
                    a.batch() * a.numKvHeads(), a.tk(), LaunchShapes.attentionTiledDkDvShared(dp)), sizes(kv, a));
        } else {
            be.launch(Kernels.ATTENTION_DKDV, LaunchShapes.attentionKeyRows(a.batch(),
                    a.numKvHeads(), a.tk(), LaunchShapes.attentionDkDvShared(a.headDim(), a.valueDim())), sizes(kv, a));
        }
        delta.close();
        return true;
    }
}
