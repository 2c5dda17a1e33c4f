package dev.qkv.testing;

import dev.qkv.autograd.Autograd;
import dev.qkv.backend.cpu.CpuStorage;
import dev.qkv.tensor.DType;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;

import java.util.Arrays;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Finite-difference gradient checks in double precision, like torch.autograd.gradcheck.
 *
 * <p>The function's output is reduced to a scalar with fixed random weights (so every output
 * element matters and no symmetry hides an error); the analytic gradient from backward() is
 * compared with the central difference (f(x+h) − f(x−h)) / 2h for every input element. Inputs
 * may be non-contiguous views: each is perturbed in its own storage.
 */
public final class GradCheck {
    private GradCheck() {
    }

    public static final double EPS = 1e-6;
    public static final double ATOL = 1e-5;
    public static final double RTOL = 1e-4;

    /** Checks d f(inputs) / d input for every floating input. Inputs must be FLOAT64. */
    public static void check(String what, Function<Tensor[], Tensor> f, Tensor... inputs) {
        check(what, f, EPS, ATOL, RTOL, inputs);
    }

    /**
     * As {@link #check(String, Function, Tensor...)} with a chosen step and tolerances, for
     * functions that are only piecewise smooth at a fine scale (a round trip through float32).
     */
    public static void check(String what, Function<Tensor[], Tensor> f, double eps, double atol, double rtol,
                             Tensor... inputs) {
        Tensor[] leaves = new Tensor[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            leaves[i] = inputs[i].detach();
            if (leaves[i].dtype() == DType.FLOAT64) {
                leaves[i].requiresGrad(true);
            } else if (leaves[i].dtype().isFloating()) {
                throw new IllegalArgumentException("GradCheck: floating inputs must be FLOAT64, got " + leaves[i].dtype());
            }
        }
        Tensor out = f.apply(leaves);
        if (out.dtype() != DType.FLOAT64) {
            fail(what + ": output dtype is " + out.dtype() + ", expected FLOAT64 (a double-precision op)");
        }
        if (!out.requiresGrad()) {
            fail(what + ": the output is not connected to any input through the graph");
        }
        Tensor weights = Rand.uniform(new Generator(1234), -1, 1, out.shape());
        out.mul(weights).sum().backward();

        for (int i = 0; i < leaves.length; i++) {
            Tensor leaf = leaves[i];
            if (leaf.dtype() != DType.FLOAT64) {
                continue;
            }
            if (leaf.grad() == null) {
                fail(what + ": input " + i + " received no gradient");
            }
            if (!Arrays.equals(leaf.grad().shape(), leaf.shape()) || leaf.grad().dtype() != DType.FLOAT64) {
                fail(what + ": gradient of input " + i + " has shape " + Arrays.toString(leaf.grad().shape()) + " and dtype "
                        + leaf.grad().dtype() + ", expected the input's " + Arrays.toString(leaf.shape()) + " FLOAT64");
            }
            double[] analytic = leaf.grad().toDoubleArray();
            double[] data = ((CpuStorage.F64) leaf.storage()).data;
            for (int e = 0; e < leaf.numel(); e++) {
                int pos = leaf.layout().offsetOfLinear(e);
                double saved = data[pos];
                double plus;
                double minus;
                try (var s = Autograd.noGrad()) {
                    data[pos] = saved + eps;
                    plus = f.apply(leaves).mul(weights).sum().item();
                    data[pos] = saved - eps;
                    minus = f.apply(leaves).mul(weights).sum().item();
                } finally {
                    data[pos] = saved;
                }
                double numeric = (plus - minus) / (2 * eps);
                if (!(Math.abs(numeric - analytic[e]) <= atol + rtol * Math.abs(numeric))) {
                    fail(what + ": gradient of input " + i + " (shape " + Arrays.toString(leaf.shape()) + ") at element "
                            + e + ": analytic " + analytic[e] + " vs numeric " + numeric);
                }
            }
        }
    }
}
