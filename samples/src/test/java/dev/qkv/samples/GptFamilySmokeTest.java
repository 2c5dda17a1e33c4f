package dev.qkv.samples;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The --smoke runs of the GPT-family and model-compression samples must reach their learned
 * results, not just finish. Bounds leave room for other seeds and machines; the comments give
 * what a run printed.
 */
class GptFamilySmokeTest {
    @TempDir
    Path tmp;

    Map<String, Double> smoke(String name, String... extra) throws Exception {
        String[] args = new String[4 + extra.length];
        args[0] = name;
        args[1] = "--smoke";
        args[2] = "--out";
        args[3] = tmp.resolve(name).toString();
        System.arraycopy(extra, 0, args, 4, extra.length);
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        Map<String, Double> r = Samples.command(args, new PrintStream(buf, true, StandardCharsets.UTF_8));
        String out = buf.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("== results:"), out);
        return r;
    }

    static void above(Map<String, Double> r, String key, double bound) {
        assertTrue(r.get(key) > bound, key + " = " + r.get(key) + ", expected above " + bound);
    }

    static void below(Map<String, Double> r, String key, double bound) {
        assertTrue(r.get(key) < bound, key + " = " + r.get(key) + ", expected below " + bound);
    }

    @Test
    void gptLearnsTextAndReadsTheTaskFromItsPrompt() throws Exception {
        Map<String, Double> r = smoke("gpt");
        below(r, "train_loss", 3.4);                 // 3.04; a uniform guess over 58 characters is 4.06
        below(r, "val_loss", 3.5);
        // Upper or lower case is only given by the examples: a guess without them, right with one.
        below(r, "fewshot_acc_0shot", 0.8);          // 0.51
        above(r, "fewshot_acc_1shot", 0.9);          // 1.00
        above(r, "fewshot_acc_2shot", 0.9);          // 1.00
        assertTrue(Files.isRegularFile(tmp.resolve("gpt/gpt-loss.svg")));
        assertTrue(Files.isRegularFile(tmp.resolve("gpt/model/model.safetensors")));
    }

    @Test
    void loraAdaptersLearnTextBAndMergeExactly() throws Exception {
        Map<String, Double> r = smoke("lora");
        below(r, "trainable_fraction", 0.1);                          // 0.028
        below(r, "loss_B_after", 0.9 * r.get("loss_B_before"));       // 2.44 -> 2.00
        assertEquals(r.get("base_loss_A"), r.get("base_loss_A_after"), 0.0, "frozen base weights must not change");
        below(r, "merge_max_abs_diff", 1e-3);                         // 1.7e-6: float32 rounding only
    }

    @Test
    void quantizationKeepsPerplexityAndShrinksWeights() throws Exception {
        Map<String, Double> r = smoke("quantization");
        assertEquals(1.0, r.get("ppl_ratio_INT8_per_channel"), 0.03);
        assertEquals(1.0, r.get("ppl_ratio_FP16"), 0.01);
        assertEquals(1.0, r.get("ppl_ratio_BF16"), 0.01);
        above(r, "memory_ratio_INT8_per_channel", 3.5);           // 3.65: per-row scales cost a little
        assertEquals(2.0, r.get("memory_ratio_FP16"), 1e-9);
        assertEquals(2.0, r.get("memory_ratio_BF16"), 1e-9);
        below(r, "int8_kernel_max_diff", 1e-4);
    }

    @Test
    void distilledStudentLearnsAndHalfThePrunedTeacherStillWorks() throws Exception {
        Map<String, Double> r = smoke("distillation-pruning");
        above(r, "teacher_acc", 0.9);                // 0.957
        above(r, "student_distilled_acc", 0.8);      // 0.884 (hard labels only: 0.875)
        assertEquals(r.get("acc_sparsity_00"), r.get("acc_sparsity_50"), 0.04);   // 0.957 vs 0.937
        above(r, "acc_sparsity_50_retrained", r.get("teacher_acc") - 0.03);
        assertTrue(Files.isRegularFile(tmp.resolve("distillation-pruning/pruning-sparsity-accuracy.svg")));
    }

    @Test
    void retrievalFindsTheDocumentAndHnswMatchesExactSearch() throws Exception {
        Map<String, Double> r = smoke("retrieval");
        above(r, "recall_at_10", 0.9);               // 0.98 at efSearch 40
        above(r, "retrieval_acc", 0.9);              // 1.00
        above(r, "answer_acc", 0.9);                 // 1.00
        above(r, "top1_trained", r.get("top1_raw")); // 1.00 vs 0.56: raw trigrams miss the paraphrases
    }
}
