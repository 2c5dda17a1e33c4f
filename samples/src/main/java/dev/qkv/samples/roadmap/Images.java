package dev.qkv.samples.roadmap;

import dev.qkv.io.AtomicFiles;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Small image data for the vision samples, drawn procedurally so nothing is downloaded: digits
 * rendered from a built-in 5×7 bitmap font with random size, slant, rotation, shift, stroke
 * width and noise (an MNIST stand-in), and a PNG grid writer for RGB images with a colored
 * frame and a label under each tile.
 */
final class Images {
    private Images() {
    }

    /**
     * n images of {@code channels}×size×size pixels in [0, 1], row-major [n, channels, size, size],
     * with integer labels.
     */
    record Dataset(float[] pixels, long[] labels, int n, int channels, int size) {

        int imageSize() {
            return channels * size * size;
        }

        /** Images [count, channels, size, size] picked by index (a mini-batch). */
        Tensor images(int[] idx) {
            float[] out = new float[idx.length * imageSize()];
            for (int i = 0; i < idx.length; i++) {
                System.arraycopy(pixels, idx[i] * imageSize(), out, i * imageSize(), imageSize());
            }
            return Tensor.fromArray(out, idx.length, channels, size, size);
        }

        Tensor labels(int[] idx) {
            long[] out = new long[idx.length];
            for (int i = 0; i < idx.length; i++) {
                out[i] = labels[idx[i]];
            }
            return Tensor.fromArray(out, idx.length);
        }

        /** {mean, std} of all pixel values. */
        double[] meanStd() {
            double sum = 0;
            double sq = 0;
            for (float v : pixels) {
                sum += v;
                sq += (double) v * v;
            }
            double mean = sum / pixels.length;
            return new double[] {mean, Math.sqrt(Math.max(sq / pixels.length - mean * mean, 1e-12))};
        }

        /** (pixels − mean)/std: inputs centered near 0 with unit spread, which networks learn from faster. */
        Dataset standardized(double mean, double std) {
            float[] out = new float[pixels.length];
            for (int i = 0; i < out.length; i++) {
                out[i] = (float) ((pixels[i] - mean) / std);
            }
            return new Dataset(out, labels, n, channels, size);
        }

        /** Image i as [channels][size][size] (for pictures). */
        float[][][] image(int i) {
            float[][][] im = new float[channels][size][size];
            for (int c = 0; c < channels; c++) {
                for (int y = 0; y < size; y++) {
                    System.arraycopy(pixels, i * imageSize() + (c * size + y) * size, im[c][y], 0, size);
                }
            }
            return im;
        }
    }

    /** 0, 1, ..., n−1 in a random order (Fisher–Yates). */
    static int[] permutation(int n, Generator g) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = (int) g.nextLong(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    /** Indices from..from+count−1 of an order: one mini-batch. */
    static int[] batch(int[] order, int from, int count) {
        return java.util.Arrays.copyOfRange(order, from, from + count);
    }

    // ===================================================================== digits

    /** The digits 0–9 in a 5-wide, 7-tall bitmap font ('#' is ink). */
    static final String[][] FONT = {
        {".###.", "#...#", "#..##", "#.#.#", "##..#", "#...#", ".###."},
        {"..#..", ".##..", "..#..", "..#..", "..#..", "..#..", ".###."},
        {".###.", "#...#", "....#", "...#.", "..#..", ".#...", "#####"},
        {"#####", "...#.", "..#..", "...#.", "....#", "#...#", ".###."},
        {"...#.", "..##.", ".#.#.", "#..#.", "#####", "...#.", "...#."},
        {"#####", "#....", "####.", "....#", "....#", "#...#", ".###."},
        {"..##.", ".#...", "#....", "####.", "#...#", "#...#", ".###."},
        {"#####", "....#", "...#.", "..#..", ".#...", ".#...", ".#..."},
        {".###.", "#...#", "#...#", ".###.", "#...#", "#...#", ".###."},
        {".###.", "#...#", "#...#", ".####", "....#", "...#.", ".##.."},
    };

    /** Second ways of writing some digits, as people do: a plain 0, a bare 1, an open 4, a crossed 7, ... */
    static final String[][] VARIANTS = {
        {".###.", "#...#", "#...#", "#...#", "#...#", "#...#", ".###."},
        {"..#..", ".##..", "#.#..", "..#..", "..#..", "..#..", "..#.."},
        {".##..", "#..#.", "...#.", "..#..", ".#...", "#....", "####."},
        {".###.", "#...#", "....#", "..##.", "....#", "#...#", ".###."},
        {"#....", "#....", "#..#.", "#..#.", "#####", "...#.", "...#."},
        {"#####", "#....", "#....", "####.", "....#", "....#", "####."},
        {"#....", "#....", "#....", "####.", "#...#", "#...#", ".###."},
        {"#####", "....#", "...#.", ".###.", ".#...", ".#...", ".#..."},
        {".###.", "#...#", ".#.#.", "..#..", ".#.#.", "#...#", ".###."},
        {".###.", "#...#", "#...#", ".####", "....#", "....#", "....#"},
    };

    /**
     * Each digit as pen strokes: a segment between the centers of every two neighboring ink cells
     * (8-neighbors), {x0, y0, x1, y1} in font units. Drawing segments rather than squares
     * gives smooth strokes of any width.
     */
    private static final double[][][] STROKES = new double[20][][];

    static {
        for (int d = 0; d < 20; d++) {
            List<double[]> segs = new ArrayList<>();
            String[] rows = d < 10 ? FONT[d] : VARIANTS[d - 10];
            for (int y = 0; y < 7; y++) {
                for (int x = 0; x < 5; x++) {
                    if (rows[y].charAt(x) != '#') {
                        continue;
                    }
                    segs.add(new double[] {x + 0.5, y + 0.5, x + 0.5, y + 0.5});      // a lone dot
                    int[][] forward = {{1, 0}, {0, 1}, {1, 1}, {-1, 1}};                // each pair once
                    for (int[] f : forward) {
                        int nx = x + f[0];
                        int ny = y + f[1];
                        if (nx >= 0 && nx < 5 && ny < 7 && rows[ny].charAt(nx) == '#') {
                            segs.add(new double[] {x + 0.5, y + 0.5, nx + 0.5, ny + 0.5});
                        }
                    }
                }
            }
            STROKES[d] = segs.toArray(new double[0][]);
        }
    }

    /**
     * n grayscale digit images of size×size (white ink on black, like MNIST), labels uniform in
     * 0–9. Each is one of two glyphs of its digit under a random affine map: height 55–80% of the
     * image, slant, rotation up to ±15°, a shift of up to 10% of the image, a random stroke width,
     * and Gaussian pixel noise. With {@code clutter}, harder: a stray stroke in 40% of the images
     * and a blanked-out band in 25%.
     */
    static Dataset digits(int n, int size, boolean clutter, Generator g) {
        float[] pixels = new float[n * size * size];
        long[] labels = new long[n];
        for (int i = 0; i < n; i++) {
            int d = (int) g.nextLong(10);
            labels[i] = d;
            double[][] strokes = STROKES[g.nextDouble() < 0.5 ? d : d + 10];
            double scale = size * (0.55 + 0.25 * g.nextDouble()) / 7;          // pixels per font unit
            double angle = Math.toRadians(-15 + 30 * g.nextDouble());
            double slant = -0.25 + 0.5 * g.nextDouble();
            double tx = size * 0.1 * (2 * g.nextDouble() - 1);
            double ty = size * 0.1 * (2 * g.nextDouble() - 1);
            double radius = 0.32 + 0.22 * g.nextDouble();                      // half the stroke width, font units
            double ink = 0.75 + 0.25 * g.nextDouble();
            double noise = 0.04 + 0.12 * g.nextDouble();
            // A stray stroke {x0, y0, x1, y1} in pixels, and a blanked band (rows or columns from..to).
            double[][] stray = null;
            if (clutter && g.nextDouble() < 0.4) {
                double sx = size * g.nextDouble();
                double sy = size * g.nextDouble();
                double length = size * (0.2 + 0.3 * g.nextDouble());
                double dir = 2 * Math.PI * g.nextDouble();
                stray = new double[][] {{sx, sy, sx + length * Math.cos(dir), sy + length * Math.sin(dir)}};
            }
            boolean bandRows = g.nextDouble() < 0.5;
            int bandFrom = clutter && g.nextDouble() < 0.25 ? (int) (size * (0.2 + 0.5 * g.nextDouble())) : -1;
            int bandTo = bandFrom + 2 + (int) g.nextLong(Math.max(1, size / 7));
            double cos = Math.cos(angle);
            double sin = Math.sin(angle);
            for (int y = 0; y < size; y++) {
                for (int x = 0; x < size; x++) {
                    // Map the pixel center back into font coordinates: undo shift, rotation, slant, scale.
                    double dx = x + 0.5 - size / 2.0 - tx;
                    double dy = y + 0.5 - size / 2.0 - ty;
                    double rx = cos * dx + sin * dy;
                    double ry = -sin * dx + cos * dy;
                    double v = ry / scale + 3.5;
                    double u = (rx - slant * ry) / scale + 2.5;
                    double dist = distanceToStrokes(strokes, u, v);
                    // Anti-aliased edge: full ink inside the stroke, fading over one pixel.
                    double value = Math.max(0, Math.min(1, (radius - dist) * scale + 0.5)) * ink;
                    if (stray != null) {
                        double ds = distanceToStrokes(stray, x + 0.5, y + 0.5);       // in pixels
                        value = Math.max(value, Math.max(0, Math.min(1, 1.5 - ds)) * 0.8 * ink);
                    }
                    int band = bandRows ? y : x;
                    if (bandFrom >= 0 && band >= bandFrom && band < bandTo) {
                        value = 0;
                    }
                    value += noise * g.nextGaussian();
                    pixels[(i * size + y) * size + x] = (float) Math.max(0, Math.min(1, value));
                }
            }
        }
        return new Dataset(pixels, labels, n, 1, size);
    }

    /** The distance from (u, v) to the nearest stroke segment. */
    private static double distanceToStrokes(double[][] segs, double u, double v) {
        double best = Double.POSITIVE_INFINITY;
        for (double[] s : segs) {
            double ex = s[2] - s[0];
            double ey = s[3] - s[1];
            double len2 = ex * ex + ey * ey;
            double t = len2 == 0 ? 0 : Math.max(0, Math.min(1, ((u - s[0]) * ex + (v - s[1]) * ey) / len2));
            double px = s[0] + t * ex - u;
            double py = s[1] + t * ey - v;
            best = Math.min(best, px * px + py * py);
        }
        return Math.sqrt(best);
    }

    // ===================================================================== pictures

    /** Frame colors for {@link #grid}. */
    static final int GREEN = 0x2ca02c;
    static final int RED = 0xd62728;
    static final int GRAY = 0x808080;

    /**
     * Writes images ([channels][h][w], 1 or 3 channels, values in [0, 1]) as a PNG grid, each tile
     * zoomed, framed in {@code frames.get(i)} and with {@code labels.get(i)} (digits only, drawn
     * with the 5×7 font; may be empty) underneath.
     */
    static void grid(Path file, List<float[][][]> images, List<Integer> frames, List<String> labels, int perRow,
                     int zoom) throws IOException {
        int h = images.get(0)[0].length;
        int w = images.get(0)[0][0].length;
        int border = 2;
        boolean text = labels.stream().anyMatch(l -> !l.isEmpty());
        int labelHeight = text ? 7 * 2 + 4 : 0;                 // the font at 2x, with a margin
        int tileW = w * zoom + 2 * border;
        int tileH = h * zoom + 2 * border + labelHeight;
        int rows = (images.size() + perRow - 1) / perRow;
        BufferedImage img = new BufferedImage(perRow * (tileW + 4) + 4, rows * (tileH + 4) + 4, BufferedImage.TYPE_INT_RGB);
        fill(img, 0, 0, img.getWidth(), img.getHeight(), 0xffffff);
        for (int k = 0; k < images.size(); k++) {
            int ox = 4 + (k % perRow) * (tileW + 4);
            int oy = 4 + (k / perRow) * (tileH + 4);
            fill(img, ox, oy, tileW, h * zoom + 2 * border, frames.get(k));
            float[][][] im = images.get(k);
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int r = level(im[0][y][x]);
                    int gr = level(im[im.length == 3 ? 1 : 0][y][x]);
                    int b = level(im[im.length == 3 ? 2 : 0][y][x]);
                    fill(img, ox + border + x * zoom, oy + border + y * zoom, zoom, zoom, (r << 16) | (gr << 8) | b);
                }
            }
            drawText(img, labels.get(k), ox + border, oy + h * zoom + 2 * border + 2, 2, 0x000000);
        }
        AtomicFiles.write(file, o -> {
            if (!ImageIO.write(img, "png", o)) {
                throw new IOException("no PNG writer in this JDK");
            }
        });
    }

    private static int level(float v) {
        return (int) Math.round(255 * Math.max(0, Math.min(1, v)));
    }

    private static void fill(BufferedImage img, int x, int y, int w, int h, int rgb) {
        for (int i = y; i < Math.min(y + h, img.getHeight()); i++) {
            for (int j = x; j < Math.min(x + w, img.getWidth()); j++) {
                img.setRGB(j, i, rgb);
            }
        }
    }

    /** Digits with the bitmap font (no system fonts needed, so it works on headless machines). */
    private static void drawText(BufferedImage img, String text, int x, int y, int px, int rgb) {
        for (int c = 0; c < text.length(); c++) {
            char ch = text.charAt(c);
            if (ch < '0' || ch > '9') {
                continue;
            }
            String[] rows = FONT[ch - '0'];
            for (int r = 0; r < 7; r++) {
                for (int col = 0; col < 5; col++) {
                    if (rows[r].charAt(col) == '#') {
                        fill(img, x + (c * 6 + col) * px, y + r * px, px, px, rgb);
                    }
                }
            }
        }
    }
}
