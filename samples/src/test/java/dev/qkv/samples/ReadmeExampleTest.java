package dev.qkv.samples;

import dev.qkv.autograd.Autograd;
import dev.qkv.nn.Linear;
import dev.qkv.nn.ReLU;
import dev.qkv.nn.Sequential;
import dev.qkv.nn.functional.F;
import dev.qkv.optim.AdamW;
import dev.qkv.tensor.DType;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The README's "A taste" example, verbatim apart from the assertions: it must keep compiling and working. */
class ReadmeExampleTest {
    @Test
    void theReadmeExampleRunsAndLearns() {
        Generator g = new Generator(42);
        Tensor x = Tensor.randn(g, 256, 3);
        Tensor y = x.sum(1).gt(0).to(DType.INT64);

        Tensor w = Tensor.randn(g, 3, 2).mul(0.1).detach().requiresGrad(true);
        Tensor loss = F.crossEntropy(x.matmul(w), y);
        loss.backward();
        assertArrayEquals(new int[] {3, 2}, w.grad().shape());

        Sequential net = new Sequential(new Linear(3, 16, g), new ReLU(), new Linear(16, 2, g));
        AdamW opt = new AdamW(net.parameters(), 1e-2);
        for (int step = 0; step < 200; step++) {
            Tensor l = F.crossEntropy(net.forward(x), y);
            opt.zeroGrad();
            l.backward();
            opt.step();
        }
        try (var s = Autograd.noGrad()) {
            double acc = net.forward(x).argmax(1, false).eq(y).to(DType.FLOAT32).mean().item();
            assertTrue(acc > 0.95, "accuracy " + acc);
        }
    }
}
