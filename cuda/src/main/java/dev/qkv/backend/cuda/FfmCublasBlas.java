package dev.qkv.backend.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * {@link Blas} as six java.lang.foreign downcalls into a libcublas shared library: the binding
 * qkv uses where only CUDA 13's libcublas.so.13 exists (JCublas 12.6's native needs
 * libcublas.so.12). The functions bound are stable C API of cuBLAS 12 and 13:
 *
 * <pre>
 *   cublasStatus_t cublasCreate_v2(cublasHandle_t*)
 *   cublasStatus_t cublasDestroy_v2(cublasHandle_t)
 *   cublasStatus_t cublasSetStream_v2(cublasHandle_t, cudaStream_t)
 *   cublasStatus_t cublasSetMathMode(cublasHandle_t, cublasMath_t)
 *   cublasStatus_t cublasSgemmStridedBatched(handle, op, op, int m, int n, int k, const float* alpha,
 *                  const float* A, int lda, long long strideA, const float* B, int ldb, long long strideB,
 *                  const float* beta, float* C, int ldc, long long strideC, int batchCount)
 *   cublasStatus_t cublasGemmStridedBatchedEx(handle, op, op, int m, int n, int k, const void* alpha,
 *                  const void* A, cudaDataType Atype, int lda, long long strideA, const void* B,
 *                  cudaDataType Btype, int ldb, long long strideB, const void* beta, void* C,
 *                  cudaDataType Ctype, int ldc, long long strideC, int batchCount,
 *                  cublasComputeType_t computeType, cublasGemmAlgo_t algo)
 * </pre>
 *
 * Enums are C ints; alpha and beta point to host memory (cuBLAS's default pointer mode).
 */
final class FfmCublasBlas implements Blas {
    private static final Linker LINKER = Linker.nativeLinker();

    private final Arena arena = Arena.ofShared();           // keeps the library loaded while in use
    private final String library;
    private final MethodHandle destroy;
    private final MethodHandle setMathMode;
    private final MethodHandle sgemm;
    private final MethodHandle gemmEx;
    private final MemorySegment handle;
    private boolean closed;

    /**
     * @param library a path to libcublas.so.N, or a bare file name for the system's search
     * @param stream  the raw cudaStream_t to queue work on (0: the legacy default stream)
     */
    FfmCublasBlas(String library, long stream) {
        this.library = library;
        SymbolLookup lookup = load(library);
        MethodHandle create = bind(lookup, "cublasCreate_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        MethodHandle setStream = bind(lookup, "cublasSetStream_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        destroy = bind(lookup, "cublasDestroy_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        setMathMode = bind(lookup, "cublasSetMathMode", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        sgemm = bind(lookup, "cublasSgemmStridedBatched", FunctionDescriptor.of(JAVA_INT,
                ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS,
                ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, JAVA_INT, JAVA_LONG,
                ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_INT));
        gemmEx = bind(lookup, "cublasGemmStridedBatchedEx", FunctionDescriptor.of(JAVA_INT,
                ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS,
                ADDRESS, JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS, JAVA_INT, JAVA_INT, JAVA_LONG,
                ADDRESS, ADDRESS, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT));
        try (Arena call = Arena.ofConfined()) {
            MemorySegment out = call.allocate(ADDRESS);
            Blas.check((int) create.invokeExact(out), "cublasCreate_v2");
            handle = out.get(ADDRESS, 0);
            Blas.check((int) setStream.invokeExact(handle, MemorySegment.ofAddress(stream)), "cublasSetStream_v2");
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        setAllowTf32(false);
    }

    /** Loads the library; a libcublasLt next to it is loaded first, since libcublas needs it. */
    private SymbolLookup load(String lib) {
        if (!lib.contains("/")) {
            return SymbolLookup.libraryLookup(lib, arena);
        }
        Path path = Path.of(lib);
        String lt = path.getFileName().toString().replace("libcublas.", "libcublasLt.");
        Path ltPath = path.resolveSibling(lt);
        if (!lt.equals(path.getFileName().toString()) && Files.exists(ltPath)) {
            SymbolLookup.libraryLookup(ltPath, arena);
        }
        return SymbolLookup.libraryLookup(path, arena);
    }

    private static MethodHandle bind(SymbolLookup lookup, String name, FunctionDescriptor fd) {
        MemorySegment f = lookup.find(name).orElseThrow(
                () -> new IllegalStateException("the cuBLAS library has no function " + name));
        return LINKER.downcallHandle(f, fd);
    }

    @Override
    public String describe() {
        return "cuBLAS through java.lang.foreign (" + library + ")";
    }

    @Override
    public void setAllowTf32(boolean allow) {
        try {
            Blas.check((int) setMathMode.invokeExact(handle, allow ? TF32_TENSOR_OP_MATH : DEFAULT_MATH),
                    "cublasSetMathMode");
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    @Override
    public void sgemmStridedBatched(boolean transA, boolean transB, int m, int n, int k, float alpha,
                                    long a, int lda, long strideA, long b, int ldb, long strideB, float beta,
                                    long c, int ldc, long strideC, int batch) {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment al = call.allocateFrom(ValueLayout.JAVA_FLOAT, alpha);
            MemorySegment be = call.allocateFrom(ValueLayout.JAVA_FLOAT, beta);
            int status = (int) sgemm.invokeExact(handle, op(transA), op(transB), m, n, k, al,
                    MemorySegment.ofAddress(a), lda, strideA, MemorySegment.ofAddress(b), ldb, strideB,
                    be, MemorySegment.ofAddress(c), ldc, strideC, batch);
            Blas.check(status, "cublasSgemmStridedBatched");
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    @Override
    public void gemmStridedBatchedEx(boolean transA, boolean transB, int m, int n, int k, double alpha,
                                     long a, DataType aType, int lda, long strideA,
                                     long b, DataType bType, int ldb, long strideB, double beta,
                                     long c, DataType cType, int ldc, long strideC, int batch, ComputeType compute) {
        try (Arena call = Arena.ofConfined()) {
            boolean f64 = compute == ComputeType.COMPUTE_64F;
            MemorySegment al = f64 ? call.allocateFrom(ValueLayout.JAVA_DOUBLE, alpha)
                    : call.allocateFrom(ValueLayout.JAVA_FLOAT, (float) alpha);
            MemorySegment be = f64 ? call.allocateFrom(ValueLayout.JAVA_DOUBLE, beta)
                    : call.allocateFrom(ValueLayout.JAVA_FLOAT, (float) beta);
            int status = (int) gemmEx.invokeExact(handle, op(transA), op(transB), m, n, k, al,
                    MemorySegment.ofAddress(a), aType.code, lda, strideA,
                    MemorySegment.ofAddress(b), bType.code, ldb, strideB,
                    be, MemorySegment.ofAddress(c), cType.code, ldc, strideC, batch, compute.code, GEMM_DEFAULT);
            Blas.check(status, "cublasGemmStridedBatchedEx");
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static int op(boolean trans) {
        return trans ? 1 : 0;                                 // CUBLAS_OP_T : CUBLAS_OP_N
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            Blas.check((int) destroy.invokeExact(handle), "cublasDestroy_v2");
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        } finally {
            arena.close();
        }
    }
}
