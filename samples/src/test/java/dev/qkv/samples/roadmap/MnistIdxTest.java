package dev.qkv.samples.roadmap;

import dev.qkv.samples.MnistFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The IDX reader on small generated files: the values, both file namings, gzip, and every kind of broken header. */
class MnistIdxTest {
    @TempDir
    Path tmp;

    private static byte[] bytes(int... v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = (byte) v[i];
        }
        return b;
    }

    @Test
    void readsPixelsScaledToUnitRangeAndLabels() throws IOException {
        // two 2x2 images: [0, 255, 51, 102] and [255, 0, 0, 255]
        Path images = MnistFiles.write(tmp.resolve("train-images-idx3-ubyte"),
                MnistFiles.idx(0x803, new int[] {2, 2, 2}, bytes(0, 255, 51, 102, 255, 0, 0, 255)));
        Path labels = MnistFiles.write(tmp.resolve("train-labels-idx1-ubyte"),
                MnistFiles.idx(0x801, new int[] {2}, bytes(7, 3)));
        Images.Dataset d = MnistIdx.read(images, labels, 100);
        assertEquals(2, d.n());
        assertEquals(2, d.size());
        assertArrayEquals(new long[] {7, 3}, d.labels());
        assertArrayEquals(new float[] {0, 1, 0.2f, 0.4f, 1, 0, 0, 1}, d.pixels(), 1e-7f);
        assertEquals(1, MnistIdx.read(images, labels, 1).n(), "max limits the count");
    }

    @Test
    void findsGzippedAndDottedNames() throws IOException {
        MnistFiles.write(tmp.resolve("a"), 5, 3, 4, true);
        assertEquals(5, MnistIdx.load(tmp.resolve("a"), true, 100).n());
        assertEquals(3, MnistIdx.load(tmp.resolve("a"), false, 100).n());
        MnistFiles.write(tmp.resolve("b/train-images.idx3-ubyte"), MnistFiles.idx(0x803, new int[] {1, 1, 1}, bytes(9)));
        MnistFiles.write(tmp.resolve("b/train-labels.idx1-ubyte"), MnistFiles.idx(0x801, new int[] {1}, bytes(4)));
        assertArrayEquals(new long[] {4}, MnistIdx.load(tmp.resolve("b"), true, 100).labels());
        IOException e = assertThrows(IOException.class, () -> MnistIdx.load(tmp.resolve("b"), false, 100));
        assertTrue(e.getMessage().contains("no t10k-images-idx3-ubyte"), e.getMessage());
    }

    /** The message of reading one broken images file (with valid labels for 2 images). */
    private String imagesError(byte[] file) throws IOException {
        Path images = MnistFiles.write(tmp.resolve("x-images"), file);
        Path labels = MnistFiles.write(tmp.resolve("x-labels"), MnistFiles.idx(0x801, new int[] {2}, bytes(1, 2)));
        return assertThrows(IOException.class, () -> MnistIdx.read(images, labels, 100)).getMessage();
    }

    @Test
    void rejectsBrokenHeadersWithClearMessages() throws IOException {
        byte[] four = new byte[8];
        String m = imagesError(MnistFiles.idx(0x801, new int[] {2, 2, 2}, four));
        assertTrue(m.contains("magic number 0x00000801, expected 0x00000803"), m);
        m = imagesError(MnistFiles.idx(0x80d, new int[] {2, 2, 2}, four));       // float data, not bytes
        assertTrue(m.contains("magic number 0x0000080d"), m);
        m = imagesError(MnistFiles.idx(0x803, new int[] {2, 0, 2}, four));
        assertTrue(m.contains("dim 1 is 0"), m);
        m = imagesError(MnistFiles.idx(0x803, new int[] {2, -5, 2}, four));
        assertTrue(m.contains("dim 1 is -5"), m);
        m = imagesError(MnistFiles.idx(0x803, new int[] {Integer.MAX_VALUE, 4096, 4096}, four));
        assertTrue(m.contains("refusing to read it"), m);
        m = imagesError(MnistFiles.idx(0x803, new int[] {2, 2, 2}, new byte[7]));
        assertTrue(m.contains("promises 8 bytes of data, but the file holds only 7"), m);
        m = imagesError(MnistFiles.idx(0x803, new int[] {2, 2, 2}, new byte[9]));
        assertTrue(m.contains("continues after the 8 bytes"), m);
        m = imagesError(Arrays.copyOf(MnistFiles.idx(0x803, new int[] {2, 2, 2}, four), 6));   // cut inside the header
        assertTrue(m.contains("ends inside its header or data"), m);
        m = imagesError(MnistFiles.idx(0x803, new int[] {3, 2, 2}, new byte[12]));
        assertTrue(m.contains("holds 3 images but") && m.contains("holds 2 labels"), m);
        m = imagesError(MnistFiles.idx(0x803, new int[] {2, 2, 1}, new byte[4]));
        assertTrue(m.contains("2x1"), m);
    }

    @Test
    void rejectsLabelsThatAreNotDigits() throws IOException {
        Path images = MnistFiles.write(tmp.resolve("i"), MnistFiles.idx(0x803, new int[] {2, 1, 1}, new byte[2]));
        Path labels = MnistFiles.write(tmp.resolve("l"), MnistFiles.idx(0x801, new int[] {2}, bytes(3, 200)));
        String m = assertThrows(IOException.class, () -> MnistIdx.read(images, labels, 100)).getMessage();
        assertTrue(m.contains("label 200 of image 1 is not a digit"), m);
    }
}
