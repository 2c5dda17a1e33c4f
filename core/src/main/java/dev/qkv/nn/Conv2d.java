package dev.qkv.nn;

import dev.qkv.nn.functional.Conv;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;

/**
 * A 2-D convolution layer, like {@code torch.nn.Conv2d}: [N, C, H, W] → [N, OC, OH, OW] by
 * {@link Conv#conv2d}. Square kernels, strides, paddings and dilations (the same along height
 * and width).
 *
 * <p>Initialized as PyTorch does: the weight by kaiming-uniform with a = √5, which works out
 * to U(−1/√fanIn, 1/√fanIn) with fanIn = C/groups·K·K, and the bias by the same uniform.
 */
public class Conv2d extends UnaryModule {
    public final int inChannels;
    public final int outChannels;
    public final int kernelSize;
    public final int stride;
    public final int padding;
    public final int dilation;
    public final int groups;
    /** [OC, C/groups, K, K]. */
    public final Parameter weight;
    /** [OC], or null for a layer without bias (e.g. before a BatchNorm, which has its own shift). */
    public final Parameter bias;

    public Conv2d(int inChannels, int outChannels, int kernelSize, int stride, int padding, int dilation, int groups,
                  boolean bias, Generator g) {
        if (inChannels <= 0 || outChannels <= 0 || kernelSize <= 0 || stride <= 0 || padding < 0 || dilation <= 0
                || groups <= 0 || inChannels % groups != 0 || outChannels % groups != 0) {
            throw new IllegalArgumentException("Conv2d: channels, kernel size, stride, dilation and groups must be "
                    + "positive, padding non-negative, and groups must divide both channel counts; got in=" + inChannels
                    + " out=" + outChannels + " kernel=" + kernelSize + " stride=" + stride + " padding=" + padding
                    + " dilation=" + dilation + " groups=" + groups);
        }
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.kernelSize = kernelSize;
        this.stride = stride;
        this.padding = padding;
        this.dilation = dilation;
        this.groups = groups;
        this.weight = registerParameter("weight",
                new Parameter(Tensor.zeros(outChannels, inChannels / groups, kernelSize, kernelSize)));
        Init.kaimingUniform_(weight, Math.sqrt(5), Init.FanMode.FAN_IN, Init.Nonlinearity.LEAKY_RELU, g);
        if (bias) {
            double bound = 1 / Math.sqrt((double) inChannels / groups * kernelSize * kernelSize);
            this.bias = registerParameter("bias", new Parameter(Tensor.zeros(outChannels)));
            Init.uniform_(this.bias, -bound, bound, g);
        } else {
            this.bias = null;
        }
    }

    /** No dilation, one group, with bias. */
    public Conv2d(int inChannels, int outChannels, int kernelSize, int stride, int padding, Generator g) {
        this(inChannels, outChannels, kernelSize, stride, padding, 1, 1, true, g);
    }

    @Override
    public Tensor forward(Tensor x) {
        return Conv.conv2d(x, weight, bias, new int[] {stride}, new int[] {padding}, new int[] {dilation}, groups);
    }

    @Override
    protected String extraRepr() {
        return inChannels + ", " + outChannels + ", kernel_size=(" + kernelSize + ", " + kernelSize + "), stride=("
                + stride + ", " + stride + ")" + (padding != 0 ? ", padding=(" + padding + ", " + padding + ")" : "")
                + (dilation != 1 ? ", dilation=(" + dilation + ", " + dilation + ")" : "")
                + (groups != 1 ? ", groups=" + groups : "") + (bias == null ? ", bias=False" : "");
    }
}
