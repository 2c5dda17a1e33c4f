package dev.qkv.samples;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The --smoke runs of matmul, probability, optimizers, attention, transformer-block and
 * data-prep must reach their results: equal products, estimates near the truth, optimizers near
 * the minimum, attention equal to the library's, found duplicates. Timings are never asserted.
 */
class BasicsSmokeTest {
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
        assertTrue(buf.toString(StandardCharsets.UTF_8).contains("== results:"));
        return r;
    }

    void below(Map<String, Double> r, String key, double bound) {
        assertTrue(r.get(key) != null && r.get(key) <= bound, key + " = " + r.get(key) + ", want <= " + bound);
    }

    @Test
    void matmulWaysAgreeWithTheExactProduct() throws Exception {
        Map<String, Double> r = smoke("matmul");
        for (int w = 0; w < 3; w++) {
            // float32 sums of K = 53 and 64 products of N(0,1) numbers: rounding of order 1e-6..1e-5
            below(r, "maxdiff_odd_" + w, 5e-5);
            below(r, "maxdiff_64_" + w, 1e-4);
        }
        assertTrue(Files.isRegularFile(tmp.resolve("matmul/matmul-gflops.svg")));
    }

    @Test
    void probabilityEstimatesApproachTheTruth() throws Exception {
        Map<String, Double> r = smoke("probability");
        assertEquals(10_000, r.get("n"));
        // n = 10^4: standard errors 0.0046 (p), 0.005 (pi), 0.015 (mu), 0.032 (sigma^2); bounds are 4 or more of them
        assertEquals(0.3, r.get("p_hat"), 0.02);
        below(r, "pi_maxerr", 0.025);
        assertEquals(2.0, r.get("mu_hat"), 0.06);
        assertEquals(2.25, r.get("var_hat"), 0.15);
        // gradient ascent lands on the closed-form MLE
        below(r, "ga_mu_diff", 1e-4);
        below(r, "ga_logsigma_diff", 1e-4);
        assertTrue(Files.isRegularFile(tmp.resolve("probability/probability-normal.svg")));
    }

    @Test
    void optimizersReachTheMinimum() throws Exception {
        Map<String, Double> r = smoke("optimizers");
        for (String m : List.of("SGD", "momentum", "RMSprop", "Adam")) {
            below(r, "quadratic_" + m + "_f", 1e-4);                 // from f = 64.25 at (-4, 1.5)
            below(r, "quadratic_" + m + "_dist", 1e-2);
        }
        // Rosenbrock after 600 steps from f = 12.5 (measured: momentum 1.8e-3, Adam 3.6e-2, SGD 4.2)
        below(r, "rosenbrock_momentum_f", 1e-2);
        below(r, "rosenbrock_Adam_f", 0.1);
        assertTrue(r.get("rosenbrock_SGD_f") > r.get("rosenbrock_momentum_f"), "plain SGD is the slowest here");
        assertTrue(Files.isRegularFile(tmp.resolve("optimizers/optimizers-rosenbrock-paths.svg")));
    }

    @Test
    void attentionStepByStepEqualsTheLibrary() throws Exception {
        Map<String, Double> r = smoke("attention");
        for (String tag : List.of("full", "causal")) {
            below(r, tag + "_vs_manual", 1e-6);
            below(r, tag + "_vs_fused", 1e-6);
            below(r, tag + "_rowsum_err", 1e-6);
        }
        assertEquals(0.0, r.get("causal_upper_max"));                 // exp(-inf) is exactly 0
        assertEquals(8.0, r.get("score_std_unscaled_d64"), 1.0);      // sqrt(64)
        assertEquals(1.0, r.get("score_std_scaled_d64"), 0.15);
        below(r, "pe_formula_err", 1e-6);
        below(r, "pe_shift_err", 1e-4);                               // float32 dot products of size up to 32
        assertTrue(Files.isRegularFile(tmp.resolve("attention/attention-weights-causal.png")));
    }

    @Test
    void handWrittenBlockMatchesTheGpt() throws Exception {
        Map<String, Double> r = smoke("transformer-block");
        for (String part : List.of("linear", "layerNorm", "gelu", "causal", "mlp")) {
            below(r, "part_" + part, 1e-5);
        }
        below(r, "logits_diff", 1e-5);
        below(r, "input_grad_diff", 1e-5);
        below(r, "param_grad_diff", 1e-5);
        below(r, "logits_diff_f64", 1e-12);
        below(r, "input_grad_diff_f64", 1e-12);
        below(r, "param_grad_diff_f64", 1e-12);
    }

    @Test
    void dataPrepFindsThePlantedProblems() throws Exception {
        Map<String, Double> r = smoke("data-prep");
        for (String stage : List.of("length", "exact", "near")) {
            assertEquals(r.get("planted_" + stage), r.get("found_" + stage), stage);
            assertEquals(r.get("planted_" + stage), r.get("removed_" + stage), stage + ": nothing else removed");
        }
        assertEquals(5.0, r.get("removed_length"));
        assertEquals(15.0, r.get("removed_exact"));
        assertEquals(10.0, r.get("removed_near"));
        assertEquals(300.0, r.get("kept"));
        assertEquals(0.0, r.get("roundtrip_failures"));
        assertTrue(r.get("chars_per_token") > 2.5 && r.get("chars_per_token_bytes") < 1.0, r.toString());
        assertTrue(Files.isRegularFile(tmp.resolve("data-prep/tokenizer/tokenizer.json")));
    }

    @Test
    void dataPrepReadsAUsersCorpus() throws Exception {
        String doc = "The patient engineer repairs the old bridge near the harbor before the winter storms arrive.";
        String other = "A curious student borrows three books about compilers from the library every Friday.";
        Path file = tmp.resolve("corpus.txt");
        Files.write(file, List.of(doc, "ok", other, "  " + doc.toUpperCase() + " ", doc.replace("old", "new"),
                "Naïve café in 東京 🙂 serves tea and cakes to the tired travellers after a long day."),
                StandardCharsets.UTF_8);
        Map<String, Double> r = smoke("data-prep", "--data", file.toString(), "--vocab", "300");
        assertEquals(6.0, r.get("documents"));
        assertEquals(1.0, r.get("removed_length"));                   // "ok"
        assertEquals(1.0, r.get("removed_exact"));                    // the upper-case copy
        assertEquals(1.0, r.get("removed_near"));                     // one word changed
        assertEquals(3.0, r.get("kept"));
        assertEquals(0.0, r.get("roundtrip_failures"));
    }
}
