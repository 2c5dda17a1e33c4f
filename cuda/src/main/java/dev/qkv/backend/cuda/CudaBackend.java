package dev.qkv.backend.cuda;

import dev.qkv.backend.AdamUpdate;
import dev.qkv.backend.AttentionArgs;
import dev.qkv.backend.Backend;
import dev.qkv.backend.BinaryOp;
import dev.qkv.backend.Gemm;
import dev.qkv.backend.ReduceOp;
import dev.qkv.backend.SgdUpdate;
import dev.qkv.backend.Storage;
import dev.qkv.backend.UnaryOp;
import dev.qkv.backend.cpu.CpuStorage;
import dev.qkv.tensor.DType;
import dev.qkv.tensor.Device;
import dev.qkv.tensor.Layout;

/**
 * The CUDA backend: qkv's primitives and fused ops as kernels on one GPU.
 *
 * <ul>
 *   <li>Kernels come from PTX shipped in the jar (cuda/src/main/cuda, compiled by
 *   cuda/scripts/build-ptx.sh) and JIT-compiled by the driver; no CUDA toolkit is needed at run
 *   time. Elementwise kernels have a float32 version and an any-dtype version that converts
 *   through double like the CPU's reference kernels.</li>
 *   <li>Matrix products go to cuBLAS (see {@link CublasGemm} for the row-major mapping and
 *   {@link BlasSelector} for how cuBLAS is found); TF32 is off unless
 *   {@code -Dqkv.cuda.allowTf32=true} or {@link #setAllowTf32}.</li>
 *   <li>Memory comes from a {@link CachingAllocator}; see {@link #memoryStats()} and
 *   {@link #emptyCache()}.</li>
 *   <li>All work runs in order on one stream. Host copies ({@link #download}) wait for it. An
 *   out-of-range index seen by a kernel is reported at the next synchronisation as an
 *   {@link IndexOutOfBoundsException}.</li>
 *   <li>Optimizer steps ({@link #adamUpdate}, {@link #sgdUpdate}) are one kernel per parameter
 *   for float32 and give the CPU's composed update bit for bit (see optim.cu).</li>
 *   <li>Fused ops without a kernel for a dtype (e.g. float64 attention) use {@link Backend}'s
 *   default bodies.</li>
 * </ul>
 *
 * Use {@link dev.qkv.backend.Backends#of(Device)} for the shared backend of a device, or
 * {@link #open(int)} for one of your own, which you then close.
 */
public final class CudaBackend implements Backend, AutoCloseable {
    private static final System.Logger LOG = System.getLogger("dev.qkv.backend.cuda");

    private final Device device;
    private final CudaDriver driver;
    private final Blas blas;
    private final CachingAllocator allocator;
    /** {op, index lo, index hi, size} of the first out-of-range index a kernel met (common.cuh). */
    private final CudaStorage errors;
    private final CudaIndexOps indexOps = new CudaIndexOps(this);
    private final CudaFusedOps fusedOps = new CudaFusedOps(this);
    private final CudaAttention attention = new CudaAttention(this);

    /** Pins the fused attention kernels to one family (tests compare the two on the GPU). */
    void useAttentionKernels(CudaAttention.KernelFamily family) {
        attention.useKernels(family);
    }

    CudaAttention.KernelFamily attentionKernelFamily() {
        return attention.kernels();
    }
    private final CudaGemmOps gemmOps;
    private boolean allowTf32;
    private boolean closed;
    private final KernelTimer timer = new KernelTimer();
    /** Fill uninitialised buffers with 0xFF bytes (NaN) so that unwritten results show; tests set it. */
    static final boolean POISON_UNINITIALIZED = Boolean.getBoolean("qkv.cuda.poisonUninitialized");

    CudaBackend(Device device, CudaDriver driver, Blas blas, long gcThreshold) {
        this(device, driver, blas, gcThreshold, Long.MAX_VALUE, null);
    }

    /** @param gcExecutor where the allocator's threshold collections run; null: on the allocating thread */
    CudaBackend(Device device, CudaDriver driver, Blas blas, long gcThreshold, long gcThresholdCap,
                java.util.concurrent.Executor gcExecutor) {
        this.device = device;
        this.driver = driver;
        this.blas = blas;
        this.allocator = new CachingAllocator(timedRaw(driver), gcThreshold, gcThresholdCap, () -> {
            adviseConcurrentExplicitGc();
            long t0 = System.nanoTime();
            System.gc();
            if (timer.enabled()) {
                timer.add("JVM collection (System.gc, for device memory; " + Thread.currentThread().getName() + ")",
                        System.nanoTime() - t0);
            }
        }, gcExecutor);
        this.gemmOps = new CudaGemmOps(this, blas);
        this.errors = new CudaStorage(this, DType.INT32, 4);
        driver.memsetZero(errors.address(), errors.bytes());
        setAllowTf32(Boolean.getBoolean("qkv.cuda.allowTf32"));
    }

    /**
     * Opens CUDA device {@code index} with its own allocator, stream and cuBLAS handle.
     *
     * @throws CudaUnavailableException (message "no CUDA device: ...") when there is no usable GPU
     */
    public static CudaBackend open(int index) {
        JCudaDeviceDriver driver = JCudaDeviceDriver.open(index);
        try {
            Blas blas;
            BlasSelector.Choice choice = BlasSelector.choose(BlasSelector.SYSTEM);
            try {
                blas = BlasSelector.create(choice, driver.streamHandle(), driver.streamObject());
            } catch (RuntimeException | LinkageError e) {
                LOG.log(System.Logger.Level.WARNING, "qkv cuda: cuBLAS (" + choice.library() + ") did not start ("
                        + e + "); matrix products use qkv's plain gemm kernel, which is much slower");
                blas = null;
            }
            long total = driver.memoryInfo()[1];
            long threshold = Long.getLong("qkv.cuda.gcThresholdMiB", Math.max(256, total / 8 / (1024 * 1024)))
                    * 1024 * 1024;
            CudaBackend be = new CudaBackend(Device.cuda(index), driver, blas, threshold, total / 2, GC_THREAD);
            be.allocator.setReservedSoftLimit(total / 20 * 17);      // 85% of the device
            LOG.log(System.Logger.Level.DEBUG, "qkv cuda: opened " + driver.describe());
            return be;
        } catch (RuntimeException | Error e) {
            driver.close();
            throw e;
        }
    }

    // ------------------------------------------------------------------ public extras

    /** The GPU, e.g. "NVIDIA H100 80GB HBM3 (sm_90, 79.1 GiB, driver for CUDA 13.0)". */
    public String deviceName() {
        return driver.describe();
    }

    /** How cuBLAS is reached, or a note that it is not. */
    public String blasName() {
        return blas == null ? "no cuBLAS (plain gemm kernel)" : blas.describe();
    }

    /** Like torch.backends.cuda.matmul.allow_tf32: float32 products may round inputs to TF32. */
    public void setAllowTf32(boolean allow) {
        this.allowTf32 = allow;
        if (blas != null) {
            blas.setAllowTf32(allow);
        }
    }

    public boolean allowTf32() {
        return allowTf32;
    }

    /** The caching allocator's counters (like torch.cuda.memory_stats). */
    public MemoryStats memoryStats() {
        allocator.drainDead();
        return allocator.stats();
    }

    public void resetPeakMemoryStats() {
        allocator.resetPeakStats();
    }

    /** Frees cached, unused device memory (like torch.cuda.empty_cache). */
    public void emptyCache() {
        allocator.emptyCache();
    }

    /** {free, total} bytes of device memory as the driver reports them. */
    public long[] deviceMemoryInfo() {
        return driver.memoryInfo();
    }

    /** Waits for all queued work; throws if a kernel reported an out-of-range index. */
    public void synchronize() {
        driver.synchronize();
        checkKernelErrors();
    }

    // ------------------------------------------------------------------ fused optimizer updates

    /**
     * One kernel ({@code adam_update_f32}) when every buffer is float32 and contiguous (any
     * offset); otherwise {@link Backend}'s default, composed from this backend's elementwise
     * kernels. The kernel does the composed update's float operations in the same order with the
     * same scalars, so both give the same bits (see optim.cu).
     */
    @Override
    public void adamUpdate(AdamUpdate u) {
        Storage[] buffers = {u.param(), u.grad(), u.expAvg(), u.expAvgSq(), u.maxExpAvgSq()};
        Layout[] layouts = {u.paramLayout(), u.gradLayout(), u.expAvgLayout(), u.expAvgSqLayout(), u.maxExpAvgSqLayout()};
        if (!fusedUpdateApplies("adamUpdate", buffers, layouts)) {
            Backend.super.adamUpdate(u);
            return;
        }
        int n = u.paramLayout().numel();
        if (n == 0) {
            return;
        }
        double wd = u.weightDecay();
        int decayMode = wd == 0 ? 0 : u.decoupledWeightDecay() ? 2 : 1;
        KernelArgs args = new KernelArgs();
        for (int i = 0; i < buffers.length; i++) {
            args.ptr((CudaStorage) buffers[i], layouts[i] == null ? 0 : layouts[i].offset());
        }
        launch(Kernels.ADAM, LaunchShapes.elementwise(n), args.i32(n).f64(u.beta1()).f64(1 - u.beta1()).f64(u.beta2())
                .f64(1 - u.beta2()).i32(decayMode).f64(wd).f64(1 - u.lr() * wd).f64(Math.sqrt(u.biasCorrection2()))
                .f64(u.eps()).f64(u.lr() / u.biasCorrection1()));
    }

    /** One kernel ({@code sgd_update_f32}) under the same conditions as {@link #adamUpdate}. */
    @Override
    public void sgdUpdate(SgdUpdate u) {
        Storage[] buffers = {u.param(), u.grad(), u.momentumBuffer()};
        Layout[] layouts = {u.paramLayout(), u.gradLayout(), u.momentumBufferLayout()};
        if (!fusedUpdateApplies("sgdUpdate", buffers, layouts)) {
            Backend.super.sgdUpdate(u);
            return;
        }
        int n = u.paramLayout().numel();
        if (n == 0) {
            return;
        }
        KernelArgs args = new KernelArgs();
        for (int i = 0; i < buffers.length; i++) {
            args.ptr((CudaStorage) buffers[i], layouts[i] == null ? 0 : layouts[i].offset());
        }
        launch(Kernels.SGD, LaunchShapes.elementwise(n), args.i32(n).f64(u.lr()).f64(u.momentum())
                .f64(1 - u.dampening()).f64(u.weightDecay()).flag(u.nesterov()).flag(u.firstStep()));
    }

    /** Every (non-null) buffer is this backend's, float32 and contiguous: the fused kernels apply. */
    private boolean fusedUpdateApplies(String op, Storage[] buffers, Layout[] layouts) {
        boolean applies = true;
        for (int i = 0; i < buffers.length; i++) {
            if (buffers[i] != null) {
                cuda(buffers[i], op);                              // throws for a buffer of another device
                applies &= buffers[i].dtype() == DType.FLOAT32 && layouts[i].isContiguous();
            }
        }
        return applies;
    }

    /**
     * Releases the device: waits for queued work, frees all memory (buffers of this backend must
     * not be used afterwards), destroys the cuBLAS handle and the stream.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            driver.synchronize();
        } finally {
            if (blas != null) {
                blas.close();
            }
            allocator.releaseAll();
            driver.close();
        }
    }

    // ------------------------------------------------------------------ package helpers

    CachingAllocator allocator() {
        return allocator;
    }

    CudaDriver driver() {
        return driver;
    }

    boolean isClosed() {
        return closed;
    }

    /** The buffer as a CUDA buffer of this device, or an exception naming the op. */
    CudaStorage cuda(Storage s, String op) {
        if (s instanceof CudaStorage c && c.backend() == this) {
            if (closed) {
                throw new IllegalStateException(op + ": the CUDA backend of " + device + " is closed");
            }
            return c;
        }
        throw new IllegalArgumentException(op + ": expected a buffer on " + device + ", got one on "
                + (s == null ? "null" : s.device() + (s.device().equals(device) ? " (of another backend instance)" : "")));
    }

    static int code(Storage s) {
        return s.dtype().ordinal();                               // QKV_* in common.cuh
    }

    static boolean allF32(Storage... s) {
        for (Storage x : s) {
            if (x != null && x.dtype() != DType.FLOAT32) {
                return false;
            }
        }
        return true;
    }

    /** An uninitialised scratch buffer; close it when the kernels using it are queued. */
    CudaStorage scratch(DType dtype, int n) {
        return new CudaStorage(this, dtype, n);
    }

    CudaStorage errorBuffer() {
        return errors;
    }

    /** The most dynamic shared memory a kernel launch may ask for on this device. */
    int maxSharedBytesPerBlock() {
        return driver.maxSharedBytesPerBlock();
    }

    void launch(KernelSpec kernel, LaunchShape shape, KernelArgs args) {
        kernel.check(args);
        LaunchShape checked = shape.check(driver.maxSharedBytesPerBlock());
        if (timer.enabled()) {
            timed(kernel.name(), () -> driver.launch(kernel, checked, args));
        } else {
            driver.launch(kernel, checked, args);
        }
    }

    /** Runs device work between two waits for the GPU and books the time under {@code name}. */
    void timed(String name, Runnable work) {
        driver.synchronize();
        long t0 = System.nanoTime();
        work.run();
        driver.synchronize();
        timer.add(name, System.nanoTime() - t0);
    }

    private static volatile boolean gcAdviceGiven;

    /** One daemon thread for all devices' background collections (they only call System.gc). */
    private static final java.util.concurrent.Executor GC_THREAD = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "qkv-cuda-gc");
        t.setDaemon(true);
        return t;
    });

    /**
     * Device memory of dead tensors comes back when the JVM collects them, so the allocator asks
     * for collections (System.gc). Under G1 each is a full collection (about 13 ms measured in a
     * GPT-2 training step on an H100) unless the JVM runs with -XX:+ExplicitGCInvokesConcurrent
     * (about 1 ms). Said once, at the first such collection.
     */
    private static void adviseConcurrentExplicitGc() {
        if (gcAdviceGiven) {
            return;
        }
        gcAdviceGiven = true;
        boolean concurrent;
        try {
            concurrent = java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                    .anyMatch(a -> a.equals("-XX:+ExplicitGCInvokesConcurrent"));
        } catch (LinkageError | RuntimeException e) {
            return;                                         // a runtime without java.management: no advice
        }
        if (!concurrent) {
            LOG.log(System.Logger.Level.INFO, "qkv cuda: device memory is filling with tensors the JVM has not "
                    + "collected yet, so qkv asks it to collect (System.gc). Run the JVM with "
                    + "-XX:+ExplicitGCInvokesConcurrent to make each such collection short (docs/CUDA.md, Memory).");
        }
    }

    /** The driver's allocation calls, booked by the kernel timer while it runs. */
    private CachingAllocator.RawAllocator timedRaw(CudaDriver d) {
        return new CachingAllocator.RawAllocator() {
            @Override
            public long malloc(long bytes) {
                long t0 = System.nanoTime();
                long address = d.malloc(bytes);
                if (timer.enabled()) {
                    timer.add("cuMemAlloc", System.nanoTime() - t0);
                }
                return address;
            }

            @Override
            public void free(long address) {
                long t0 = System.nanoTime();
                d.free(address);
                if (timer.enabled()) {
                    timer.add("cuMemFree", System.nanoTime() - t0);
                }
            }

            @Override
            public void synchronize() {
                d.synchronize();
            }
        };
    }

    /** Zeroes device memory (queued), booked as "memset" while the kernel timer runs. */
    private void memsetZero(long address, long bytes) {
        if (timer.enabled()) {
            timed("memset", () -> driver.memsetZero(address, bytes));
        } else {
            driver.memsetZero(address, bytes);
        }
    }

    /**
     * The per-kernel profiler (off by default): enable it, run a few steps, read
     * {@link KernelTimer#report()}. It waits for the GPU around every launch, so it slows
     * everything down; see {@link KernelTimer}.
     */
    public KernelTimer kernelTimer() {
        return timer;
    }

    /** Throws (and clears the report) if a kernel met an out-of-range index. */
    void checkKernelErrors() {
        int[] e = new int[4];
        driver.copyToHost(e, errors.address(), 16);
        if (e[0] != 0) {
            driver.memsetZero(errors.address(), errors.bytes());
            long index = ((long) e[2] << 32) | (e[1] & 0xffffffffL);
            String op = switch (e[0]) {
                case 1 -> "indexSelect";
                case 2 -> "indexAdd";
                case 3 -> "gather";
                case 4 -> "scatterAdd";
                case 5 -> "crossEntropy (target)";
                default -> "kernel " + e[0];
            };
            throw new IndexOutOfBoundsException(op + ": index " + index + " is out of bounds for dimension of size "
                    + e[3] + " (reported by a CUDA kernel; that op's output is incomplete)");
        }
    }

    // ------------------------------------------------------------------ memory

    @Override
    public Device device() {
        return device;
    }

    @Override
    public Storage allocate(DType dtype, int numel) {
        CudaStorage s = new CudaStorage(this, dtype, numel);
        if (numel > 0) {
            memsetZero(s.address(), s.bytes());
        }
        return s;
    }

    /**
     * No zeroing pass: the memory holds whatever it held. With {@code -Dqkv.cuda.poisonUninitialized=true}
     * (the GPU test runner sets it) every byte is set to 0xFF instead, NaN in every float, so that an
     * op that leaves part of such a result unwritten fails its tests rather than passing on stale zeros.
     */
    @Override
    public Storage allocateUninitialized(DType dtype, int numel) {
        CudaStorage s = new CudaStorage(this, dtype, numel);
        if (numel > 0 && POISON_UNINITIALIZED) {
            driver.memsetBytes(s.address(), (byte) 0xFF, s.bytes());
        }
        return s;
    }

    @Override
    public Storage upload(Storage hostStorage) {
        if (!(hostStorage instanceof CpuStorage h)) {
            throw new IllegalArgumentException("upload: expected a CPU buffer, got one on " + hostStorage.device());
        }
        CudaStorage s = new CudaStorage(this, h.dtype(), h.size());
        if (h.size() > 0) {
            driver.copyToDevice(s.address(), hostArray(h), s.bytes());
        }
        return s;
    }

    @Override
    public Storage download(Storage storage) {
        CudaStorage s = cuda(storage, "download");
        CpuStorage h = CpuStorage.allocate(s.dtype(), s.size());
        if (s.size() > 0) {
            driver.copyToHost(hostArray(h), s.address(), s.bytes());
        }
        checkKernelErrors();
        return h;
    }

    private static Object hostArray(CpuStorage h) {
        return switch (h) {
            case CpuStorage.F32 f -> f.data;
            case CpuStorage.F64 d -> d.data;
            case CpuStorage.I64 l -> l.data;
            case CpuStorage.I32 i -> i.data;
            case CpuStorage.Bytes b -> b.data;
        };
    }

    // ------------------------------------------------------------------ elementwise

    @Override
    public void fill(Storage out, Layout ol, double value) {
        CudaStorage o = cuda(out, "fill");
        if (Double.doubleToRawLongBits(value) == 0 && isWhole(o, ol)) {
            memsetZero(o.address(), o.bytes());                  // +0 is all-zero bits in every dtype
            return;
        }
        ViewMerge.Merged m = ViewMerge.merge(ol);
        if (m.numel() == 0) {
            return;
        }
        launch(Kernels.FILL, LaunchShapes.elementwise(m.numel()),
                new KernelArgs().ptr(o).i32(code(o)).strides(m.views()[0]).dims(m.dims()).f64(value));
    }

    /** True when the view covers the whole buffer, contiguous from element 0. */
    private static boolean isWhole(CudaStorage s, Layout l) {
        return l.offset() == 0 && l.isContiguous() && l.numel() == s.size();
    }

    @Override
    public void copy(Storage src, Layout sl, Storage dst, Layout dl) {
        CudaStorage s = cuda(src, "copy");
        CudaStorage d = cuda(dst, "copy");
        if (s != d && s.dtype() == d.dtype() && sl.isContiguous() && dl.isContiguous() && sl.numel() == dl.numel()) {
            long bytes = (long) sl.numel() * s.dtype().byteSize();
            if (bytes > 0) {                                      // one memcpy between distinct buffers
                int e = s.dtype().byteSize();
                driver.copyDeviceToDevice(d.address() + (long) dl.offset() * e, s.address() + (long) sl.offset() * e, bytes);
            }
            return;
        }
        ViewMerge.Merged m = ViewMerge.merge(sl, dl);
        if (m.numel() == 0) {
            return;
        }
        ViewMerge.Merged four = s.dtype() == d.dtype() && s.dtype().byteSize() == 4 ? ViewMerge.byFour(m) : null;
        if (four != null) {                                       // 16 bytes per thread
            launch(Kernels.COPY_X4, LaunchShapes.elementwise(four.numel()), new KernelArgs().ptr(s)
                    .strides(four.views()[0]).ptr(d).strides(four.views()[1]).dims(four.dims()));
            return;
        }
        launch(Kernels.COPY, LaunchShapes.elementwise(m.numel()), new KernelArgs().ptr(s).i32(code(s))
                .strides(m.views()[0]).ptr(d).i32(code(d)).strides(m.views()[1]).dims(m.dims()));
    }

    @Override
    public void unary(UnaryOp op, Storage x, Layout xl, Storage out, Layout ol) {
        CudaStorage xs = cuda(x, op.kernelName());
        CudaStorage o = cuda(out, op.kernelName());
        ViewMerge.Merged m = ViewMerge.merge(xl, ol);
        if (m.numel() == 0) {
            return;
        }
        boolean f32 = allF32(xs, o);
        KernelArgs a = new KernelArgs().ptr(xs);
        if (!f32) {
            a.i32(code(xs));
        }
        a.strides(m.views()[0]).ptr(o);
        if (!f32) {
            a.i32(code(o));
        }
        launch(Kernels.unary(op, f32), LaunchShapes.elementwise(m.numel()), a.strides(m.views()[1]).dims(m.dims()));
    }

    @Override
    public void binary(BinaryOp op, Storage a, Layout al, Storage b, Layout bl, Storage out, Layout ol) {
        CudaStorage as = cuda(a, op.kernelName());
        CudaStorage bs = cuda(b, op.kernelName());
        CudaStorage o = cuda(out, op.kernelName());
        ViewMerge.Merged m = ViewMerge.merge(al, bl, ol);
        if (m.numel() == 0) {
            return;
        }
        boolean f32 = allF32(as, bs, o);
        KernelArgs args = new KernelArgs();
        CudaStorage[] operands = {as, bs, o};
        for (int i = 0; i < 3; i++) {
            args.ptr(operands[i]);
            if (!f32) {
                args.i32(code(operands[i]));
            }
            args.strides(m.views()[i]);
        }
        launch(Kernels.binary(op, f32), LaunchShapes.elementwise(m.numel()), args.dims(m.dims()));
    }

    @Override
    public void where(Storage cond, Layout cl, Storage a, Layout al, Storage b, Layout bl, Storage out, Layout ol) {
        CudaStorage[] operands = {cuda(cond, "where"), cuda(a, "where"), cuda(b, "where"), cuda(out, "where")};
        ViewMerge.Merged m = ViewMerge.merge(cl, al, bl, ol);
        if (m.numel() == 0) {
            return;
        }
        KernelArgs args = new KernelArgs();
        for (int i = 0; i < 4; i++) {
            args.ptr(operands[i]).i32(code(operands[i])).strides(m.views()[i]);
        }
        launch(Kernels.WHERE, LaunchShapes.elementwise(m.numel()), args.dims(m.dims()));
    }

    // ------------------------------------------------------------------ reductions

    @Override
    public void reduce(ReduceOp op, Storage x, Layout xl, boolean[] dims, Storage out) {
        CudaStorage xs = cuda(x, "reduce");
        CudaStorage o = cuda(out, "reduce");
        Layout[] split = splitReduced(xl, dims);
        ViewMerge.Merged kept = ViewMerge.merge(split[0]);
        ViewMerge.Merged reduced = ViewMerge.merge(split[1]);
        int outer = kept.numel();
        if (outer == 0) {
            return;
        }
        boolean arg = op == ReduceOp.ARGMAX || op == ReduceOp.ARGMIN;
        boolean f32 = xs.dtype() == DType.FLOAT32 && (arg || o.dtype() == DType.FLOAT32);
        if (op == ReduceOp.SUM && f32 && columnSum(xs, kept, reduced, o)) {
            return;
        }
        KernelArgs a = new KernelArgs().ptr(xs);
        if (!f32) {
            a.i32(code(xs));
        }
        a.strides(kept.views()[0]).dims(kept.dims()).strides(reduced.views()[0]).dims(reduced.dims()).ptr(o);
        if (!f32 || arg) {
            a.i32(code(o));
        }
        launch(Kernels.reduce(op, f32), LaunchShapes.reduce(outer, reduced.numel()), a);
    }

    /**
     * The sum over the leading dim of a row-major [rows, cols] block (bias gradients) with the
     * column-sum kernels, which read whole rows at a time; false for any other layout.
     */
    private boolean columnSum(CudaStorage x, ViewMerge.Merged kept, ViewMerge.Merged reduced, CudaStorage out) {
        if (kept.dims().rank() != 1 || reduced.dims().rank() != 1) {
            return false;
        }
        int cols = kept.numel();
        int rows = reduced.numel();
        if (kept.views()[0].strides()[0] != 1 || reduced.views()[0].strides()[0] != cols || rows < 2) {
            return false;
        }
        int chunks = LaunchShapes.normChunks(rows);
        CudaStorage partial = scratch(DType.FLOAT64, chunks * cols);
        launch(Kernels.COLUMN_PARTIAL_SUM, LaunchShapes.normParamPartial(rows, cols), new KernelArgs().ptr(x)
                .i32(kept.views()[0].offset()).i32(rows).i32(cols).i32(LaunchShapes.normRowsPerChunk(rows)).ptr(partial));
        launch(Kernels.COLUMN_TOTAL, LaunchShapes.columns(cols), new KernelArgs()
                .ptr(partial).i32(chunks).i32(cols).ptr(out));
        partial.close();
        return true;
    }

    /**
     * {kept, reduced}: kept has the input's offset and the non-reduced dims, reduced has offset 0
     * and the reduced dims, so element (o, j) is at kept(o) + reduced(j) (the CPU's ReduceViews).
     */
    static Layout[] splitReduced(Layout xl, boolean[] dims) {
        int rank = xl.rank();
        int nk = 0;
        for (int d = 0; d < rank; d++) {
            if (!dims[d]) {
                nk++;
            }
        }
        int[] ks = new int[nk];
        int[] kst = new int[nk];
        int[] rs = new int[rank - nk];
        int[] rst = new int[rank - nk];
        for (int d = 0, a = 0, b = 0; d < rank; d++) {
            if (dims[d]) {
                rs[b] = xl.shape(d);
                rst[b++] = xl.stride(d);
            } else {
                ks[a] = xl.shape(d);
                kst[a++] = xl.stride(d);
            }
        }
        return new Layout[] {new Layout(ks, kst, xl.offset()), new Layout(rs, rst, 0)};
    }

    // ------------------------------------------------------------------ matmul and indexing

    @Override
    public void gemm(Gemm g) {
        if (timer.enabled()) {
            timed("gemm " + g.c().dtype().name().toLowerCase(java.util.Locale.ROOT) + (allowTf32 ? " tf32" : ""),
                    () -> gemmOps.gemm(g, allowTf32));
            return;
        }
        gemmOps.gemm(g, allowTf32);
    }

    @Override
    public void indexSelect(Storage src, Layout sl, int dim, Storage idx, Layout il, Storage out) {
        indexOps.indexSelect(src, sl, dim, idx, il, out);
    }

    @Override
    public void indexAdd(Storage dst, Layout dl, int dim, Storage idx, Layout il, Storage src, Layout sl) {
        indexOps.indexAdd(dst, dl, dim, idx, il, src, sl);
    }

    @Override
    public void gather(Storage src, Layout sl, int dim, Storage idx, Layout il, Storage out) {
        indexOps.gather(src, sl, dim, idx, il, out);
    }

    @Override
    public void scatterAdd(Storage dst, Layout dl, int dim, Storage idx, Layout il, Storage src, Layout sl) {
        indexOps.scatterAdd(dst, dl, dim, idx, il, src, sl);
    }

    // ------------------------------------------------------------------ fused ops (kernels where we have them)

    @Override
    public void softmax(Storage x, Storage out, int rows, int cols, boolean log) {
        if (!fusedOps.softmax(x, out, rows, cols, log)) {
            Backend.super.softmax(x, out, rows, cols, log);
        }
    }

    @Override
    public void softmaxBackward(Storage y, Storage dy, Storage dx, int rows, int cols, boolean log) {
        if (!fusedOps.softmaxBackward(y, dy, dx, rows, cols, log)) {
            Backend.super.softmaxBackward(y, dy, dx, rows, cols, log);
        }
    }

    @Override
    public void layerNorm(Storage x, Storage weight, Storage bias, Storage out, Storage mean, Storage rstd, int rows,
                          int cols, double eps) {
        if (!fusedOps.layerNorm(x, weight, bias, out, mean, rstd, rows, cols, eps)) {
            Backend.super.layerNorm(x, weight, bias, out, mean, rstd, rows, cols, eps);
        }
    }

    @Override
    public void layerNormBackward(Storage x, Storage weight, Storage mean, Storage rstd, Storage dy, Storage dx,
                                  Storage dweight, Storage dbias, int rows, int cols) {
        if (!fusedOps.normBackward(x, weight, mean, rstd, dy, dx, dweight, dbias, rows, cols)) {
            Backend.super.layerNormBackward(x, weight, mean, rstd, dy, dx, dweight, dbias, rows, cols);
        }
    }

    @Override
    public void rmsNorm(Storage x, Storage weight, Storage out, Storage rstd, int rows, int cols, double eps) {
        if (!fusedOps.rmsNorm(x, weight, out, rstd, rows, cols, eps)) {
            Backend.super.rmsNorm(x, weight, out, rstd, rows, cols, eps);
        }
    }

    @Override
    public void rmsNormBackward(Storage x, Storage weight, Storage rstd, Storage dy, Storage dx, Storage dweight,
                                int rows, int cols) {
        if (!fusedOps.normBackward(x, weight, null, rstd, dy, dx, dweight, null, rows, cols)) {
            Backend.super.rmsNormBackward(x, weight, rstd, dy, dx, dweight, rows, cols);
        }
    }

    @Override
    public void crossEntropy(Storage logits, Storage targets, Storage loss, Storage lse, int rows, int cols,
                             int ignoreIndex, double smoothing) {
        if (!fusedOps.crossEntropy(logits, targets, loss, lse, rows, cols, ignoreIndex, smoothing)) {
            Backend.super.crossEntropy(logits, targets, loss, lse, rows, cols, ignoreIndex, smoothing);
        }
    }

    @Override
    public void crossEntropyBackward(Storage logits, Storage targets, Storage lse, Storage dloss, Storage dlogits,
                                     int rows, int cols, int ignoreIndex, double smoothing) {
        if (!fusedOps.crossEntropyBackward(logits, targets, lse, dloss, dlogits, rows, cols, ignoreIndex, smoothing)) {
            Backend.super.crossEntropyBackward(logits, targets, lse, dloss, dlogits, rows, cols, ignoreIndex, smoothing);
        }
    }

    @Override
    public void attentionForward(AttentionArgs args) {
        if (!attention.forward(args)) {
            Backend.super.attentionForward(args);
        }
    }

    @Override
    public void attentionBackward(AttentionArgs args, Storage dout, Storage dq, Storage dk, Storage dv) {
        if (!attention.backward(args, dout, dq, dk, dv)) {
            Backend.super.attentionBackward(args, dout, dq, dk, dv);
        }
    }

    @Override
    public String toString() {
        return "CudaBackend[" + device + ": " + driver.describe() + "; " + blasName() + "]";
    }
}
