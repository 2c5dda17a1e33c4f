package dev.qkv.tensor;

import dev.qkv.backend.cpu.CpuStorage;
import dev.qkv.testing.GradCheck;
import dev.qkv.testing.Rand;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Finite-difference gradient checks of every elementwise function of one tensor, each on three
 * inputs: a contiguous one with a size-1 dim, a transposed view and a narrowed view with an
 * offset. Inputs stay inside each function's smooth domain (positive for sqrt/log, away from 0
 * for abs/relu).
 */
class UnaryGradTest {

    /** Builds a FLOAT64 input of a shape: (generator, layout kind) → tensor. */
    private interface Domain {
        Tensor make(Generator g, int kind, int... shape);

        /** The same inputs with values within 0.05 of a kink moved 0.1 away from it. */
        default Domain andAwayFrom(double... kinks) {
            return (g, kind, shape) -> {
                Tensor t = make(g, kind, shape);
                double[] data = ((CpuStorage.F64) t.storage()).data;
                for (int i = 0; i < data.length; i++) {
                    for (double k : kinks) {
                        if (Math.abs(data[i] - k) < 0.05) {
                            data[i] = data[i] < k ? k - 0.1 : k + 0.1;
                        }
                    }
                }
                return t;
            };
        }
    }

    private static Domain uniform(double lo, double hi) {
        return (g, kind, shape) -> switch (kind) {
            case 0 -> Rand.uniform(g, lo, hi, shape);
            case 1 -> Rand.transposedView(g, lo, hi, shape);
            default -> Rand.narrowedView(g, lo, hi, shape);
        };
    }

    private static Domain awayFromZero(double lo, double hi) {
        return (g, kind, shape) -> switch (kind) {
            case 0 -> Rand.awayFromZero(g, lo, hi, shape);
            case 1 -> Rand.awayFromZeroTransposed(g, lo, hi, shape);
            // a narrowed view of an away-from-zero tensor
            default -> Rand.awayFromZero(g, lo, hi, shape[0] + 1, shape[1] + 2).narrow(0, 1, shape[0]).narrow(1, 2, shape[1]);
        };
    }

    private static final Domain ANY = uniform(-2, 2);
    private static final Domain POSITIVE = uniform(0.5, 2.5);

    private record Case(String name, UnaryOperator<Tensor> f, Domain domain) {
    }

    private static List<Case> cases() {
        List<Case> c = new ArrayList<>();
        c.add(new Case("neg", Tensor::neg, ANY));
        c.add(new Case("abs", Tensor::abs, awayFromZero(0.1, 2)));
        c.add(new Case("sqrt", Tensor::sqrt, POSITIVE));
        c.add(new Case("rsqrt", Tensor::rsqrt, POSITIVE));
        c.add(new Case("exp", Tensor::exp, ANY));
        c.add(new Case("log", Tensor::log, POSITIVE));
        c.add(new Case("sin", Tensor::sin, uniform(-4, 4)));
        c.add(new Case("cos", Tensor::cos, uniform(-4, 4)));
        c.add(new Case("tanh", Tensor::tanh, ANY));
        c.add(new Case("sigmoid", Tensor::sigmoid, uniform(-5, 5)));
        c.add(new Case("relu", Tensor::relu, awayFromZero(0.1, 2)));
        c.add(new Case("gelu exact", x -> x.gelu(false), uniform(-4, 4)));
        c.add(new Case("gelu tanh", x -> x.gelu(true), uniform(-4, 4)));
        c.add(new Case("silu", Tensor::silu, uniform(-4, 4)));
        c.add(new Case("softplus", Tensor::softplus, uniform(-5, 5)));
        c.add(new Case("square", Tensor::square, ANY));
        c.add(new Case("pow 3 (any sign)", x -> x.pow(3), ANY));
        c.add(new Case("pow 2.5", x -> x.pow(2.5), POSITIVE));
        c.add(new Case("pow -0.5", x -> x.pow(-0.5), POSITIVE));
        c.add(new Case("pow 0", x -> x.pow(0), POSITIVE));
        c.add(new Case("add scalar", x -> x.add(1.5), ANY));
        c.add(new Case("sub scalar", x -> x.sub(0.25), ANY));
        c.add(new Case("mul scalar", x -> x.mul(-3), ANY));
        c.add(new Case("div scalar", x -> x.div(0.7), ANY));
        c.add(new Case("clamp both sides", x -> x.clamp(-0.5, 0.75), awayFromZero(0.1, 2).andAwayFrom(-0.5, 0.75)));
        c.add(new Case("clamp min only", x -> x.clamp(0.3, Double.POSITIVE_INFINITY), ANY.andAwayFrom(0.3)));
        c.add(new Case("chain of unaries", x -> x.mul(x).add(1).log().tanh().exp(), ANY));
        return c;
    }

    @TestFactory
    List<DynamicTest> everyUnaryOpOnThreeLayouts() {
        List<DynamicTest> tests = new ArrayList<>();
        int[][] shapes = {{3, 1, 4}, {4, 3}, {5, 2}};
        String[] kinds = {"contiguous", "transposed view", "narrowed view"};
        for (Case c : cases()) {
            tests.add(DynamicTest.dynamicTest(c.name(), () -> {
                Generator g = new Generator(c.name().hashCode());
                for (int kind = 0; kind < 3; kind++) {
                    Tensor x = c.domain().make(g, kind, kind == 0 ? shapes[0] : shapes[kind]);
                    GradCheck.check(c.name() + " on " + kinds[kind], in -> c.f().apply(in[0]), x);
                }
            }));
        }
        return tests;
    }

    @Test
    void zeroDimAndEmptyInputs() {
        GradCheck.check("tanh of a 0-dim tensor", in -> in[0].tanh(), Tensor.fromArray(new double[] {0.3}));
        Tensor empty = Tensor.zeros(DType.FLOAT64, 0, 3).requiresGrad(true);
        empty.exp().sum().backward();
        assertArrayEquals(new int[] {0, 3}, empty.grad().shape());
    }

    @Test
    void derivativesAtKnownPoints() {
        // d/dx at the point, by hand: relu'(2) = 1, relu'(-2) = 0, |x|' = sign(x),
        // gelu'(0) = Φ(0) = 0.5 (exact and tanh), silu'(0) = σ(0) = 0.5, softplus'(0) = 0.5,
        // sigmoid'(0) = 0.25, tanh'(0) = 1, sqrt'(4) = 1/4, rsqrt'(4) = -1/16
        BiFunction<UnaryOperator<Tensor>, Double, Double> grad = (f, at) -> {
            Tensor x = Tensor.fromArray(new double[] {at}).requiresGrad(true);
            f.apply(x).sum().backward();
            return x.grad().item();
        };
        assertEquals(1.0, grad.apply(Tensor::relu, 2.0));
        assertEquals(0.0, grad.apply(Tensor::relu, -2.0));
        assertEquals(-1.0, grad.apply(Tensor::abs, -3.0));
        assertEquals(0.5, grad.apply(x -> x.gelu(false), 0.0), 1e-15);
        assertEquals(0.5, grad.apply(x -> x.gelu(true), 0.0), 1e-15);
        assertEquals(0.5, grad.apply(Tensor::silu, 0.0), 1e-15);
        assertEquals(0.5, grad.apply(Tensor::softplus, 0.0), 1e-15);
        assertEquals(0.25, grad.apply(Tensor::sigmoid, 0.0), 1e-15);
        assertEquals(1.0, grad.apply(Tensor::tanh, 0.0), 1e-15);
        assertEquals(0.25, grad.apply(Tensor::sqrt, 4.0), 1e-15);
        assertEquals(-1.0 / 16, grad.apply(Tensor::rsqrt, 4.0), 1e-15);
        // pow at base 0, as PyTorch: d(x⁰) = 0, d(x²) = 0, d(x^0.5) = inf
        assertEquals(0.0, grad.apply(x -> x.pow(0), 0.0));
        assertEquals(0.0, grad.apply(x -> x.pow(2), 0.0));
        assertEquals(Double.POSITIVE_INFINITY, grad.apply(x -> x.pow(0.5), 0.0));
        // clamp passes the gradient on its closed interval [min, max], as PyTorch does
        assertEquals(1.0, grad.apply(x -> x.clamp(-1, 1), 1.0));
        assertEquals(0.0, grad.apply(x -> x.clamp(-1, 1), 1.5));
    }
}
