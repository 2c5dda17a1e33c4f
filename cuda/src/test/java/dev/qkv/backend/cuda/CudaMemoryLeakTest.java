package dev.qkv.backend.cuda;

import dev.qkv.models.gpt.GPT;
import dev.qkv.models.gpt.GPTConfig;
import dev.qkv.optim.AdamW;
import dev.qkv.tensor.Device;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Needs a GPU (skipped with the reason printed otherwise). 1000 training steps of a tiny GPT:
 * once the unreachable tensors are collected, the allocated device memory is back to what it
 * was after the first steps (parameters, gradients, optimizer state), and the memory the
 * allocator holds (reserved) stays within its collection threshold.
 */
class CudaMemoryLeakTest {

    /** Collects until the allocator's live total stops falling; returns it. */
    private static long settledAllocated(CudaBackend be) throws InterruptedException {
        long previous = Long.MAX_VALUE;
        long now = be.memoryStats().allocatedBytes();
        for (int i = 0; i < 20 && now < previous; i++) {
            System.gc();
            Thread.sleep(50);
            previous = now;
            now = be.memoryStats().allocatedBytes();
        }
        return now;
    }

    @Test
    void deviceMemoryReturnsToItsBaselineOver1000Steps() throws InterruptedException {
        CudaBackend be = GpuTests.requireCuda("CudaMemoryLeakTest");
        Device cuda = Device.cuda(0);
        GPT model = new GPT(GPTConfig.of(31, 16, 1, 2, 16, 0.0), new Generator(5));
        model.to(cuda);
        Tensor ids = Tensor.randint(new Generator(6), 0, 31, 4, 16).to(cuda);
        Tensor targets = Tensor.randint(new Generator(7), 0, 31, 4, 16).to(cuda);
        AdamW opt = new AdamW(model.parameters(), 1e-3);
        for (int step = 0; step < 10; step++) {
            trainStep(model, opt, ids, targets);
        }
        be.synchronize();
        long baseline = settledAllocated(be);
        long reservedEarly = be.memoryStats().reservedBytes();
        long reservedMax = 0;
        for (int step = 0; step < 1000; step++) {
            trainStep(model, opt, ids, targets);
            if (step % 100 == 99) {
                reservedMax = Math.max(reservedMax, be.memoryStats().reservedBytes());
            }
        }
        be.synchronize();
        long after = settledAllocated(be);
        MemoryStats s = be.memoryStats();
        System.out.println("CudaMemoryLeakTest: allocated " + baseline + " bytes after 10 steps, " + after
                + " after 1010; reserved " + reservedEarly + " then at most " + reservedMax + "; " + s);
        assertTrue(after <= baseline, "device memory still allocated grew from " + baseline + " to " + after);
        assertTrue(reservedMax <= s.gcThresholdBytes() + (64L << 20),
                "the cache grew past its threshold " + s.gcThresholdBytes() + ": " + reservedEarly + " -> " + reservedMax);
    }

    private static void trainStep(GPT model, AdamW opt, Tensor ids, Tensor targets) {
        opt.zeroGrad();
        Tensor loss = model.loss(ids, targets);
        loss.backward();
        opt.step();
    }
}
