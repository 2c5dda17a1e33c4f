package dev.qkv.backend;

import dev.qkv.backend.cpu.CpuStorage;
import dev.qkv.tensor.DType;

import java.util.Random;

/** Seeded random host buffers for the contract suite. Floating data is never zero unless asked. */
final class HostData {
    private HostData() {
    }

    /** Magnitudes uniform in [lo, hi) with random signs (integers: truncated). */
    static CpuStorage signed(DType dt, int n, Random rng, double lo, double hi) {
        CpuStorage s = CpuStorage.allocate(dt, n);
        for (int i = 0; i < n; i++) {
            double m = lo + (hi - lo) * rng.nextDouble();
            s.set(i, rng.nextBoolean() ? m : -m);
        }
        return s;
    }

    /** Uniform in [lo, hi). */
    static CpuStorage uniform(DType dt, int n, Random rng, double lo, double hi) {
        CpuStorage s = CpuStorage.allocate(dt, n);
        for (int i = 0; i < n; i++) {
            s.set(i, lo + (hi - lo) * rng.nextDouble());
        }
        return s;
    }

    /** Whole numbers in [lo, hi]: ties for comparisons and arg-reductions, indices, BOOL masks. */
    static CpuStorage ints(DType dt, int n, Random rng, int lo, int hi) {
        CpuStorage s = CpuStorage.allocate(dt, n);
        for (int i = 0; i < n; i++) {
            s.set(i, lo + rng.nextInt(hi - lo + 1));
        }
        return s;
    }

    /** A buffer no kernel should leave as it is: NaN for floats, a sentinel for integers. */
    static CpuStorage garbage(DType dt, int n) {
        CpuStorage s = CpuStorage.allocate(dt, n);
        for (int i = 0; i < n; i++) {
            s.set(i, dt.isFloating() ? Double.NaN : dt == DType.BOOL ? 1 : 77);
        }
        return s;
    }

    static CpuStorage copy(CpuStorage s) {
        CpuStorage c = CpuStorage.allocate(s.dtype(), s.size());
        for (int i = 0; i < s.size(); i++) {
            c.set(i, s.get(i));
        }
        return c;
    }

    static CpuStorage abs(CpuStorage s) {
        CpuStorage c = CpuStorage.allocate(s.dtype(), s.size());
        for (int i = 0; i < s.size(); i++) {
            c.set(i, Math.abs(s.get(i)));
        }
        return c;
    }
}
