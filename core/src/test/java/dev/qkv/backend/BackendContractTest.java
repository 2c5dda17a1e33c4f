package dev.qkv.backend;

/**
 * The contract every {@link Backend} must meet: each of its methods, on seeded random data of odd
 * sizes and non-contiguous layouts, agrees with the scalar double-precision reference
 * ({@code new CpuBackend(CpuBackend.Kernels.REFERENCE)}) within float tolerances (float32) or
 * tightly (float64), and exactly for integers, masks, indices and data movement.
 *
 * <p>To run it on a backend, extend this class and return the backend from {@link #backend()};
 * override {@link #supports} for dtypes the backend lacks. The parts live in the interfaces
 * below, one file per group of ops. core's test-jar carries these classes to other modules.
 */
public abstract class BackendContractTest
        implements ElementwiseContract, ReductionContract, GemmContract, IndexingContract, FusedOpsContract {
}
