package dev.qkv.samples;

import java.util.Map;

/**
 * One exercise of the transformer learning roadmap, run as {@code qkv sample NAME}. A sample
 * prints what it does as it goes, writes its pictures under the context's output directory, and
 * returns its headline results (accuracy, loss, ...) so its smoke test can assert them.
 */
public interface Sample {
    /** The command-line name, e.g. "gradient-descent". */
    String name();

    /** One line for {@code qkv sample --list}. */
    String summary();

    /** The options this sample accepts besides the common ones (names without "--"). */
    default java.util.List<String> options() {
        return java.util.List.of();
    }

    /** Runs the sample; returns named headline figures. */
    Map<String, Double> run(SampleContext ctx) throws Exception;
}
