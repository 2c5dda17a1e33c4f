package dev.qkv.backend;

/**
 * Elementwise functions of two arguments (after broadcasting). Comparisons return 1 or 0 and
 * are stored into BOOL outputs.
 */
public enum BinaryOp {
    ADD("add") { public double apply(double a, double b) { return a + b; } },
    SUB("sub") { public double apply(double a, double b) { return a - b; } },
    MUL("mul") { public double apply(double a, double b) { return a * b; } },
    DIV("div") { public double apply(double a, double b) { return a / b; } },
    POW("pow") { public double apply(double a, double b) { return Math.pow(a, b); } },
    /** Elementwise maximum; NaN if either is NaN (like torch.maximum). */
    MAX("maximum") { public double apply(double a, double b) { return Math.max(a, b); } },
    MIN("minimum") { public double apply(double a, double b) { return Math.min(a, b); } },
    EQ("eq", true) { public double apply(double a, double b) { return a == b ? 1 : 0; } },
    NE("ne", true) { public double apply(double a, double b) { return a != b ? 1 : 0; } },
    LT("lt", true) { public double apply(double a, double b) { return a < b ? 1 : 0; } },
    LE("le", true) { public double apply(double a, double b) { return a <= b ? 1 : 0; } },
    GT("gt", true) { public double apply(double a, double b) { return a > b ? 1 : 0; } },
    GE("ge", true) { public double apply(double a, double b) { return a >= b ? 1 : 0; } },
    LOGICAL_AND("logical_and", true) { public double apply(double a, double b) { return a != 0 && b != 0 ? 1 : 0; } },
    LOGICAL_OR("logical_or", true) { public double apply(double a, double b) { return a != 0 || b != 0 ? 1 : 0; } };

    private final String kernelName;
    private final boolean comparison;

    BinaryOp(String kernelName) {
        this(kernelName, false);
    }

    BinaryOp(String kernelName, boolean comparison) {
        this.kernelName = kernelName;
        this.comparison = comparison;
    }

    /** The scalar definition: the reference for every backend's kernel. */
    public abstract double apply(double a, double b);

    /** True for ops whose result is a BOOL mask. */
    public boolean isComparison() {
        return comparison;
    }

    public String kernelName() {
        return kernelName;
    }
}
