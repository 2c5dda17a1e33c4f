package dev.qkv.testing;

import dev.qkv.backend.Backend;
import dev.qkv.backend.BackendProvider;
import dev.qkv.backend.BinaryOp;
import dev.qkv.backend.Gemm;
import dev.qkv.backend.ReduceOp;
import dev.qkv.backend.Storage;
import dev.qkv.backend.UnaryOp;
import dev.qkv.backend.cpu.CpuBackend;
import dev.qkv.backend.cpu.CpuStorage;
import dev.qkv.tensor.DType;
import dev.qkv.tensor.Device;
import dev.qkv.tensor.Layout;

/**
 * A second device for tests: device type "fake", whose buffers are CPU arrays in a wrapper that
 * says "fake". Its backend unwraps them and runs the CPU reference kernels, and refuses a buffer
 * of any other device, so an op that forgets to check devices fails here instead of silently
 * mixing. Registered for ServiceLoader in
 * {@code src/test/resources/META-INF/services/dev.qkv.backend.BackendProvider}.
 */
public final class FakeDevice {
    private FakeDevice() {
    }

    public static final Device DEVICE = new Device("fake", 0);

    /** The ServiceLoader entry point. */
    public static final class Provider implements BackendProvider {
        @Override
        public String deviceType() {
            return "fake";
        }

        @Override
        public Backend backend(int index) {
            return new FakeBackend(new Device("fake", index));
        }
    }

    /** A CPU buffer that belongs to the fake device. */
    static final class FakeStorage extends Storage {
        final CpuStorage data;
        private final Device device;

        FakeStorage(CpuStorage data, Device device) {
            this.data = data;
            this.device = device;
        }

        @Override
        public DType dtype() {
            return data.dtype();
        }

        @Override
        public int size() {
            return data.size();
        }

        @Override
        public Device device() {
            return device;
        }
    }

    static final class FakeBackend implements Backend {
        private final Device device;
        private final CpuBackend cpu = new CpuBackend(CpuBackend.Kernels.REFERENCE);

        FakeBackend(Device device) {
            this.device = device;
        }

        /** The CPU array inside one of our buffers (null stays null: optional arguments). */
        private CpuStorage in(Storage s) {
            if (s == null) {
                return null;
            }
            if (!(s instanceof FakeStorage f) || !f.device().equals(device)) {
                throw new IllegalStateException("fake backend " + device + " got a buffer of device " + s.device());
            }
            return f.data;
        }

        private static CpuStorage copyOf(CpuStorage s) {
            CpuStorage c = CpuStorage.allocate(s.dtype(), s.size());
            for (int i = 0; i < s.size(); i++) {
                c.set(i, s.get(i));
            }
            return c;
        }

        @Override
        public Device device() {
            return device;
        }

        @Override
        public Storage allocate(DType dtype, int numel) {
            return new FakeStorage(CpuStorage.allocate(dtype, numel), device);
        }

        @Override
        public Storage upload(Storage hostStorage) {
            return new FakeStorage(copyOf((CpuStorage) hostStorage), device);
        }

        @Override
        public Storage download(Storage storage) {
            return copyOf(in(storage));
        }

        @Override
        public void fill(Storage out, Layout ol, double value) {
            cpu.fill(in(out), ol, value);
        }

        @Override
        public void copy(Storage src, Layout sl, Storage dst, Layout dl) {
            cpu.copy(in(src), sl, in(dst), dl);
        }

        @Override
        public void unary(UnaryOp op, Storage x, Layout xl, Storage out, Layout ol) {
            cpu.unary(op, in(x), xl, in(out), ol);
        }

        @Override
        public void binary(BinaryOp op, Storage a, Layout al, Storage b, Layout bl, Storage out, Layout ol) {
            cpu.binary(op, in(a), al, in(b), bl, in(out), ol);
        }

        @Override
        public void where(Storage c, Layout cl, Storage a, Layout al, Storage b, Layout bl, Storage out, Layout ol) {
            cpu.where(in(c), cl, in(a), al, in(b), bl, in(out), ol);
        }

        @Override
        public void reduce(ReduceOp op, Storage x, Layout xl, boolean[] dims, Storage out) {
            cpu.reduce(op, in(x), xl, dims, in(out));
        }

        @Override
        public void gemm(Gemm g) {
            cpu.gemm(new Gemm(g.batch(), g.m(), g.n(), g.k(),
                    in(g.a()), g.aOffset(), g.aBatchStride(), g.lda(), g.transA(),
                    in(g.b()), g.bOffset(), g.bBatchStride(), g.ldb(), g.transB(),
                    in(g.c()), g.cOffset(), g.cBatchStride(), g.ldc(), g.alpha(), g.beta()));
        }

        @Override
        public void indexSelect(Storage src, Layout sl, int dim, Storage idx, Layout il, Storage out) {
            cpu.indexSelect(in(src), sl, dim, in(idx), il, in(out));
        }

        @Override
        public void indexAdd(Storage dst, Layout dl, int dim, Storage idx, Layout il, Storage src, Layout sl) {
            cpu.indexAdd(in(dst), dl, dim, in(idx), il, in(src), sl);
        }

        @Override
        public void gather(Storage src, Layout sl, int dim, Storage idx, Layout il, Storage out) {
            cpu.gather(in(src), sl, dim, in(idx), il, in(out));
        }

        @Override
        public void scatterAdd(Storage dst, Layout dl, int dim, Storage idx, Layout il, Storage src, Layout sl) {
            cpu.scatterAdd(in(dst), dl, dim, in(idx), il, in(src), sl);
        }
        // The fused operations keep the interface's default bodies (CompositeKernels), which
        // call the primitives above: the fake device also tests those compositions.
    }
}
