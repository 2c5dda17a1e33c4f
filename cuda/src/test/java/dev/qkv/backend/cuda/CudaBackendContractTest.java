package dev.qkv.backend.cuda;

import dev.qkv.backend.Backend;
import dev.qkv.backend.BackendContractTest;
import org.junit.jupiter.api.BeforeEach;

/**
 * Needs a GPU (every test is skipped, with the reason printed once, otherwise). core's shared
 * backend contract suite, the same one the CPU backends pass ({@code VectorCpuBackendContractTest}),
 * run on {@link CudaBackend}: every primitive and fused row op on seeded random data of odd sizes
 * and strided views, uploaded to the GPU, computed there, downloaded and compared with the scalar
 * double-precision CPU reference ({@code new CpuBackend(CpuBackend.Kernels.REFERENCE)}) within the
 * suite's tolerances. The suite comes from core's test-jar (a test-scoped dependency).
 *
 * <p>What the shared suite does not cover (fused attention, INT32 and mixed-dtype paths, integer
 * products on the plain gemm kernel) is in {@link CudaBeyondContractTest}; the fused optimizer
 * updates are in {@link CudaOptimizerUpdateTest}.
 */
class CudaBackendContractTest extends BackendContractTest {
    private static CudaBackend cuda;

    /** Per test rather than per class, so that a run without a GPU reports each test as skipped. */
    @BeforeEach
    void device() {
        cuda = GpuTests.requireCuda("CudaBackendContractTest");
    }

    @Override
    public Backend backend() {
        return cuda;
    }
}
