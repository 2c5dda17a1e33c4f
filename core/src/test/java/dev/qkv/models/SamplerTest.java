package dev.qkv.models;

import dev.qkv.tensor.Generator;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SamplerTest {
    private static final float[] LOGITS = {1.0f, 3.0f, 2.5f, -1.0f, 0.5f};

    @Test
    void greedyTakesTheArgmax() {
        assertEquals(1, Sampler.greedy().sample(LOGITS, new int[0], new Generator(1)));
    }

    @Test
    void repetitionPenaltyDividesPositiveAndMultipliesNegativeLogits() {
        // token 1: 3.0 / 2 = 1.5 falls below token 2's 2.5
        assertEquals(2, new Sampler(0, 0, 1, 2.0).sample(LOGITS, new int[] {1}, new Generator(1)));
    }

    @Test
    void topKOneIsGreedyAndTopKLimitsTheChoices() {
        Generator g = new Generator(5);
        for (int i = 0; i < 200; i++) {
            assertEquals(1, new Sampler(1.0, 1, 1, 1).sample(LOGITS, null, g));
            int t = new Sampler(1.0, 2, 1, 1).sample(LOGITS, null, g);
            assertTrue(t == 1 || t == 2, "top-2 drew " + t);
        }
    }

    @Test
    void topPKeepsTheSmallestNucleus() {
        // probabilities ≈ [.073, .543, .329, .010, .045]: p = 0.6 keeps tokens 1 and 2 (0.543 < 0.6)
        Generator g = new Generator(6);
        int[] counts = new int[5];
        for (int i = 0; i < 2000; i++) {
            counts[new Sampler(1.0, 0, 0.6, 1).sample(LOGITS, null, g)]++;
        }
        assertEquals(0, counts[0] + counts[3] + counts[4]);
        assertTrue(counts[1] > counts[2] && counts[2] > 0);
    }

    @Test
    void samplingMatchesTheSoftmaxFrequencies() {
        Generator g = new Generator(7);
        int n = 20000;
        int[] counts = new int[5];
        for (int i = 0; i < n; i++) {
            counts[new Sampler(1.0, 0, 1, 1).sample(LOGITS, null, g)]++;
        }
        double[] p = Sampler.softmax(new double[] {1.0, 3.0, 2.5, -1.0, 0.5});
        for (int i = 0; i < 5; i++) {
            assertEquals(p[i], counts[i] / (double) n, 0.015, "token " + i);
        }
        // the same seed draws the same tokens
        assertEquals(new Sampler(0.8, 3, 0.9, 1.1).sample(LOGITS, new int[] {2}, new Generator(9)),
                new Sampler(0.8, 3, 0.9, 1.1).sample(LOGITS, new int[] {2}, new Generator(9)));
    }

    @Test
    void invalidSettingsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new Sampler(-1, 0, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new Sampler(1, 0, 0, 1));
    }
}
