package dev.qkv.nn;

import dev.qkv.nn.functional.Conv;
import dev.qkv.tensor.DType;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;
import dev.qkv.testing.Rand;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The CNN layers: Conv2d, pooling, BatchNorm1d/2d and Flatten as modules. */
class ConvLayersTest {

    @Test
    void conv2dHasPyTorchsParameterNamesShapesAndInitBounds() {
        Conv2d conv = new Conv2d(4, 6, 3, 1, 1, 1, 2, true, new Generator(1));
        assertEquals(List.of("weight", "bias"), List.copyOf(conv.namedParameters().keySet()));
        assertArrayEquals(new int[] {6, 2, 3, 3}, conv.weight.shape());
        // kaiming-uniform with a = √5 and the bias: both U(−1/√fanIn, 1/√fanIn), fanIn = 2·3·3
        double bound = 1 / Math.sqrt(18);
        for (Tensor p : List.of(conv.weight, conv.bias)) {
            for (double v : p.toDoubleArray()) {
                assertTrue(Math.abs(v) <= bound, "value " + v + " outside ±" + bound);
            }
        }
        assertEquals("Conv2d(4, 6, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), groups=2)", conv.toString());
        assertNull(new Conv2d(1, 2, 3, 1, 0, 1, 1, false, new Generator(1)).bias);
        assertThrows(IllegalArgumentException.class, () -> new Conv2d(3, 4, 3, 1, 0, 1, 2, true, new Generator(1)));
    }

    @Test
    void conv2dModuleForwardAndGradients() {
        Conv2d conv = new Conv2d(2, 3, 3, 2, 1, new Generator(2));
        conv.to(DType.FLOAT64);
        Tensor x = Rand.uniform(new Generator(3), -1, 1, 2, 2, 7, 6);
        Tensor y = conv.forward(x);
        assertArrayEquals(new int[] {2, 3, 4, 3}, y.shape());
        assertTrue(y.allClose(Conv.conv2d(x, conv.weight, conv.bias, 2, 1), 0, 0));
        ModuleGradCheck.check("Conv2d", conv, x);
    }

    @Test
    void smallCnnGradientsCheckEndToEnd() {
        // conv → batch norm → relu → max pool → flatten → linear: every layer's parameters get a checked gradient
        Generator g = new Generator(4);
        Sequential net = new Sequential(new Conv2d(1, 2, 3, 1, 1, 1, 1, false, g), new BatchNorm2d(2), new ReLU(),
                new MaxPool2d(2), new Flatten(), new Linear(2 * 3 * 2, 3, g));
        net.to(DType.FLOAT64);
        ModuleGradCheck.check("conv-bn-relu-pool-linear", net, Rand.uniform(g, -1, 1, 3, 1, 6, 5));
    }

    @Test
    void batchNorm2dTracksRunningStatisticsInTrainingAndUsesThemInEval() {
        BatchNorm2d bn = new BatchNorm2d(3);
        assertEquals(List.of("weight", "bias", "running_mean", "running_var", "num_batches_tracked"),
                List.copyOf(bn.stateDict().keySet()));
        Tensor x = Rand.uniform(new Generator(5), 1, 3, 4, 3, 2, 2).to(DType.FLOAT32);
        Tensor mean = x.mean(new int[] {0, 2, 3}, false);
        Tensor var = x.var(new int[] {0, 2, 3}, false, 1);                     // unbiased
        bn.forward(x);
        bn.forward(x);
        // after two updates with momentum 0.1 from (0, 1): m = (1 − 0.9²)·mean, v = 0.81 + 0.19·var
        assertTrue(bn.runningMean().allClose(mean.mul(0.19), 1e-5, 1e-6), bn.runningMean().toString());
        assertTrue(bn.runningVar().allClose(var.mul(0.19).add(0.81), 1e-5, 1e-6), bn.runningVar().toString());
        assertEquals(2, bn.stateDict().get("num_batches_tracked").item());

        bn.eval();
        Tensor one = x.narrow(0, 0, 1);
        Tensor want = one.sub(bn.runningMean().view(1, 3, 1, 1)).div(bn.runningVar().add(1e-5).sqrt().view(1, 3, 1, 1));
        assertTrue(bn.forward(one).allClose(want, 1e-5, 1e-6), "eval normalizes with the running statistics");
        assertEquals(2, bn.stateDict().get("num_batches_tracked").item(), "eval does not count batches");
    }

    @Test
    void batchNormBuffersFollowTheModuleToFloat64() {
        BatchNorm1d bn = new BatchNorm1d(4);
        bn.to(DType.FLOAT64);
        assertEquals(DType.FLOAT64, bn.runningMean().dtype());
        assertEquals(DType.INT64, bn.stateDict().get("num_batches_tracked").dtype());
        ModuleGradCheck.check("BatchNorm1d training", bn, Rand.uniform(new Generator(6), -1, 1, 5, 4));
        bn.eval();
        ModuleGradCheck.check("BatchNorm1d eval", bn, Rand.uniform(new Generator(7), -1, 1, 2, 4, 3));
    }

    @Test
    void batchNormChecksTheRank() {
        var e = assertThrows(IllegalArgumentException.class, () -> new BatchNorm2d(3).forward(Tensor.zeros(4, 3)));
        assertTrue(e.getMessage().startsWith("BatchNorm2d: expects an input of rank [4]"), e.getMessage());
        BatchNorm1d noStats = new BatchNorm1d(2, 1e-5, 0.1, false, false);
        assertTrue(noStats.stateDict().isEmpty());
        noStats.eval();
        // without running statistics, eval still normalizes with the batch's
        Tensor y = noStats.forward(Tensor.fromArray(new float[] {1, 5, 3, 7}, 2, 2));
        assertTrue(y.allClose(Tensor.fromArray(new float[] {-1, -1, 1, 1}, 2, 2), 1e-4, 1e-4), y.toString());
    }

    @Test
    void poolingAndFlattenModules() {
        Tensor x = Tensor.arange(0, 32, 1).view(1, 2, 4, 4);
        assertArrayEquals(new float[] {5, 7, 13, 15, 21, 23, 29, 31}, new MaxPool2d(2).forward(x).toFloatArray());
        assertArrayEquals(new float[] {2.5f, 4.5f, 10.5f, 12.5f, 18.5f, 20.5f, 26.5f, 28.5f},
                new AvgPool2d(2).forward(x).toFloatArray());
        assertArrayEquals(new int[] {1, 32}, new Flatten().forward(x).shape());
        assertArrayEquals(new int[] {1, 2, 16}, new Flatten(2, 3).forward(x).shape());
        assertFalse(new MaxPool2d(3, 2, 1).toString().isEmpty());
    }
}
