package dev.qkv.backend;

/**
 * Elementwise functions of one argument. Each constant carries its scalar definition, which is
 * the reference every backend is tested against, and the name its CUDA kernel uses.
 */
public enum UnaryOp {
    NEG("neg") { public double apply(double x) { return -x; } },
    ABS("abs") { public double apply(double x) { return Math.abs(x); } },
    SIGN("sign") { public double apply(double x) { return Math.signum(x); } },
    EXP("exp") { public double apply(double x) { return Math.exp(x); } },
    LOG("log") { public double apply(double x) { return Math.log(x); } },
    SQRT("sqrt") { public double apply(double x) { return Math.sqrt(x); } },
    RSQRT("rsqrt") { public double apply(double x) { return 1.0 / Math.sqrt(x); } },
    RECIPROCAL("reciprocal") { public double apply(double x) { return 1.0 / x; } },
    SIN("sin") { public double apply(double x) { return Math.sin(x); } },
    COS("cos") { public double apply(double x) { return Math.cos(x); } },
    TANH("tanh") { public double apply(double x) { return Math.tanh(x); } },
    /** 1 / (1 + e^-x), written so that neither branch overflows. */
    SIGMOID("sigmoid") {
        public double apply(double x) {
            if (x >= 0) {
                return 1.0 / (1.0 + Math.exp(-x));
            }
            double e = Math.exp(x);
            return e / (1.0 + e);
        }
    },
    /** max(x, 0); NaN stays NaN, as in PyTorch. */
    RELU("relu") { public double apply(double x) { return Math.max(x, 0.0); } },
    /** Exact GELU: x·Φ(x) = x/2·(1 + erf(x/√2)). */
    GELU("gelu") { public double apply(double x) { return 0.5 * x * (1.0 + MathFunctions.erf(x / Math.sqrt(2.0))); } },
    /** GELU's tanh approximation used by GPT-2: x/2·(1 + tanh(√(2/π)·(x + 0.044715x³))). */
    GELU_TANH("gelu_tanh") {
        public double apply(double x) {
            return 0.5 * x * (1.0 + Math.tanh(MathFunctions.SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)));
        }
    },
    /** x·sigmoid(x), also called swish. */
    SILU("silu") { public double apply(double x) { return x * SIGMOID.apply(x); } },
    /** log(1 + e^x) = max(x, 0) + log1p(e^-|x|), stable for large |x|. */
    SOFTPLUS("softplus") { public double apply(double x) { return Math.max(x, 0.0) + Math.log1p(Math.exp(-Math.abs(x))); } },
    /** Derivative of exact GELU: Φ(x) + x·φ(x). Used by GELU's backward. */
    GELU_GRAD("gelu_grad") {
        public double apply(double x) {
            double cdf = 0.5 * (1.0 + MathFunctions.erf(x / Math.sqrt(2.0)));
            double pdf = Math.exp(-0.5 * x * x) / Math.sqrt(2.0 * Math.PI);
            return cdf + x * pdf;
        }
    },
    /** Derivative of the tanh-approximate GELU. Used by its backward. */
    GELU_TANH_GRAD("gelu_tanh_grad") {
        public double apply(double x) {
            double inner = MathFunctions.SQRT_2_OVER_PI * (x + 0.044715 * x * x * x);
            double t = Math.tanh(inner);
            double dInner = MathFunctions.SQRT_2_OVER_PI * (1.0 + 3.0 * 0.044715 * x * x);
            return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * dInner;
        }
    },
    LOGICAL_NOT("logical_not") { public double apply(double x) { return x == 0 ? 1.0 : 0.0; } };

    private final String kernelName;

    UnaryOp(String kernelName) {
        this.kernelName = kernelName;
    }

    /** The scalar definition: the reference for every backend's kernel. */
    public abstract double apply(double x);

    /** Name of the device kernel that implements this op. */
    public String kernelName() {
        return kernelName;
    }
}
