package dev.qkv.samples.roadmap;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;

/**
 * Reads MNIST (or Fashion-MNIST, or anything in the same format) from its IDX files, so the
 * vision samples can run on real data with {@code --mnist DIR}. Nothing is downloaded: point it at
 * a directory holding {@code train-images-idx3-ubyte}, {@code train-labels-idx1-ubyte},
 * {@code t10k-images-idx3-ubyte} and {@code t10k-labels-idx1-ubyte} (each may also be gzipped,
 * with {@code .gz}, or named with a dot, {@code train-images.idx3-ubyte}).
 *
 * <p>The IDX format: two zero bytes, a type byte (0x08 = unsigned byte), the number of dims,
 * each dim as a big-endian int, then the values row-major. Images are [n, rows, cols], labels
 * [n]. The files are untrusted input: the header is checked against the format, the dims
 * against sane limits, and the data length against the header, before anything is believed.
 */
final class MnistIdx {
    private MnistIdx() {
    }

    /** Magic number of an IDX file of unsigned bytes with 3 dims (images) or 1 dim (labels). */
    static final int IMAGES_MAGIC = 0x00000803;
    static final int LABELS_MAGIC = 0x00000801;
    /** No MNIST-like file is near this big; a header claiming more is refused before allocating. */
    static final long MAX_BYTES = 256L << 20;

    /** One parsed IDX file: its dims and its bytes. */
    record Idx(int[] dims, byte[] data) {
    }

    /**
     * The training ({@code train}) or test set from a directory, at most {@code max} images,
     * pixels scaled to [0, 1].
     */
    static Images.Dataset load(Path dir, boolean train, int max) throws IOException {
        String prefix = train ? "train" : "t10k";
        return read(find(dir, prefix + "-images", "idx3-ubyte"), find(dir, prefix + "-labels", "idx1-ubyte"), max);
    }

    /** Images and labels from two IDX files; checks that they belong together. */
    static Images.Dataset read(Path imagesFile, Path labelsFile, int max) throws IOException {
        Idx images = parse(imagesFile, IMAGES_MAGIC, 3);
        Idx labels = parse(labelsFile, LABELS_MAGIC, 1);
        int n = images.dims()[0];
        int rows = images.dims()[1];
        int cols = images.dims()[2];
        if (rows != cols) {
            throw new IOException(imagesFile + ": images are " + rows + "x" + cols + "; the samples expect square images");
        }
        if (labels.dims()[0] != n) {
            throw new IOException(imagesFile + " holds " + n + " images but " + labelsFile + " holds "
                    + labels.dims()[0] + " labels; they must be a matching pair");
        }
        int keep = Math.min(n, max);
        long[] y = new long[keep];
        for (int i = 0; i < keep; i++) {
            y[i] = labels.data()[i] & 0xff;
            if (y[i] > 9) {
                throw new IOException(labelsFile + ": label " + y[i] + " of image " + i + " is not a digit 0-9");
            }
        }
        float[] pixels = new float[keep * rows * cols];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (images.data()[i] & 0xff) / 255f;
        }
        return new Images.Dataset(pixels, y, keep, 1, rows);
    }

    /** The file for a name stem: NAME-KIND, NAME.KIND, either with .gz. */
    static Path find(Path dir, String stem, String kind) throws IOException {
        for (String name : new String[] {stem + "-" + kind, stem + "." + kind}) {
            for (String ext : new String[] {"", ".gz"}) {
                Path p = dir.resolve(name + ext);
                if (Files.isRegularFile(p)) {
                    return p;
                }
            }
        }
        throw new IOException("no " + stem + "-" + kind + " (or .gz) in " + dir
                + "; --mnist expects the four MNIST IDX files in one directory");
    }

    /** Reads and validates one IDX file of unsigned bytes with {@code rank} dims. */
    static Idx parse(Path file, int expectedMagic, int rank) throws IOException {
        boolean gz = file.getFileName().toString().endsWith(".gz");
        try (InputStream raw = Files.newInputStream(file);
             DataInputStream in = new DataInputStream(new BufferedInputStream(gz ? new GZIPInputStream(raw) : raw))) {
            return parse(file.toString(), in, expectedMagic, rank);
        } catch (EOFException e) {
            throw new IOException(file + ": the file ends inside its header or data (truncated?)", e);
        }
    }

    static Idx parse(String name, DataInputStream in, int expectedMagic, int rank) throws IOException {
        int magic = in.readInt();
        if (magic != expectedMagic) {
            throw new IOException(String.format("%s: magic number 0x%08x, expected 0x%08x (an IDX file of unsigned "
                    + "bytes with %d dim%s); is this the right file?", name, magic, expectedMagic, rank, rank == 1 ? "" : "s"));
        }
        int[] dims = new int[rank];
        long total = 1;
        for (int d = 0; d < rank; d++) {
            dims[d] = in.readInt();
            if (dims[d] <= 0 || d > 0 && dims[d] > 4096) {
                throw new IOException(name + ": dim " + d + " is " + dims[d] + " (header dims so far "
                        + Arrays.toString(Arrays.copyOf(dims, d + 1)) + "); expected a positive size"
                        + (d > 0 ? " of at most 4096" : ""));
            }
            total *= dims[d];
            if (total > MAX_BYTES) {
                throw new IOException(name + ": the header's dims " + Arrays.toString(Arrays.copyOf(dims, d + 1))
                        + " describe more than " + (MAX_BYTES >> 20) + " MiB; refusing to read it");
            }
        }
        byte[] data = new byte[(int) total];
        int got = in.readNBytes(data, 0, data.length);
        if (got < data.length) {
            throw new IOException(name + ": the header " + Arrays.toString(dims) + " promises " + total
                    + " bytes of data, but the file holds only " + got + " (truncated?)");
        }
        if (in.read() != -1) {
            throw new IOException(name + ": the file continues after the " + total + " bytes of data that its header "
                    + Arrays.toString(dims) + " describes (wrong or corrupt file?)");
        }
        return new Idx(dims, data);
    }
}
