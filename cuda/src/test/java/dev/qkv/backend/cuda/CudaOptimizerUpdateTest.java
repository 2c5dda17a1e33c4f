package dev.qkv.backend.cuda;

import dev.qkv.backend.AdamUpdate;
import dev.qkv.backend.Backend;
import dev.qkv.backend.SgdUpdate;
import dev.qkv.backend.Storage;
import dev.qkv.backend.cpu.CpuBackend;
import dev.qkv.backend.cpu.CpuStorage;
import dev.qkv.nn.Parameter;
import dev.qkv.optim.AdamW;
import dev.qkv.optim.Optimizer;
import dev.qkv.optim.SGD;
import dev.qkv.tensor.DType;
import dev.qkv.tensor.Device;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Layout;
import dev.qkv.tensor.Tensor;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Needs a GPU (skipped with the reason printed otherwise). The fused optimizer kernels
 * ({@code adam_update_f32}, {@code sgd_update_f32}) against the CPU's composed update, for several
 * steps: optim.cu does the same float roundings in the same order (OptimKernelMathTest checks a Java
 * transcription of it without a GPU), so parameters and state must agree bit for bit. A difference
 * of a few ulp here would mean the GPU contracted or reordered an operation; the message says where.
 */
class CudaOptimizerUpdateTest {
    private static final Backend CPU = new CpuBackend(CpuBackend.Kernels.VECTOR);
    private CudaBackend cuda;

    @BeforeEach
    void device() {
        cuda = GpuTests.requireCuda("CudaOptimizerUpdateTest");
    }

    private static CpuStorage.F32 random(Random rng, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (rng.nextGaussian() * scale);
        }
        return new CpuStorage.F32(a);
    }

    private static CpuStorage.F32 copy(CpuStorage s) {
        return new CpuStorage.F32(((CpuStorage.F32) s).data.clone());
    }

    private void sameBits(String what, CpuStorage cpu, Storage gpu) {
        float[] e = ((CpuStorage.F32) cpu).data;
        float[] g = ((CpuStorage.F32) cuda.download(gpu)).data;
        for (int i = 0; i < e.length; i++) {
            if (Float.floatToRawIntBits(e[i]) != Float.floatToRawIntBits(g[i])) {
                fail(what + ": element " + i + ": CPU " + e[i] + ", CUDA " + g[i] + " (" + Math.abs(e[i] - g[i]) / Math.ulp(e[i])
                        + " ulp)");
            }
        }
    }

    @Test
    void adamKernelMatchesTheComposedUpdateBitForBit() {
        int n = 100_003;                                   // several blocks and a ragged tail
        double[][] configs = {       // lr, beta1, beta2, eps, weight decay, decoupled, amsgrad
            {1e-3, 0.9, 0.999, 1e-8, 0, 0, 0}, {3e-3, 0.8, 0.95, 1e-6, 0.05, 0, 1}, {1e-2, 0.9, 0.95, 1e-8, 0.1, 1, 0},
            {6e-4, 0.9, 0.999, 1e-8, 0.01, 1, 1}};
        for (double[] cf : configs) {
            Random rng = new Random(5);
            // The parameter sits at element 3 of its storage: the kernel must honour view offsets.
            Layout pl = new Layout(new int[] {n}, new int[] {1}, 3);
            Layout l = Layout.contiguous(n);
            CpuStorage.F32 hp = random(rng, n + 3, 1);
            CpuStorage.F32 hm = new CpuStorage.F32(new float[n]);
            CpuStorage.F32 hv = new CpuStorage.F32(new float[n]);
            CpuStorage.F32 hvm = cf[6] == 1 ? new CpuStorage.F32(new float[n]) : null;
            Storage dp = cuda.upload(hp);
            Storage dm = cuda.upload(hm);
            Storage dv = cuda.upload(hv);
            Storage dvm = hvm == null ? null : cuda.upload(hvm);
            for (int step = 1; step <= 5; step++) {
                CpuStorage.F32 g = random(rng, n, step == 3 ? 0 : Math.pow(10, -step));
                AdamUpdate onCpu = new AdamUpdate(hp, pl, copy(g), l, hm, l, hv, l, hvm, hvm == null ? null : l,
                        cf[0], cf[1], cf[2], cf[3], cf[4], cf[5] == 1, step);
                CPU.adamUpdate(onCpu);
                cuda.adamUpdate(new AdamUpdate(dp, pl, cuda.upload(g), l, dm, l, dv, l, dvm, dvm == null ? null : l,
                        cf[0], cf[1], cf[2], cf[3], cf[4], cf[5] == 1, step));
                String what = onCpu.toString();
                sameBits(what + ": param", hp, dp);
                sameBits(what + ": exp_avg", hm, dm);
                sameBits(what + ": exp_avg_sq", hv, dv);
                if (hvm != null) {
                    sameBits(what + ": max_exp_avg_sq", hvm, dvm);
                }
            }
        }
    }

    @Test
    void sgdKernelMatchesTheComposedUpdateBitForBit() {
        int n = 70_001;
        double[][] configs = {{0.1, 0, 0, 0, 0}, {0.05, 0.9, 0.1, 0.01, 0}, {0.02, 0.8, 0, 0.02, 1}};
        for (double[] cf : configs) {
            Random rng = new Random(9);
            Layout l = Layout.contiguous(n);
            CpuStorage.F32 hp = random(rng, n, 1);
            CpuStorage.F32 hb = cf[1] != 0 ? new CpuStorage.F32(new float[n]) : null;
            Storage dp = cuda.upload(hp);
            Storage db = hb == null ? null : cuda.upload(hb);
            for (int step = 1; step <= 4; step++) {
                CpuStorage.F32 g = random(rng, n, 0.5);
                SgdUpdate onCpu = new SgdUpdate(hp, l, copy(g), l, hb, hb == null ? null : l, cf[0], cf[1], cf[2], cf[3],
                        cf[4] == 1, step == 1);
                CPU.sgdUpdate(onCpu);
                cuda.sgdUpdate(new SgdUpdate(dp, l, cuda.upload(g), l, db, db == null ? null : l, cf[0], cf[1], cf[2],
                        cf[3], cf[4] == 1, step == 1));
                sameBits(onCpu + " step " + step + ": param", hp, dp);
                if (hb != null) {
                    sameBits(onCpu + " step " + step + ": momentum buffer", hb, db);
                }
            }
        }
    }

    /** The optimizers themselves on a CUDA parameter, through Backend.adamUpdate / sgdUpdate. */
    @Test
    void optimizersOnACudaParameterFollowTheCpuTrajectory() {
        List<Function<List<Parameter>, Optimizer>> makers = List.of(
                ps -> new AdamW(ps, 1e-2, 0.9, 0.95, 1e-8, 0.1, false),
                ps -> new SGD(ps, 0.05, 0.9, 0, 0.01, true));
        for (Function<List<Parameter>, Optimizer> make : makers) {
            Generator gen = new Generator(3);
            Tensor init = Tensor.randn(gen, 33, 17);
            Parameter cpuP = new Parameter(init.contiguousCopy());
            Parameter gpuP = new Parameter(init.to(Device.cuda(0)));
            Optimizer cpuOpt = make.apply(List.of(cpuP));
            Optimizer gpuOpt = make.apply(List.of(gpuP));
            for (int step = 1; step <= 4; step++) {
                Tensor g = Tensor.randn(gen, 33, 17);
                cpuP.setGrad(g);
                gpuP.setGrad(g.to(Device.cuda(0)));
                cpuOpt.step();
                gpuOpt.step();
                CpuStorage expected = new CpuStorage.F32(cpuP.toFloatArray());
                float[] got = gpuP.toFloatArray();
                for (int i = 0; i < got.length; i++) {
                    if (Float.floatToRawIntBits(got[i]) != Float.floatToRawIntBits(((CpuStorage.F32) expected).data[i])) {
                        fail(cpuOpt.getClass().getSimpleName() + " step " + step + " element " + i + ": CPU "
                                + ((CpuStorage.F32) expected).data[i] + ", CUDA " + got[i]);
                    }
                }
            }
        }
        // A float64 parameter takes the composed path on the device (elementwise kernels through
        // double, each op one IEEE rounding) and so matches the CPU bit for bit too.
        Tensor init64 = Tensor.randn(new Generator(4), 9).to(DType.FLOAT64);
        Tensor grad64 = Tensor.randn(new Generator(5), 9).to(DType.FLOAT64);
        Parameter cpu64 = new Parameter(init64.contiguousCopy());
        Parameter gpu64 = new Parameter(init64.to(Device.cuda(0)));
        AdamW cpuOpt = new AdamW(List.of(cpu64), 1e-2);
        AdamW gpuOpt = new AdamW(List.of(gpu64), 1e-2);
        for (int step = 1; step <= 3; step++) {
            cpu64.setGrad(grad64);
            gpu64.setGrad(grad64.to(Device.cuda(0)));
            cpuOpt.step();
            gpuOpt.step();
            double[] e = cpu64.toDoubleArray();
            double[] g = gpu64.toDoubleArray();
            for (int i = 0; i < e.length; i++) {
                if (Double.doubleToRawLongBits(e[i]) != Double.doubleToRawLongBits(g[i])) {
                    fail("AdamW float64 step " + step + " element " + i + ": CPU " + e[i] + ", CUDA " + g[i]);
                }
            }
        }
    }
}
