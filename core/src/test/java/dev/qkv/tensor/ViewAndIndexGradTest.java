package dev.qkv.tensor;

import dev.qkv.testing.GradCheck;
import dev.qkv.testing.Rand;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Gradient checks of every view (each also followed by a multiply, so that a view's gradient
 * that lands in the wrong element shows up), the joins and splits, the index ops and to(dtype).
 */
class ViewAndIndexGradTest {

    private final Generator g = new Generator(21);

    @Test
    void viewReshapeFlatten() {
        GradCheck.check("view", in -> in[0].view(4, 3).mul(in[1]), Rand.uniform(g, -1, 1, 2, 6), Rand.uniform(g, -1, 1, 3));
        GradCheck.check("view with -1", in -> in[0].view(-1, 2, 1), Rand.uniform(g, -1, 1, 3, 2));
        // a transposed view cannot be viewed flat: reshape must copy, and the gradient must still
        // reach the right elements of the original storage
        Tensor xt = Rand.transposedView(g, -1, 1, 3, 4);
        GradCheck.check("reshape (copying)", in -> in[0].reshape(2, 6).mul(in[1]), xt, Rand.uniform(g, -1, 1, 6));
        GradCheck.check("reshape (viewing)", in -> in[0].reshape(6, 2), Rand.uniform(g, -1, 1, 3, 4));
        GradCheck.check("flatten()", in -> in[0].flatten(), Rand.narrowedView(g, -1, 1, 2, 3));
        GradCheck.check("flatten(1, 2)", in -> in[0].flatten(1, 2).mul(in[1]),
                Rand.transposedView(g, -1, 1, 2, 3, 4), Rand.uniform(g, -1, 1, 12));
    }

    @Test
    void permuteTransposeT() {
        GradCheck.check("permute", in -> in[0].permute(2, 0, 1).mul(in[1]),
                Rand.uniform(g, -1, 1, 2, 3, 4), Rand.uniform(g, -1, 1, 3));
        GradCheck.check("permute negative dims", in -> in[0].permute(-1, 0, 1), Rand.transposedView(g, -1, 1, 2, 3, 4));
        GradCheck.check("transpose", in -> in[0].transpose(0, 2).mul(in[1]),
                Rand.uniform(g, -1, 1, 2, 1, 3), Rand.uniform(g, -1, 1, 2));
        GradCheck.check("t", in -> in[0].t().mul(in[1]), Rand.narrowedView(g, -1, 1, 3, 2), Rand.uniform(g, -1, 1, 3));
    }

    @Test
    void narrowSliceSelect() {
        GradCheck.check("narrow", in -> in[0].narrow(1, 1, 2).mul(in[0].narrow(1, 0, 2)),
                Rand.uniform(g, -1, 1, 2, 4));
        GradCheck.check("narrow of a transposed view", in -> in[0].narrow(0, 2, 2),
                Rand.transposedView(g, -1, 1, 5, 3));
        GradCheck.check("slice step 2", in -> in[0].slice(1, 1, 6, 2), Rand.uniform(g, -1, 1, 2, 7));
        GradCheck.check("slice step 3 negative bounds", in -> in[0].slice(0, -5, -1, 3).mul(in[1]),
                Rand.transposedView(g, -1, 1, 6, 2), Rand.uniform(g, -1, 1, 2));
        GradCheck.check("select", in -> in[0].select(1, 2), Rand.uniform(g, -1, 1, 3, 4, 2));
        GradCheck.check("select negative index", in -> in[0].select(0, -1).mul(in[0].select(0, 0)),
                Rand.narrowedView(g, -1, 1, 3, 4));
    }

    @Test
    void expandSqueezeUnsqueezeContiguous() {
        GradCheck.check("expand", in -> in[0].expand(2, 3, 4).mul(in[1]),
                Rand.uniform(g, -1, 1, 3, 1), Rand.uniform(g, -1, 1, 2, 3, 4));
        GradCheck.check("expand with -1", in -> in[0].expand(-1, 5), Rand.uniform(g, -1, 1, 2, 1));
        GradCheck.check("squeeze()", in -> in[0].squeeze().mul(in[1]),
                Rand.uniform(g, -1, 1, 1, 3, 1, 2), Rand.uniform(g, -1, 1, 3, 2));
        GradCheck.check("squeeze(dim)", in -> in[0].squeeze(-1), Rand.transposedView(g, -1, 1, 3, 1));
        GradCheck.check("unsqueeze", in -> in[0].unsqueeze(1).mul(in[1]),
                Rand.transposedView(g, -1, 1, 2, 3), Rand.uniform(g, -1, 1, 4, 1));
        GradCheck.check("unsqueeze at the end", in -> in[0].unsqueeze(-1), Rand.uniform(g, -1, 1, 2, 3));
        GradCheck.check("contiguous", in -> in[0].contiguous().mul(in[1]),
                Rand.transposedView(g, -1, 1, 3, 4), Rand.uniform(g, -1, 1, 4));
        GradCheck.check("clone", in -> in[0].clone().mul(in[0]), Rand.narrowedView(g, -1, 1, 2, 2));
    }

    @Test
    void catStackSplitChunk() {
        GradCheck.check("cat dim 0", in -> Tensor.cat(List.of(in[0], in[1], in[2]), 0),
                Rand.uniform(g, -1, 1, 2, 3), Rand.transposedView(g, -1, 1, 1, 3), Rand.narrowedView(g, -1, 1, 3, 3));
        GradCheck.check("cat dim -1", in -> Tensor.cat(List.of(in[0], in[1]), -1).mul(in[2]),
                Rand.uniform(g, -1, 1, 2, 1, 2), Rand.uniform(g, -1, 1, 2, 1, 3), Rand.uniform(g, -1, 1, 5));
        GradCheck.check("cat same tensor twice", in -> Tensor.cat(List.of(in[0], in[0]), 1), Rand.uniform(g, -1, 1, 2, 2));
        GradCheck.check("stack dim 1", in -> Tensor.stack(List.of(in[0], in[1]), 1),
                Rand.uniform(g, -1, 1, 3, 2), Rand.transposedView(g, -1, 1, 3, 2));
        GradCheck.check("stack dim -1", in -> Tensor.stack(List.of(in[0], in[1], in[0]), -1),
                Rand.uniform(g, -1, 1, 4), Rand.uniform(g, -1, 1, 4));
        GradCheck.check("split", in -> {
            List<Tensor> p = in[0].split(2, 1);          // sizes 2, 2, 1
            return p.get(0).mul(p.get(1)).sum(1).add(p.get(2).squeeze(1).mul(3));
        }, Rand.transposedView(g, -1, 1, 3, 5));
        GradCheck.check("chunk", in -> {
            List<Tensor> p = in[0].chunk(3, 0);          // sizes 2, 2, 2
            return p.get(0).mul(p.get(2)).sub(p.get(1));
        }, Rand.uniform(g, -1, 1, 6, 2));
    }

    @Test
    void indexSelectGatherEmbeddingIndices() {
        Tensor repeated = Tensor.ofLongs(2, 0, 2, 2, 1);
        GradCheck.check("indexSelect dim 0, repeated indices", in -> in[0].indexSelect(0, repeated),
                Rand.uniform(g, -1, 1, 3, 4));
        GradCheck.check("indexSelect dim 1 of a transposed view", in -> in[0].indexSelect(1, repeated),
                Rand.transposedView(g, -1, 1, 2, 3));
        GradCheck.check("indexSelect with an INT32 0-dim index", in -> in[0].indexSelect(0, Tensor.fromArray(new int[] {1})),
                Rand.uniform(g, -1, 1, 3, 2));
        Tensor index = Tensor.fromArray(new long[] {0, 0, 3, 1, 2, 2}, 2, 3);   // repeats within a row
        GradCheck.check("gather dim 1", in -> in[0].gather(1, index), Rand.uniform(g, -1, 1, 2, 4));
        GradCheck.check("gather dim 1 of a narrowed view", in -> in[0].gather(1, index), Rand.narrowedView(g, -1, 1, 3, 4));
        Tensor index0 = Tensor.fromArray(new long[] {1, 0, 1, 1}, 2, 2);
        GradCheck.check("gather dim 0", in -> in[0].gather(0, index0), Rand.transposedView(g, -1, 1, 2, 3));
    }

    @Test
    void indexSelectGradientAddsRepeatsByHand() {
        // rows [2, 0, 2] of a 3×2 matrix: row 2 was picked twice, so its gradient is 2, row 1 none
        Tensor w = Tensor.zeros(DType.FLOAT64, 3, 2).requiresGrad(true);
        w.indexSelect(0, Tensor.ofLongs(2, 0, 2)).sum().backward();
        assertArrayEquals(new double[] {1, 1, 0, 0, 2, 2}, w.grad().toDoubleArray());
    }

    @Test
    void toDtype() {
        GradCheck.check("to(FLOAT64) on FLOAT64 is the identity", in -> in[0].to(DType.FLOAT64).mul(in[0]),
                Rand.uniform(g, -1, 1, 3));
        // Through float32 the function is a staircase at the scale of float32's spacing (6e-8
        // near 1), so the step is large and the tolerance loose: 1e-3 of a slope of about 1.
        GradCheck.check("to(FLOAT32) and back", in -> in[0].to(DType.FLOAT32).mul(2).to(DType.FLOAT64),
                1e-3, 1e-3, 1e-3, Rand.uniform(g, -1, 1, 2, 3));
        // the gradient arrives in the leaf's dtype
        Tensor x = Tensor.fromArray(new double[] {1, 2}, 2).requiresGrad(true);
        x.to(DType.FLOAT32).mul(Tensor.of(3f, 4f)).sum().backward();
        assertEquals(DType.FLOAT64, x.grad().dtype());
        assertArrayEquals(new double[] {3, 4}, x.grad().toDoubleArray());
    }
}
