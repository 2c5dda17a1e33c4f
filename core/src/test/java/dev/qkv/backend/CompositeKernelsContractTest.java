package dev.qkv.backend;

import dev.qkv.backend.cpu.CpuBackend;

/**
 * The fused-op part of the contract on {@link CompositeKernels} (the interface's default bodies),
 * composed from the vector CPU primitives. They compute in float32 step by step, so this also
 * shows that the fused-op tolerances are not tighter than a straightforward implementation meets.
 */
class CompositeKernelsContractTest implements FusedOpsContract {
    private static final Backend BACKEND = new PrimitivesOnlyBackend(new CpuBackend(CpuBackend.Kernels.VECTOR));

    @Override
    public Backend backend() {
        return BACKEND;
    }
}
