package dev.qkv.backend.cuda;

/**
 * The few cuBLAS calls qkv makes, in cuBLAS's own column-major terms (the row-major mapping is
 * in {@link CublasGemm}). Two implementations: {@link JCublasBlas} (JCublas, which needs
 * libcublas.so.12) and {@link FfmCublasBlas} (java.lang.foreign downcalls into libcublas.so.13,
 * or any libcublas whose v2 API has these signatures); {@link BlasSelector} picks one.
 *
 * <p>All pointers are device addresses; every call is queued on the stream the handle was
 * created with. {@code strideX} are element strides between the matrices of a batch.
 */
interface Blas extends AutoCloseable {

    /** cudaDataType_t values of the element types qkv uses. */
    enum DataType {
        R_32F(0), R_64F(1), R_16F(2), R_16BF(14);

        final int code;

        DataType(int code) {
            this.code = code;
        }
    }

    /** cublasComputeType_t values: how products are accumulated. */
    enum ComputeType {
        /** float32 accumulation, full float32 products. */
        COMPUTE_32F(68),
        /** float32 accumulation, inputs rounded to TF32 on tensor cores (torch's allow_tf32). */
        COMPUTE_32F_FAST_TF32(77),
        COMPUTE_64F(70);

        final int code;

        ComputeType(int code) {
            this.code = code;
        }
    }

    /** cublasMath_t: CUBLAS_DEFAULT_MATH, or CUBLAS_TF32_TENSOR_OP_MATH when TF32 is allowed. */
    int DEFAULT_MATH = 0;
    int TF32_TENSOR_OP_MATH = 3;
    /** cublasGemmAlgo_t CUBLAS_GEMM_DEFAULT. */
    int GEMM_DEFAULT = -1;

    /** Which library and binding this is, for the log and for users. */
    String describe();

    /** Lets float32 products use TF32 tensor cores (cublasSetMathMode). */
    void setAllowTf32(boolean allow);

    /**
     * cublasSgemmStridedBatched: for each batch b,
     * C[b] = alpha·op(A[b])·op(B[b]) + beta·C[b], column-major, op(A) m×k, op(B) k×n.
     */
    void sgemmStridedBatched(boolean transA, boolean transB, int m, int n, int k, float alpha,
                             long a, int lda, long strideA, long b, int ldb, long strideB, float beta,
                             long c, int ldc, long strideC, int batch);

    /**
     * cublasGemmStridedBatchedEx with typed operands: float16/bfloat16 inputs with float32
     * accumulation, float64 with COMPUTE_64F, float32 with or without TF32. alpha and beta are
     * passed as float for the 32F compute types and as double for COMPUTE_64F.
     */
    void gemmStridedBatchedEx(boolean transA, boolean transB, int m, int n, int k, double alpha,
                              long a, DataType aType, int lda, long strideA,
                              long b, DataType bType, int ldb, long strideB, double beta,
                              long c, DataType cType, int ldc, long strideC, int batch, ComputeType compute);

    @Override
    void close();

    /** A readable name for a cublasStatus_t. */
    static String status(int code) {
        return switch (code) {
            case 0 -> "CUBLAS_STATUS_SUCCESS";
            case 1 -> "CUBLAS_STATUS_NOT_INITIALIZED";
            case 3 -> "CUBLAS_STATUS_ALLOC_FAILED";
            case 7 -> "CUBLAS_STATUS_INVALID_VALUE";
            case 8 -> "CUBLAS_STATUS_ARCH_MISMATCH";
            case 11 -> "CUBLAS_STATUS_MAPPING_ERROR";
            case 13 -> "CUBLAS_STATUS_EXECUTION_FAILED";
            case 14 -> "CUBLAS_STATUS_INTERNAL_ERROR";
            case 15 -> "CUBLAS_STATUS_NOT_SUPPORTED";
            case 16 -> "CUBLAS_STATUS_LICENSE_ERROR";
            default -> "cublasStatus " + code;
        };
    }

    static void check(int code, String call) {
        if (code != 0) {
            throw new IllegalStateException(call + " failed: " + status(code));
        }
    }
}
