package dev.qkv.samples.roadmap;

import dev.qkv.backend.cpu.Parallel;
import dev.qkv.samples.Sample;
import dev.qkv.samples.SampleContext;
import dev.qkv.samples.plot.Plot;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The matrix product C = A·B (A is M×K, B is K×N, all row-major float32) three ways:
 *
 * <ol>
 *   <li>the textbook triple loop, C[i][j] = Σ_p A[i][p]·B[p][j], one dot product per element;
 *   <li>the same sum in the order i, p, j with the Vector API: broadcast A[i][p] and
 *       fused-multiply-add it with a whole row of B into the row of C, several floats per
 *       instruction, with a scalar loop for the last N mod (vector length) columns;
 *   <li>qkv's kernel, {@code a.matmul(b)}.
 * </ol>
 *
 * All three are checked against a double-precision product and timed (median of several runs).
 * The sample measures; it asserts nothing about speed, which depends on the machine.
 */
public final class MatmulSample implements Sample {
    /** The widest float vector this CPU has (8 floats with AVX2, 16 with AVX-512). */
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    @Override
    public String name() {
        return "matmul";
    }

    @Override
    public String summary() {
        return "matrix product three ways: triple loop, Vector API loop, qkv's kernel; checked and timed";
    }

    @Override
    public List<String> options() {
        return List.of("sizes", "reps");
    }

    /** Way 1: for each element of C, the dot product of row i of A and column j of B. */
    static void naive(float[] a, float[] b, float[] c, int m, int k, int n) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float sum = 0;
                for (int p = 0; p < k; p++) {
                    sum += a[i * k + p] * b[p * n + j];          // B is walked down a column: stride n
                }
                c[i * n + j] = sum;
            }
        }
    }

    /**
     * Way 2: the loops reordered to i, p, j, so the innermost loop walks a row of B and a row of C
     * (both contiguous) and can be vectorized: C[i][j..j+L) += A[i][p] · B[p][j..j+L).
     */
    static void vector(float[] a, float[] b, float[] c, int m, int k, int n) {
        int lanes = S.length();
        int upper = n - n % lanes;                               // columns the vector loop covers
        for (int i = 0; i < m; i++) {
            int ci = i * n;
            Arrays.fill(c, ci, ci + n, 0f);
            for (int p = 0; p < k; p++) {
                float aip = a[i * k + p];
                FloatVector va = FloatVector.broadcast(S, aip);  // [aip, aip, ..., aip]
                int bp = p * n;
                int j = 0;
                for (; j < upper; j += lanes) {                  // lanes columns per fma
                    FloatVector vc = FloatVector.fromArray(S, c, ci + j);
                    FloatVector.fromArray(S, b, bp + j).fma(va, vc).intoArray(c, ci + j);
                }
                for (; j < n; j++) {                             // scalar tail: the last n % lanes columns
                    c[ci + j] += aip * b[bp + j];
                }
            }
        }
    }

    /** The reference: the triple loop in double precision, rounded to float once at the end. */
    static double[] exact(float[] a, float[] b, int m, int k, int n) {
        double[] c = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int p = 0; p < k; p++) {
                double aip = a[i * k + p];
                for (int j = 0; j < n; j++) {
                    c[i * n + j] += aip * b[p * n + j];
                }
            }
        }
        return c;
    }

    static double maxAbsDiff(float[] x, double[] ref) {
        double d = 0;
        for (int i = 0; i < x.length; i++) {
            d = Math.max(d, Math.abs(x[i] - ref[i]));
        }
        return d;
    }

    /** Runs one way on A, B (shapes m×k, k×n) and returns C, so each way is called the same. */
    private interface Way {
        float[] run(float[] a, float[] b, int m, int k, int n);
    }

    private static final String[] NAMES = {"triple loop", "Vector API loop", "qkv a.matmul(b)"};

    private static Way way(int w) {
        return switch (w) {
            case 0 -> (a, b, m, k, n) -> {
                float[] c = new float[m * n];
                naive(a, b, c, m, k, n);
                return c;
            };
            case 1 -> (a, b, m, k, n) -> {
                float[] c = new float[m * n];
                vector(a, b, c, m, k, n);
                return c;
            };
            default -> (a, b, m, k, n) -> Tensor.fromArray(a, m, k).matmul(Tensor.fromArray(b, k, n)).toFloatArray();
        };
    }

    /** Runs w again and again for about {@code seconds}: lets the JIT compile it before it is timed. */
    private static void warmUp(Way w, float[] a, float[] b, int m, int k, int n, double seconds) {
        long start = System.nanoTime();
        for (int r = 0; r < 2 || System.nanoTime() - start < seconds * 1e9; r++) {
            w.run(a, b, m, k, n);
        }
    }

    /** Median wall time in seconds of {@code reps} runs, after a short warm-up at this size. */
    private static double medianSeconds(Way w, float[] a, float[] b, int m, int k, int n, int reps) {
        warmUp(w, a, b, m, k, n, 0.1);
        double[] t = new double[reps];
        for (int r = 0; r < reps; r++) {
            long t0 = System.nanoTime();
            w.run(a, b, m, k, n);
            t[r] = (System.nanoTime() - t0) / 1e9;
        }
        Arrays.sort(t);
        return t[reps / 2];
    }

    private static float[] randn(Generator g, int n) {
        return Tensor.randn(g, n).toFloatArray();
    }

    @Override
    public Map<String, Double> run(SampleContext ctx) throws Exception {
        int[] sizes = ctx.args().has("sizes") ? ctx.args().ids("sizes") : ctx.smoke() ? new int[] {64}
                : new int[] {64, 128, 256, 384, 512};
        int reps = ctx.args().integer("reps", ctx.size(5, 3), 1, 100);
        Generator g = new Generator(ctx.seed());
        Map<String, Double> results = new LinkedHashMap<>();
        ctx.out().printf(Locale.ROOT, "float vector: %d lanes (%d bits). The triple loop and the Vector API loop run "
                + "on one thread, qkv's kernel on %d (-Dqkv.threads=N)%n", S.length(), S.vectorBitSize(),
                Parallel.threads());

        // 1. Correctness, on a shape where nothing is a multiple of the vector length, so the
        //    scalar tail runs. Each way is compared with the product in double precision: float32
        //    sums of K terms differ from it by a few units in the last place times √K or so.
        int m0 = 37, k0 = 53, n0 = 3 * S.length() + 5;
        float[] a0 = randn(g, m0 * k0);
        float[] b0 = randn(g, k0 * n0);
        double[] ref0 = exact(a0, b0, m0, k0, n0);
        ctx.out().printf(Locale.ROOT, "check on A %dx%d · B %dx%d (N = 3 vectors + a tail of 5):%n", m0, k0, k0, n0);
        for (int w = 0; w < 3; w++) {
            double d = maxAbsDiff(way(w).run(a0, b0, m0, k0, n0), ref0);
            ctx.out().printf(Locale.ROOT, "  %-16s max |C - C_exact| = %.2e%n", NAMES[w], d);
            results.put("maxdiff_odd_" + w, d);
        }

        // 2. Timing on square matrices. A product costs 2·M·N·K floating-point operations (a
        //    multiply and an add per term), so GFLOPS = 2n³ / seconds / 1e9.
        double[] xs = new double[sizes.length];
        double[][] gflops = new double[3][sizes.length];
        //    Until the JIT has compiled a loop (and above all the Vector API calls, which are very
        //    slow when interpreted), its time measures the JIT, not the loop: so each way first
        //    runs untimed for a while.
        for (int w = 0; w < 3; w++) {
            warmUp(way(w), a0, b0, m0, k0, n0, ctx.smoke() ? 0.2 : 1.0);
        }
        var bar = ctx.progress(sizes.length * 3, "runs");
        List<String> rows = new ArrayList<>();
        for (int s = 0; s < sizes.length; s++) {
            int n = sizes[s];
            float[] a = randn(g, n * n);
            float[] b = randn(g, n * n);
            double[] ref = exact(a, b, n, n, n);
            StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%6d", n));
            StringBuilder diffs = new StringBuilder();
            for (int w = 0; w < 3; w++) {
                double d = maxAbsDiff(way(w).run(a, b, n, n, n), ref);
                double sec = medianSeconds(way(w), a, b, n, n, n, reps);
                gflops[w][s] = 2.0 * n * n * n / sec / 1e9;
                row.append(String.format(Locale.ROOT, " | %12.2f %8.2f", sec * 1e3, gflops[w][s]));
                diffs.append(String.format(Locale.ROOT, "%s%.1e", w == 0 ? "" : ", ", d));
                results.put("maxdiff_" + n + "_" + w, d);
                results.put("gflops_" + n + "_" + w, gflops[w][s]);
                bar.update(s * 3 + w + 1, "n=" + n, s * 3 + w + 1);
            }
            rows.add(row + " | " + diffs);
            xs[s] = n;
        }
        ctx.out().printf(Locale.ROOT, "%n%6s | %-22s | %-22s | %-22s | %s%n", "n", "triple loop  ms  GFLOPS",
                "Vector API   ms  GFLOPS", "qkv matmul   ms  GFLOPS", "max |C - C_exact| (loop, vector, qkv)");
        rows.forEach(ctx.out()::println);
        List<Plot.Series> series = new ArrayList<>();
        for (int w = 0; w < 3; w++) {
            series.add(Plot.Series.line(NAMES[w], xs, gflops[w]));
        }
        Path p = ctx.file("matmul-gflops.svg");
        Plot.lineChart(p, "matrix product speed (n×n · n×n, float32)", "n", "GFLOPS", series, false);
        ctx.wrote(p, "GFLOPS against n for the three ways");
        ctx.out().println("The triple loop reads B down a column (one cache line per float); the Vector API loop reads "
                + "rows, several floats per instruction; qkv's kernel is the same broadcast-FMA loop spread over "
                + "threads. Timings are this machine's, not a benchmark (see bench/ for JMH).");
        return results;
    }
}
