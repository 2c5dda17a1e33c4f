package dev.qkv.samples.plot;

import dev.qkv.io.AtomicFiles;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Pictures for the samples, with no dependency beyond the JDK: line charts as SVG (loss
 * curves, schedules, trajectories), heatmaps and image grids as PNG (attention maps, generated
 * images).
 */
public final class Plot {
    private Plot() {
    }

    private static final String[] COLORS = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
        "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

    /** One named line: points (x[i], y[i]); {@code markers} draws dots instead of a line. */
    public record Series(String name, double[] x, double[] y, boolean markers) {
        public static Series line(String name, double[] x, double[] y) {
            return new Series(name, x, y, false);
        }

        public static Series points(String name, double[] x, double[] y) {
            return new Series(name, x, y, true);
        }

        /** y against 0, 1, 2, ... */
        public static Series of(String name, double[] y) {
            double[] x = new double[y.length];
            for (int i = 0; i < x.length; i++) {
                x[i] = i;
            }
            return line(name, x, y);
        }
    }

    /** A line chart with axes, ticks and a legend; {@code logY} plots log10(y). */
    public static void lineChart(Path file, String title, String xLabel, String yLabel, List<Series> series, boolean logY)
            throws IOException {
        int w = 720;
        int h = 440;
        int left = 70;
        int right = 170;
        int top = 40;
        int bottom = 55;
        double xMin = Double.POSITIVE_INFINITY;
        double xMax = Double.NEGATIVE_INFINITY;
        double yMin = Double.POSITIVE_INFINITY;
        double yMax = Double.NEGATIVE_INFINITY;
        for (Series s : series) {
            for (int i = 0; i < s.x().length; i++) {
                double y = logY ? Math.log10(Math.max(s.y()[i], 1e-300)) : s.y()[i];
                if (!Double.isFinite(y) || !Double.isFinite(s.x()[i])) {
                    continue;
                }
                xMin = Math.min(xMin, s.x()[i]);
                xMax = Math.max(xMax, s.x()[i]);
                yMin = Math.min(yMin, y);
                yMax = Math.max(yMax, y);
            }
        }
        if (!(xMax > xMin)) {
            xMax = xMin + 1;
        }
        if (!(yMax > yMin)) {
            yMax = yMin + 1;
        }
        double pad = (yMax - yMin) * 0.05;
        yMin -= pad;
        yMax += pad;
        final double x0 = xMin, x1 = xMax, y0 = yMin, y1 = yMax;
        java.util.function.DoubleUnaryOperator px = x -> left + (x - x0) / (x1 - x0) * (w - left - right);
        java.util.function.DoubleUnaryOperator py = y -> top + (1 - (y - y0) / (y1 - y0)) * (h - top - bottom);
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n", w, h));
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"22\" font-size=\"15\">%s</text>\n", left, esc(title)));
        // axes and ticks
        sb.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
                + "stroke=\"#444\"/>\n", left, top, w - left - right, h - top - bottom));
        for (int i = 0; i <= 5; i++) {
            double xv = x0 + (x1 - x0) * i / 5;
            double yv = y0 + (y1 - y0) * i / 5;
            sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
                    px.applyAsDouble(xv), h - bottom + 18, num(xv)));
            sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
                    left - 6, py.applyAsDouble(yv) + 4, logY ? "1e" + num(yv) : num(yv)));
            sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>\n",
                    left, w - right, py.applyAsDouble(yv), py.applyAsDouble(yv)));
        }
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
                (left + w - right) / 2, h - 12, esc(xLabel)));
        sb.append(String.format(Locale.ROOT, "<text x=\"16\" y=\"%d\" text-anchor=\"middle\" transform=\"rotate(-90 16 %d)\">"
                + "%s</text>\n", (top + h - bottom) / 2, (top + h - bottom) / 2, esc(yLabel + (logY ? " (log10)" : ""))));
        for (int k = 0; k < series.size(); k++) {
            Series s = series.get(k);
            String color = COLORS[k % COLORS.length];
            List<String> pts = new ArrayList<>();
            for (int i = 0; i < s.x().length; i++) {
                double y = logY ? Math.log10(Math.max(s.y()[i], 1e-300)) : s.y()[i];
                if (Double.isFinite(y) && Double.isFinite(s.x()[i])) {
                    pts.add(String.format(Locale.ROOT, "%.1f,%.1f", px.applyAsDouble(s.x()[i]), py.applyAsDouble(y)));
                }
            }
            if (s.markers()) {
                for (String p : pts) {
                    String[] c = p.split(",");
                    sb.append(String.format(Locale.ROOT, "<circle cx=\"%s\" cy=\"%s\" r=\"2.5\" fill=\"%s\"/>\n",
                            c[0], c[1], color));
                }
            } else {
                sb.append(String.format(Locale.ROOT, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.8\" "
                        + "points=\"%s\"/>\n", color, String.join(" ", pts)));
            }
            int ly = top + 14 + 18 * k;
            sb.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"4\" fill=\"%s\"/>"
                    + "<text x=\"%d\" y=\"%d\">%s</text>\n", w - right + 12, ly - 4, color, w - right + 32, ly, esc(s.name())));
        }
        sb.append("</svg>\n");
        byte[] bytes = sb.toString().getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(file, o -> o.write(bytes));
    }

    /**
     * A heatmap of a [rows, cols] matrix (values scaled to the color map between min and max),
     * each cell {@code cell} pixels, written as PNG.
     */
    public static void heatmap(Path file, double[][] m, int cell) throws IOException {
        int rows = m.length;
        int cols = rows == 0 ? 0 : m[0].length;
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (double[] r : m) {
            for (double v : r) {
                if (Double.isFinite(v)) {
                    min = Math.min(min, v);
                    max = Math.max(max, v);
                }
            }
        }
        BufferedImage img = new BufferedImage(Math.max(1, cols * cell), Math.max(1, rows * cell), BufferedImage.TYPE_INT_RGB);
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                double t = max > min && Double.isFinite(m[i][j]) ? (m[i][j] - min) / (max - min) : 0;
                int rgb = viridis(t);
                for (int a = 0; a < cell; a++) {
                    for (int b = 0; b < cell; b++) {
                        img.setRGB(j * cell + b, i * cell + a, rgb);
                    }
                }
            }
        }
        writePng(file, img);
    }

    /** Grayscale images (values in [0, 1], each [h][w]) tiled in a grid of {@code perRow}, scaled by {@code zoom}. */
    public static void imageGrid(Path file, List<double[][]> images, int perRow, int zoom) throws IOException {
        if (images.isEmpty()) {
            throw new IllegalArgumentException("imageGrid: no images");
        }
        int h = images.get(0).length;
        int w = images.get(0)[0].length;
        int rows = (images.size() + perRow - 1) / perRow;
        int gap = 2;
        BufferedImage img = new BufferedImage(perRow * (w * zoom + gap) + gap, rows * (h * zoom + gap) + gap,
                BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                img.setRGB(x, y, 0x808080);
            }
        }
        for (int k = 0; k < images.size(); k++) {
            int ox = gap + (k % perRow) * (w * zoom + gap);
            int oy = gap + (k / perRow) * (h * zoom + gap);
            double[][] im = images.get(k);
            for (int i = 0; i < h; i++) {
                for (int j = 0; j < w; j++) {
                    int g = (int) Math.round(255 * Math.max(0, Math.min(1, im[i][j])));
                    int rgb = (g << 16) | (g << 8) | g;
                    for (int a = 0; a < zoom; a++) {
                        for (int b = 0; b < zoom; b++) {
                            img.setRGB(ox + j * zoom + b, oy + i * zoom + a, rgb);
                        }
                    }
                }
            }
        }
        writePng(file, img);
    }

    private static void writePng(Path file, BufferedImage img) throws IOException {
        AtomicFiles.write(file, o -> {
            if (!ImageIO.write(img, "png", o)) {
                throw new IOException("no PNG writer in this JDK");
            }
        });
    }

    /** A perceptual color map (viridis, by a few anchor colors). */
    private static int viridis(double t) {
        int[][] anchors = {{68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}};
        double s = Math.max(0, Math.min(1, t)) * (anchors.length - 1);
        int i = Math.min((int) s, anchors.length - 2);
        double f = s - i;
        int r = (int) Math.round(anchors[i][0] + f * (anchors[i + 1][0] - anchors[i][0]));
        int g = (int) Math.round(anchors[i][1] + f * (anchors[i + 1][1] - anchors[i][1]));
        int b = (int) Math.round(anchors[i][2] + f * (anchors[i + 1][2] - anchors[i][2]));
        return (r << 16) | (g << 8) | b;
    }

    private static String num(double v) {
        if (v == 0) {
            return "0";
        }
        double a = Math.abs(v);
        return a >= 1e4 || a < 1e-2 ? String.format(Locale.ROOT, "%.1e", v) : String.format(Locale.ROOT, "%.3g", v);
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
