package dev.qkv.tensor;

import dev.qkv.autograd.Autograd;
import dev.qkv.autograd.Engine;
import dev.qkv.autograd.Node;
import dev.qkv.backend.Backend;
import dev.qkv.backend.Backends;
import dev.qkv.backend.Storage;
import dev.qkv.backend.cpu.CpuStorage;

import java.util.Arrays;
import java.util.List;

/**
 * An n-dimensional array with reverse-mode autograd: a {@link Storage} (flat buffer on a
 * {@link Device}) seen through a {@link Layout} (shape, strides, offset).
 *
 * <p>Method names follow PyTorch. Ops never modify their inputs; methods ending in {@code _}
 * work in place and are not recorded by the autograd. Views (view, transpose, narrow, select,
 * expand, ...) share storage with their source. Each op's forward and backward live together
 * in the op classes of this package: {@link UnaryOps}, {@link BinaryOps}, {@link ReduceOps},
 * {@link ViewOps}, {@link MatmulOp} and {@link IndexOps}.
 */
public class Tensor {
    private Storage storage;
    private Layout layout;
    private boolean requiresGrad;
    private Tensor grad;
    private Node gradFn;

    protected Tensor(Storage storage, Layout layout) {
        this.storage = storage;
        this.layout = layout;
    }

    /** Low level: a tensor over an existing buffer (used by op implementations and backends). */
    public static Tensor fromStorage(Storage storage, Layout layout) {
        return new Tensor(storage, layout);
    }

    /**
     * A fresh contiguous tensor whose values are unspecified (torch.empty): zeros on the CPU,
     * whatever the memory held on a GPU. For results that an op then writes completely.
     */
    public static Tensor empty(DType dtype, Device device, int... shape) {
        int[] s = shape.clone();
        return new Tensor(Backends.of(device).allocateUninitialized(dtype, Shapes.numel(s)), Layout.contiguous(s));
    }

    /** A fresh contiguous tensor of zeros on a device. */
    public static Tensor zeros(DType dtype, Device device, int... shape) {
        int[] s = shape.clone();
        return new Tensor(Backends.of(device).allocate(dtype, Shapes.numel(s)), Layout.contiguous(s));
    }

    // ===================================================================== factories

    public static Tensor zeros(int... shape) {
        return zeros(DType.FLOAT32, Device.CPU, shape);
    }

    public static Tensor zeros(DType dtype, int... shape) {
        return zeros(dtype, Device.CPU, shape);
    }

    public static Tensor ones(int... shape) {
        return full(1.0, shape);
    }

    public static Tensor full(double value, int... shape) {
        return full(DType.FLOAT32, value, shape);
    }

    public static Tensor full(DType dtype, double value, int... shape) {
        return zeros(dtype, shape).fill_(value);
    }

    /** A 0-dim float32 tensor. */
    public static Tensor scalar(double value) {
        return full(value);
    }

    public static Tensor zerosLike(Tensor t) {
        return zeros(t.dtype(), t.device(), t.shape());
    }

    public static Tensor onesLike(Tensor t) {
        return zerosLike(t).fill_(1.0);
    }

    /** 0, 1, ..., end-1 as INT64, like torch.arange(end). */
    public static Tensor arange(int end) {
        long[] v = new long[Math.max(end, 0)];
        for (int i = 0; i < v.length; i++) {
            v[i] = i;
        }
        return fromArray(v, v.length);
    }

    /** start, start+step, ... below end (above it for a negative step), as float32. */
    public static Tensor arange(double start, double end, double step) {
        if (step == 0 || Double.isNaN(step)) {
            throw new IllegalArgumentException("arange: step must be non-zero, got " + step);
        }
        int n = (int) Math.max(0, Math.ceil((end - start) / step));
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (start + i * step);
        }
        return fromArray(v, n);
    }

    /** A 1-D float32 tensor of the given values. */
    public static Tensor of(float... values) {
        return fromArray(values.clone(), values.length);
    }

    /** A 1-D INT64 tensor of the given values (token ids, targets, indices). */
    public static Tensor ofLongs(long... values) {
        return fromArray(values.clone(), values.length);
    }

    /** A float32 tensor of this shape over a copy of {@code data} (row-major). */
    public static Tensor fromArray(float[] data, int... shape) {
        checkLength("fromArray", data.length, shape);
        return new Tensor(new CpuStorage.F32(data.clone()), Layout.contiguous(shape));
    }

    /** A float64 tensor (double precision, e.g. for gradient checks). */
    public static Tensor fromArray(double[] data, int... shape) {
        checkLength("fromArray", data.length, shape);
        return new Tensor(new CpuStorage.F64(data.clone()), Layout.contiguous(shape));
    }

    /** An INT64 tensor. */
    public static Tensor fromArray(long[] data, int... shape) {
        checkLength("fromArray", data.length, shape);
        return new Tensor(new CpuStorage.I64(data.clone()), Layout.contiguous(shape));
    }

    /** An INT32 tensor. */
    public static Tensor fromArray(int[] data, int... shape) {
        checkLength("fromArray", data.length, shape);
        return new Tensor(new CpuStorage.I32(data.clone()), Layout.contiguous(shape));
    }

    /** A BOOL mask. */
    public static Tensor fromArray(boolean[] data, int... shape) {
        checkLength("fromArray", data.length, shape);
        byte[] b = new byte[data.length];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (data[i] ? 1 : 0);
        }
        return new Tensor(new CpuStorage.Bytes(b, DType.BOOL), Layout.contiguous(shape));
    }

    private static void checkLength(String op, int length, int[] shape) {
        if (Shapes.numel(shape) != length) {
            throw new IllegalArgumentException(op + ": " + length + " values cannot fill shape "
                    + Arrays.toString(shape) + " (" + Shapes.numel(shape) + " elements)");
        }
    }

    /** Uniform in [0, 1), float32. */
    public static Tensor rand(Generator g, int... shape) {
        float[] v = new float[Shapes.numel(shape)];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) g.nextDouble();
        }
        return new Tensor(new CpuStorage.F32(v), Layout.contiguous(shape));
    }

    /** Standard normal, float32. */
    public static Tensor randn(Generator g, int... shape) {
        float[] v = new float[Shapes.numel(shape)];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) g.nextGaussian();
        }
        return new Tensor(new CpuStorage.F32(v), Layout.contiguous(shape));
    }

    /** Uniform integers in [low, high), INT64. */
    public static Tensor randint(Generator g, long low, long high, int... shape) {
        if (high <= low) {
            throw new IllegalArgumentException("randint: need low < high, got low=" + low + " high=" + high);
        }
        long[] v = new long[Shapes.numel(shape)];
        for (int i = 0; i < v.length; i++) {
            v[i] = low + g.nextLong(high - low);
        }
        return new Tensor(new CpuStorage.I64(v), Layout.contiguous(shape));
    }

    // ===================================================================== properties

    public int[] shape() {
        return layout.shape();
    }

    /** Size of one dim (negative counts from the end). */
    public int size(int dim) {
        return layout.shape(Shapes.existingDim("size", dim, shape()));
    }

    /** Number of dims (rank). */
    public int dim() {
        return layout.rank();
    }

    public int numel() {
        return layout.numel();
    }

    public DType dtype() {
        return storage.dtype();
    }

    public Device device() {
        return storage.device();
    }

    public int[] strides() {
        return layout.strides();
    }

    public boolean isContiguous() {
        return layout.isContiguous();
    }

    /** Low level: the buffer behind this tensor (shared with its views). */
    public Storage storage() {
        return storage;
    }

    /** Low level: shape, strides and offset into {@link #storage()}. */
    public Layout layout() {
        return layout;
    }

    /** The backend that runs ops on this tensor's device. */
    public Backend backend() {
        return Backends.of(device());
    }

    // ===================================================================== reading values

    /** The value of a one-element tensor. */
    public double item() {
        if (numel() != 1) {
            throw new IllegalStateException("item: the tensor has " + numel() + " elements, shape "
                    + Arrays.toString(shape()) + "; item() needs exactly one");
        }
        return toDoubleArray()[0];
    }

    /** The element at a multi-index (negative indices count from the end). */
    public double get(int... index) {
        if (index.length != dim()) {
            throw new IllegalArgumentException("get: " + index.length + " indices for a tensor of rank " + dim());
        }
        Tensor t = this;
        for (int i = 0; i < index.length; i++) {
            t = t.select(0, index[i]);
        }
        return t.item();
    }

    /** A host copy of the values in row-major order, as CPU storage. */
    private CpuStorage hostCopy() {
        Tensor c = contiguousCopyOnHost();
        return (CpuStorage) c.storage;
    }

    private Tensor contiguousCopyOnHost() {
        Tensor src = device().isCpu() ? this : to(Device.CPU);
        Tensor out = zeros(src.dtype(), src.shape());
        out.backend().copy(src.storage, src.layout, out.storage, out.layout);
        return out;
    }

    public float[] toFloatArray() {
        CpuStorage s = hostCopy();
        float[] v = new float[s.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) s.get(i);
        }
        return v;
    }

    public double[] toDoubleArray() {
        CpuStorage s = hostCopy();
        double[] v = new double[s.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = s.get(i);
        }
        return v;
    }

    public long[] toLongArray() {
        CpuStorage s = hostCopy();
        long[] v = new long[s.size()];
        if (s instanceof CpuStorage.I64 l) {
            System.arraycopy(l.data, 0, v, 0, v.length);
        } else {
            for (int i = 0; i < v.length; i++) {
                v[i] = s.getLong(i);
            }
        }
        return v;
    }

    // ===================================================================== autograd

    /** True for leaves created with requiresGrad(true) and for results of ops on such tensors. */
    public boolean requiresGrad() {
        return requiresGrad || gradFn != null;
    }

    /** Marks a leaf tensor as a variable whose gradient backward() computes. Returns this. */
    public Tensor requiresGrad(boolean value) {
        if (gradFn != null && !value) {
            throw new IllegalStateException("requiresGrad(false): this tensor was computed by '" + gradFn.op()
                    + "'; use detach() to get a tensor outside the graph");
        }
        if (value && !dtype().isFloating()) {
            throw new IllegalArgumentException("requiresGrad: only floating tensors can require gradients, this one is "
                    + dtype() + " (shape " + Arrays.toString(shape()) + ")");
        }
        this.requiresGrad = value;
        return this;
    }

    /** The accumulated gradient, or null before the first backward(). */
    public Tensor grad() {
        return grad;
    }

    public void setGrad(Tensor g) {
        if (g != null && !Arrays.equals(g.shape(), shape())) {
            throw new IllegalArgumentException("setGrad: gradient shape " + Arrays.toString(g.shape())
                    + " differs from the tensor's shape " + Arrays.toString(shape()));
        }
        this.grad = g;
    }

    /** Forgets the accumulated gradient (like PyTorch's set_to_none). */
    public void zeroGrad() {
        this.grad = null;
    }

    /** The node that produced this tensor, or null for a leaf. */
    public Node gradFn() {
        return gradFn;
    }

    public boolean isLeaf() {
        return gradFn == null;
    }

    /** Used by {@link Autograd#record}; not for model code. */
    public void setGradFn(Node node) {
        this.gradFn = node;
    }

    /** Used by the engine: grad += g (a copy is kept, never an alias). */
    public void accumulateGrad(Tensor g) {
        if (grad == null) {
            grad = g.dtype() == dtype() ? g.contiguousCopy() : g.to(dtype());
        } else {
            grad = grad.add(g);
        }
    }

    /** Backpropagates from a one-element tensor (a loss): d(this)/d(leaf) into every leaf's grad. */
    public void backward() {
        if (numel() != 1) {
            throw new IllegalStateException("backward: grad can be implicitly created only for a scalar output, but "
                    + "the tensor has shape " + Arrays.toString(shape()) + "; pass the gradient explicitly with "
                    + "backward(gradient)");
        }
        Engine.backward(this, onesLike(this));
    }

    /** Backpropagates with an explicit d(loss)/d(this) of this tensor's shape. */
    public void backward(Tensor gradient) {
        Engine.backward(this, gradient);
    }

    /** A tensor sharing this one's storage but outside the graph. */
    public Tensor detach() {
        return new Tensor(storage, layout);
    }

    /** Replaces the data behind this tensor (like PyTorch's {@code param.data = ...}). */
    protected void replaceData(Tensor source) {
        this.storage = source.storage;
        this.layout = source.layout;
    }

    // ===================================================================== devices and dtypes

    /** This tensor on another device (this tensor itself if already there); differentiable. */
    public Tensor to(Device target) {
        Device from = device();
        if (from.equals(target)) {
            return this;
        }
        Tensor c = isContiguous() && layout.offset() == 0 && storage.size() == numel() ? this : contiguousCopy();
        Storage host = c.backend().download(c.storage);
        Tensor out = new Tensor(Backends.of(target).upload(host), Layout.contiguous(shape()));
        return Autograd.record("to", out, g -> new Tensor[] {g.to(from)}, this);
    }

    /** A copy converted to another dtype (this tensor if already that dtype). */
    public Tensor to(DType target) {
        if (dtype() == target) {
            return this;
        }
        Tensor out = empty(target, device(), shape());
        backend().copy(storage, layout, out.storage, out.layout);
        DType from = dtype();
        return target.isFloating() && from.isFloating()
                ? Autograd.record("to", out, g -> new Tensor[] {g.to(from)}, this) : out;
    }

    public Tensor cpu() {
        return to(Device.CPU);
    }

    // ===================================================================== views (no copy)

    public Tensor view(int... shape) { return ViewOps.view(this, shape); }
    public Tensor reshape(int... shape) { return ViewOps.reshape(this, shape); }
    public Tensor flatten() { return reshape(-1); }
    /** Merges dims start..end (inclusive) into one. */
    public Tensor flatten(int start, int end) { return ViewOps.flatten(this, start, end); }
    public Tensor permute(int... order) { return ViewOps.permute(this, order); }
    public Tensor transpose(int d0, int d1) { return ViewOps.transpose(this, d0, d1); }
    /** Transpose of a 2-D tensor. */
    public Tensor t() { return ViewOps.t(this); }
    /** {@code length} elements from {@code start} along {@code dim}. */
    public Tensor narrow(int dim, int start, int length) { return ViewOps.narrow(this, dim, start, length); }
    /** Elements start, start+step, ... below end along dim (Python's {@code x[start:end:step]}). */
    public Tensor slice(int dim, int start, int end, int step) { return ViewOps.slice(this, dim, start, end, step); }
    public Tensor slice(int dim, int start, int end) { return slice(dim, start, end, 1); }
    /** Index {@code index} of {@code dim}, removing that dim. */
    public Tensor select(int dim, int index) { return ViewOps.select(this, dim, index); }
    /** Broadcasts size-1 dims (and new leading dims) to a larger shape; -1 keeps a size. */
    public Tensor expand(int... shape) { return ViewOps.expand(this, shape); }
    public Tensor squeeze() { return ViewOps.squeeze(this); }
    public Tensor squeeze(int dim) { return ViewOps.squeeze(this, dim); }
    public Tensor unsqueeze(int dim) { return ViewOps.unsqueeze(this, dim); }
    /** This tensor if already contiguous, else a contiguous copy. */
    public Tensor contiguous() { return ViewOps.contiguous(this); }

    /** Always a fresh contiguous copy (never shares storage). */
    public Tensor contiguousCopy() {
        Tensor out = empty(dtype(), device(), shape());
        backend().copy(storage, layout, out.storage, out.layout);
        return Autograd.record("clone", out, g -> new Tensor[] {g}, this);
    }

    /** Same as {@link #contiguousCopy()} (PyTorch's name). */
    public Tensor clone() {
        return contiguousCopy();
    }

    // ===================================================================== elementwise

    public Tensor add(Tensor o) { return BinaryOps.add(this, o); }
    public Tensor add(double v) { return BinaryOps.add(this, scalarLike(v)); }
    public Tensor sub(Tensor o) { return BinaryOps.sub(this, o); }
    public Tensor sub(double v) { return BinaryOps.sub(this, scalarLike(v)); }
    public Tensor mul(Tensor o) { return BinaryOps.mul(this, o); }
    public Tensor mul(double v) { return BinaryOps.mul(this, scalarLike(v)); }
    public Tensor div(Tensor o) { return BinaryOps.div(this, o); }
    public Tensor div(double v) { return BinaryOps.div(this, scalarLike(v)); }
    public Tensor pow(Tensor exponent) { return BinaryOps.pow(this, exponent); }
    public Tensor pow(double exponent) { return UnaryOps.pow(this, exponent); }
    /** Elementwise maximum (torch.maximum); ties split the gradient evenly. */
    public Tensor maximum(Tensor o) { return BinaryOps.maximum(this, o); }
    public Tensor minimum(Tensor o) { return BinaryOps.minimum(this, o); }
    /** Limits values to [min, max]; pass ±infinity for a one-sided clamp. */
    public Tensor clamp(double min, double max) { return BinaryOps.clamp(this, min, max); }

    public Tensor neg() { return UnaryOps.neg(this); }
    public Tensor abs() { return UnaryOps.abs(this); }
    public Tensor sqrt() { return UnaryOps.sqrt(this); }
    public Tensor rsqrt() { return UnaryOps.rsqrt(this); }
    public Tensor square() { return mul(this); }
    public Tensor exp() { return UnaryOps.exp(this); }
    public Tensor log() { return UnaryOps.log(this); }
    public Tensor sin() { return UnaryOps.sin(this); }
    public Tensor cos() { return UnaryOps.cos(this); }
    public Tensor tanh() { return UnaryOps.tanh(this); }
    public Tensor sigmoid() { return UnaryOps.sigmoid(this); }
    public Tensor relu() { return UnaryOps.relu(this); }
    /** Exact GELU, x·Φ(x). */
    public Tensor gelu() { return UnaryOps.gelu(this, false); }
    /** GELU, exact or with GPT-2's tanh approximation. */
    public Tensor gelu(boolean tanhApproximation) { return UnaryOps.gelu(this, tanhApproximation); }
    public Tensor silu() { return UnaryOps.silu(this); }
    public Tensor softplus() { return UnaryOps.softplus(this); }

    // comparisons: BOOL masks, not differentiable
    public Tensor eq(Tensor o) { return BinaryOps.compare(dev.qkv.backend.BinaryOp.EQ, this, o); }
    public Tensor eq(double v) { return eq(scalarLike(v)); }
    public Tensor ne(Tensor o) { return BinaryOps.compare(dev.qkv.backend.BinaryOp.NE, this, o); }
    public Tensor ne(double v) { return ne(scalarLike(v)); }
    public Tensor lt(Tensor o) { return BinaryOps.compare(dev.qkv.backend.BinaryOp.LT, this, o); }
    public Tensor lt(double v) { return lt(scalarLike(v)); }
    public Tensor le(Tensor o) { return BinaryOps.compare(dev.qkv.backend.BinaryOp.LE, this, o); }
    public Tensor le(double v) { return le(scalarLike(v)); }
    public Tensor gt(Tensor o) { return BinaryOps.compare(dev.qkv.backend.BinaryOp.GT, this, o); }
    public Tensor gt(double v) { return gt(scalarLike(v)); }
    public Tensor ge(Tensor o) { return BinaryOps.compare(dev.qkv.backend.BinaryOp.GE, this, o); }
    public Tensor ge(double v) { return ge(scalarLike(v)); }
    public Tensor logicalNot() { return UnaryOps.logicalNot(this); }
    public Tensor logicalAnd(Tensor o) { return BinaryOps.compare(dev.qkv.backend.BinaryOp.LOGICAL_AND, this, o); }
    public Tensor logicalOr(Tensor o) { return BinaryOps.compare(dev.qkv.backend.BinaryOp.LOGICAL_OR, this, o); }

    /** {@code cond ? a : b} elementwise, with broadcasting (torch.where). */
    public static Tensor where(Tensor cond, Tensor a, Tensor b) { return BinaryOps.where(cond, a, b); }
    /** This tensor with {@code value} wherever {@code mask} is true. */
    public Tensor maskedFill(Tensor mask, double value) { return BinaryOps.maskedFill(this, mask, value); }

    /** A 0-dim tensor of this tensor's dtype (float32 for a fractional value on an integer tensor). */
    Tensor scalarLike(double v) {
        DType dt = dtype().isFloating() || v == Math.rint(v) ? dtype() : DType.FLOAT32;
        if (dt == DType.BOOL) {
            dt = DType.FLOAT32;
        }
        Tensor s = zeros(dt, device());
        s.fill_(v);
        return s;
    }

    // ===================================================================== reductions

    /** Sum of all elements (0-dim). */
    public Tensor sum() { return ReduceOps.sum(this, null, false); }
    public Tensor sum(int dim) { return ReduceOps.sum(this, new int[] {dim}, false); }
    public Tensor sum(int dim, boolean keepDim) { return ReduceOps.sum(this, new int[] {dim}, keepDim); }
    public Tensor sum(int[] dims, boolean keepDim) { return ReduceOps.sum(this, dims, keepDim); }
    public Tensor mean() { return ReduceOps.mean(this, null, false); }
    public Tensor mean(int dim) { return ReduceOps.mean(this, new int[] {dim}, false); }
    public Tensor mean(int dim, boolean keepDim) { return ReduceOps.mean(this, new int[] {dim}, keepDim); }
    public Tensor mean(int[] dims, boolean keepDim) { return ReduceOps.mean(this, dims, keepDim); }
    /** Maximum of all elements; ties share the gradient evenly. */
    public Tensor max() { return ReduceOps.max(this, null, false); }
    public Tensor max(int dim) { return ReduceOps.max(this, new int[] {dim}, false); }
    public Tensor max(int dim, boolean keepDim) { return ReduceOps.max(this, new int[] {dim}, keepDim); }
    public Tensor max(int[] dims, boolean keepDim) { return ReduceOps.max(this, dims, keepDim); }
    public Tensor min() { return ReduceOps.min(this, null, false); }
    public Tensor min(int dim) { return ReduceOps.min(this, new int[] {dim}, false); }
    public Tensor min(int dim, boolean keepDim) { return ReduceOps.min(this, new int[] {dim}, keepDim); }
    public Tensor min(int[] dims, boolean keepDim) { return ReduceOps.min(this, dims, keepDim); }
    /** Index of the maximum along dim (first on ties), INT64. */
    public Tensor argmax(int dim, boolean keepDim) { return ReduceOps.argmax(this, dim, keepDim, true); }
    /** Index of the maximum of the flattened tensor. */
    public Tensor argmax() { return ReduceOps.argmax(flatten(), 0, false, true); }
    public Tensor argmin(int dim, boolean keepDim) { return ReduceOps.argmax(this, dim, keepDim, false); }
    /** Index of the minimum of the flattened tensor. */
    public Tensor argmin() { return ReduceOps.argmax(flatten(), 0, false, false); }
    /** Variance with Bessel's correction (unbiased), like torch.var. */
    public Tensor var(int[] dims, boolean keepDim) { return ReduceOps.var(this, dims, keepDim, 1); }
    /** Variance: Σ(x − mean)² / (n − correction). */
    public Tensor var(int[] dims, boolean keepDim, int correction) { return ReduceOps.var(this, dims, keepDim, correction); }
    public Tensor var() { return ReduceOps.var(this, null, false, 1); }

    /** Sums a broadcast gradient back to {@code shape} (the reverse of broadcasting). */
    public Tensor sumToShape(int... shape) { return ReduceOps.sumToShape(this, shape); }

    // ===================================================================== linear algebra, indexing

    /**
     * Matrix product with torch.matmul's rules: 1-D operands are vectors, 2-D are matrices,
     * higher ranks are batches of matrices whose batch dims broadcast.
     */
    public Tensor matmul(Tensor o) { return MatmulOp.matmul(this, o); }

    /** Rows (or slices along dim) picked by an integer index vector. */
    public Tensor indexSelect(int dim, Tensor index) { return IndexOps.indexSelect(this, dim, index); }
    /** torch.gather: out[i][j] = this[i][index[i][j]] for dim 1. */
    public Tensor gather(int dim, Tensor index) { return IndexOps.gather(this, dim, index); }

    public static Tensor cat(List<Tensor> tensors, int dim) { return IndexOps.cat(tensors, dim); }
    public static Tensor stack(List<Tensor> tensors, int dim) { return IndexOps.stack(tensors, dim); }
    /** Pieces of {@code size} along dim (the last may be smaller). */
    public List<Tensor> split(int size, int dim) { return IndexOps.split(this, size, dim); }
    /** {@code chunks} pieces of (nearly) equal size along dim. */
    public List<Tensor> chunk(int chunks, int dim) { return IndexOps.chunk(this, chunks, dim); }

    // ===================================================================== in place (not recorded)

    private void checkInPlace(String op) {
        if (Autograd.isGradEnabled() && requiresGrad()) {
            throw new IllegalStateException(op + ": a tensor that requires grad (" + (isLeaf() ? "a leaf" : "computed by '"
                    + gradFn.op() + "'") + ", shape " + Arrays.toString(shape()) + ") cannot be modified in place while "
                    + "grad mode is on; use noGrad()");
        }
    }

    /** Sets every element to value. */
    public Tensor fill_(double value) {
        checkInPlace("fill_");
        backend().fill(storage, layout, value);
        return this;
    }

    public Tensor zero_() {
        return fill_(0);
    }

    /** Copies src (broadcast to this shape) into this tensor's elements. */
    public Tensor copy_(Tensor src) {
        checkInPlace("copy_");
        BinaryOps.checkDevices("copy_", this, src);
        if (!Arrays.equals(Shapes.broadcast("copy_", shape(), src.shape()), shape())) {
            throw new IllegalArgumentException("copy_: source of shape " + Arrays.toString(src.shape())
                    + " does not broadcast to the target's shape " + Arrays.toString(shape()));
        }
        backend().copy(src.storage, src.layout.expand(shape()), storage, layout);
        return this;
    }

    public Tensor add_(Tensor o) { checkInPlace("add_"); BinaryOps.inPlace(dev.qkv.backend.BinaryOp.ADD, this, o); return this; }
    public Tensor add_(double v) { return add_(scalarLike(v)); }
    public Tensor sub_(Tensor o) { checkInPlace("sub_"); BinaryOps.inPlace(dev.qkv.backend.BinaryOp.SUB, this, o); return this; }
    public Tensor mul_(Tensor o) { checkInPlace("mul_"); BinaryOps.inPlace(dev.qkv.backend.BinaryOp.MUL, this, o); return this; }
    public Tensor mul_(double v) { return mul_(scalarLike(v)); }
    public Tensor div_(Tensor o) { checkInPlace("div_"); BinaryOps.inPlace(dev.qkv.backend.BinaryOp.DIV, this, o); return this; }

    // ===================================================================== comparing and printing

    /**
     * |this − other| ≤ atol + rtol·|other| everywhere (same shape; NaN is never close, and an
     * infinity is close only to the same infinity), like torch.allclose.
     */
    public boolean allClose(Tensor other, double rtol, double atol) {
        if (!Arrays.equals(shape(), other.shape())) {
            return false;
        }
        double[] a = toDoubleArray();
        double[] b = other.toDoubleArray();
        for (int i = 0; i < a.length; i++) {
            boolean close = Double.isInfinite(a[i]) || Double.isInfinite(b[i])
                    ? a[i] == b[i]                                  // rtol·|inf| would accept anything
                    : Math.abs(a[i] - b[i]) <= atol + rtol * Math.abs(b[i]);
            if (!close) {
                return false;
            }
        }
        return true;
    }

    /** allClose with PyTorch's defaults (rtol 1e-5, atol 1e-8). */
    public boolean allClose(Tensor other) {
        return allClose(other, 1e-5, 1e-8);
    }

    @Override
    public String toString() {
        return TensorFormat.format(this);
    }
}
