package dev.qkv.backend;

import dev.qkv.backend.cpu.CpuBackend;
import dev.qkv.backend.cpu.Parallel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The contract on the Vector API CPU backend with a pool of 4 threads, more than this suite's
 * big cases need to be split (see {@link VectorCpuBackendOneThreadContractTest} for 1 thread and
 * {@code ThreadCountReproducibilityTest} for bit-identical results across thread counts).
 */
class VectorCpuBackendContractTest extends BackendContractTest {
    private static final CpuBackend BACKEND = new CpuBackend(CpuBackend.Kernels.VECTOR);
    private static int savedThreads;

    @BeforeAll
    static void severalThreads() {
        savedThreads = Parallel.threads();
        Parallel.setThreads(4);
    }

    @AfterAll
    static void restoreThreads() {
        Parallel.setThreads(savedThreads);
    }

    @Override
    public Backend backend() {
        return BACKEND;
    }
}
