package dev.qkv.backend;

import dev.qkv.tensor.DType;
import dev.qkv.tensor.Layout;

import java.util.Arrays;

/**
 * The default bodies of {@link Backend#adamUpdate} and {@link Backend#sgdUpdate}: the update
 * composed from the backend's elementwise primitives, one op at a time, exactly as the tensor
 * expressions {@code dev.qkv.optim.Adam} and {@code SGD} used before the fused primitive existed
 * (and as {@code torch.optim}'s for-loop implementation writes them):
 *
 * <ul>
 *   <li>every intermediate is a new contiguous buffer of the parameter's dtype, so each op rounds
 *   to that dtype;</li>
 *   <li>a scalar operand is a one-element buffer of the parameter's dtype filled with the double
 *   value (so float32 updates use {@code (float) (1 − β1)}, {@code (float) (lr / (1 − β1ᵗ))}, ...),
 *   broadcast with stride 0, as {@code Tensor.mul(double)} makes it;</li>
 *   <li>the ops run in the same order on the same operands, so the results are bit-identical to
 *   the tensor expressions on every backend.</li>
 * </ul>
 *
 * A fused kernel that wants the same results must do the same roundings in the same order
 * (cuda/src/main/cuda/optim.cu does).
 */
final class OptimizerUpdates {
    private OptimizerUpdates() {
    }

    /** The parameter's shape seen through stride-0 views: a broadcast scalar. */
    private static Layout broadcast(int[] shape) {
        return new Layout(shape, new int[shape.length], 0);
    }

    private static Storage scalar(Backend be, DType dt, double v) {
        Storage s = be.allocate(dt, 1);
        be.fill(s, Layout.contiguous(), v);
        return s;
    }

    /** grad + wd·p (L2 weight decay, coupled), as a new contiguous buffer; torch's grad.add(p, alpha=wd). */
    private static Storage gradPlusDecay(Backend be, DType dt, int n, Storage p, Layout pl, Storage g, Layout gl,
                                         double wd, Layout c, Layout s) {
        Storage pwd = be.allocate(dt, n);
        be.binary(BinaryOp.MUL, p, pl, scalar(be, dt, wd), s, pwd, c);                       // p.mul(wd)
        Storage out = be.allocate(dt, n);
        be.binary(BinaryOp.ADD, g, gl, pwd, c, out, c);                                      // grad.add(...)
        return out;
    }

    static void adam(Backend be, AdamUpdate u) {
        DType dt = u.param().dtype();
        int[] shape = u.paramLayout().shape();
        int n = u.paramLayout().numel();
        if (n == 0) {
            return;
        }
        Layout c = Layout.contiguous(shape);
        Layout s = broadcast(shape);
        Storage p = u.param();
        Layout pl = u.paramLayout();
        Storage g = u.grad();
        Layout gl = u.gradLayout();
        double lr = u.lr();
        double wd = u.weightDecay();
        if (wd != 0 && u.decoupledWeightDecay()) {
            be.binary(BinaryOp.MUL, p, pl, scalar(be, dt, 1 - lr * wd), s, p, pl);          // p.mul_(1 − lr·wd)
        } else if (wd != 0) {
            g = gradPlusDecay(be, dt, n, p, pl, g, gl, wd, c, s);
            gl = c;
        }
        Storage m = u.expAvg();
        Layout ml = u.expAvgLayout();
        Storage t = be.allocate(dt, n);
        be.binary(BinaryOp.MUL, m, ml, scalar(be, dt, u.beta1()), s, m, ml);                 // m.mul_(β1)
        be.binary(BinaryOp.MUL, g, gl, scalar(be, dt, 1 - u.beta1()), s, t, c);              // grad.mul(1 − β1)
        be.binary(BinaryOp.ADD, m, ml, t, c, m, ml);                                         // .add_(...)
        Storage v = u.expAvgSq();
        Layout vl = u.expAvgSqLayout();
        be.binary(BinaryOp.MUL, v, vl, scalar(be, dt, u.beta2()), s, v, vl);                 // v.mul_(β2)
        Storage gg = be.allocate(dt, n);
        be.binary(BinaryOp.MUL, g, gl, g, gl, gg, c);                                        // grad.mul(grad)
        be.binary(BinaryOp.MUL, gg, c, scalar(be, dt, 1 - u.beta2()), s, t, c);              // .mul(1 − β2)
        be.binary(BinaryOp.ADD, v, vl, t, c, v, vl);                                         // v.add_(...)
        if (u.amsgrad()) {
            Storage vMax = u.maxExpAvgSq();
            Layout vml = u.maxExpAvgSqLayout();
            be.binary(BinaryOp.MAX, vMax, vml, v, vl, t, c);                                 // vMax.maximum(v)
            be.copy(t, c, vMax, vml);                                                        // vMax.copy_(...)
            v = vMax;
            vl = vml;
        }
        Storage denom = be.allocate(dt, n);
        be.unary(UnaryOp.SQRT, v, vl, denom, c);                                             // v.sqrt()
        be.binary(BinaryOp.DIV, denom, c, scalar(be, dt, Math.sqrt(u.biasCorrection2())), s, t, c);  // .div(√bc2)
        be.binary(BinaryOp.ADD, t, c, scalar(be, dt, u.eps()), s, denom, c);                 // .add(eps)
        be.binary(BinaryOp.DIV, m, ml, denom, c, t, c);                                      // m.div(denom)
        be.binary(BinaryOp.MUL, t, c, scalar(be, dt, lr / u.biasCorrection1()), s, gg, c);   // .mul(lr / bc1)
        be.binary(BinaryOp.SUB, p, pl, gg, c, p, pl);                                        // p.sub_(...)
    }

    static void sgd(Backend be, SgdUpdate u) {
        DType dt = u.param().dtype();
        int[] shape = u.paramLayout().shape();
        int n = u.paramLayout().numel();
        if (n == 0) {
            return;
        }
        Layout c = Layout.contiguous(shape);
        Layout s = broadcast(shape);
        Storage p = u.param();
        Layout pl = u.paramLayout();
        Storage d = u.grad();
        Layout dl = u.gradLayout();
        if (u.weightDecay() != 0) {
            d = gradPlusDecay(be, dt, n, p, pl, d, dl, u.weightDecay(), c, s);
            dl = c;
        }
        if (u.momentum() != 0) {
            Storage b = u.momentumBuffer();
            Layout bl = u.momentumBufferLayout();
            if (u.firstStep()) {
                be.copy(d, dl, b, bl);                                                       // d.contiguousCopy()
            } else {
                be.binary(BinaryOp.MUL, b, bl, scalar(be, dt, u.momentum()), s, b, bl);      // buf.mul_(μ)
                Storage t = be.allocate(dt, n);
                be.binary(BinaryOp.MUL, d, dl, scalar(be, dt, 1 - u.dampening()), s, t, c);  // d.mul(1 − dampening)
                be.binary(BinaryOp.ADD, b, bl, t, c, b, bl);                                 // .add_(...)
            }
            if (u.nesterov()) {
                Storage t = be.allocate(dt, n);
                be.binary(BinaryOp.MUL, b, bl, scalar(be, dt, u.momentum()), s, t, c);       // buf.mul(μ)
                Storage d2 = be.allocate(dt, n);
                be.binary(BinaryOp.ADD, d, dl, t, c, d2, c);                                 // d.add(...)
                d = d2;
                dl = c;
            } else {
                d = b;
                dl = bl;
            }
        }
        Storage step = be.allocate(dt, n);
        be.binary(BinaryOp.MUL, d, dl, scalar(be, dt, u.lr()), s, step, c);                  // d.mul(lr)
        be.binary(BinaryOp.SUB, p, pl, step, c, p, pl);                                      // p.sub_(...)
    }

    /**
     * Checks an update's buffers: param floating; every view with the parameter's shape and inside
     * its storage; every storage of the parameter's dtype. {@code optional[i]} buffers may be null.
     */
    static void checkBuffers(String op, Storage param, Layout paramLayout, Storage[] buffers, Layout[] layouts,
                             String[] names, boolean[] optional) {
        if (param == null || paramLayout == null) {
            throw new IllegalArgumentException(op + ": param and its layout are required");
        }
        if (!param.dtype().isFloating()) {
            throw new IllegalArgumentException(op + ": the parameter must be floating, got " + param.dtype());
        }
        checkView(op, "param", param, paramLayout);
        int[] shape = paramLayout.shape();
        for (int i = 0; i < buffers.length; i++) {
            if (buffers[i] == null) {
                if (!optional[i]) {
                    throw new IllegalArgumentException(op + ": " + names[i] + " is required");
                }
                continue;
            }
            if (layouts[i] == null) {
                throw new IllegalArgumentException(op + ": " + names[i] + " has no layout");
            }
            if (!Arrays.equals(layouts[i].shape(), shape)) {
                throw new IllegalArgumentException(op + ": " + names[i] + " has shape "
                        + Arrays.toString(layouts[i].shape()) + " but the parameter has shape " + Arrays.toString(shape));
            }
            if (buffers[i].dtype() != param.dtype()) {
                throw new IllegalArgumentException(op + ": " + names[i] + " is " + buffers[i].dtype()
                        + " but the parameter is " + param.dtype() + " (shape " + Arrays.toString(shape) + ")");
            }
            checkView(op, names[i], buffers[i], layouts[i]);
        }
    }

    private static void checkView(String op, String name, Storage s, Layout l) {
        if (l.numel() == 0) {
            return;
        }
        long lo = l.offset();
        long hi = l.offset();
        for (int d = 0; d < l.rank(); d++) {
            long span = (long) (l.shape(d) - 1) * l.stride(d);
            if (span < 0) {
                lo += span;
            } else {
                hi += span;
            }
        }
        if (lo < 0 || hi >= s.size()) {
            throw new IllegalArgumentException(op + ": the view of " + name + " (" + l + ") reaches elements " + lo
                    + ".." + hi + " of a storage of " + s.size());
        }
    }
}
