package dev.qkv.optim;

import dev.qkv.nn.Linear;
import dev.qkv.nn.ReLU;
import dev.qkv.nn.Sequential;
import dev.qkv.nn.functional.F;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The whole stack (modules, autograd, loss, AdamW) can drive a small MLP to fit 16 random points. */
class OverfitTest {

    @Test
    void mlpMemorizesATinyDataset() {
        Generator g = new Generator(42);
        Tensor x = Tensor.randn(g, 16, 4);
        Tensor y = Tensor.randn(g, 16, 1);
        Sequential mlp = new Sequential(new Linear(4, 64, true, g), new ReLU(), new Linear(64, 64, true, g), new ReLU(),
                new Linear(64, 1, true, g));
        AdamW opt = new AdamW(mlp.parameters(), 1e-2, 0.9, 0.999, 1e-8, 0.0, false);
        double first = Double.NaN;
        double loss = Double.NaN;
        for (int step = 0; step < 300; step++) {
            opt.zeroGrad();
            Tensor l = F.mseLoss(mlp.forward(x), y);
            l.backward();
            opt.step();
            loss = l.item();
            if (step == 0) {
                first = loss;
            }
        }
        assertTrue(loss < 1e-3, "loss after 300 steps: " + loss + " (started at " + first + ")");
    }
}
