package dev.qkv.nn;

import dev.qkv.nn.functional.F;
import dev.qkv.tensor.Tensor;

import java.util.Arrays;

/**
 * Layer normalization over the trailing dims {@code normalizedShape}, like
 * {@code torch.nn.LayerNorm}: y = (x − mean)/√(var + eps)·weight + bias with the biased variance.
 * weight starts at ones and bias at zeros. Without elementwise affine there are neither; a
 * layer without bias (as in nanoGPT's {@code bias=False}) has only the weight.
 */
public class LayerNorm extends UnaryModule {
    private final int[] normalizedShape;
    public final double eps;
    /** normalizedShape, or null without elementwise affine. */
    public final Parameter weight;
    /** normalizedShape, or null without elementwise affine or bias. */
    public final Parameter bias;

    public LayerNorm(int[] normalizedShape, double eps, boolean elementwiseAffine, boolean bias) {
        if (normalizedShape.length == 0 || Arrays.stream(normalizedShape).anyMatch(d -> d <= 0)) {
            throw new IllegalArgumentException("LayerNorm: normalizedShape must be non-empty with positive sizes, got "
                    + Arrays.toString(normalizedShape));
        }
        this.normalizedShape = normalizedShape.clone();
        this.eps = eps;
        this.weight = elementwiseAffine ? registerParameter("weight", new Parameter(Tensor.ones(normalizedShape))) : null;
        this.bias = elementwiseAffine && bias ? registerParameter("bias", new Parameter(Tensor.zeros(normalizedShape))) : null;
    }

    public LayerNorm(int[] normalizedShape, double eps, boolean elementwiseAffine) {
        this(normalizedShape, eps, elementwiseAffine, true);
    }

    /** Over the last dim of size {@code dim}, eps 1e-5, with weight and bias (PyTorch's defaults). */
    public LayerNorm(int dim) {
        this(new int[] {dim}, 1e-5, true, true);
    }

    public int[] normalizedShape() {
        return normalizedShape.clone();
    }

    @Override
    public Tensor forward(Tensor x) {
        return F.layerNorm(x, normalizedShape, weight, bias, eps);
    }

    @Override
    protected String extraRepr() {
        return shapeRepr(normalizedShape) + ", eps=" + eps + ", elementwise_affine=" + (weight != null ? "True" : "False")
                + (weight != null && bias == null ? ", bias=False" : "");
    }

    /** Python's tuple notation: (4,) or (2, 3). */
    static String shapeRepr(int[] shape) {
        String inner = String.join(", ", Arrays.stream(shape).mapToObj(Integer::toString).toList());
        return "(" + inner + (shape.length == 1 ? ",)" : ")");
    }
}
