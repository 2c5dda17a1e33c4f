package dev.qkv.backend.cuda;

import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction_attribute;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUresult;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

import java.util.HashMap;
import java.util.Map;

/**
 * {@link CudaDriver} on the CUDA driver API through JCuda (libJCudaDriver needs only the
 * driver's libcuda.so.1). One device, its primary context (the one the CUDA runtime, and so
 * cuBLAS, also uses) and one stream. PTX modules are JIT-compiled by the driver the first time
 * one of their kernels is launched; the driver caches the result on disk (~/.nv/ComputeCache).
 *
 * <p>Only {@link CudaBackend#open} loads this class, so JCuda's natives are never touched unless
 * a CUDA device is asked for. Every call makes the context current on the calling thread first,
 * so the backend may be used from any thread (one at a time).
 */
final class JCudaDeviceDriver implements CudaDriver {

    /** A CUdeviceptr whose address we can read (the field is protected in JCuda). */
    private static final class DevicePointer extends CUdeviceptr {
        long address() {
            return getNativePointer() + getByteOffset();
        }
    }

    /** A CUstream whose raw handle we can read, for cuBLAS through java.lang.foreign. */
    private static final class Stream extends CUstream {
        long handle() {
            return getNativePointer();
        }
    }

    /** The lowest CUDA version whose driver JITs PTX ISA 8.0 (the version build-ptx.sh writes). */
    static final int MIN_DRIVER_VERSION = 12000;
    static final int MIN_COMPUTE_CAPABILITY = 80;
    /** Why JCuda's native library did not load, the first time it was tried. */
    private static String nativeFailure;

    private final CUdevice device;
    private final CUcontext context;
    private final Stream stream;
    private final String description;
    private final Map<String, CUmodule> modules = new HashMap<>();
    private final Map<String, CUfunction> functions = new HashMap<>();
    /** Dynamic shared memory each kernel has opted in to (absent: the default 48 KiB). */
    private final Map<String, Integer> sharedOptIn = new HashMap<>();
    private final int maxSharedOptIn;
    private boolean closed;

    private JCudaDeviceDriver(CUdevice device, CUcontext context, Stream stream, String description) {
        this.device = device;
        this.context = context;
        this.stream = stream;
        this.description = description;
        this.maxSharedOptIn = attribute(device, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN);
    }

    @Override
    public int maxSharedBytesPerBlock() {
        return maxSharedOptIn;
    }

    private static void check(int result, String call) {
        if (result != CUresult.CUDA_SUCCESS) {
            throw new IllegalStateException(call + " failed: " + CUresult.stringFor(result));
        }
    }

    private static CUdeviceptr at(long address) {
        return new CUdeviceptr().withByteOffset(address);
    }

    /** Opens device {@code index}, or throws {@link CudaUnavailableException} saying why not. */
    static JCudaDeviceDriver open(int index) {
        int init;
        try {
            init = JCudaDriver.cuInit(0);
        } catch (LinkageError e) {
            // The first failure says why (an UnsatisfiedLinkError naming the library); later ones
            // only say that JCudaDriver's class initialisation failed, so keep the first reason.
            synchronized (JCudaDeviceDriver.class) {
                if (nativeFailure == null) {
                    nativeFailure = summarize(e);
                }
            }
            throw new CudaUnavailableException("the NVIDIA driver library libcuda.so.1 (or JCuda's native binding to "
                    + "it) could not be loaded: " + nativeFailure, e);
        }
        if (init != CUresult.CUDA_SUCCESS) {
            throw new CudaUnavailableException("cuInit failed with " + CUresult.stringFor(init)
                    + " (no GPU, or the NVIDIA driver is not running)");
        }
        int[] version = new int[1];
        check(JCudaDriver.cuDriverGetVersion(version), "cuDriverGetVersion");
        if (version[0] < MIN_DRIVER_VERSION) {
            throw new CudaUnavailableException("the NVIDIA driver supports CUDA " + cudaVersion(version[0])
                    + ", but qkv's kernels (PTX ISA " + PtxModules.manifestValue("ptx-isa") + ") need a driver for "
                    + "CUDA 12.0 or newer (R525+)");
        }
        int[] count = new int[1];
        check(JCudaDriver.cuDeviceGetCount(count), "cuDeviceGetCount");
        if (index < 0 || index >= count[0]) {
            throw new CudaUnavailableException("device index " + index + " was asked for, but " + count[0]
                    + " CUDA device(s) are visible");
        }
        CUdevice device = new CUdevice();
        check(JCudaDriver.cuDeviceGet(device, index), "cuDeviceGet");
        int cc = 10 * attribute(device, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR)
                + attribute(device, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
        byte[] nameBytes = new byte[256];
        check(JCudaDriver.cuDeviceGetName(nameBytes, nameBytes.length, device), "cuDeviceGetName");
        String name = new String(nameBytes, java.nio.charset.StandardCharsets.US_ASCII).trim().replace("\0", "");
        if (cc < MIN_COMPUTE_CAPABILITY) {
            throw new CudaUnavailableException(name + " has compute capability " + cc / 10 + "." + cc % 10
                    + "; qkv's PTX targets sm_80 (Ampere) and newer");
        }
        long[] total = new long[1];
        check(JCudaDriver.cuDeviceTotalMem(total, device), "cuDeviceTotalMem");
        CUcontext context = new CUcontext();
        check(JCudaDriver.cuDevicePrimaryCtxRetain(context, device), "cuDevicePrimaryCtxRetain");
        check(JCudaDriver.cuCtxSetCurrent(context), "cuCtxSetCurrent");
        Stream stream = new Stream();
        check(JCudaDriver.cuStreamCreate(stream, 0), "cuStreamCreate");  // blocking: ordered with the legacy stream
        String description = String.format("%s (sm_%d, %.1f GiB, driver for CUDA %s)", name, cc,
                total[0] / (1024.0 * 1024 * 1024), cudaVersion(version[0]));
        return new JCudaDeviceDriver(device, context, stream, description);
    }

    /**
     * JCuda's load error lists every way it tried, with stack traces; the last UnsatisfiedLinkError
     * line is the one that names the missing library ("libcuda.so.1: cannot open shared object file").
     */
    static String summarize(LinkageError e) {
        String message = String.valueOf(e.getMessage());
        String reason = message.lines().findFirst().orElse(message);
        for (String line : message.lines().toList()) {
            if (line.startsWith("java.lang.UnsatisfiedLinkError: ")) {
                reason = line.substring("java.lang.UnsatisfiedLinkError: ".length());
            }
        }
        return reason;
    }

    private static int attribute(CUdevice device, int attribute) {
        int[] v = new int[1];
        check(JCudaDriver.cuDeviceGetAttribute(v, attribute, device), "cuDeviceGetAttribute");
        return v[0];
    }

    private static String cudaVersion(int v) {
        return v / 1000 + "." + (v % 1000) / 10;
    }

    private void current() {
        if (closed) {
            throw new IllegalStateException("the CUDA backend is closed");
        }
        check(JCudaDriver.cuCtxSetCurrent(context), "cuCtxSetCurrent");
    }

    @Override
    public synchronized void makeCurrent() {
        current();
    }

    @Override
    public String describe() {
        return description;
    }

    @Override
    public long streamHandle() {
        return stream.handle();
    }

    @Override
    public Object streamObject() {
        return stream;
    }

    @Override
    public synchronized long malloc(long bytes) {
        current();
        DevicePointer p = new DevicePointer();
        int r = JCudaDriver.cuMemAlloc(p, bytes);
        if (r == CUresult.CUDA_ERROR_OUT_OF_MEMORY) {
            throw new CachingAllocator.OutOfDeviceMemory("cuMemAlloc(" + bytes + ") returned CUDA_ERROR_OUT_OF_MEMORY");
        }
        check(r, "cuMemAlloc(" + bytes + ")");
        return p.address();
    }

    @Override
    public synchronized void free(long address) {
        current();
        check(JCudaDriver.cuMemFree(at(address)), "cuMemFree");
    }

    @Override
    public synchronized void synchronize() {
        current();
        check(JCudaDriver.cuStreamSynchronize(stream), "cuStreamSynchronize (an earlier kernel may have failed)");
    }

    @Override
    public synchronized void memsetZero(long address, long bytes) {
        current();
        check(JCudaDriver.cuMemsetD8Async(at(address), (byte) 0, bytes, stream), "cuMemsetD8Async");
    }

    @Override
    public synchronized void memsetBytes(long address, byte value, long bytes) {
        current();
        check(JCudaDriver.cuMemsetD8Async(at(address), value, bytes, stream), "cuMemsetD8Async");
    }

    private static Pointer host(Object array) {
        return switch (array) {
            case float[] a -> Pointer.to(a);
            case double[] a -> Pointer.to(a);
            case long[] a -> Pointer.to(a);
            case int[] a -> Pointer.to(a);
            case byte[] a -> Pointer.to(a);
            default -> throw new IllegalArgumentException("not a primitive host array: " + array.getClass());
        };
    }

    @Override
    public synchronized void copyToDevice(long dst, Object hostArray, long bytes) {
        current();
        // Synchronous, on the legacy default stream, which waits for our (blocking) stream first.
        check(JCudaDriver.cuMemcpyHtoD(at(dst), host(hostArray), bytes), "cuMemcpyHtoD");
    }

    @Override
    public synchronized void copyToHost(Object hostArray, long src, long bytes) {
        current();
        check(JCudaDriver.cuMemcpyDtoH(host(hostArray), at(src), bytes), "cuMemcpyDtoH (an earlier kernel may have failed)");
    }

    @Override
    public synchronized void copyDeviceToDevice(long dst, long src, long bytes) {
        current();
        check(JCudaDriver.cuMemcpyDtoDAsync(at(dst), at(src), bytes, stream), "cuMemcpyDtoDAsync");
    }

    private CUfunction function(KernelSpec k) {
        CUfunction f = functions.get(k.name());
        if (f != null) {
            return f;
        }
        CUmodule module = modules.get(k.module());
        if (module == null) {
            module = new CUmodule();
            int r = JCudaDriver.cuModuleLoadData(module, PtxModules.image(k.module()));
            if (r != CUresult.CUDA_SUCCESS) {
                throw new IllegalStateException("the driver could not JIT-compile PTX module '" + k.module() + "' (PTX ISA "
                        + PtxModules.manifestValue("ptx-isa") + ", target sm_80): " + CUresult.stringFor(r)
                        + ". See docs/CUDA.md for the supported drivers.");
            }
            modules.put(k.module(), module);
        }
        f = new CUfunction();
        check(JCudaDriver.cuModuleGetFunction(f, module, k.name()), "cuModuleGetFunction(" + k.name() + ")");
        functions.put(k.name(), f);
        return f;
    }

    @Override
    public synchronized void launch(KernelSpec kernel, LaunchShape s, KernelArgs args) {
        current();
        CUfunction f = function(kernel);
        if (s.sharedBytes() > LaunchShape.DEFAULT_SHARED_LIMIT
                && s.sharedBytes() > sharedOptIn.getOrDefault(kernel.name(), LaunchShape.DEFAULT_SHARED_LIMIT)) {
            // Above 48 KiB a kernel must opt in to the larger dynamic shared memory, once.
            check(JCudaDriver.cuFuncSetAttribute(f, CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                    s.sharedBytes()), "cuFuncSetAttribute(" + kernel.name() + ", MAX_DYNAMIC_SHARED_SIZE_BYTES, "
                    + s.sharedBytes() + ")");
            sharedOptIn.put(kernel.name(), s.sharedBytes());
        }
        Pointer[] params = new Pointer[args.size()];
        for (int i = 0; i < params.length; i++) {
            params[i] = Pointer.to(args.value(i));               // kernelParams[i] points at the value's bytes
        }
        int r = JCudaDriver.cuLaunchKernel(f, s.gridX(), s.gridY(), s.gridZ(), s.blockX(), s.blockY(), s.blockZ(),
                s.sharedBytes(), stream, Pointer.to(params), null);
        check(r, "launching " + kernel.name() + " " + s);
    }

    @Override
    public synchronized long[] memoryInfo() {
        current();
        long[] free = new long[1];
        long[] total = new long[1];
        check(JCudaDriver.cuMemGetInfo(free, total), "cuMemGetInfo");
        return new long[] {free[0], total[0]};
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        current();
        JCudaDriver.cuStreamSynchronize(stream);
        for (CUmodule m : modules.values()) {
            JCudaDriver.cuModuleUnload(m);
        }
        JCudaDriver.cuStreamDestroy(stream);
        JCudaDriver.cuDevicePrimaryCtxRelease(device);
        closed = true;
    }
}
