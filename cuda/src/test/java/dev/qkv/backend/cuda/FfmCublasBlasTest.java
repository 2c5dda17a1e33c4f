package dev.qkv.backend.cuda;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The java.lang.foreign cuBLAS binding's calling convention, against a fake libcublas built from
 * src/test/c/fake_cublas.c (needs a C compiler; skipped with a printed reason without one). The
 * fake records every argument, so each downcall is checked value by value: a wrong argument order
 * or an int where cuBLAS wants a long long would show up here instead of on a GPU.
 */
class FfmCublasBlasTest {
    private static Path library;
    private static MethodHandle last;
    private static MethodHandle scalar;

    @BeforeAll
    static void buildFakeLibrary() throws Exception {
        Path dir = Path.of("target", "fake-cublas");
        Files.createDirectories(dir);
        library = dir.resolve("libcublas.so.13").toAbsolutePath();
        Process p;
        try {
            p = new ProcessBuilder("cc", "-shared", "-fPIC", "-O1", "-o", library.toString(), "src/test/c/fake_cublas.c")
                    .redirectErrorStream(true).start();
        } catch (java.io.IOException e) {
            skip("no C compiler (cc) to build the fake libcublas: " + e.getMessage());
            return;
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            skip("cc could not build the fake libcublas: " + out);
        }
        SymbolLookup lookup = SymbolLookup.libraryLookup(library, Arena.global());
        Linker linker = Linker.nativeLinker();
        last = linker.downcallHandle(lookup.find("fake_last").orElseThrow(), FunctionDescriptor.of(JAVA_LONG, JAVA_INT));
        scalar = linker.downcallHandle(lookup.find("fake_scalar").orElseThrow(), FunctionDescriptor.of(JAVA_DOUBLE, JAVA_INT));
    }

    private static void skip(String reason) {
        System.out.println("FfmCublasBlasTest: skipped: " + reason);
        Assumptions.abort(reason);
    }

    private static long last(int i) throws Throwable {
        return (long) last.invokeExact(i);
    }

    private static double scalar(int i) throws Throwable {
        return (double) scalar.invokeExact(i);
    }

    @Test
    void createSetsTheStreamAndSgemmPassesEveryArgumentInPlace() throws Throwable {
        try (FfmCublasBlas blas = new FfmCublasBlas(library.toString(), 0xABCDEF0L)) {
            assertEquals(0, last(1), "the math mode is reset to CUBLAS_DEFAULT_MATH on creation");
            long handle = last(0);
            blas.setAllowTf32(true);
            assertEquals(3, last(1), "CUBLAS_TF32_TENSOR_OP_MATH");
            blas.sgemmStridedBatched(true, false, 3, 4, 5, 0.5f, 0x1000, 6, 7_000_000_000L, 0x2000, 8, 9, 0.25f,
                    0x3000, 10, 11, 12);
            long[] expected = {handle, 1, 0, 3, 4, 5, 0x1000, 6, 7_000_000_000L, 0x2000, 8, 9, 0x3000, 10, 11, 12};
            for (int i = 0; i < expected.length; i++) {
                assertEquals(expected[i], last(i), "sgemm argument " + i);
            }
            assertEquals(0.5, scalar(0));
            assertEquals(0.25, scalar(1));
        }
    }

    @Test
    void gemmExPassesTypesComputeTypeAndDoubleScalarsForCompute64F() throws Throwable {
        try (FfmCublasBlas blas = new FfmCublasBlas(library.toString(), 0)) {
            long handle = last(0);
            blas.gemmStridedBatchedEx(false, true, 2, 3, 4, 1.0 / 3, 0x10, Blas.DataType.R_64F, 5, 6, 0x20,
                    Blas.DataType.R_64F, 7, 8, -2.5, 0x30, Blas.DataType.R_64F, 9, 10, 11, Blas.ComputeType.COMPUTE_64F);
            long[] expected = {handle, 0, 1, 2, 3, 4, 0x10, 1, 5, 6, 0x20, 1, 7, 8, 0x30, 1, 9, 10, 11, 70, -1};
            for (int i = 0; i < expected.length; i++) {
                assertEquals(expected[i], last(i), "gemmEx argument " + i);
            }
            assertEquals(1.0 / 3, scalar(0), "alpha as a double for CUBLAS_COMPUTE_64F");
            assertEquals(-2.5, scalar(1));
            blas.gemmStridedBatchedEx(false, false, 1, 1, 1, 0.5, 0, Blas.DataType.R_16BF, 1, 0, 0, Blas.DataType.R_16BF,
                    1, 0, 0, 0, Blas.DataType.R_32F, 1, 0, 1, Blas.ComputeType.COMPUTE_32F);
            assertEquals(14, last(7), "CUDA_R_16BF");
            assertEquals(0, last(15), "CUDA_R_32F output");
            assertEquals(68, last(19), "CUBLAS_COMPUTE_32F");
            assertEquals(0.5, scalar(0), "alpha as a float for the 32F compute types");
        }
    }
}
