/*
 * A stand-in for libcublas.so with the six functions FfmCublasBlas binds. Each records the
 * arguments it received, so FfmCublasBlasTest can check the java.lang.foreign downcalls' ABI
 * (argument order, int vs long long, host scalars behind pointers) without a GPU.
 * Built by the test with `cc -shared -fPIC` when a C compiler is present.
 */
#include <stdint.h>

static long long last[32];   /* integers and pointers of the last call, in order */
static double scalars[2];    /* *alpha and *beta as the callee read them */
static int calls;

long long fake_last(int i) { return last[i]; }
double fake_scalar(int i) { return scalars[i]; }
int fake_calls(void) { return calls; }

static int handle_storage;

int cublasCreate_v2(void **handle) { calls++; *handle = &handle_storage; last[0] = (long long) (intptr_t) &handle_storage; return 0; }
int cublasDestroy_v2(void *handle) { calls++; last[0] = (long long) (intptr_t) handle; return 0; }
int cublasSetStream_v2(void *handle, void *stream) { calls++; last[0] = (long long) (intptr_t) handle; last[1] = (long long) (intptr_t) stream; return 0; }
int cublasSetMathMode(void *handle, int mode) { calls++; last[0] = (long long) (intptr_t) handle; last[1] = mode; return mode == 99 ? 7 : 0; }

int cublasSgemmStridedBatched(void *handle, int ta, int tb, int m, int n, int k, const float *alpha,
                              const float *A, int lda, long long strideA, const float *B, int ldb, long long strideB,
                              const float *beta, float *C, int ldc, long long strideC, int batch) {
    calls++;
    long long v[] = {(long long) (intptr_t) handle, ta, tb, m, n, k, (long long) (intptr_t) A, lda, strideA,
                     (long long) (intptr_t) B, ldb, strideB, (long long) (intptr_t) C, ldc, strideC, batch};
    for (int i = 0; i < 16; i++) last[i] = v[i];
    scalars[0] = *alpha;
    scalars[1] = *beta;
    return 0;
}

int cublasGemmStridedBatchedEx(void *handle, int ta, int tb, int m, int n, int k, const void *alpha,
                               const void *A, int Atype, int lda, long long strideA, const void *B, int Btype, int ldb,
                               long long strideB, const void *beta, void *C, int Ctype, int ldc, long long strideC,
                               int batch, int computeType, int algo) {
    calls++;
    long long v[] = {(long long) (intptr_t) handle, ta, tb, m, n, k, (long long) (intptr_t) A, Atype, lda, strideA,
                     (long long) (intptr_t) B, Btype, ldb, strideB, (long long) (intptr_t) C, Ctype, ldc, strideC,
                     batch, computeType, algo};
    for (int i = 0; i < 21; i++) last[i] = v[i];
    if (computeType == 70) { scalars[0] = *(const double *) alpha; scalars[1] = *(const double *) beta; }
    else { scalars[0] = *(const float *) alpha; scalars[1] = *(const float *) beta; }
    return 0;
}
