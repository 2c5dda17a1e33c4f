package dev.qkv.optim;

import dev.qkv.autograd.Autograd;
import dev.qkv.backend.AdamUpdate;
import dev.qkv.backend.SgdUpdate;
import dev.qkv.backend.cpu.CpuStorage;
import dev.qkv.nn.Parameter;
import dev.qkv.tensor.DType;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Layout;
import dev.qkv.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Adam, AdamW and SGD now run each parameter's step as one {@code Backend.adamUpdate} /
 * {@code sgdUpdate} call. On the CPU that call composes the same elementwise ops the optimizers
 * used to issue as tensor expressions; this test keeps those expressions (below, verbatim from
 * before the change) and requires bit-identical parameters after every step, for float32 and
 * float64, every option, and non-contiguous parameters and gradients.
 */
class FusedUpdateMatchesTensorExpressionsTest {

    // ----- the update rules as tensor expressions, as Adam.update and SGD.update wrote them before -----

    private static void adamAsTensorOps(Tensor p, Tensor grad, Map<String, Tensor> st, long t, double lr, double beta1,
                                        double beta2, double eps, double wd, boolean amsgrad, boolean decoupled) {
        if (wd != 0 && decoupled) {
            p.mul_(1 - lr * wd);
        } else if (wd != 0) {
            grad = grad.add(p.mul(wd));
        }
        Tensor m = st.computeIfAbsent("exp_avg", k -> Tensor.zerosLike(p));
        Tensor v = st.computeIfAbsent("exp_avg_sq", k -> Tensor.zerosLike(p));
        m.mul_(beta1).add_(grad.mul(1 - beta1));
        v.mul_(beta2).add_(grad.mul(grad).mul(1 - beta2));
        if (amsgrad) {
            Tensor vMax = st.computeIfAbsent("max_exp_avg_sq", k -> Tensor.zerosLike(p));
            vMax.copy_(vMax.maximum(v));
            v = vMax;
        }
        double biasCorrection1 = 1 - Math.pow(beta1, t);
        double biasCorrection2 = 1 - Math.pow(beta2, t);
        Tensor denom = v.sqrt().div(Math.sqrt(biasCorrection2)).add(eps);
        p.sub_(m.div(denom).mul(lr / biasCorrection1));
    }

    private static void sgdAsTensorOps(Tensor p, Tensor grad, Map<String, Tensor> st, double lr, double momentum,
                                       double dampening, double wd, boolean nesterov) {
        Tensor d = wd != 0 ? grad.add(p.mul(wd)) : grad;
        if (momentum != 0) {
            Tensor buf = st.get("momentum_buffer");
            if (buf == null) {
                buf = d.contiguousCopy();
                st.put("momentum_buffer", buf);
            } else {
                buf.mul_(momentum).add_(d.mul(1 - dampening));
            }
            d = nesterov ? d.add(buf.mul(momentum)) : buf;
        }
        p.sub_(d.mul(lr));
    }

    interface TensorRule {
        void step(Tensor p, Tensor grad, Map<String, Tensor> state, long t);
    }

    /**
     * Six steps of {@code make} on a [7, 5] parameter (a transposed view when {@code strided}),
     * with gradients that are transposed views every other step, against {@code rule} on a copy.
     */
    private static void sameBits(String what, DType dt, boolean strided, Function<List<Parameter>, Optimizer> make,
                                 TensorRule rule) {
        Generator gen = new Generator(what.hashCode());
        Tensor init = Tensor.randn(gen, 5, 7).to(dt);
        Parameter p = new Parameter(strided ? init.transpose(0, 1) : init.contiguousCopy().transpose(0, 1).contiguous());
        Tensor q = p.detach().contiguousCopy();
        Optimizer opt = make.apply(List.of(p));
        Map<String, Tensor> state = new HashMap<>();
        for (int t = 1; t <= 6; t++) {
            Tensor g = t % 2 == 0 ? Tensor.randn(gen, 5, 7).to(dt).transpose(0, 1) : Tensor.randn(gen, 7, 5).to(dt);
            g = t == 3 ? g.mul(0) : g;                                  // a zero gradient: v̂ may shrink (AMSGrad)
            p.setGrad(g);
            opt.step();
            try (var s = Autograd.noGrad()) {
                rule.step(q, g, state, t);
            }
            double[] a = q.toDoubleArray();
            double[] b = p.toDoubleArray();
            for (int i = 0; i < a.length; i++) {
                if (Double.doubleToRawLongBits(a[i]) != Double.doubleToRawLongBits(b[i])) {
                    fail(what + " " + dt + (strided ? " strided" : "") + ": step " + t + " element " + i
                            + ": tensor expressions give " + a[i] + ", the fused update " + b[i]);
                }
            }
        }
    }

    private static void everyLayoutAndDtype(String what, Function<List<Parameter>, Optimizer> make, TensorRule rule) {
        for (DType dt : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
            for (boolean strided : new boolean[] {false, true}) {
                sameBits(what, dt, strided, make, rule);
            }
        }
    }

    @Test
    void adamVariants() {
        everyLayoutAndDtype("Adam", ps -> new Adam(ps, 1e-2),
                (p, g, s, t) -> adamAsTensorOps(p, g, s, t, 1e-2, 0.9, 0.999, 1e-8, 0, false, false));
        everyLayoutAndDtype("Adam L2 AMSGrad", ps -> new Adam(ps, 3e-3, 0.8, 0.95, 1e-6, 0.05, true),
                (p, g, s, t) -> adamAsTensorOps(p, g, s, t, 3e-3, 0.8, 0.95, 1e-6, 0.05, true, false));
        everyLayoutAndDtype("AdamW", ps -> new AdamW(ps, 1e-2, 0.9, 0.95, 1e-8, 0.1, false),
                (p, g, s, t) -> adamAsTensorOps(p, g, s, t, 1e-2, 0.9, 0.95, 1e-8, 0.1, false, true));
        everyLayoutAndDtype("AdamW AMSGrad", ps -> new AdamW(ps, 1e-2, 0.9, 0.999, 1e-8, 0.01, true),
                (p, g, s, t) -> adamAsTensorOps(p, g, s, t, 1e-2, 0.9, 0.999, 1e-8, 0.01, true, true));
    }

    @Test
    void sgdVariants() {
        everyLayoutAndDtype("SGD", ps -> new SGD(ps, 0.1),
                (p, g, s, t) -> sgdAsTensorOps(p, g, s, 0.1, 0, 0, 0, false));
        everyLayoutAndDtype("SGD momentum dampening decay", ps -> new SGD(ps, 0.05, 0.9, 0.1, 0.01, false),
                (p, g, s, t) -> sgdAsTensorOps(p, g, s, 0.05, 0.9, 0.1, 0.01, false));
        everyLayoutAndDtype("SGD nesterov", ps -> new SGD(ps, 0.05, 0.8, 0, 0.02, true),
                (p, g, s, t) -> sgdAsTensorOps(p, g, s, 0.05, 0.8, 0, 0.02, true));
    }

    /** A float64 gradient on a float32 parameter is converted before the step (PyTorch refuses it). */
    @Test
    void aGradientOfAnotherDtypeIsConverted() {
        Parameter p = new Parameter(Tensor.of(1f, 2f));
        new SGD(List.of(p), 0.5).step();                               // no gradient: nothing happens
        p.setGrad(Tensor.fromArray(new double[] {0.1, 0.3}, 2));
        new SGD(List.of(p), 0.5).step();
        assertEquals(1f - 0.5f * (float) 0.1, p.toFloatArray()[0]);
        assertEquals(2f - 0.5f * (float) 0.3, p.toFloatArray()[1]);
    }

    @Test
    void theUpdateRecordsRejectMismatchedBuffersNamingTheOpAndShapes() {
        CpuStorage p = CpuStorage.allocate(DType.FLOAT32, 6);
        Layout l = Layout.contiguous(2, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new AdamUpdate(p, l,
                CpuStorage.allocate(DType.FLOAT32, 6), Layout.contiguous(3, 2), p, l, p, l, null, null, 1e-3, 0.9, 0.999,
                1e-8, 0, false, 1));
        assertEquals("adamUpdate: grad has shape [3, 2] but the parameter has shape [2, 3]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new AdamUpdate(p, l, CpuStorage.allocate(DType.FLOAT64, 6),
                l, p, l, p, l, null, null, 1e-3, 0.9, 0.999, 1e-8, 0, false, 1));
        assertEquals("adamUpdate: grad is FLOAT64 but the parameter is FLOAT32 (shape [2, 3])", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new AdamUpdate(p, l, p, l, p, l, p, l, null, null, 1e-3,
                0.9, 0.999, 1e-8, 0, false, 0));
        assertEquals("adamUpdate: step counts from 1, got 0", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new SgdUpdate(p, l, p, new Layout(new int[] {2, 3},
                new int[] {3, 1}, 1), null, null, 0.1, 0, 0, 0, false, false));
        assertTrue(e.getMessage().startsWith("sgdUpdate: the view of grad"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new SgdUpdate(p, l, p, l, null, null, 0.1, 0.9, 0, 0,
                false, true));
        assertEquals("sgdUpdate: a momentum buffer is needed exactly when momentum != 0; got momentum 0.9 and no buffer",
                e.getMessage());
    }
}
