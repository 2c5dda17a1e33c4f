package dev.qkv.nn;

import dev.qkv.nn.functional.Pool;
import dev.qkv.tensor.Tensor;

/**
 * Average pooling over K×K windows, like {@code torch.nn.AvgPool2d} with count_include_pad
 * (see {@link Pool#avgPool2d}).
 */
public class AvgPool2d extends UnaryModule {
    public final int kernelSize;
    public final int stride;
    public final int padding;

    public AvgPool2d(int kernelSize, int stride, int padding) {
        this.kernelSize = kernelSize;
        this.stride = stride;
        this.padding = padding;
    }

    /** Stride equal to the kernel, no padding (PyTorch's default). */
    public AvgPool2d(int kernelSize) {
        this(kernelSize, kernelSize, 0);
    }

    @Override
    public Tensor forward(Tensor x) {
        return Pool.avgPool2d(x, new int[] {kernelSize}, new int[] {stride}, new int[] {padding}, true);
    }

    @Override
    protected String extraRepr() {
        return "kernel_size=" + kernelSize + ", stride=" + stride + ", padding=" + padding;
    }
}
