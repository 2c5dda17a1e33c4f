package dev.qkv.tensor;

import dev.qkv.backend.MathFunctions;
import dev.qkv.testing.Rand;
import org.junit.jupiter.api.Test;

import java.util.function.DoubleUnaryOperator;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Values of elementwise ops: by hand, under broadcasting, and float32 (vector kernels) against float64. */
class ElementwiseForwardTest {

    @Test
    void broadcastingByHand() {
        // [[1], [2], [3]] + [[10, 20]] = [[11, 21], [12, 22], [13, 23]]
        Tensor a = Tensor.of(1, 2, 3).view(3, 1);
        Tensor b = Tensor.of(10, 20).view(1, 2);
        assertArrayEquals(new float[] {11, 21, 12, 22, 13, 23}, a.add(b).toFloatArray());
        assertArrayEquals(new int[] {3, 2}, a.add(b).shape());
        // [3,1,4] with [5,1] → [3,5,4]; element (i, j, k) = x[i,0,k] − y[j,0]
        Tensor x = Tensor.arange(12).view(3, 1, 4);
        Tensor y = Tensor.arange(5).view(5, 1);
        Tensor d = x.sub(y);
        assertArrayEquals(new int[] {3, 5, 4}, d.shape());
        assertEquals(4 + 2 - 3.0, d.get(1, 3, 2));
        assertEquals(11 - 4.0, d.get(2, 4, 3));
        // a 0-dim operand broadcasts to anything, and the result of two 0-dim tensors is 0-dim
        assertArrayEquals(new float[] {2, 4}, Tensor.of(1, 2).mul(Tensor.scalar(2)).toFloatArray());
        assertEquals(0, Tensor.scalar(2).mul(Tensor.scalar(3)).dim());
    }

    @Test
    void arithmeticByHand() {
        Tensor a = Tensor.of(6, -3, 0.5f);
        Tensor b = Tensor.of(4, 2, 2);
        assertArrayEquals(new float[] {10, -1, 2.5f}, a.add(b).toFloatArray());
        assertArrayEquals(new float[] {2, -5, -1.5f}, a.sub(b).toFloatArray());
        assertArrayEquals(new float[] {24, -6, 1}, a.mul(b).toFloatArray());
        assertArrayEquals(new float[] {1.5f, -1.5f, 0.25f}, a.div(b).toFloatArray());
        assertArrayEquals(new float[] {1296, 9, 0.25f}, a.pow(b).toFloatArray());
        assertArrayEquals(new float[] {36, 9, 0.25f}, a.pow(2).toFloatArray());
        assertArrayEquals(new float[] {36, 9, 0.25f}, a.square().toFloatArray());
        assertArrayEquals(new float[] {6, 2, 2}, a.maximum(b).toFloatArray());
        assertArrayEquals(new float[] {4, -3, 0.5f}, a.minimum(b).toFloatArray());
        assertArrayEquals(new float[] {1, -1, 0.5f}, a.clamp(-1, 1).toFloatArray());
        assertArrayEquals(new float[] {6, 0, 0.5f}, a.clamp(0, Double.POSITIVE_INFINITY).toFloatArray());
        assertArrayEquals(new float[] {-6, 3, -0.5f}, a.neg().toFloatArray());
        assertArrayEquals(new float[] {6, 3, 0.5f}, a.abs().toFloatArray());
        assertArrayEquals(new float[] {6, 0, 0.5f}, a.relu().toFloatArray());
        assertArrayEquals(new float[] {2, 0.5f}, Tensor.of(4, 0.25f).sqrt().toFloatArray());
        assertArrayEquals(new float[] {0.5f, 2}, Tensor.of(4, 0.25f).rsqrt().toFloatArray());
        // ((a + 1)·2 − 3)/2 + 1.5 = a + 1
        assertArrayEquals(new float[] {7, -2, 1.5f}, a.add(1).mul(2).sub(3).div(2).add(1.5).toFloatArray());
    }

    @Test
    void activationsAtKnownPoints() {
        double[] x = {-1, 0, 1};
        Tensor t = Tensor.fromArray(x, 3);
        double phi1 = 0.5 * (1 + MathFunctions.erf(1 / Math.sqrt(2)));
        // Φ(1) = P(Z ≤ 1) = (1 + 0.682689492137086)/2, the "68%" of the normal distribution
        assertEquals(0.841344746068543, phi1, 1e-15);
        // gelu(x) = x·Φ(x): −Φ(−1) = −(1 − Φ(1)), 0, Φ(1)
        assertArrayEquals(new double[] {-(1 - phi1), 0, phi1}, t.gelu().toDoubleArray(), 1e-15);
        // gelu_tanh(1) = ½·(1 + tanh(√(2/π)·1.044715))
        double gt = 0.5 * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * 1.044715));
        assertArrayEquals(new double[] {-(1 - gt), 0, gt}, t.gelu(true).toDoubleArray(), 1e-15);
        double s1 = 1 / (1 + Math.exp(-1));
        assertArrayEquals(new double[] {1 - s1, 0.5, s1}, t.sigmoid().toDoubleArray(), 1e-15);
        assertArrayEquals(new double[] {-(1 - s1), 0, s1}, t.silu().toDoubleArray(), 1e-15);
        assertArrayEquals(new double[] {Math.log(1 + Math.exp(-1)), Math.log(2), Math.log(1 + Math.E)},
                t.softplus().toDoubleArray(), 1e-15);
        // stable at the extremes: softplus(x) ≈ x for large x, e^x for very negative x; σ(±800)
        assertArrayEquals(new double[] {800, Math.exp(-800), 1, 0},
                new double[] {Tensor.fromArray(new double[] {800}, 1).softplus().item(),
                        Tensor.fromArray(new double[] {-800}, 1).softplus().item(),
                        Tensor.fromArray(new double[] {800}, 1).sigmoid().item(),
                        Tensor.fromArray(new double[] {-800}, 1).sigmoid().item()}, 1e-300);
        // and in float32, 64 elements wide so that the SIMD body runs, not only the scalar tail
        for (float v : Tensor.full(800, 64).softplus().toFloatArray()) {
            assertEquals(800f, v);
        }
        for (float v : Tensor.full(-800, 64).softplus().toFloatArray()) {
            assertEquals(0f, v);
        }
        for (float v : Tensor.full(800, 64).sigmoid().toFloatArray()) {
            assertEquals(1f, v);
        }
        for (float v : Tensor.full(-800, 64).sigmoid().toFloatArray()) {
            assertEquals(0f, v);
        }
    }

    private record Op(String name, UnaryOperator<Tensor> f, DoubleUnaryOperator ref, double lo, double hi) {
    }

    @Test
    void float32KernelsMatchTheDoubleDefinition() {
        // Every unary op on float32 (the Vector API path: 37 elements, so a SIMD body and a scalar
        // tail, plus a transposed view for the strided path) against the scalar formula in double.
        Op[] ops = {
                new Op("neg", Tensor::neg, v -> -v, -3, 3),
                new Op("abs", Tensor::abs, Math::abs, -3, 3),
                new Op("sqrt", Tensor::sqrt, Math::sqrt, 0.01, 9),
                new Op("rsqrt", Tensor::rsqrt, v -> 1 / Math.sqrt(v), 0.01, 9),
                new Op("exp", Tensor::exp, Math::exp, -10, 10),
                new Op("log", Tensor::log, Math::log, 0.01, 100),
                new Op("sin", Tensor::sin, Math::sin, -6, 6),
                new Op("cos", Tensor::cos, Math::cos, -6, 6),
                new Op("tanh", Tensor::tanh, Math::tanh, -6, 6),
                new Op("sigmoid", Tensor::sigmoid, v -> 1 / (1 + Math.exp(-v)), -20, 20),
                new Op("relu", Tensor::relu, v -> Math.max(v, 0), -3, 3),
                new Op("gelu", Tensor::gelu, v -> 0.5 * v * (1 + MathFunctions.erf(v / Math.sqrt(2))), -6, 6),
                new Op("gelu tanh", x -> x.gelu(true),
                        v -> 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v))), -6, 6),
                new Op("silu", Tensor::silu, v -> v / (1 + Math.exp(-v)), -20, 20),
                new Op("softplus", Tensor::softplus, v -> Math.log1p(Math.exp(v)), -20, 20),
        };
        Generator g = new Generator(77);
        for (Op op : ops) {
            for (Tensor x64 : new Tensor[] {Rand.uniform(g, op.lo(), op.hi(), 37), Rand.transposedView(g, op.lo(), op.hi(), 5, 7)}) {
                Tensor x32 = x64.to(DType.FLOAT32);
                float[] got = op.f().apply(x32).toFloatArray();
                double[] in = x32.toDoubleArray();
                for (int i = 0; i < got.length; i++) {
                    double want = op.ref().applyAsDouble(in[i]);
                    // a few float32 ulps of the result, or of the input's scale for results near 0
                    double tol = 4e-7 * Math.max(Math.abs(want), 1) + 1e-7 * Math.abs(in[i]);
                    assertEquals(want, got[i], tol, op.name() + "(" + in[i] + ")");
                }
            }
        }
    }

    /** Pairs of float64 operands in layouts the kernels treat differently. */
    private static Tensor[][] layoutPairs(Generator g, double lo, double hi) {
        return new Tensor[][] {
                {Rand.uniform(g, lo, hi, 37), Rand.uniform(g, lo, hi, 37)},                      // SIMD body + tail
                {Rand.transposedView(g, lo, hi, 5, 7), Rand.uniform(g, lo, hi, 7)},              // strided with a row
                {Rand.uniform(g, lo, hi, 3, 1, 40), Rand.uniform(g, lo, hi, 5, 1)},              // stride-0 inner operand
                {Rand.narrowedView(g, lo, hi, 4, 35), Rand.uniform(g, lo, hi)},                  // offset view, 0-dim
                {Rand.uniform(g, lo, hi, 4, 1).expand(4, 33), Rand.transposedView(g, lo, hi, 4, 33)},
                {Rand.uniform(g, lo, hi, 300, 200), Rand.uniform(g, lo, hi, 300, 200)},          // parallel pieces
        };
    }

    @Test
    void float32BinaryKernelsMatchTheDoubleDefinition() {
        Generator g = new Generator(78);
        String[] names = {"add", "sub", "mul", "div", "pow", "maximum", "minimum"};
        java.util.List<java.util.function.BinaryOperator<Tensor>> ops = java.util.List.of(
                Tensor::add, Tensor::sub, Tensor::mul, Tensor::div, Tensor::pow, Tensor::maximum, Tensor::minimum);
        for (Tensor[] p : layoutPairs(g, 0.5, 2)) {
            Tensor a32 = p[0].to(DType.FLOAT32);
            Tensor b32 = p[1].to(DType.FLOAT32);
            for (int k = 0; k < ops.size(); k++) {
                float[] got = ops.get(k).apply(a32, b32).toFloatArray();
                // the same float32 numbers in double: the definition, rounded once at the end
                double[] want = ops.get(k).apply(a32.to(DType.FLOAT64), b32.to(DType.FLOAT64)).toDoubleArray();
                for (int i = 0; i < got.length; i++) {
                    assertEquals(want[i], got[i], 2e-7 * Math.abs(want[i]), names[k] + " element " + i
                            + " of shapes " + java.util.Arrays.toString(p[0].shape()) + ", " + java.util.Arrays.toString(p[1].shape()));
                }
            }
        }
    }

    @Test
    void float32ReductionsMatchTheDoubleDefinition() {
        Generator g = new Generator(79);
        Tensor[] inputs = {
                Rand.uniform(g, -2, 2, 3, 37, 5),
                Rand.transposedView(g, -2, 2, 3, 37, 5),
                Rand.narrowedView(g, -2, 2, 6, 5, 37),
                Rand.uniform(g, -2, 2, 3, 1, 5).expand(3, 37, 5),
                Rand.uniform(g, -2, 2, 64, 3, 700),                                           // parallel rows
        };
        int[][] dimSets = {{2}, {0}, {1}, {0, 2}, {0, 1, 2}};
        for (Tensor x : inputs) {
            Tensor x32 = x.to(DType.FLOAT32);
            Tensor x64 = x32.to(DType.FLOAT64);
            for (int[] dims : dimSets) {
                int n = 1;
                for (int d : dims) {
                    n *= x.size(d);
                }
                String what = java.util.Arrays.toString(x.shape()) + " over " + java.util.Arrays.toString(dims);
                // a float32 sum of n terms is off by at most n·ε·Σ|x| (ε = 6e-8, the unit roundoff)
                double[] want = x64.sum(dims, false).toDoubleArray();
                double[] got = x32.sum(dims, false).toDoubleArray();
                double[] bound = x64.abs().sum(dims, false).toDoubleArray();
                for (int i = 0; i < want.length; i++) {
                    assertEquals(want[i], got[i], n * 6e-8 * bound[i] + 1e-30, "sum " + what + " element " + i);
                }
                assertArrayEquals(x64.max(dims, true).toDoubleArray(), x32.max(dims, true).toDoubleArray(), 0, "max " + what);
                assertArrayEquals(x64.min(dims, false).toDoubleArray(), x32.min(dims, false).toDoubleArray(), 0, "min " + what);
            }
            assertArrayEquals(x64.argmax(1, false).toLongArray(), x32.argmax(1, false).toLongArray());
        }
    }

    @Test
    void comparisonsAndLogicalOpsGiveBool() {
        Tensor a = Tensor.of(1, 2, 3);
        Tensor b = Tensor.of(3, 2, 1);
        assertBool(new boolean[] {false, true, false}, a.eq(b));
        assertBool(new boolean[] {true, false, true}, a.ne(b));
        assertBool(new boolean[] {true, false, false}, a.lt(b));
        assertBool(new boolean[] {true, true, false}, a.le(b));
        assertBool(new boolean[] {false, false, true}, a.gt(b));
        assertBool(new boolean[] {false, true, true}, a.ge(b));
        assertBool(new boolean[] {false, true, true}, a.gt(1.5));
        assertBool(new boolean[] {true, false, false}, a.eq(1));
        assertBool(new boolean[] {false, true, false}, a.ge(2).logicalAnd(a.le(2)));
        assertBool(new boolean[] {true, false, true}, a.lt(2).logicalOr(a.gt(2)));
        assertBool(new boolean[] {true, false, true}, a.eq(2).logicalNot());
        // integers compare with floats, and comparisons broadcast: [3] vs [2,1] → [2,3]
        Tensor c = Tensor.ofLongs(1, 2, 3).lt(Tensor.of(1.5f, 2.5f).view(2, 1));
        assertBool(new boolean[] {true, false, false, true, true, false}, c);
        assertArrayEquals(new int[] {2, 3}, c.shape());
        assertTrue(!Tensor.of(1).requiresGrad(true).gt(0).requiresGrad(), "masks are not differentiable");
    }

    private static void assertBool(boolean[] expected, Tensor t) {
        assertEquals(DType.BOOL, t.dtype());
        long[] v = t.toLongArray();
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i] ? 1 : 0, v[i], "element " + i);
        }
        assertEquals(expected.length, v.length);
    }

    @Test
    void whereAndMaskedFill() {
        Tensor cond = Tensor.fromArray(new boolean[] {true, false}, 2, 1);
        Tensor a = Tensor.of(1, 2, 3);
        // cond [2,1], a [3], b [] → [[1, 2, 3], [−1, −1, −1]]
        Tensor w = Tensor.where(cond, a, Tensor.scalar(-1));
        assertArrayEquals(new float[] {1, 2, 3, -1, -1, -1}, w.toFloatArray());
        Tensor m = Tensor.zeros(2, 3).maskedFill(Tensor.fromArray(new boolean[] {false, true, false}, 3), Float.NEGATIVE_INFINITY);
        assertArrayEquals(new float[] {0, Float.NEGATIVE_INFINITY, 0, 0, Float.NEGATIVE_INFINITY, 0}, m.toFloatArray());
        // where promotes like the arithmetic ops
        assertEquals(DType.FLOAT64, Tensor.where(cond, Tensor.ofLongs(1), Tensor.fromArray(new double[] {2}, 1)).dtype());
    }

    @Test
    void dtypePromotion() {
        Tensor i64 = Tensor.ofLongs(7, -3);
        Tensor f32 = Tensor.of(0.5f, 0.5f);
        Tensor f64 = Tensor.fromArray(new double[] {0.25, 0.25}, 2);
        assertEquals(DType.FLOAT32, i64.add(f32).dtype(), "int + float32 → float32");
        assertArrayEquals(new float[] {7.5f, -2.5f}, i64.add(f32).toFloatArray());
        assertEquals(DType.FLOAT32, f32.mul(i64).dtype(), "in either order");
        assertEquals(DType.FLOAT64, f32.add(f64).dtype(), "float32 + float64 → float64");
        assertEquals(DType.FLOAT64, Tensor.fromArray(new int[] {1}, 1).add(f64.narrow(0, 0, 1)).dtype());
        assertEquals(DType.INT64, i64.add(i64).dtype(), "int64 + int64 stays int64");
        assertEquals(DType.INT64, i64.add(Tensor.fromArray(new int[] {1, 1}, 2)).dtype(), "int32 + int64 → int64");
        assertEquals(DType.INT64, i64.mul(2).dtype(), "an integral scalar keeps the integer type");
        assertEquals(DType.FLOAT32, i64.add(0.5).dtype(), "a fractional scalar makes it float32");
        Tensor q = i64.div(Tensor.ofLongs(2, 2));
        assertEquals(DType.FLOAT32, q.dtype(), "int64 / int64 → float32 (true division)");
        assertArrayEquals(new float[] {3.5f, -1.5f}, q.toFloatArray());
        assertArrayEquals(new float[] {3.5f, -1.5f}, i64.div(2).toFloatArray());
        assertEquals(DType.FLOAT32, i64.exp().dtype(), "float functions of integers give float32");
        assertEquals(DType.INT64, i64.neg().dtype());
        assertArrayEquals(new long[] {7, 3}, i64.abs().toLongArray());
        assertEquals(DType.FLOAT32, f32.add(3).dtype(), "scalars never widen a float tensor");
        assertEquals(DType.FLOAT64, f64.mul(0.1).dtype());
    }
}
