package dev.qkv.backend;

import dev.qkv.tensor.DType;
import dev.qkv.tensor.Device;
import dev.qkv.tensor.Layout;

/**
 * A backend that forwards the primitives to another one and keeps the interface's default
 * fused operations, i.e. {@link CompositeKernels}: how a new backend behaves before it writes its
 * own softmax or layer norm kernels. Tests run it against the contract so that the composed
 * defaults stay correct even though the CPU backend overrides all of them.
 */
class PrimitivesOnlyBackend implements Backend {
    private final Backend inner;

    PrimitivesOnlyBackend(Backend inner) {
        this.inner = inner;
    }

    public Device device() { return inner.device(); }
    public Storage allocate(DType dtype, int numel) { return inner.allocate(dtype, numel); }
    public Storage upload(Storage hostStorage) { return inner.upload(hostStorage); }
    public Storage download(Storage storage) { return inner.download(storage); }
    public void fill(Storage out, Layout ol, double value) { inner.fill(out, ol, value); }
    public void copy(Storage src, Layout sl, Storage dst, Layout dl) { inner.copy(src, sl, dst, dl); }

    public void unary(UnaryOp op, Storage x, Layout xl, Storage out, Layout ol) {
        inner.unary(op, x, xl, out, ol);
    }

    public void binary(BinaryOp op, Storage a, Layout al, Storage b, Layout bl, Storage out, Layout ol) {
        inner.binary(op, a, al, b, bl, out, ol);
    }

    public void where(Storage cond, Layout cl, Storage a, Layout al, Storage b, Layout bl, Storage out, Layout ol) {
        inner.where(cond, cl, a, al, b, bl, out, ol);
    }

    public void reduce(ReduceOp op, Storage x, Layout xl, boolean[] dims, Storage out) {
        inner.reduce(op, x, xl, dims, out);
    }

    public void gemm(Gemm g) { inner.gemm(g); }

    public void indexSelect(Storage src, Layout sl, int dim, Storage idx, Layout il, Storage out) {
        inner.indexSelect(src, sl, dim, idx, il, out);
    }

    public void indexAdd(Storage dst, Layout dl, int dim, Storage idx, Layout il, Storage src, Layout sl) {
        inner.indexAdd(dst, dl, dim, idx, il, src, sl);
    }

    public void gather(Storage src, Layout sl, int dim, Storage idx, Layout il, Storage out) {
        inner.gather(src, sl, dim, idx, il, out);
    }

    public void scatterAdd(Storage dst, Layout dl, int dim, Storage idx, Layout il, Storage src, Layout sl) {
        inner.scatterAdd(dst, dl, dim, idx, il, src, sl);
    }
}
