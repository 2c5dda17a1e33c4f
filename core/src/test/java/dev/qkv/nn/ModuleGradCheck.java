package dev.qkv.nn;

import dev.qkv.autograd.Autograd;
import dev.qkv.backend.cpu.CpuStorage;
import dev.qkv.tensor.DType;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;
import dev.qkv.testing.GradCheck;
import dev.qkv.testing.Rand;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Gradient checks of a whole module in double precision. {@link GradCheck} only sees its
 * explicit inputs (it makes detached leaves of them), so it checks the input's gradient here;
 * the parameters' gradients are checked the same way, by central differences on each
 * parameter's own storage, with GradCheck's step and tolerances.
 */
final class ModuleGradCheck {
    private ModuleGradCheck() {
    }

    static void check(String what, UnaryModule module, Tensor input) {
        for (var e : module.namedParameters().entrySet()) {
            if (e.getValue().dtype() != DType.FLOAT64) {
                throw new IllegalArgumentException(what + ": parameter " + e.getKey() + " is " + e.getValue().dtype()
                        + "; convert the module with to(DType.FLOAT64)");
            }
        }
        if (input.dtype() == DType.FLOAT64) {
            GradCheck.check(what + " (input)", in -> module.forward(in[0]), input);
        }
        Tensor x = input.detach();
        module.zeroGrad();
        Tensor out = module.forward(x);
        Tensor weights = Rand.uniform(new Generator(4321), -1, 1, out.shape());
        out.mul(weights).sum().backward();
        for (Map.Entry<String, Parameter> e : module.namedParameters().entrySet()) {
            Parameter p = e.getValue();
            assertNotNull(p.grad(), what + ": parameter " + e.getKey() + " received no gradient");
            double[] analytic = p.grad().toDoubleArray();
            double[] data = ((CpuStorage.F64) p.storage()).data;
            for (int i = 0; i < p.numel(); i++) {
                int pos = p.layout().offsetOfLinear(i);
                double saved = data[pos];
                double plus;
                double minus;
                try (var s = Autograd.noGrad()) {
                    data[pos] = saved + GradCheck.EPS;
                    plus = module.forward(x).mul(weights).sum().item();
                    data[pos] = saved - GradCheck.EPS;
                    minus = module.forward(x).mul(weights).sum().item();
                } finally {
                    data[pos] = saved;
                }
                double numeric = (plus - minus) / (2 * GradCheck.EPS);
                if (!(Math.abs(numeric - analytic[i]) <= GradCheck.ATOL + GradCheck.RTOL * Math.abs(numeric))) {
                    fail(what + ": gradient of " + e.getKey() + " at element " + i + ": analytic " + analytic[i]
                            + " vs numeric " + numeric);
                }
            }
        }
    }
}
