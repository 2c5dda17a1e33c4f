package dev.qkv.backend;

import dev.qkv.tensor.DType;
import dev.qkv.tensor.Device;
import dev.qkv.tensor.Layout;

/**
 * The few primitives every device implements. Tensor ops, their backward rules and the models
 * are written once against this interface; the CPU backend and the CUDA backend implement it.
 *
 * <p>Conventions: inputs are described by a storage plus a {@link Layout} (any strides, stride 0
 * for broadcast dims); elementwise inputs are already broadcast to the output's shape. Outputs
 * passed with a layout may be strided views (for in-place ops); outputs passed without one are
 * contiguous and fully overwritten. Values are converted to the output storage's dtype.
 *
 * <p>The fused operations at the bottom have default bodies composed from the primitives (see
 * {@link CompositeKernels}); a backend overrides them with a real kernel where it pays.
 */
public interface Backend {

    Device device();

    // ----- memory -----

    /** A zero-filled buffer of {@code numel} elements. */
    Storage allocate(DType dtype, int numel);

    /**
     * A buffer whose contents are unspecified, for an op that writes every element (skips the
     * zeroing pass, which on a GPU is a full write of the buffer). By default {@link #allocate}.
     */
    default Storage allocateUninitialized(DType dtype, int numel) {
        return allocate(dtype, numel);
    }

    /** Copies a host (CPU) buffer to this device. */
    Storage upload(Storage hostStorage);

    /** Copies a buffer of this device to a new host (CPU) buffer. */
    Storage download(Storage storage);

    // ----- primitives -----

    /** {@code out[...] = value} over the view {@code ol}. */
    void fill(Storage out, Layout ol, double value);

    /** {@code dst[...] = src[...]} elementwise between two views of the same shape, converting dtype. */
    void copy(Storage src, Layout sl, Storage dst, Layout dl);

    /** {@code out = op(x)} elementwise. */
    void unary(UnaryOp op, Storage x, Layout xl, Storage out, Layout ol);

    /** {@code out = op(a, b)} elementwise; {@code al} and {@code bl} have the output's shape. */
    void binary(BinaryOp op, Storage a, Layout al, Storage b, Layout bl, Storage out, Layout ol);

    /** {@code out = cond ? a : b} elementwise; all layouts have the output's shape. */
    void where(Storage cond, Layout cl, Storage a, Layout al, Storage b, Layout bl, Storage out, Layout ol);

    /**
     * Reduces the dims marked in {@code dims} into the contiguous {@code out}, whose shape is the
     * input's with those dims set to 1. ARGMAX and ARGMIN reduce exactly one dim and return the
     * first index of the extreme value.
     */
    void reduce(ReduceOp op, Storage x, Layout xl, boolean[] dims, Storage out);

    /** Batched strided matrix product; see {@link Gemm}. */
    void gemm(Gemm g);

    /**
     * {@code out = src.index_select(dim, idx)}: out is contiguous with src's shape except
     * {@code dim}, which has idx's length. {@code idx} is 1-D with integer values in range.
     */
    void indexSelect(Storage src, Layout sl, int dim, Storage idx, Layout il, Storage out);

    /** {@code dst.index_add_(dim, idx, src)}: adds slice i of src into slice idx[i] of dst. */
    void indexAdd(Storage dst, Layout dl, int dim, Storage idx, Layout il, Storage src, Layout sl);

    /**
     * {@code out = src.gather(dim, idx)}: out has idx's shape (contiguous) and
     * {@code out[i][j] = src[i][idx[i][j]]} for dim 1 (likewise for other dims).
     */
    void gather(Storage src, Layout sl, int dim, Storage idx, Layout il, Storage out);

    /** {@code dst.scatter_add_(dim, idx, src)}: the reverse of gather, accumulating. */
    void scatterAdd(Storage dst, Layout dl, int dim, Storage idx, Layout il, Storage src, Layout sl);

    // ----- fused operations on contiguous [rows, cols] buffers -----

    /** Row-wise softmax (or log-softmax) of x into out, computed as exp(x - max) for stability. */
    default void softmax(Storage x, Storage out, int rows, int cols, boolean log) {
        CompositeKernels.softmax(this, x, out, rows, cols, log);
    }

    /**
     * Softmax backward from the output y: dx = y·(dy − Σ dy·y); for log-softmax
     * dx = dy − exp(y)·Σ dy.
     */
    default void softmaxBackward(Storage y, Storage dy, Storage dx, int rows, int cols, boolean log) {
        CompositeKernels.softmaxBackward(this, y, dy, dx, rows, cols, log);
    }

    /**
     * Layer norm over each row: out = (x − mean)·rstd·weight + bias, rstd = 1/√(var + eps) with the
     * biased variance. weight and bias may be null. Saves mean and rstd (length rows) for backward.
     */
    default void layerNorm(Storage x, Storage weight, Storage bias, Storage out, Storage mean, Storage rstd,
                           int rows, int cols, double eps) {
        CompositeKernels.layerNorm(this, x, weight, bias, out, mean, rstd, rows, cols, eps);
    }

    /**
     * Layer norm backward. With x̂ = (x − mean)·rstd and g = dy·weight:
     * dx = rstd·(g − mean(g) − x̂·mean(g·x̂)); dweight = Σ_rows dy·x̂; dbias = Σ_rows dy.
     * dweight/dbias may be null when not needed.
     */
    default void layerNormBackward(Storage x, Storage weight, Storage mean, Storage rstd, Storage dy,
                                   Storage dx, Storage dweight, Storage dbias, int rows, int cols) {
        CompositeKernels.layerNormBackward(this, x, weight, mean, rstd, dy, dx, dweight, dbias, rows, cols);
    }

    /** RMS norm: out = x·rstd·weight with rstd = 1/√(mean(x²) + eps); saves rstd. weight may be null. */
    default void rmsNorm(Storage x, Storage weight, Storage out, Storage rstd, int rows, int cols, double eps) {
        CompositeKernels.rmsNorm(this, x, weight, out, rstd, rows, cols, eps);
    }

    /** RMS norm backward: dx = rstd·(g − x̂·mean(g·x̂)) with g = dy·weight; dweight = Σ_rows dy·x̂. */
    default void rmsNormBackward(Storage x, Storage weight, Storage rstd, Storage dy, Storage dx, Storage dweight,
                                 int rows, int cols) {
        CompositeKernels.rmsNormBackward(this, x, weight, rstd, dy, dx, dweight, rows, cols);
    }

    /**
     * Cross-entropy of each row of logits against an integer target, with label smoothing ε:
     * loss = (1−ε)·(lse − x[t]) + ε·(lse − mean(x)), lse = log Σ exp(x). Rows whose target equals
     * {@code ignoreIndex} get loss 0. Writes the per-row loss and lse (both length rows).
     */
    default void crossEntropy(Storage logits, Storage targets, Storage loss, Storage lse,
                              int rows, int cols, int ignoreIndex, double smoothing) {
        CompositeKernels.crossEntropy(this, logits, targets, loss, lse, rows, cols, ignoreIndex, smoothing);
    }

    /**
     * Cross-entropy backward: dlogits = dloss·(softmax(x) − (1−ε)·onehot(t) − ε/C) per row, 0 for
     * ignored rows.
     */
    default void crossEntropyBackward(Storage logits, Storage targets, Storage lse, Storage dloss,
                                      Storage dlogits, int rows, int cols, int ignoreIndex, double smoothing) {
        CompositeKernels.crossEntropyBackward(this, logits, targets, lse, dloss, dlogits, rows, cols, ignoreIndex,
                smoothing);
    }

    // ----- fused optimizer updates (see AdamUpdate and SgdUpdate for the math) -----

    /**
     * One Adam/AdamW step on one parameter, in place. The default composes it from
     * {@link #binary}/{@link #unary}/{@link #copy} exactly as the tensor expressions of
     * {@code dev.qkv.optim.Adam} would (see {@link OptimizerUpdates}); a device overrides it with
     * one kernel instead of about a dozen launches.
     */
    default void adamUpdate(AdamUpdate update) {
        OptimizerUpdates.adam(this, update);
    }

    /** One SGD step (momentum, dampening, nesterov, weight decay) on one parameter, in place; see {@link #adamUpdate}. */
    default void sgdUpdate(SgdUpdate update) {
        OptimizerUpdates.sgd(this, update);
    }

    // ----- fused attention (see AttentionArgs for the shapes and the math) -----

    /**
     * FlashAttention-style forward: writes out and lse without materialising the T×T scores.
     * The default copies to the host and runs the CPU kernel; device backends override it.
     */
    default void attentionForward(AttentionArgs args) {
        HostFallback.attentionForward(this, args);
    }

    /**
     * Attention backward from dout, recomputing the scores from q, k and lse. dq, dk and dv must
     * be zero-filled; dk/dv of a shared key/value head receive the sum over its query heads.
     */
    default void attentionBackward(AttentionArgs args, Storage dout, Storage dq, Storage dk, Storage dv) {
        HostFallback.attentionBackward(this, args, dout, dq, dk, dv);
    }
}
