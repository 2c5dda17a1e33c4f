package dev.qkv.tensor;

import dev.qkv.autograd.Autograd;
import dev.qkv.backend.UnaryOp;

/**
 * Elementwise functions of one tensor. Each op is its forward (one backend call) and, right
 * under it, its backward rule: the derivative times the incoming gradient, written with tensor
 * ops. {@code y} is the forward output, {@code x} the input, {@code g} the gradient of y.
 */
final class UnaryOps {
    private UnaryOps() {
    }

    /** Runs op elementwise into a fresh tensor; integer inputs of float functions give float32. */
    static Tensor map(UnaryOp op, Tensor x, boolean floatResult) {
        DType dt = floatResult ? x.dtype().toFloating() : x.dtype();
        Tensor out = Tensor.empty(dt, x.device(), x.shape());
        x.backend().unary(op, x.storage(), x.layout(), out.storage(), out.layout());
        return out;
    }

    static Tensor neg(Tensor x) {
        Tensor y = map(UnaryOp.NEG, x, false);
        return Autograd.record("neg", y, g -> new Tensor[] {g.neg()}, x);
    }

    static Tensor abs(Tensor x) {
        Tensor y = map(UnaryOp.ABS, x, false);
        return Autograd.record("abs", y, g -> new Tensor[] {g.mul(map(UnaryOp.SIGN, x, true))}, x);  // d|x| = sign(x)
    }

    static Tensor exp(Tensor x) {
        Tensor y = map(UnaryOp.EXP, x, true);
        return Autograd.record("exp", y, g -> new Tensor[] {g.mul(y)}, x);                          // d e^x = e^x
    }

    static Tensor log(Tensor x) {
        Tensor y = map(UnaryOp.LOG, x, true);
        return Autograd.record("log", y, g -> new Tensor[] {g.div(x)}, x);                          // d log x = 1/x
    }

    static Tensor sqrt(Tensor x) {
        Tensor y = map(UnaryOp.SQRT, x, true);
        return Autograd.record("sqrt", y, g -> new Tensor[] {g.div(y.mul(2))}, x);                  // 1/(2√x)
    }

    static Tensor rsqrt(Tensor x) {
        Tensor y = map(UnaryOp.RSQRT, x, true);
        return Autograd.record("rsqrt", y, g -> new Tensor[] {g.mul(y.mul(y).mul(y).mul(-0.5))}, x); // -x^(-3/2)/2
    }

    static Tensor sin(Tensor x) {
        Tensor y = map(UnaryOp.SIN, x, true);
        return Autograd.record("sin", y, g -> new Tensor[] {g.mul(x.cos())}, x);
    }

    static Tensor cos(Tensor x) {
        Tensor y = map(UnaryOp.COS, x, true);
        return Autograd.record("cos", y, g -> new Tensor[] {g.mul(x.sin()).neg()}, x);
    }

    static Tensor tanh(Tensor x) {
        Tensor y = map(UnaryOp.TANH, x, true);
        return Autograd.record("tanh", y, g -> new Tensor[] {g.mul(y.mul(y).neg().add(1))}, x);      // 1 - tanh²
    }

    static Tensor sigmoid(Tensor x) {
        Tensor y = map(UnaryOp.SIGMOID, x, true);
        return Autograd.record("sigmoid", y, g -> new Tensor[] {g.mul(y.mul(y.neg().add(1)))}, x);   // σ(1 - σ)
    }

    static Tensor relu(Tensor x) {
        Tensor y = map(UnaryOp.RELU, x, false);
        return Autograd.record("relu", y, g -> new Tensor[] {g.mul(x.gt(0).to(g.dtype()))}, x);     // 1 where x > 0
    }

    static Tensor gelu(Tensor x, boolean tanhApproximation) {
        UnaryOp f = tanhApproximation ? UnaryOp.GELU_TANH : UnaryOp.GELU;
        UnaryOp df = tanhApproximation ? UnaryOp.GELU_TANH_GRAD : UnaryOp.GELU_GRAD;
        Tensor y = map(f, x, true);
        return Autograd.record("gelu", y, g -> new Tensor[] {g.mul(map(df, x, true))}, x);
    }

    static Tensor silu(Tensor x) {
        Tensor y = map(UnaryOp.SILU, x, true);
        return Autograd.record("silu", y, g -> {
            Tensor s = map(UnaryOp.SIGMOID, x, true);
            return new Tensor[] {g.mul(s.add(y.mul(s.neg().add(1))))};                               // σ + x·σ(1 - σ)
        }, x);
    }

    static Tensor softplus(Tensor x) {
        Tensor y = map(UnaryOp.SOFTPLUS, x, true);
        return Autograd.record("softplus", y, g -> new Tensor[] {g.mul(map(UnaryOp.SIGMOID, x, true))}, x);
    }

    static Tensor pow(Tensor x, double p) {
        Tensor y = BinaryOps.forward(dev.qkv.backend.BinaryOp.POW, "pow", x, x.scalarLike(p), true);
        // p·x^(p-1); x^0 is constant, whose gradient is 0 even at x = 0 (not 0·inf)
        return Autograd.record("pow", y, g -> new Tensor[] {p == 0 ? g.mul(0) : g.mul(x.pow(p - 1).mul(p))}, x);
    }

    static Tensor logicalNot(Tensor x) {
        Tensor out = Tensor.empty(DType.BOOL, x.device(), x.shape());
        x.backend().unary(UnaryOp.LOGICAL_NOT, x.storage(), x.layout(), out.storage(), out.layout());
        return out;
    }
}
