package dev.qkv.io;

import dev.qkv.tensor.DType;
import dev.qkv.tensor.Tensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An open safetensors file, memory-mapped: the header is read and validated when the file is
 * opened (see {@link SafeTensors} for the rules), and each tensor's bytes are read from the
 * mapping only when {@link #tensor} asks for it, so loading a few tensors of a large file
 * touches only their pages.
 *
 * <p>Close it to unmap the file (try-with-resources); one never closed stays mapped until the
 * JVM exits. Tensors already read are independent copies on the Java heap and stay valid. The
 * file must not be truncated by another process while it is open: reading a page that no
 * longer exists makes the read fail with an InternalError, as with any memory-mapped file.
 * Safe to use from several threads.
 */
public final class SafeTensorsFile implements AutoCloseable {
    /**
     * The most elements qkv puts in one tensor: that of {@code Shapes.numel}, a little under
     * 2^31 because Java arrays cannot quite reach Integer.MAX_VALUE elements.
     */
    public static final long MAX_ELEMENTS = Integer.MAX_VALUE - 16;

    private final String source;
    private final Arena arena; // owns the mapping; null for a file read from a byte array
    private final MemorySegment data; // the data buffer: the bytes after the header
    private final Map<String, TensorInfo> tensors; // in header order
    private final Map<String, String> metadata;
    private volatile boolean closed;

    private SafeTensorsFile(String source, MemorySegment file, Arena arena) throws SafeTensorsException {
        SafeTensorsHeader header = SafeTensorsHeader.read(source, file);
        this.source = source;
        this.arena = arena;
        this.data = file.asSlice(header.dataStart());
        Map<String, TensorInfo> byName = new LinkedHashMap<>();
        for (TensorInfo t : header.tensors()) {
            byName.put(t.name(), t);
        }
        this.tensors = Collections.unmodifiableMap(byName);
        this.metadata = header.metadata();
    }

    /** Maps and validates a file; see {@link SafeTensors#open}. */
    static SafeTensorsFile open(Path path) throws IOException {
        // A shared arena lets any thread read, and close() unmap the file at once instead of
        // whenever the garbage collector gets to a MappedByteBuffer.
        Arena arena = Arena.ofShared();
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            MemorySegment file = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena);
            return new SafeTensorsFile(path.toString(), file, arena);
        } catch (IOException | RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /** The same reader over bytes already in memory (tests use it to fuzz without files). */
    static SafeTensorsFile fromBytes(String source, byte[] bytes) throws SafeTensorsException {
        return new SafeTensorsFile(source, MemorySegment.ofArray(bytes), null);
    }

    /** Tensor names in the order of the header (for files written by qkv or the reference, also data order). */
    public List<String> names() {
        return List.copyOf(tensors.keySet());
    }

    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    /** The header entry of a tensor: file dtype, shape as stored, and byte offsets. */
    public TensorInfo info(String name) {
        TensorInfo t = tensors.get(name);
        if (t == null) {
            throw new IllegalArgumentException(source + ": no tensor named " + Json.quote(name, 100) + "; the file has "
                    + tensors.size() + " tensors" + (tensors.isEmpty() ? "" : ", e.g. " + someNames()));
        }
        return t;
    }

    /** The dtype {@link #tensor} returns for this name (FLOAT32 for F16 and BF16). */
    public DType dtype(String name) {
        return info(name).dtype().loadsAs();
    }

    /** The shape {@link #tensor} returns; an error if it is beyond qkv's limits. */
    public int[] shape(String name) throws SafeTensorsException {
        return qkvShape(info(name));
    }

    /** The "__metadata__" map of the header (empty if there is none); unmodifiable. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /**
     * Reads one tensor into a fresh contiguous CPU tensor. F16 and BF16 are widened to FLOAT32
     * exactly; BOOL bytes other than 0 read as true.
     *
     * @throws SafeTensorsException if the tensor has more than {@link #MAX_ELEMENTS} elements
     * @throws IllegalArgumentException if there is no tensor of this name
     * @throws IllegalStateException if the file has been closed
     */
    public Tensor tensor(String name) throws SafeTensorsException {
        TensorInfo info = info(name);
        int[] shape = qkvShape(info);
        if (closed) {
            throw new IllegalStateException(source + " has been closed");
        }
        MemorySegment bytes = data.asSlice(info.begin(), info.byteSize());
        return TensorBytes.read(info.dtype(), bytes, shape, (int) info.numel());
    }

    /** The shape as ints, if qkv can hold the tensor. */
    private int[] qkvShape(TensorInfo info) throws SafeTensorsException {
        if (info.numel() > MAX_ELEMENTS) {
            throw new SafeTensorsException(source, "tensor " + info + " has " + info.numel()
                    + " elements; a qkv tensor holds at most " + MAX_ELEMENTS);
        }
        // An empty tensor may still have huge dims, such as [0, 3000000000]. qkv's shape
        // arithmetic (Shapes.numel, Layout's strides) multiplies the non-zero dims in ints, so
        // their product must stay within the limit too.
        long[] shape = info.shape();
        int[] out = new int[shape.length];
        long extent = 1;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] > MAX_ELEMENTS || (extent *= Math.max(shape[i], 1)) > MAX_ELEMENTS) {
                throw new SafeTensorsException(source, "tensor " + info + " is empty, but the product of its "
                        + "non-zero dimensions exceeds " + MAX_ELEMENTS + ", which qkv's shape arithmetic cannot hold");
            }
            out[i] = (int) shape[i];
        }
        return out;
    }

    private String someNames() {
        List<String> names = new ArrayList<>();
        for (String n : tensors.keySet()) {
            if (names.size() == 5) {
                break;
            }
            names.add(Json.quote(n, 60));
        }
        return String.join(", ", names) + (tensors.size() > 5 ? ", ..." : "");
    }

    /** Unmaps the file. Idempotent; a read racing with it fails with IllegalStateException. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            if (arena != null) {
                arena.close();
            }
        }
    }

    @Override
    public String toString() {
        return "SafeTensorsFile[" + source + ", " + tensors.size() + " tensors" + (closed ? ", closed" : "") + "]";
    }
}
