package dev.qkv.samples.roadmap;

import dev.qkv.tensor.Generator;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The retrieval sample's HNSW index against exact search, on vectors whose answer is known. */
class HnswTest {

    /** n unit vectors of dimension d around 20 random centres (clustered, like real embeddings). */
    static float[][] clustered(int n, int d, Generator g) {
        float[][] centres = new float[20][d];
        for (float[] c : centres) {
            for (int j = 0; j < d; j++) {
                c[j] = (float) g.nextGaussian();
            }
        }
        float[][] v = new float[n][d];
        for (int i = 0; i < n; i++) {
            float[] c = centres[(int) g.nextLong(centres.length)];
            for (int j = 0; j < d; j++) {
                v[i][j] = c[j] + 0.5f * (float) g.nextGaussian();
            }
            unit(v[i]);
        }
        return v;
    }

    static void unit(float[] x) {
        double s = 0;
        for (float f : x) {
            s += f * f;
        }
        for (int j = 0; j < x.length; j++) {
            x[j] /= (float) Math.sqrt(s);
        }
    }

    @Test
    void everyStoredVectorFindsItself() {
        float[][] v = clustered(500, 16, new Generator(1));
        Hnsw index = new Hnsw(v, 8, 50, 2);
        for (int i = 0; i < v.length; i++) {
            assertArrayEquals(new int[] {i}, index.search(v[i], 1, 20), "vector " + i);
        }
    }

    @Test
    void recallAgainstExactSearchGrowsWithEfAndIsHighAtEf100() {
        Generator g = new Generator(3);
        float[][] v = clustered(3000, 32, g);
        Hnsw index = new Hnsw(v, 12, 100, 4);
        float[][] queries = clustered(200, 32, g);
        double previous = 0;
        for (int ef : new int[] {10, 100}) {
            double recall = 0;
            for (float[] q : queries) {
                recall += RetrievalSample.recall(RetrievalSample.exact(v, q, 10), index.search(q, 10, ef)) / queries.length;
            }
            assertTrue(recall >= previous, "ef " + ef + ": recall " + recall + " below " + previous);
            previous = recall;
        }
        assertTrue(previous > 0.97, "recall@10 at ef 100: " + previous);
        // layers thin out by about 1/M each
        int[] sizes = index.layerSizes();
        assertTrue(sizes[0] == 3000 && sizes[1] > 100 && sizes[1] < 500, Arrays.toString(sizes));
    }
}
