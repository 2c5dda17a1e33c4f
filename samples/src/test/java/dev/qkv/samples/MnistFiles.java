package dev.qkv.samples;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.zip.GZIPOutputStream;

/** Writes small IDX files (MNIST's format) for tests: valid ones, and raw bytes for broken ones. */
public final class MnistFiles {
    private MnistFiles() {
    }

    /** The bytes of an IDX file: magic, dims (big-endian ints), then the data. */
    public static byte[] idx(int magic, int[] dims, byte[] data) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(buf)) {
            out.writeInt(magic);
            for (int d : dims) {
                out.writeInt(d);
            }
            out.write(data);
        }
        return buf.toByteArray();
    }

    /** Writes bytes to a file, gzipped when the name ends in .gz. */
    public static Path write(Path file, byte[] bytes) throws IOException {
        Files.createDirectories(file.getParent());
        try (OutputStream raw = Files.newOutputStream(file);
             OutputStream out = file.toString().endsWith(".gz") ? new GZIPOutputStream(raw) : raw) {
            out.write(bytes);
        }
        return file;
    }

    /**
     * The four MNIST files in {@code dir} with random pixels and labels 0–9: train and t10k sets
     * of size×size images, gzipped or not.
     */
    public static void write(Path dir, int nTrain, int nTest, int size, boolean gz) throws IOException {
        Random r = new Random(1);
        String ext = gz ? ".gz" : "";
        for (String set : new String[] {"train", "t10k"}) {
            int n = set.equals("train") ? nTrain : nTest;
            byte[] pixels = new byte[n * size * size];
            r.nextBytes(pixels);
            byte[] labels = new byte[n];
            for (int i = 0; i < n; i++) {
                labels[i] = (byte) r.nextInt(10);
            }
            write(dir.resolve(set + "-images-idx3-ubyte" + ext), idx(0x803, new int[] {n, size, size}, pixels));
            write(dir.resolve(set + "-labels-idx1-ubyte" + ext), idx(0x801, new int[] {n}, labels));
        }
    }
}
