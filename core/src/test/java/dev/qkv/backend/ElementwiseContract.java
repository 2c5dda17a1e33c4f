package dev.qkv.backend;

import dev.qkv.backend.Compare.Tol;
import dev.qkv.backend.Views.View;
import dev.qkv.backend.cpu.CpuStorage;
import dev.qkv.tensor.DType;
import dev.qkv.tensor.Layout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * fill, copy, unary, binary and where on every layout of {@link Views}: each case runs on the
 * backend under test and on the reference, over whole storages (padding included), and the
 * results must agree. Inputs are random and never zero except where zero is the point (masks).
 */
public interface ElementwiseContract extends BackendUnderTest {

    /** Odd sizes, size-1 dims, and one shape big enough to be split across threads. */
    List<int[]> SHAPES = List.of(new int[] {1}, new int[] {7}, new int[] {3, 17}, new int[] {33, 65},
            new int[] {2, 1, 130}, new int[] {5, 7, 3}, new int[] {130, 257});

    /** Shapes larger than this run in float32 only (they are there to split work across threads). */
    int BIG = 10_000;

    /**
     * float32: a few ulp (2⁻²⁴ ≈ 6e-8) of rounding, plus the error of the vector math functions
     * (exp, tanh, erf, ...), which is well under 1e-6 relative. A wrong formula or index is off
     * by orders of magnitude more.
     */
    Tol F32 = Tol.of(1e-5, 1e-6);

    static Tol tol(DType dt) {
        return dt == DType.FLOAT64 ? Compare.F64 : F32;
    }

    // ----- fill and copy -----

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"FLOAT32", "FLOAT64", "INT64", "BOOL"})
    default void fillWritesEveryElementOfItsViewAndNothingElse(DType dt) {
        assumeTrue(supports(dt));
        Random rng = new Random(1);
        double value = dt == DType.BOOL ? 1 : dt == DType.INT64 ? -3 : -1.75;
        for (int[] shape : SHAPES) {
            if (dt != DType.FLOAT32 && Views.numel(shape) > BIG) {
                continue;
            }
            for (View v : Views.outputs(shape)) {
                CpuStorage host = dt == DType.BOOL ? HostData.ints(dt, v.size(), rng, 0, 0)
                        : HostData.signed(dt, v.size(), rng, 0.5, 2);
                Storage dev = up(host);
                backend().fill(dev, v.layout(), value);
                CpuStorage ref = HostData.copy(host);
                REFERENCE.fill(ref, v.layout(), value);
                Compare.close("fill " + dt + " " + v, ref, down(dev), Tol.of(0, 0));
            }
        }
    }

    /** Data a dtype can hold: masks with zeros, small integers, or floats away from zero. */
    static CpuStorage sample(DType dt, int n, Random rng) {
        return switch (dt) {
            case BOOL -> HostData.ints(dt, n, rng, 0, 1);
            case INT64, INT32 -> HostData.ints(dt, n, rng, -50, 50);
            default -> HostData.signed(dt, n, rng, 0.01, 50);
        };
    }

    /** Every dtype conversion the tensor layer uses: float ⇄ double, float → int (toward zero), masks. */
    @Test
    default void copyConvertsDtypesBetweenAnyLayouts() {
        DType[][] pairs = {
                {DType.FLOAT32, DType.FLOAT32}, {DType.FLOAT32, DType.FLOAT64}, {DType.FLOAT64, DType.FLOAT32},
                {DType.FLOAT64, DType.FLOAT64}, {DType.INT64, DType.FLOAT32}, {DType.FLOAT32, DType.INT64},
                {DType.INT64, DType.INT64}, {DType.BOOL, DType.FLOAT32}, {DType.FLOAT32, DType.BOOL}};
        Random rng = new Random(2);
        for (DType[] p : pairs) {
            if (!supports(p[0]) || !supports(p[1])) {
                continue;
            }
            for (int[] shape : SHAPES) {
                if ((p[0] != DType.FLOAT32 || p[1] != DType.FLOAT32) && Views.numel(shape) > BIG) {
                    continue;                                // big shapes test threading: float32 only
                }
                List<View> ins = Views.inputs(shape);
                List<View> outs = Views.outputs(shape);
                for (int i = 0; i < Math.max(ins.size(), outs.size()); i++) {
                    View sv = ins.get(i % ins.size());
                    View dv = outs.get(i % outs.size());
                    CpuStorage src = p[1] == DType.BOOL ? HostData.ints(p[0], sv.size(), rng, -1, 1)
                            : sample(p[0], sv.size(), rng);
                    CpuStorage dst = sample(p[1], dv.size(), rng);
                    Storage devDst = up(dst);
                    backend().copy(up(src), sv.layout(), devDst, dv.layout());
                    CpuStorage ref = HostData.copy(dst);
                    REFERENCE.copy(src, sv.layout(), ref, dv.layout());
                    // float → float64 is exact and float64 → float is one rounding: no tolerance.
                    Compare.close("copy " + p[0] + " → " + p[1] + " from " + sv + " to " + dv, ref, down(devDst),
                            Tol.of(0, 0));
                }
            }
        }
    }

    // ----- unary -----

    /** Inputs inside each op's domain, wide enough to reach its tails (exp(30), tanh(9), ...). */
    static CpuStorage unaryInput(UnaryOp op, DType dt, int n, Random rng) {
        return switch (op) {
            case LOG, SQRT, RSQRT -> HostData.uniform(dt, n, rng, 0.05, 5);
            case RECIPROCAL -> HostData.signed(dt, n, rng, 0.1, 5);
            case EXP -> HostData.signed(dt, n, rng, 0.01, 30);
            case SIN, COS -> HostData.signed(dt, n, rng, 0.01, 10);
            case SIGMOID, TANH, SOFTPLUS, SILU, GELU, GELU_TANH, GELU_GRAD, GELU_TANH_GRAD ->
                    HostData.signed(dt, n, rng, 0.01, 9);
            case LOGICAL_NOT -> HostData.ints(dt, n, rng, -1, 1);
            case NEG, ABS, SIGN, RELU -> dt.isFloating() ? HostData.signed(dt, n, rng, 0.01, 3)
                    : HostData.ints(dt, n, rng, -5, 5);
        };
    }

    @ParameterizedTest
    @EnumSource(UnaryOp.class)
    default void unaryMatchesReferenceOnEveryLayout(UnaryOp op) {
        Random rng = new Random(100 + op.ordinal());
        for (DType dt : List.of(DType.FLOAT32, DType.FLOAT64, DType.INT64)) {
            boolean integerOp = op == UnaryOp.NEG || op == UnaryOp.ABS || op == UnaryOp.SIGN || op == UnaryOp.LOGICAL_NOT;
            if (!supports(dt) || (!dt.isFloating() && !integerOp)) {
                continue;
            }
            DType outType = op == UnaryOp.LOGICAL_NOT ? DType.BOOL : dt;
            for (int[] shape : SHAPES) {
                if (dt != DType.FLOAT32 && Views.numel(shape) > BIG) {
                    continue;                                // big shapes test threading: float32 only
                }
                List<View> ins = Views.inputs(shape);
                List<View> outs = Views.outputs(shape);
                for (int i = 0; i < ins.size(); i++) {
                    View xv = ins.get(i);
                    View ov = outs.get(i % outs.size());
                    CpuStorage x = unaryInput(op, dt, xv.size(), rng);
                    CpuStorage out = HostData.signed(outType, ov.size(), rng, 0.5, 2);
                    Storage devOut = up(out);
                    backend().unary(op, up(x), xv.layout(), devOut, ov.layout());
                    CpuStorage ref = HostData.copy(out);
                    REFERENCE.unary(op, x, xv.layout(), ref, ov.layout());
                    Compare.close(op + " " + dt + " from " + xv + " into " + ov, ref, down(devOut), tol(dt));
                }
            }
        }
    }

    /** ±0, ±∞, NaN, tiny and huge values, repeated so that both vector lanes and tails see them. */
    @ParameterizedTest
    @EnumSource(UnaryOp.class)
    default void unaryAgreesOnSpecialValues(UnaryOp op) {
        assumeTrue(supports(DType.FLOAT32) && op != UnaryOp.LOGICAL_NOT);
        double[] specials = {0.0, -0.0, 1e-30, -1e-30, 88, -88, 100, -100, Double.POSITIVE_INFINITY,
                Double.NEGATIVE_INFINITY, Double.NaN};
        int n = specials.length * 3;
        CpuStorage x = CpuStorage.allocate(DType.FLOAT32, n);
        for (int i = 0; i < n; i++) {
            x.set(i, specials[i % specials.length]);
        }
        Storage devOut = up(HostData.garbage(DType.FLOAT32, n));
        backend().unary(op, up(x), Layout.contiguous(n), devOut, Layout.contiguous(n));
        CpuStorage ref = HostData.garbage(DType.FLOAT32, n);
        REFERENCE.unary(op, x, Layout.contiguous(n), ref, Layout.contiguous(n));
        Compare.close(op + " on special values", ref, down(devOut), F32);
    }

    // ----- binary -----

    static CpuStorage binaryInput(BinaryOp op, boolean second, DType dt, int n, Random rng) {
        if (op.isComparison()) {                              // small integers: plenty of ties, and zeros
            return HostData.ints(dt, n, rng, op == BinaryOp.LOGICAL_AND || op == BinaryOp.LOGICAL_OR ? 0 : -2, 2);
        }
        if (!dt.isFloating()) {
            return HostData.ints(dt, n, rng, -20, 20);
        }
        return switch (op) {
            case DIV -> second ? HostData.signed(dt, n, rng, 0.1, 5) : HostData.signed(dt, n, rng, 0.01, 5);
            case POW -> second ? HostData.signed(dt, n, rng, 0.0, 3) : HostData.uniform(dt, n, rng, 0.1, 3);
            default -> HostData.signed(dt, n, rng, 0.01, 3);
        };
    }

    @ParameterizedTest
    @EnumSource(BinaryOp.class)
    default void binaryMatchesReferenceOnEveryLayout(BinaryOp op) {
        Random rng = new Random(200 + op.ordinal());
        for (DType dt : List.of(DType.FLOAT32, DType.FLOAT64, DType.INT64)) {
            if (!supports(dt) || (!dt.isFloating() && (op == BinaryOp.DIV || op == BinaryOp.POW))) {
                continue;
            }
            DType outType = op.isComparison() ? DType.BOOL : dt;
            for (int[] shape : SHAPES) {
                if (dt != DType.FLOAT32 && Views.numel(shape) > BIG) {
                    continue;                                // big shapes test threading: float32 only
                }
                List<View> ins = Views.inputs(shape);
                List<View> outs = Views.outputs(shape);
                for (int i = 0; i < ins.size(); i++) {
                    View av = ins.get(i);
                    View bv = ins.get((i + 3) % ins.size());
                    View ov = outs.get(i % outs.size());
                    CpuStorage a = binaryInput(op, false, dt, av.size(), rng);
                    CpuStorage b = binaryInput(op, true, dt, bv.size(), rng);
                    CpuStorage out = HostData.signed(outType, ov.size(), rng, 0.5, 2);
                    Storage devOut = up(out);
                    backend().binary(op, up(a), av.layout(), up(b), bv.layout(), devOut, ov.layout());
                    CpuStorage ref = HostData.copy(out);
                    REFERENCE.binary(op, a, av.layout(), b, bv.layout(), ref, ov.layout());
                    Compare.close(op + " " + dt + " of " + av + " and " + bv + " into " + ov, ref, down(devOut),
                            tol(dt));
                }
            }
        }
    }

    /** out aliases a (x.add_(y)): every element is read before it is written. */
    @ParameterizedTest
    @EnumSource(value = BinaryOp.class, names = {"ADD", "SUB", "MUL", "DIV", "MAX"})
    default void binaryInPlaceOnAView(BinaryOp op) {
        assumeTrue(supports(DType.FLOAT32));
        Random rng = new Random(300 + op.ordinal());
        for (int[] shape : SHAPES) {
            for (View v : Views.outputs(shape)) {
                View bv = Views.inputs(shape).getLast();
                CpuStorage a = binaryInput(op, false, DType.FLOAT32, v.size(), rng);
                CpuStorage b = binaryInput(op, true, DType.FLOAT32, bv.size(), rng);
                Storage devA = up(a);
                backend().binary(op, devA, v.layout(), up(b), bv.layout(), devA, v.layout());
                CpuStorage ref = HostData.copy(a);
                REFERENCE.binary(op, ref, v.layout(), b, bv.layout(), ref, v.layout());
                Compare.close(op + " in place on " + v + " with " + bv, ref, down(devA), F32);
            }
        }
    }

    // ----- where -----

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"FLOAT32", "FLOAT64", "INT64"})
    default void whereMatchesReferenceOnEveryLayout(DType dt) {
        assumeTrue(supports(dt) && supports(DType.BOOL));
        Random rng = new Random(400 + dt.ordinal());
        for (int[] shape : SHAPES) {
            if (dt != DType.FLOAT32 && Views.numel(shape) > BIG) {
                continue;
            }
            List<View> ins = Views.inputs(shape);
            List<View> outs = Views.outputs(shape);
            for (int i = 0; i < ins.size(); i++) {
                View cv = ins.get(i);
                View av = ins.get((i + 2) % ins.size());
                View bv = ins.get((i + 5) % ins.size());
                View ov = outs.get(i % outs.size());
                CpuStorage c = HostData.ints(DType.BOOL, cv.size(), rng, 0, 1);
                CpuStorage a = sample(dt, av.size(), rng);
                CpuStorage b = sample(dt, bv.size(), rng);
                CpuStorage out = sample(dt, ov.size(), rng);
                Storage devOut = up(out);
                backend().where(up(c), cv.layout(), up(a), av.layout(), up(b), bv.layout(), devOut, ov.layout());
                CpuStorage ref = HostData.copy(out);
                REFERENCE.where(c, cv.layout(), a, av.layout(), b, bv.layout(), ref, ov.layout());
                Compare.close("where " + dt + " cond " + cv + " a " + av + " b " + bv + " into " + ov, ref,
                        down(devOut), Tol.of(0, 0));
            }
        }
    }
}
