package dev.qkv.samples;

import dev.qkv.samples.cli.Args;
import dev.qkv.samples.cli.Progress;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What a sample gets to run with: where to print, whether this is the tiny {@code --smoke}
 * configuration (seconds, for CI), where to write files, a seed, and its parsed options.
 */
public record SampleContext(PrintStream out, boolean smoke, Path outDir, long seed, Args args) {

    /** {@code smoke ? small : full}: pick a size for the run. */
    public int size(int full, int small) {
        return smoke ? small : full;
    }

    /** A file in the output directory (created), whose path the sample should print. */
    public Path file(String name) throws IOException {
        Files.createDirectories(outDir);
        return outDir.resolve(name);
    }

    /** Prints "wrote PATH (what)" so a reader finds the picture. */
    public void wrote(Path p, String what) {
        out.println("wrote " + p + " (" + what + ")");
    }

    public Progress progress(int total, String unit) {
        return new Progress(out, total, unit);
    }
}
