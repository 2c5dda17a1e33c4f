package dev.qkv.nn;

import dev.qkv.autograd.Autograd;
import dev.qkv.backend.cpu.CpuStorage;
import dev.qkv.tensor.DType;
import dev.qkv.tensor.Generator;
import dev.qkv.testing.GradCheck;
import dev.qkv.testing.Rand;
import dev.qkv.tensor.Tensor;

import java.util.Map;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Checks the gradients of every parameter of a module by central differences in double
 * precision, for a forward pass with any number of inputs ({@link ModuleGradCheck} covers
 * one-input modules): {@code f} runs the module on fixed inputs, its output is reduced with
 * fixed random weights, and each parameter element is perturbed in its own storage. Input
 * gradients are checked separately with {@link GradCheck}.
 */
public final class ParamGradCheck {
    private ParamGradCheck() {
    }

    public static void check(String what, Module module, Supplier<Tensor> f) {
        for (var e : module.namedParameters().entrySet()) {
            if (e.getValue().dtype() != DType.FLOAT64) {
                throw new IllegalArgumentException(what + ": parameter " + e.getKey() + " is " + e.getValue().dtype()
                        + "; convert the module with to(DType.FLOAT64)");
            }
        }
        module.zeroGrad();
        Tensor out = f.get();
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
                    plus = f.get().mul(weights).sum().item();
                    data[pos] = saved - GradCheck.EPS;
                    minus = f.get().mul(weights).sum().item();
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
