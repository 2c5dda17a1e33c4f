package dev.qkv.nn.functional;

import dev.qkv.tensor.Tensor;

/**
 * Fused kernels work on dense [rows, cols] buffers. These helpers move the op's dim last, make
 * the data dense (contiguous from element 0 of its storage), and put the result back.
 */
final class Rows {
    private Rows() {
    }

    /** x itself if its elements already start at storage index 0 in row-major order, else a copy. */
    static Tensor dense(Tensor x) {
        return x.isContiguous() && x.layout().offset() == 0 ? x : x.contiguousCopy().detach();
    }

    /** A dense tensor with dim {@code d} moved to the end. */
    static Tensor lastDense(Tensor x, int d) {
        return dense(d == x.dim() - 1 ? x : x.transpose(d, -1));
    }

    /** Undo {@link #lastDense}: a view of a dense tensor (in moved shape) in the original order. */
    static Tensor restore(Tensor dense, int d, int rank) {
        return d == rank - 1 ? dense : dense.transpose(d, -1);
    }

    /** Zeros of {@code like}'s dtype and device (for results a kernel adds into). */
    static Tensor zeros(Tensor like, int... shape) {
        return Tensor.zeros(like.dtype(), like.device(), shape);
    }

    /** Like {@link #zeros}, without zeroing: for results a kernel writes completely. */
    static Tensor uninitialized(Tensor like, int... shape) {
        return Tensor.empty(like.dtype(), like.device(), shape);
    }
}
