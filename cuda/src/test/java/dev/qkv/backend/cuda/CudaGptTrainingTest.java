package dev.qkv.backend.cuda;

import dev.qkv.models.gpt.GPT;
import dev.qkv.models.gpt.GPTConfig;
import dev.qkv.nn.Parameter;
import dev.qkv.optim.AdamW;
import dev.qkv.tensor.Device;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Needs a GPU (skipped with the reason printed otherwise). The same tiny GPT, from the same seed,
 * trained for five AdamW steps on the CPU and on CUDA: the losses, every gradient of the first
 * step and every parameter at the end agree to float32 accuracy.
 */
class CudaGptTrainingTest {

    private static void assertClose(String what, float[] expected, float[] got, double tol) {
        assertEquals(expected.length, got.length, what);
        for (int i = 0; i < expected.length; i++) {
            if (!(Math.abs(expected[i] - got[i]) <= tol * (1 + Math.abs(expected[i])))) {
                fail(what + " at " + i + ": CPU " + expected[i] + ", CUDA " + got[i]);
            }
        }
    }

    @Test
    void fiveTrainingStepsMatchTheCpu() {
        GpuTests.requireCuda("CudaGptTrainingTest");
        Device cuda = Device.cuda(0);
        GPTConfig cfg = GPTConfig.of(23, 16, 2, 2, 12, 0.0);
        GPT cpu = new GPT(cfg, new Generator(1));
        GPT gpu = new GPT(cfg, new Generator(1));
        gpu.to(cuda);
        Tensor ids = Tensor.randint(new Generator(2), 0, 23, 3, 16);
        Tensor targets = Tensor.randint(new Generator(3), 0, 23, 3, 16);
        Tensor gpuIds = ids.to(cuda);
        Tensor gpuTargets = targets.to(cuda);
        AdamW cpuOpt = new AdamW(cpu.parameters(), 1e-2);
        AdamW gpuOpt = new AdamW(gpu.parameters(), 1e-2);
        Map<String, Parameter> cpuParams = cpu.namedParameters();
        Map<String, Parameter> gpuParams = gpu.namedParameters();
        for (int step = 0; step < 5; step++) {
            cpuOpt.zeroGrad();
            gpuOpt.zeroGrad();
            Tensor cpuLoss = cpu.loss(ids, targets);
            Tensor gpuLoss = gpu.loss(gpuIds, gpuTargets);
            assertEquals(cuda, gpuLoss.device());
            cpuLoss.backward();
            gpuLoss.backward();
            double lc = cpuLoss.item();
            double lg = gpuLoss.item();
            System.out.printf("step %d: loss CPU %.6f, CUDA %.6f%n", step, lc, lg);
            assertEquals(lc, lg, 1e-4 * (1 + Math.abs(lc)), "loss at step " + step);
            if (step == 0) {
                for (String name : cpuParams.keySet()) {
                    Tensor gc = cpuParams.get(name).grad();
                    Tensor gg = gpuParams.get(name).grad();
                    assertNotNull(gg, "gradient of " + name + " on CUDA");
                    assertEquals(cuda, gg.device(), name);
                    assertClose("gradient of " + name, gc.toFloatArray(), gg.toFloatArray(), 1e-3);
                }
            }
            cpuOpt.step();
            gpuOpt.step();
        }
        for (String name : cpuParams.keySet()) {
            assertClose(name + " after 5 steps", cpuParams.get(name).toFloatArray(), gpuParams.get(name).toFloatArray(), 1e-3);
        }
    }
}
