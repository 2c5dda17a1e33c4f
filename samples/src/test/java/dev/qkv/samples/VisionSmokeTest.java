package dev.qkv.samples;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The vision samples' --smoke runs (clip, lenet-resnet, gan, adversarial) must reach their
 * learned result, not just finish; the bounds leave a margin below what the seeded runs reach.
 */
class VisionSmokeTest {
    @TempDir
    Path tmp;

    private String output;

    Map<String, Double> smoke(String name, String... extra) throws Exception {
        String[] args = new String[4 + extra.length];
        args[0] = name;
        args[1] = "--smoke";
        args[2] = "--out";
        args[3] = tmp.resolve(name).toString();
        System.arraycopy(extra, 0, args, 4, extra.length);
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        Map<String, Double> r = Samples.command(args, new PrintStream(buf, true, StandardCharsets.UTF_8));
        output = buf.toString(StandardCharsets.UTF_8);
        assertTrue(output.contains("== results:"), output);
        return r;
    }

    private void assertFile(String sample, String file) {
        assertTrue(Files.isRegularFile(tmp.resolve(sample).resolve(file)), file + " was not written");
    }

    @Test
    void clipClassifiesShapesZeroShot() throws Exception {
        Map<String, Double> r = smoke("clip");
        // 16 classes: chance is 6%
        assertTrue(r.get("zero_shot_accuracy_seen") > 0.6, "seen combinations: " + r);
        assertTrue(r.get("zero_shot_accuracy_unseen") > 0.2, "held-out combinations: " + r);
        assertFile("clip", "clip-zero-shot.png");
        assertFile("clip", "clip-similarity.png");
    }

    @Test
    void lenetAndResnetLearnTheDigits() throws Exception {
        Map<String, Double> r = smoke("lenet-resnet");
        // 10 classes: chance is 10%
        assertTrue(r.get("accuracy_lenet") > 0.7, "LeNet: " + r);
        assertTrue(r.get("accuracy_resnet") > 0.7, "ResNet: " + r);
        assertFile("lenet-resnet", "lenet-resnet-predictions.png");
        assertFile("lenet-resnet", "lenet-resnet-loss.svg");
    }

    @Test
    void ganPutsItsPointsOnTheRing() throws Exception {
        Map<String, Double> r = smoke("gan");
        // At step 0 the points sit near the center, 2 away from every mode.
        assertTrue(r.get("mean_distance_to_mode") < 0.5, "mean distance to the nearest mode: " + r);
        assertTrue(r.get("fraction_near_a_mode") > 0.25, "points near a mode: " + r);
        assertTrue(r.get("modes_covered") >= 4, "modes covered: " + r);
        assertFile("gan", "gan-points.svg");
        assertFile("gan", "gan-losses.svg");
    }

    @Test
    void fgsmFoolsTheClassifierAndAdversarialTrainingResists() throws Exception {
        Map<String, Double> r = smoke("adversarial");
        double clean = r.get("standard_acc_eps0.00");
        double attacked = r.get("standard_acc_eps0.10");
        double robust = r.get("adversarial_acc_eps0.10");
        assertTrue(clean > 0.8, "clean accuracy: " + r);
        assertTrue(attacked < clean - 0.4, "FGSM at eps 0.1 should cost most of the accuracy: " + r);
        assertTrue(robust > attacked + 0.15, "adversarial training should raise accuracy under attack: " + r);
        assertFile("adversarial", "adversarial-examples.png");
        assertFile("adversarial", "adversarial-accuracy.svg");
    }

    @Test
    void lenetResnetReadsMnistIdxFiles() throws Exception {
        Path dir = tmp.resolve("mnist");
        MnistFiles.write(dir, 120, 40, 16, true);
        smoke("lenet-resnet", "--mnist", dir.toString(), "--train", "120", "--epochs", "1");
        assertTrue(output.contains("MNIST from " + dir + ": 120 training and 40 test images"), output);
    }
}
