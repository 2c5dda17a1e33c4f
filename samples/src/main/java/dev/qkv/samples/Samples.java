package dev.qkv.samples;

import dev.qkv.samples.cli.Args;
import dev.qkv.samples.cli.CliException;
import dev.qkv.samples.roadmap.AdversarialSample;
import dev.qkv.samples.roadmap.AttentionSample;
import dev.qkv.samples.roadmap.BertSample;
import dev.qkv.samples.roadmap.ClipSample;
import dev.qkv.samples.roadmap.DataPrepSample;
import dev.qkv.samples.roadmap.DistillationPruningSample;
import dev.qkv.samples.roadmap.GanSample;
import dev.qkv.samples.roadmap.GptSample;
import dev.qkv.samples.roadmap.GradientDescentSample;
import dev.qkv.samples.roadmap.LenetResnetSample;
import dev.qkv.samples.roadmap.LoraSample;
import dev.qkv.samples.roadmap.LrSchedulesSample;
import dev.qkv.samples.roadmap.MatmulSample;
import dev.qkv.samples.roadmap.OptimizersSample;
import dev.qkv.samples.roadmap.ProbabilitySample;
import dev.qkv.samples.roadmap.QuantizationSample;
import dev.qkv.samples.roadmap.QuestionAnsweringSample;
import dev.qkv.samples.roadmap.RetrievalSample;
import dev.qkv.samples.roadmap.TransformerBlockSample;
import dev.qkv.samples.roadmap.TranslationSample;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The roadmap's samples, in roadmap order, and the {@code qkv sample} command. */
public final class Samples {
    private Samples() {
    }

    /** Every sample, in the order of the learning roadmap. */
    public static List<Sample> all() {
        List<Sample> s = new ArrayList<>();
        s.add(new MatmulSample());
        s.add(new ProbabilitySample());
        s.add(new GradientDescentSample());
        s.add(new OptimizersSample());
        s.add(new LrSchedulesSample());
        s.add(new AttentionSample());
        s.add(new TransformerBlockSample());
        s.add(new GptSample());
        s.add(new BertSample());
        s.add(new TranslationSample());
        s.add(new QuestionAnsweringSample());
        s.add(new LoraSample());
        s.add(new QuantizationSample());
        s.add(new DistillationPruningSample());
        s.add(new ClipSample());
        s.add(new LenetResnetSample());
        s.add(new GanSample());
        s.add(new RetrievalSample());
        s.add(new AdversarialSample());
        s.add(new DataPrepSample());
        return s;
    }

    public static Sample find(String name) {
        for (Sample s : all()) {
            if (s.name().equals(name)) {
                return s;
            }
        }
        throw new CliException("unknown sample '" + name + "' (qkv sample --list shows them)");
    }

    /** {@code qkv sample (--list | NAME [--smoke] [--out DIR] [--seed S] [options])}. */
    public static Map<String, Double> command(String[] argv, PrintStream out) throws Exception {
        if (argv.length == 0 || argv[0].equals("--list") || argv[0].equals("--help")) {
            out.println("usage: qkv sample NAME [--smoke] [--out DIR] [--seed S] [options]\n\nsamples:");
            for (Sample s : all()) {
                out.printf("  %-22s %s%n", s.name(), s.summary());
            }
            return Map.of();
        }
        Sample sample = find(argv[0]);
        String[] rest = java.util.Arrays.copyOfRange(argv, 1, argv.length);
        List<String> values = new ArrayList<>(List.of("out", "seed"));
        values.addAll(sample.options());
        Args a = new Args("sample " + sample.name(), rest, values, List.of("smoke"));
        SampleContext ctx = new SampleContext(out, a.flag("smoke"),
                Path.of(a.string("out", "runs/samples/" + sample.name())), a.longValue("seed", 42), a);
        out.println("== sample " + sample.name() + ": " + sample.summary() + (ctx.smoke() ? " (smoke run)" : ""));
        Map<String, Double> result = new LinkedHashMap<>(sample.run(ctx));
        out.println("== results: " + result);
        return result;
    }
}
