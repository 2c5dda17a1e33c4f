package dev.qkv.backend.cuda;

import dev.qkv.backend.Storage;
import dev.qkv.tensor.DType;

/**
 * Softmax, layer/RMS norm and cross-entropy on the kernels of softmax.cu, norm.cu and
 * cross_entropy.cu, for float32 and float64 buffers. Each method returns false when its
 * buffers are of another dtype, and the backend then runs Backend's composed default.
 */
final class CudaFusedOps {
    private final CudaBackend be;

    CudaFusedOps(CudaBackend be) {
        this.be = be;
    }

    /** "f32" or "f64" when every non-null buffer has that dtype, else null. */
    private static String type(Storage... buffers) {
        DType t = null;
        for (Storage s : buffers) {
            if (s == null) {
                continue;
            }
            if (t == null) {
                t = s.dtype();
            } else if (s.dtype() != t) {
                return null;
            }
        }
        return t == DType.FLOAT32 ? "f32" : t == DType.FLOAT64 ? "f64" : null;
    }

    private CudaStorage c(Storage s, String op) {
        return s == null ? null : be.cuda(s, op);
    }

    boolean softmax(Storage x, Storage out, int rows, int cols, boolean log) {
        String t = type(x, out);
        if (t == null) {
            return false;
        }
        if ((long) rows * cols > 0) {
            be.launch(Kernels.typed("softmax_forward", t), LaunchShapes.rows(rows, cols), new KernelArgs()
                    .ptr(c(x, "softmax")).ptr(c(out, "softmax")).i32(rows).i32(cols).flag(log));
        }
        return true;
    }

    boolean softmaxBackward(Storage y, Storage dy, Storage dx, int rows, int cols, boolean log) {
        String t = type(y, dy, dx);
        if (t == null) {
            return false;
        }
        if ((long) rows * cols > 0) {
            be.launch(Kernels.typed("softmax_backward", t), LaunchShapes.rows(rows, cols), new KernelArgs()
                    .ptr(c(y, "softmaxBackward")).ptr(c(dy, "softmaxBackward")).ptr(c(dx, "softmaxBackward"))
                    .i32(rows).i32(cols).flag(log));
        }
        return true;
    }

    boolean layerNorm(Storage x, Storage weight, Storage bias, Storage out, Storage mean, Storage rstd, int rows,
                      int cols, double eps) {
        String t = type(x, weight, bias, out, mean, rstd);
        if (t == null) {
            return false;
        }
        if (rows > 0 && cols > 0) {
            String op = "layerNorm";
            be.launch(Kernels.typed("layernorm_forward", t), LaunchShapes.rows(rows, cols), new KernelArgs()
                    .ptr(c(x, op)).ptr(c(weight, op)).ptr(c(bias, op)).ptr(c(out, op)).ptr(c(mean, op))
                    .ptr(c(rstd, op)).i32(rows).i32(cols).f64(eps));
        }
        return true;
    }

    boolean rmsNorm(Storage x, Storage weight, Storage out, Storage rstd, int rows, int cols, double eps) {
        String t = type(x, weight, out, rstd);
        if (t == null) {
            return false;
        }
        if (rows > 0 && cols > 0) {
            String op = "rmsNorm";
            be.launch(Kernels.typed("rmsnorm_forward", t), LaunchShapes.rows(rows, cols), new KernelArgs()
                    .ptr(c(x, op)).ptr(c(weight, op)).ptr(c(out, op)).ptr(c(rstd, op)).i32(rows).i32(cols).f64(eps));
        }
        return true;
    }

    /**
     * Layer norm backward (mean != null) or RMS norm backward (mean == null, dbias == null): dx
     * from norm_backward, then dweight / dbias as deterministic column sums in two steps.
     */
    boolean normBackward(Storage x, Storage weight, Storage mean, Storage rstd, Storage dy, Storage dx,
                         Storage dweight, Storage dbias, int rows, int cols) {
        String t = type(x, weight, mean, rstd, dy, dx, dweight, dbias);
        if (t == null) {
            return false;
        }
        if (cols == 0) {
            return true;
        }
        String op = mean == null ? "rmsNormBackward" : "layerNormBackward";
        if (rows > 0) {
            be.launch(Kernels.typed("norm_backward", t), LaunchShapes.rows(rows, cols), new KernelArgs()
                    .ptr(c(x, op)).ptr(c(weight, op)).ptr(c(mean, op)).ptr(c(rstd, op)).ptr(c(dy, op)).ptr(c(dx, op))
                    .i32(rows).i32(cols));
        }
        if (dweight == null && dbias == null) {
            return true;
        }
        DType dt = x.dtype();
        int chunks = LaunchShapes.normChunks(rows);
        CudaStorage partialW = dweight == null ? null : be.scratch(dt, chunks * cols);
        CudaStorage partialB = dbias == null ? null : be.scratch(dt, chunks * cols);
        be.launch(Kernels.typed("norm_param_grad_partial", t), LaunchShapes.normParamPartial(rows, cols),
                new KernelArgs().ptr(c(x, op)).ptr(c(mean, op)).ptr(c(rstd, op)).ptr(c(dy, op)).ptr(partialW)
                        .ptr(partialB).i32(rows).i32(cols).i32(LaunchShapes.normRowsPerChunk(rows)));
        if (partialW != null) {
            be.launch(Kernels.typed("column_sum", t), LaunchShapes.columns(cols), new KernelArgs()
                    .ptr(partialW).i32(chunks).i32(cols).ptr(c(dweight, op)));
            partialW.close();
        }
        if (partialB != null) {
            be.launch(Kernels.typed("column_sum", t), LaunchShapes.columns(cols), new KernelArgs()
                    .ptr(partialB).i32(chunks).i32(cols).ptr(c(dbias, op)));
            partialB.close();
        }
        return true;
    }

    boolean crossEntropy(Storage logits, Storage targets, Storage loss, Storage lse, int rows, int cols,
                         int ignoreIndex, double smoothing) {
        String t = type(logits, loss, lse);
        if (t == null || targets.dtype().isFloating()) {
            return false;
        }
        if (rows > 0) {
            String op = "crossEntropy";
            CudaStorage tg = c(targets, op);
            be.launch(Kernels.typed("cross_entropy_forward", t), LaunchShapes.rows(rows, cols), new KernelArgs()
                    .ptr(c(logits, op)).ptr(tg).i32(CudaBackend.code(tg)).ptr(c(loss, op)).ptr(c(lse, op))
                    .i32(rows).i32(cols).i32(ignoreIndex).f64(smoothing).ptr(be.errorBuffer()));
        }
        return true;
    }

    boolean crossEntropyBackward(Storage logits, Storage targets, Storage lse, Storage dloss, Storage dlogits,
                                 int rows, int cols, int ignoreIndex, double smoothing) {
        String t = type(logits, lse, dloss, dlogits);
        if (t == null || targets.dtype().isFloating()) {
            return false;
        }
        if (rows > 0 && cols > 0) {
            String op = "crossEntropyBackward";
            CudaStorage tg = c(targets, op);
            be.launch(Kernels.typed("cross_entropy_backward", t), LaunchShapes.rows(rows, cols), new KernelArgs()
                    .ptr(c(logits, op)).ptr(tg).i32(CudaBackend.code(tg)).ptr(c(lse, op)).ptr(c(dloss, op))
                    .ptr(c(dlogits, op)).i32(rows).i32(cols).i32(ignoreIndex).f64(smoothing));
        }
        return true;
    }
}
