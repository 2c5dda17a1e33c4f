package dev.qkv.tensor;

import dev.qkv.autograd.Autograd;
import dev.qkv.backend.BinaryOp;

import java.util.Arrays;

/**
 * Elementwise functions of two tensors with NumPy broadcasting, comparisons, where and
 * maskedFill. Backward rules return gradients in the broadcast shape; the engine sums them back
 * to each input's shape.
 */
final class BinaryOps {
    private BinaryOps() {
    }

    /** Throws unless all tensors are on one device, naming the op and the devices. */
    static void checkDevices(String op, Tensor... ts) {
        Device d = null;
        for (Tensor t : ts) {
            if (t == null) {
                continue;
            }
            if (d == null) {
                d = t.device();
            } else if (!d.equals(t.device())) {
                throw new IllegalArgumentException(op + ": expected all tensors on the same device, but found " + d
                        + " and " + t.device());
            }
        }
    }

    /** Broadcasts a and b, allocates the result and runs the kernel. */
    static Tensor forward(BinaryOp op, String name, Tensor a, Tensor b, boolean floatResult) {
        checkDevices(name, a, b);
        int[] shape = Shapes.broadcast(name, a.shape(), b.shape());
        DType dt = op.isComparison() ? DType.BOOL : DType.promote(a.dtype(), b.dtype());
        if (floatResult) {
            dt = dt.toFloating();
        }
        if (dt == DType.BOOL && !op.isComparison()) {
            dt = DType.FLOAT32;
        }
        Tensor out = Tensor.empty(dt, a.device(), shape);
        a.backend().binary(op, a.storage(), a.layout().expand(shape), b.storage(), b.layout().expand(shape),
                out.storage(), out.layout());
        return out;
    }

    static Tensor add(Tensor a, Tensor b) {
        Tensor y = forward(BinaryOp.ADD, "add", a, b, false);
        return Autograd.record("add", y, g -> new Tensor[] {g, g}, a, b);
    }

    static Tensor sub(Tensor a, Tensor b) {
        Tensor y = forward(BinaryOp.SUB, "sub", a, b, false);
        return Autograd.record("sub", y, g -> new Tensor[] {g, g.neg()}, a, b);
    }

    static Tensor mul(Tensor a, Tensor b) {
        Tensor y = forward(BinaryOp.MUL, "mul", a, b, false);
        return Autograd.record("mul", y, g -> new Tensor[] {
                a.requiresGrad() ? g.mul(b) : null,
                b.requiresGrad() ? g.mul(a) : null}, a, b);
    }

    static Tensor div(Tensor a, Tensor b) {
        Tensor y = forward(BinaryOp.DIV, "div", a, b, true);
        return Autograd.record("div", y, g -> new Tensor[] {
                a.requiresGrad() ? g.div(b) : null,
                b.requiresGrad() ? g.mul(y).div(b).neg() : null}, a, b);          // d(a/b)/db = -a/b² = -y/b
    }

    static Tensor pow(Tensor a, Tensor b) {
        Tensor y = forward(BinaryOp.POW, "pow", a, b, true);
        // d/da = b·a^(b-1) and d/db = a^b·log a, with PyTorch's limits where the formulas give
        // 0·inf: a^0 is constant in a (so 0 where b = 0), and 0^b is 0 for b ≥ 0 whatever b is.
        return Autograd.record("pow", y, g -> {
            Tensor zero = Tensor.zeros(g.dtype(), g.device());
            Tensor da = a.requiresGrad() ? Tensor.where(b.eq(0), zero, g.mul(b).mul(a.pow(b.sub(1)))) : null;
            Tensor db = b.requiresGrad() ? Tensor.where(a.eq(0).logicalAnd(b.ge(0)), zero, g.mul(y).mul(a.log())) : null;
            return new Tensor[] {da, db};
        }, a, b);
    }

    static Tensor maximum(Tensor a, Tensor b) {
        Tensor y = forward(BinaryOp.MAX, "maximum", a, b, false);
        return Autograd.record("maximum", y, g -> tieSplit(g, a, b, a.gt(b)), a, b);
    }

    static Tensor minimum(Tensor a, Tensor b) {
        Tensor y = forward(BinaryOp.MIN, "minimum", a, b, false);
        return Autograd.record("minimum", y, g -> tieSplit(g, a, b, a.lt(b)), a, b);
    }

    /** Gradient of max/min: to the winner, split in half on ties (as PyTorch does). */
    private static Tensor[] tieSplit(Tensor g, Tensor a, Tensor b, Tensor aWins) {
        Tensor tie = a.eq(b).to(g.dtype()).mul(0.5);
        Tensor wa = aWins.to(g.dtype()).add(tie);
        Tensor wb = wa.neg().add(1);
        return new Tensor[] {g.mul(wa), g.mul(wb)};
    }

    static Tensor clamp(Tensor x, double min, double max) {
        if (min > max) {
            throw new IllegalArgumentException("clamp: min " + min + " is greater than max " + max);
        }
        Tensor y = x;
        try (var s = Autograd.noGrad()) {
            if (min != Double.NEGATIVE_INFINITY) {
                y = forward(BinaryOp.MAX, "clamp", y, x.scalarLike(min), false);
            }
            if (max != Double.POSITIVE_INFINITY) {
                y = forward(BinaryOp.MIN, "clamp", y, x.scalarLike(max), false);
            }
            if (y == x) {
                y = x.contiguousCopy();
            }
        }
        // The gradient passes where x is inside [min, max].
        return Autograd.record("clamp", y, g -> new Tensor[] {g.mul(x.ge(min).logicalAnd(x.le(max)).to(g.dtype()))}, x);
    }

    static Tensor compare(BinaryOp op, Tensor a, Tensor b) {
        return forward(op, op.kernelName(), a, b, false);
    }

    static Tensor where(Tensor cond, Tensor a, Tensor b) {
        checkDevices("where", cond, a, b);
        if (cond.dtype() != DType.BOOL) {
            throw new IllegalArgumentException("where: condition must be a BOOL mask, got " + cond.dtype());
        }
        int[] shape = Shapes.broadcast("where", Shapes.broadcast("where", cond.shape(), a.shape()), b.shape());
        Tensor out = Tensor.empty(DType.promote(a.dtype(), b.dtype()), a.device(), shape);
        a.backend().where(cond.storage(), cond.layout().expand(shape), a.storage(), a.layout().expand(shape),
                b.storage(), b.layout().expand(shape), out.storage(), out.layout());
        return Autograd.record("where", out, g -> {
            Tensor zero = Tensor.zeros(g.dtype(), g.device());
            return new Tensor[] {null, where(cond, g, zero), where(cond, zero, g)};
        }, cond, a, b);
    }

    static Tensor maskedFill(Tensor x, Tensor mask, double value) {
        checkDevices("maskedFill", x, mask);
        if (mask.dtype() != DType.BOOL) {
            throw new IllegalArgumentException("maskedFill: mask must be BOOL, got " + mask.dtype());
        }
        int[] shape = Shapes.broadcast("maskedFill", x.shape(), mask.shape());
        if (!Arrays.equals(shape, x.shape())) {
            throw new IllegalArgumentException("maskedFill: mask of shape " + Arrays.toString(mask.shape())
                    + " must broadcast to the tensor's shape " + Arrays.toString(x.shape()));
        }
        return where(mask, x.scalarLike(value), x);
    }

    /** x op= o, writing into x's own (possibly strided) elements. */
    static void inPlace(BinaryOp op, Tensor x, Tensor o) {
        checkDevices(op.kernelName() + "_", x, o);
        int[] shape = Shapes.broadcast(op.kernelName() + "_", x.shape(), o.shape());
        if (!Arrays.equals(shape, x.shape())) {
            throw new IllegalArgumentException(op.kernelName() + "_: operand of shape " + Arrays.toString(o.shape())
                    + " does not broadcast to the in-place target's shape " + Arrays.toString(x.shape()));
        }
        x.backend().binary(op, x.storage(), x.layout(), o.storage(), o.layout().expand(shape), x.storage(), x.layout());
    }
}
