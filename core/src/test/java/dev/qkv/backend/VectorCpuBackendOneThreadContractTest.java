package dev.qkv.backend;

import dev.qkv.backend.cpu.CpuBackend;
import dev.qkv.backend.cpu.Parallel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The contract on the Vector API CPU backend with a single-thread pool: every kernel runs inline. */
class VectorCpuBackendOneThreadContractTest extends BackendContractTest {
    private static final CpuBackend BACKEND = new CpuBackend(CpuBackend.Kernels.VECTOR);
    private static int savedThreads;

    @BeforeAll
    static void oneThread() {
        savedThreads = Parallel.threads();
        Parallel.setThreads(1);
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
