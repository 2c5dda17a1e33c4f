package dev.qkv.nn;

/**
 * Batch normalization of images [N, C, H, W] per channel, over the batch and both spatial
 * dims, like {@code torch.nn.BatchNorm2d} (see {@link dev.qkv.nn.functional.BatchNorm}).
 */
public class BatchNorm2d extends BatchNormLayer {

    public BatchNorm2d(int numFeatures, double eps, double momentum, boolean affine, boolean trackRunningStats) {
        super(numFeatures, eps, momentum, affine, trackRunningStats);
    }

    /** eps 1e-5, momentum 0.1, affine, tracking running statistics (PyTorch's defaults). */
    public BatchNorm2d(int numFeatures) {
        this(numFeatures, 1e-5, 0.1, true, true);
    }

    @Override
    protected int[] ranks() {
        return new int[] {4};
    }
}
