package dev.qkv.backend;

import dev.qkv.backend.Compare.Tol;
import dev.qkv.backend.cpu.CpuStorage;
import dev.qkv.tensor.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The fused row operations (softmax, layer norm, RMS norm, cross-entropy, forward and backward)
 * on dense [rows, cols] buffers of odd widths, including rows of 1 and rows wide enough to be
 * split into many vectors, for float32 and float64. Outputs start as NaN: every element must be
 * written, and dweight/dbias are overwritten, not accumulated into.
 */
public interface FusedOpsContract extends BackendUnderTest {

    /** {rows, cols}. */
    List<int[]> SIZES = List.of(new int[] {1, 1}, new int[] {3, 7}, new int[] {17, 33}, new int[] {5, 130},
            new int[] {2, 1000}, new int[] {65, 17}, new int[] {67, 530});

    /**
     * float32 results of row sums (means, variances, Σ dy·y, log Σ exp): their error follows the
     * size of the terms, so atol is scaled by the largest result; 1e-5 relative leaves room for
     * float intermediates (e.g. a float mean) without letting a wrong term through.
     */
    Tol F32 = Tol.scaled(1e-5, 1e-6);
    /** Backward results subtract row means of products: a little more cancellation. */
    Tol F32_GRAD = Tol.scaled(1e-4, 1e-5);
    Tol F64 = Tol.scaled(1e-12, 1e-12);
    /**
     * Layer norm of data around 20 with spread 0.5: x − mean cancels about 6 bits in any float
     * implementation (|mean|·rstd ≈ 70), so a float32 x̂ carries ~1e-5 of error.
     */
    Tol F32_OFFSET = Tol.scaled(1e-5, 1e-5);

    private List<DType> dtypes() {
        return List.of(DType.FLOAT32, DType.FLOAT64).stream().filter(this::supports).toList();
    }

    private static Tol tol(DType dt, boolean grad) {
        return dt == DType.FLOAT64 ? F64 : grad ? F32_GRAD : F32;
    }

    /** A fresh NaN output on the device (it must be overwritten everywhere). */
    private Storage out(DType dt, int n) {
        return up(HostData.garbage(dt, n));
    }

    private void same(String what, CpuStorage expected, Storage actual, Tol tol) {
        if (expected != null) {
            Compare.close(what, expected, down(actual), tol);
        }
    }

    // ----- softmax -----

    /** Ordinary logits, and logits near 95 whose exp overflows float unless the max is subtracted first. */
    static CpuStorage logits(DType dt, int n, Random rng, boolean large) {
        return large ? HostData.uniform(dt, n, rng, 90, 100) : HostData.signed(dt, n, rng, 0.01, 8);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    default void softmaxMatchesReference(boolean log) {
        Random rng = new Random(1400);
        for (DType dt : dtypes()) {
            for (int[] rc : SIZES) {
                for (boolean large : new boolean[] {false, true}) {
                    int n = rc[0] * rc[1];
                    CpuStorage x = logits(dt, n, rng, large);
                    Storage y = out(dt, n);
                    backend().softmax(up(x), y, rc[0], rc[1], log);
                    CpuStorage ref = HostData.garbage(dt, n);
                    REFERENCE.softmax(x, ref, rc[0], rc[1], log);
                    same((log ? "logSoftmax " : "softmax ") + dt + " " + rc[0] + "x" + rc[1] + (large ? " large" : ""),
                            ref, y, tol(dt, false));
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    default void softmaxBackwardMatchesReference(boolean log) {
        Random rng = new Random(1500);
        for (DType dt : dtypes()) {
            for (int[] rc : SIZES) {
                int n = rc[0] * rc[1];
                CpuStorage y = HostData.garbage(dt, n);                  // a real softmax output
                REFERENCE.softmax(logits(dt, n, rng, false), y, rc[0], rc[1], log);
                CpuStorage dy = HostData.signed(dt, n, rng, 0.01, 2);
                Storage dx = out(dt, n);
                backend().softmaxBackward(up(y), up(dy), dx, rc[0], rc[1], log);
                CpuStorage ref = HostData.garbage(dt, n);
                REFERENCE.softmaxBackward(y, dy, ref, rc[0], rc[1], log);
                same((log ? "logSoftmaxBackward " : "softmaxBackward ") + dt + " " + rc[0] + "x" + rc[1], ref, dx,
                        tol(dt, true));
            }
        }
    }

    // ----- layer norm -----

    /** Centred data, and data around 20 with spread 0.5 (a one-pass variance loses digits there). */
    static CpuStorage normInput(DType dt, int n, Random rng, boolean offset) {
        if (!offset) {
            return HostData.signed(dt, n, rng, 0.01, 3);
        }
        return HostData.uniform(dt, n, rng, 19.5, 20.5);
    }

    @Test
    default void layerNormMatchesReference() {
        Random rng = new Random(1600);
        for (DType dt : dtypes()) {
            for (int[] rc : SIZES) {
                for (int variant = 0; variant < 4; variant++) {           // weight and bias present or not
                    int rows = rc[0];
                    int cols = rc[1];
                    boolean offset = variant == 3;
                    CpuStorage x = normInput(dt, rows * cols, rng, offset);
                    CpuStorage w = variant % 2 == 0 ? HostData.signed(dt, cols, rng, 0.5, 1.5) : null;
                    CpuStorage b = variant < 2 ? HostData.signed(dt, cols, rng, 0.1, 1) : null;
                    Storage out = out(dt, rows * cols);
                    Storage mean = out(dt, rows);
                    Storage rstd = out(dt, rows);
                    backend().layerNorm(up(x), w == null ? null : up(w), b == null ? null : up(b), out, mean, rstd,
                            rows, cols, 1e-5);
                    CpuStorage refOut = HostData.garbage(dt, rows * cols);
                    CpuStorage refMean = HostData.garbage(dt, rows);
                    CpuStorage refRstd = HostData.garbage(dt, rows);
                    REFERENCE.layerNorm(x, w, b, refOut, refMean, refRstd, rows, cols, 1e-5);
                    String what = "layerNorm " + dt + " " + rows + "x" + cols + (w == null ? " no weight" : "")
                            + (b == null ? " no bias" : "") + (offset ? " offset" : "");
                    same(what + ": out", refOut, out, offset && dt == DType.FLOAT32 ? F32_OFFSET : tol(dt, false));
                    same(what + ": mean", refMean, mean, tol(dt, false));
                    same(what + ": rstd", refRstd, rstd, tol(dt, false));
                }
            }
        }
    }

    @Test
    default void layerNormBackwardMatchesReference() {
        Random rng = new Random(1700);
        for (DType dt : dtypes()) {
            for (int[] rc : SIZES) {
                for (int variant = 0; variant < 4; variant++) {  // with/without weight; with/without dweight, dbias
                    int rows = rc[0];
                    int cols = rc[1];
                    CpuStorage x = normInput(dt, rows * cols, rng, variant == 3);
                    CpuStorage w = variant != 1 ? HostData.signed(dt, cols, rng, 0.5, 1.5) : null;
                    CpuStorage mean = HostData.garbage(dt, rows);
                    CpuStorage rstd = HostData.garbage(dt, rows);
                    REFERENCE.layerNorm(x, w, null, HostData.garbage(dt, rows * cols), mean, rstd, rows, cols, 1e-5);
                    CpuStorage dy = HostData.signed(dt, rows * cols, rng, 0.01, 2);
                    boolean grads = variant != 2;
                    Storage dx = out(dt, rows * cols);
                    Storage dw = grads ? out(dt, cols) : null;
                    Storage db = grads ? out(dt, cols) : null;
                    backend().layerNormBackward(up(x), w == null ? null : up(w), up(mean), up(rstd), up(dy), dx, dw, db,
                            rows, cols);
                    CpuStorage refDx = HostData.garbage(dt, rows * cols);
                    CpuStorage refDw = grads ? HostData.garbage(dt, cols) : null;
                    CpuStorage refDb = grads ? HostData.garbage(dt, cols) : null;
                    REFERENCE.layerNormBackward(x, w, mean, rstd, dy, refDx, refDw, refDb, rows, cols);
                    String what = "layerNormBackward " + dt + " " + rows + "x" + cols + (w == null ? " no weight" : "");
                    same(what + ": dx", refDx, dx, tol(dt, true));
                    same(what + ": dweight", refDw, dw, tol(dt, true));
                    same(what + ": dbias", refDb, db, tol(dt, true));
                }
            }
        }
    }

    // ----- RMS norm -----

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    default void rmsNormMatchesReference(boolean withWeight) {
        Random rng = new Random(1800);
        for (DType dt : dtypes()) {
            for (int[] rc : SIZES) {
                int rows = rc[0];
                int cols = rc[1];
                CpuStorage x = normInput(dt, rows * cols, rng, false);
                CpuStorage w = withWeight ? HostData.signed(dt, cols, rng, 0.5, 1.5) : null;
                Storage out = out(dt, rows * cols);
                Storage rstd = out(dt, rows);
                backend().rmsNorm(up(x), w == null ? null : up(w), out, rstd, rows, cols, 1e-6);
                CpuStorage refOut = HostData.garbage(dt, rows * cols);
                CpuStorage refRstd = HostData.garbage(dt, rows);
                REFERENCE.rmsNorm(x, w, refOut, refRstd, rows, cols, 1e-6);
                String what = "rmsNorm " + dt + " " + rows + "x" + cols + (withWeight ? "" : " no weight");
                same(what + ": out", refOut, out, tol(dt, false));
                same(what + ": rstd", refRstd, rstd, tol(dt, false));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    default void rmsNormBackwardMatchesReference(boolean withWeight) {
        Random rng = new Random(1900);
        for (DType dt : dtypes()) {
            for (int[] rc : SIZES) {
                for (boolean grads : new boolean[] {true, false}) {
                    int rows = rc[0];
                    int cols = rc[1];
                    CpuStorage x = normInput(dt, rows * cols, rng, false);
                    CpuStorage w = withWeight ? HostData.signed(dt, cols, rng, 0.5, 1.5) : null;
                    CpuStorage rstd = HostData.garbage(dt, rows);
                    REFERENCE.rmsNorm(x, w, HostData.garbage(dt, rows * cols), rstd, rows, cols, 1e-6);
                    CpuStorage dy = HostData.signed(dt, rows * cols, rng, 0.01, 2);
                    Storage dx = out(dt, rows * cols);
                    Storage dw = grads ? out(dt, cols) : null;
                    backend().rmsNormBackward(up(x), w == null ? null : up(w), up(rstd), up(dy), dx, dw, rows, cols);
                    CpuStorage refDx = HostData.garbage(dt, rows * cols);
                    CpuStorage refDw = grads ? HostData.garbage(dt, cols) : null;
                    REFERENCE.rmsNormBackward(x, w, rstd, dy, refDx, refDw, rows, cols);
                    String what = "rmsNormBackward " + dt + " " + rows + "x" + cols + (withWeight ? "" : " no weight");
                    same(what + ": dx", refDx, dx, tol(dt, true));
                    same(what + ": dweight", refDw, dw, tol(dt, true));
                }
            }
        }
    }

    // ----- cross-entropy -----

    int IGNORE = -100;

    /** INT64 targets in [0, cols), about one in five replaced by the ignore index. */
    static CpuStorage targets(int rows, int cols, Random rng) {
        CpuStorage t = CpuStorage.allocate(DType.INT64, rows);
        for (int r = 0; r < rows; r++) {
            t.set(r, rng.nextInt(5) == 0 ? IGNORE : rng.nextInt(cols));
        }
        return t;
    }

    @ParameterizedTest
    @ValueSource(doubles = {0.0, 0.1})
    default void crossEntropyMatchesReference(double smoothing) {
        assumeTrue(supports(DType.INT64));
        Random rng = new Random(2000);
        for (DType dt : dtypes()) {
            for (int[] rc : SIZES) {
                for (boolean large : new boolean[] {false, true}) {
                    int rows = rc[0];
                    int cols = rc[1];
                    CpuStorage x = large ? HostData.signed(dt, rows * cols, rng, 0.01, 30) : logits(dt, rows * cols, rng, false);
                    CpuStorage t = targets(rows, cols, rng);
                    Storage loss = out(dt, rows);
                    Storage lse = out(dt, rows);
                    backend().crossEntropy(up(x), up(t), loss, lse, rows, cols, IGNORE, smoothing);
                    CpuStorage refLoss = HostData.garbage(dt, rows);
                    CpuStorage refLse = HostData.garbage(dt, rows);
                    REFERENCE.crossEntropy(x, t, refLoss, refLse, rows, cols, IGNORE, smoothing);
                    String what = "crossEntropy " + dt + " " + rows + "x" + cols + " smoothing " + smoothing
                            + (large ? " large" : "");
                    same(what + ": loss", refLoss, loss, tol(dt, false));
                    same(what + ": lse", refLse, lse, tol(dt, false));
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(doubles = {0.0, 0.1})
    default void crossEntropyBackwardMatchesReference(double smoothing) {
        assumeTrue(supports(DType.INT64));
        Random rng = new Random(2100);
        for (DType dt : dtypes()) {
            for (int[] rc : SIZES) {
                int rows = rc[0];
                int cols = rc[1];
                CpuStorage x = logits(dt, rows * cols, rng, false);
                CpuStorage t = targets(rows, cols, rng);
                CpuStorage lse = HostData.garbage(dt, rows);
                REFERENCE.crossEntropy(x, t, HostData.garbage(dt, rows), lse, rows, cols, IGNORE, smoothing);
                CpuStorage dloss = HostData.signed(dt, rows, rng, 0.1, 2);
                Storage dx = out(dt, rows * cols);
                backend().crossEntropyBackward(up(x), up(t), up(lse), up(dloss), dx, rows, cols, IGNORE, smoothing);
                CpuStorage ref = HostData.garbage(dt, rows * cols);
                REFERENCE.crossEntropyBackward(x, t, lse, dloss, ref, rows, cols, IGNORE, smoothing);
                same("crossEntropyBackward " + dt + " " + rows + "x" + cols + " smoothing " + smoothing, ref, dx,
                        tol(dt, false));
            }
        }
    }
}
