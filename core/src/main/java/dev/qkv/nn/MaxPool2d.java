package dev.qkv.nn;

import dev.qkv.nn.functional.Pool;
import dev.qkv.tensor.Tensor;

/** Max pooling over K×K windows, like {@code torch.nn.MaxPool2d} (see {@link Pool#maxPool2d}). */
public class MaxPool2d extends UnaryModule {
    public final int kernelSize;
    public final int stride;
    public final int padding;

    public MaxPool2d(int kernelSize, int stride, int padding) {
        this.kernelSize = kernelSize;
        this.stride = stride;
        this.padding = padding;
    }

    /** Stride equal to the kernel, no padding (PyTorch's default): non-overlapping windows. */
    public MaxPool2d(int kernelSize) {
        this(kernelSize, kernelSize, 0);
    }

    @Override
    public Tensor forward(Tensor x) {
        return Pool.maxPool2d(x, new int[] {kernelSize}, new int[] {stride}, new int[] {padding}, new int[] {1});
    }

    @Override
    protected String extraRepr() {
        return "kernel_size=" + kernelSize + ", stride=" + stride + ", padding=" + padding;
    }
}
