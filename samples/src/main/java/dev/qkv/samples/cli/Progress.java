package dev.qkv.samples.cli;

import java.io.PrintStream;

/**
 * A one-line progress bar: {@code [#######.......] 120/500 loss 1.83 | 2,310 tok/s | eta 0:41}.
 * On a terminal it redraws in place; otherwise (logs, CI) it prints a line every tenth.
 */
public final class Progress {
    private final PrintStream out;
    private final int total;
    private final String unit;
    private final long start = System.nanoTime();
    private final boolean terminal = System.console() != null;
    private int lastTenth = -1;

    public Progress(PrintStream out, int total, String unit) {
        this.out = out;
        this.total = total;
        this.unit = unit;
    }

    /** Reports that {@code done} of total are finished, with an info text and items per second. */
    public void update(int done, String info, double itemsDone) {
        double seconds = (System.nanoTime() - start) / 1e9;
        double rate = itemsDone / Math.max(seconds, 1e-9);
        double eta = done == 0 ? 0 : seconds * (total - done) / done;
        int width = 24;
        int filled = total == 0 ? width : (int) ((long) width * done / total);
        String line = String.format("[%s%s] %d/%d %s | %,.0f %s/s | eta %d:%02d", "#".repeat(filled),
                ".".repeat(width - filled), done, total, info, rate, unit, (int) eta / 60, (int) eta % 60);
        if (terminal) {
            out.print("\r" + line);
            if (done == total) {
                out.println();
            }
            out.flush();
        } else {
            int tenth = total == 0 ? 10 : (int) (10L * done / total);
            if (tenth != lastTenth || done == total) {
                lastTenth = tenth;
                out.println(line);
            }
        }
    }
}
