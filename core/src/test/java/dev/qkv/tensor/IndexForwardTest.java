package dev.qkv.tensor;

import dev.qkv.nn.functional.F;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Values of the index ops, joins and splits, including integer (INT64) data and indices. */
class IndexForwardTest {

    @Test
    void indexSelectPicksSlices() {
        Tensor x = Tensor.arange(0, 6, 1).view(3, 2);             // [[0, 1], [2, 3], [4, 5]]
        assertArrayEquals(new float[] {4, 5, 0, 1, 4, 5}, x.indexSelect(0, Tensor.ofLongs(2, 0, 2)).toFloatArray());
        assertArrayEquals(new float[] {1, 1, 3, 3, 5, 5}, x.indexSelect(1, Tensor.ofLongs(1, 1)).toFloatArray());
        assertArrayEquals(new float[] {2, 4}, x.t().indexSelect(1, Tensor.fromArray(new int[] {1, 2}, 2)).select(0, 0).toFloatArray());
        // an index given as a strided view (every other element of [2, 9, 0, 9])
        Tensor idx = Tensor.ofLongs(2, 9, 0, 9).slice(0, 0, 4, 2);
        assertArrayEquals(new float[] {4, 5, 0, 1}, x.indexSelect(0, idx).toFloatArray());
    }

    @Test
    void integerTensorsThroughIndexOps() {
        Tensor ids = Tensor.fromArray(new long[] {10, 11, 12, 13, 14, 15}, 2, 3);
        Tensor picked = ids.indexSelect(1, Tensor.ofLongs(2, 0));
        assertEquals(DType.INT64, picked.dtype());
        assertArrayEquals(new long[] {12, 10, 15, 13}, picked.toLongArray());
        Tensor g = ids.gather(1, Tensor.fromArray(new long[] {1, 1, 0, 2}, 2, 2));
        assertEquals(DType.INT64, g.dtype());
        assertArrayEquals(new long[] {11, 11, 13, 15}, g.toLongArray());
        // values above 2^24 survive (they would not in float32)
        Tensor big = Tensor.ofLongs(16_777_217L, 3);
        assertArrayEquals(new long[] {3, 16_777_217L}, big.indexSelect(0, Tensor.ofLongs(1, 0)).toLongArray());
        Tensor oh = F.oneHot(Tensor.fromArray(new long[] {2, 0, 1, 2}, 2, 2), 3);
        assertEquals(DType.INT64, oh.dtype());
        assertArrayEquals(new int[] {2, 2, 3}, oh.shape());
        assertArrayEquals(new long[] {0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1}, oh.toLongArray());
    }

    @Test
    void gatherAlongEachDim() {
        Tensor x = Tensor.arange(0, 6, 1).view(2, 3);             // [[0, 1, 2], [3, 4, 5]]
        // dim 1: out[i][j] = x[i][idx[i][j]]
        assertArrayEquals(new float[] {2, 0, 3, 3}, x.gather(1, Tensor.fromArray(new long[] {2, 0, 0, 0}, 2, 2)).toFloatArray());
        // dim 0: out[i][j] = x[idx[i][j]][j]
        assertArrayEquals(new float[] {3, 1, 5}, x.gather(0, Tensor.fromArray(new long[] {1, 0, 1}, 1, 3)).toFloatArray());
        // on a transposed view [[0, 3], [1, 4], [2, 5]]
        assertArrayEquals(new float[] {3, 1, 5}, x.t().gather(1, Tensor.fromArray(new long[] {1, 0, 1}, 3, 1)).toFloatArray());
    }

    @Test
    void catStackSplitChunk() {
        Tensor a = Tensor.of(1, 2, 3, 4).view(2, 2);
        Tensor b = Tensor.of(5, 6).view(2, 1);
        assertArrayEquals(new float[] {1, 2, 5, 3, 4, 6}, Tensor.cat(List.of(a, b), 1).toFloatArray());
        assertArrayEquals(new float[] {1, 2, 3, 4, 1, 3, 2, 4}, Tensor.cat(List.of(a, a.t()), 0).toFloatArray());
        Tensor mixed = Tensor.cat(List.of(Tensor.ofLongs(1), Tensor.of(0.5f)), 0);
        assertEquals(DType.FLOAT32, mixed.dtype(), "cat promotes");
        assertArrayEquals(new float[] {1, 0.5f}, mixed.toFloatArray());
        Tensor s = Tensor.stack(List.of(Tensor.of(1, 2), Tensor.of(3, 4)), 1);
        assertArrayEquals(new int[] {2, 2}, s.shape());
        assertArrayEquals(new float[] {1, 3, 2, 4}, s.toFloatArray());
        assertArrayEquals(new int[] {2, 3}, Tensor.stack(List.of(Tensor.zeros(2), Tensor.zeros(2), Tensor.zeros(2)), -1).shape());

        List<Tensor> parts = Tensor.arange(7).split(3, 0);
        assertEquals(3, parts.size());
        assertArrayEquals(new long[] {6}, parts.get(2).toLongArray());
        List<Tensor> chunks = Tensor.arange(7).chunk(3, 0);     // ceil(7/3) = 3 per chunk: 3, 3, 1
        assertArrayEquals(new int[] {3, 3, 1}, chunks.stream().mapToInt(t -> t.size(0)).toArray());
        assertEquals(2, Tensor.arange(4).chunk(3, 0).size(), "like torch.chunk: ceil(4/3) = 2 per chunk, 2 chunks");
        assertArrayEquals(new long[] {3, 4, 5}, chunks.get(1).toLongArray());
    }
}
