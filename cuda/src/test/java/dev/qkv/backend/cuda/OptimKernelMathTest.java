package dev.qkv.backend.cuda;

import dev.qkv.backend.AdamUpdate;
import dev.qkv.backend.Backend;
import dev.qkv.backend.SgdUpdate;
import dev.qkv.backend.cpu.CpuBackend;
import dev.qkv.backend.cpu.CpuStorage;
import dev.qkv.tensor.Layout;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * No GPU needed. optim.cu's two loops transcribed to Java float arithmetic (each Java float
 * operation rounds to nearest like the kernel's __fmul_rn/__fadd_rn/__fdiv_rn/__fsqrt_rn, and a
 * double narrows to float like the kernel's (float) cast), run on the scalars CudaBackend passes,
 * must give the same bits as the CPU's composed update (Backend's default adamUpdate/sgdUpdate, on
 * the vector and the reference kernels). This is what makes the claim in optim.cu checkable without
 * a GPU: the kernel does the same roundings in the same order. If either side is edited, this fails.
 * On a GPU, CudaOptimizerUpdateTest compares the real kernel with the CPU.
 */
class OptimKernelMathTest {
    private static final Backend[] CPUS = {new CpuBackend(CpuBackend.Kernels.VECTOR),
        new CpuBackend(CpuBackend.Kernels.REFERENCE)};

    /** common.cuh's nan_max. */
    private static float nanMax(float a, float b) {
        return (a != a || b != b) ? (a != a ? a : b) : (a > b ? a : b);
    }

    /** adam_update_f32, element by element; the arguments as CudaBackend.adamUpdate computes them. */
    private static void adamKernel(float[] p, float[] g, float[] m, float[] v, float[] vmax, AdamUpdate u) {
        double wd = u.weightDecay();
        int decayMode = wd == 0 ? 0 : u.decoupledWeightDecay() ? 2 : 1;
        float b1 = (float) u.beta1();
        float c1 = (float) (1 - u.beta1());
        float b2 = (float) u.beta2();
        float c2 = (float) (1 - u.beta2());
        float wdF = (float) wd;
        float shrink = (float) (1 - u.lr() * wd);
        float sqrtBc2 = (float) Math.sqrt(u.biasCorrection2());
        float eps = (float) u.eps();
        float step = (float) (u.lr() / u.biasCorrection1());
        for (int i = 0; i < p.length; i++) {
            float pi = p[i];
            float gi = g[i];
            if (decayMode == 2) {
                pi = pi * shrink;
            } else if (decayMode == 1) {
                gi = gi + pi * wdF;
            }
            float mi = m[i] * b1 + gi * c1;
            float vi = v[i] * b2 + (gi * gi) * c2;
            m[i] = mi;
            v[i] = vi;
            float vhat = vi;
            if (vmax != null) {
                vhat = nanMax(vmax[i], vi);
                vmax[i] = vhat;
            }
            float denom = (float) Math.sqrt(vhat) / sqrtBc2 + eps;
            p[i] = pi - (mi / denom) * step;
        }
    }

    /** sgd_update_f32. */
    private static void sgdKernel(float[] p, float[] g, float[] buf, SgdUpdate u) {
        float lr = (float) u.lr();
        float mu = (float) u.momentum();
        float damp = (float) (1 - u.dampening());
        float wd = (float) u.weightDecay();
        for (int i = 0; i < p.length; i++) {
            float pi = p[i];
            float d = g[i];
            if (u.weightDecay() != 0) {
                d = d + pi * wd;
            }
            if (buf != null) {
                float b = u.firstStep() ? d : buf[i] * mu + d * damp;
                buf[i] = b;
                d = u.nesterov() ? d + b * mu : b;
            }
            p[i] = pi - d * lr;
        }
    }

    private static float[] random(Random rng, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (rng.nextGaussian() * scale);
        }
        return a;
    }

    private static void same(String what, float[] kernel, CpuStorage cpu) {
        float[] c = ((CpuStorage.F32) cpu).data;
        for (int i = 0; i < kernel.length; i++) {
            if (Float.floatToRawIntBits(kernel[i]) != Float.floatToRawIntBits(c[i])) {
                fail(what + ": element " + i + ": the kernel's math gives " + kernel[i] + ", the CPU " + c[i]);
            }
        }
    }

    @Test
    void adamKernelMathIsTheComposedUpdateBitForBit() {
        int n = 4099;
        Layout l = Layout.contiguous(n);
        double[][] configs = {       // lr, beta1, beta2, eps, weight decay, decoupled, amsgrad
            {1e-3, 0.9, 0.999, 1e-8, 0, 0, 0}, {3e-3, 0.8, 0.95, 1e-6, 0.05, 0, 1}, {1e-2, 0.9, 0.95, 1e-8, 0.1, 1, 0},
            {6e-4, 0.9, 0.999, 1e-8, 0.01, 1, 1}};
        for (Backend cpu : CPUS) {
            for (double[] cf : configs) {
                Random rng = new Random(7);
                float[] p = random(rng, n, 1);
                float[] m = new float[n];
                float[] v = new float[n];
                float[] vmax = cf[6] == 1 ? new float[n] : null;
                CpuStorage.F32 cp = new CpuStorage.F32(p.clone());
                CpuStorage.F32 cm = new CpuStorage.F32(new float[n]);
                CpuStorage.F32 cv = new CpuStorage.F32(new float[n]);
                CpuStorage.F32 cvm = vmax == null ? null : new CpuStorage.F32(new float[n]);
                for (int step = 1; step <= 8; step++) {
                    float[] g = random(rng, n, step == 4 ? 0 : Math.pow(10, -step));   // shrinking and zero gradients
                    AdamUpdate u = new AdamUpdate(cp, l, new CpuStorage.F32(g.clone()), l, cm, l, cv, l, cvm,
                            cvm == null ? null : l, cf[0], cf[1], cf[2], cf[3], cf[4], cf[5] == 1, step);
                    cpu.adamUpdate(u);
                    adamKernel(p, g, m, v, vmax, u);
                    String what = u + " on " + cpu;
                    same(what + ": param", p, cp);
                    same(what + ": exp_avg", m, cm);
                    same(what + ": exp_avg_sq", v, cv);
                    if (vmax != null) {
                        same(what + ": max_exp_avg_sq", vmax, cvm);
                    }
                }
            }
        }
    }

    @Test
    void sgdKernelMathIsTheComposedUpdateBitForBit() {
        int n = 1031;
        Layout l = Layout.contiguous(n);
        double[][] configs = {       // lr, momentum, dampening, weight decay, nesterov
            {0.1, 0, 0, 0, 0}, {0.05, 0, 0, 0.01, 0}, {0.05, 0.9, 0.1, 0.01, 0}, {0.02, 0.8, 0, 0.02, 1}};
        for (Backend cpu : CPUS) {
            for (double[] cf : configs) {
                Random rng = new Random(11);
                float[] p = random(rng, n, 1);
                float[] buf = cf[1] != 0 ? new float[n] : null;
                CpuStorage.F32 cp = new CpuStorage.F32(p.clone());
                CpuStorage.F32 cb = buf == null ? null : new CpuStorage.F32(new float[n]);
                for (int step = 1; step <= 6; step++) {
                    float[] g = random(rng, n, 0.5);
                    SgdUpdate u = new SgdUpdate(cp, l, new CpuStorage.F32(g.clone()), l, cb, cb == null ? null : l, cf[0],
                            cf[1], cf[2], cf[3], cf[4] == 1, step == 1);
                    cpu.sgdUpdate(u);
                    sgdKernel(p, g, buf, u);
                    same(u + " on " + cpu + " step " + step + ": param", p, cp);
                    if (buf != null) {
                        same(u + " on " + cpu + " step " + step + ": momentum buffer", buf, cb);
                    }
                }
            }
        }
    }
}
