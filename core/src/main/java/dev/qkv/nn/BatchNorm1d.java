package dev.qkv.nn;

/**
 * Batch normalization of features [N, C] (or sequences [N, C, L]) per feature, like
 * {@code torch.nn.BatchNorm1d} (see {@link dev.qkv.nn.functional.BatchNorm}).
 */
public class BatchNorm1d extends BatchNormLayer {

    public BatchNorm1d(int numFeatures, double eps, double momentum, boolean affine, boolean trackRunningStats) {
        super(numFeatures, eps, momentum, affine, trackRunningStats);
    }

    /** eps 1e-5, momentum 0.1, affine, tracking running statistics (PyTorch's defaults). */
    public BatchNorm1d(int numFeatures) {
        this(numFeatures, 1e-5, 0.1, true, true);
    }

    @Override
    protected int[] ranks() {
        return new int[] {2, 3};
    }
}
