package dev.qkv.nn;

import dev.qkv.autograd.Autograd;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;

import java.util.Arrays;
import java.util.function.DoubleSupplier;

/**
 * Weight initializers, like {@code torch.nn.init}: each fills a tensor in place (also a
 * parameter, under noGrad) with values drawn from a seeded {@link Generator}, in row-major
 * order, and returns it. Values are drawn in double precision and rounded to the tensor's dtype.
 *
 * <p>Fans are computed as PyTorch does for a weight of shape [out, in, k1, k2, ...]:
 * fanIn = in·k1·k2·..., fanOut = out·k1·k2·... (so for Linear's [out, in] weight, fanIn = in).
 */
public final class Init {
    private Init() {
    }

    /** Which fan scales a kaiming initializer: fanIn keeps the forward variance, fanOut the backward's. */
    public enum FanMode { FAN_IN, FAN_OUT }

    /** The nonlinearity after the layer, which sets the gain (torch.nn.init.calculate_gain). */
    public enum Nonlinearity { LINEAR, SIGMOID, TANH, RELU, LEAKY_RELU, SELU }

    // ===================================================================== plain distributions

    /** Fills with N(mean, std²). */
    public static Tensor normal_(Tensor t, double mean, double std, Generator g) {
        return fill(t, () -> mean + std * g.nextGaussian());
    }

    /** Fills with U(a, b). */
    public static Tensor uniform_(Tensor t, double a, double b, Generator g) {
        return fill(t, () -> a + (b - a) * g.nextDouble());
    }

    public static Tensor constant_(Tensor t, double value) {
        try (var s = Autograd.noGrad()) {
            return t.fill_(value);
        }
    }

    public static Tensor zeros_(Tensor t) {
        return constant_(t, 0);
    }

    public static Tensor ones_(Tensor t) {
        return constant_(t, 1);
    }

    // ===================================================================== scaled by fans

    /** U(−a, a) with a = gain·√(6/(fanIn + fanOut)) (Glorot and Bengio, 2010). */
    public static Tensor xavierUniform_(Tensor t, double gain, Generator g) {
        int[] fans = fans("xavierUniform_", t);
        double a = gain * Math.sqrt(6.0 / (fans[0] + fans[1]));
        return uniform_(t, -a, a, g);
    }

    /** N(0, std²) with std = gain·√(2/(fanIn + fanOut)). */
    public static Tensor xavierNormal_(Tensor t, double gain, Generator g) {
        int[] fans = fans("xavierNormal_", t);
        return normal_(t, 0, gain * Math.sqrt(2.0 / (fans[0] + fans[1])), g);
    }

    /**
     * U(−bound, bound) with bound = √3·gain/√fan (He et al., 2015); {@code a} is the negative
     * slope for LEAKY_RELU. PyTorch's Linear uses a = √5, FAN_IN, LEAKY_RELU: bound = 1/√fanIn.
     */
    public static Tensor kaimingUniform_(Tensor t, double a, FanMode mode, Nonlinearity nonlinearity, Generator g) {
        double bound = Math.sqrt(3.0) * calculateGain(nonlinearity, a) / Math.sqrt(fan("kaimingUniform_", t, mode));
        return uniform_(t, -bound, bound, g);
    }

    /** N(0, std²) with std = gain/√fan. */
    public static Tensor kaimingNormal_(Tensor t, double a, FanMode mode, Nonlinearity nonlinearity, Generator g) {
        double std = calculateGain(nonlinearity, a) / Math.sqrt(fan("kaimingNormal_", t, mode));
        return normal_(t, 0, std, g);
    }

    /**
     * The recommended gain for a nonlinearity: 1 for LINEAR and SIGMOID, 5/3 for TANH, √2 for
     * RELU, √(2/(1 + slope²)) for LEAKY_RELU with negative slope {@code param}, 3/4 for SELU.
     */
    public static double calculateGain(Nonlinearity nonlinearity, double param) {
        return switch (nonlinearity) {
            case LINEAR, SIGMOID -> 1.0;
            case TANH -> 5.0 / 3;
            case RELU -> Math.sqrt(2.0);
            case LEAKY_RELU -> Math.sqrt(2.0 / (1 + param * param));
            case SELU -> 3.0 / 4;
        };
    }

    /** {fanIn, fanOut} of a weight of shape [out, in, k1, ...]. */
    public static int[] fans(String op, Tensor t) {
        if (t.dim() < 2) {
            throw new IllegalArgumentException(op + ": fan in and fan out cannot be computed for a tensor with fewer "
                    + "than 2 dims, got shape " + Arrays.toString(t.shape()));
        }
        int receptive = 1;                                   // k1·k2·... of a convolution kernel
        for (int d = 2; d < t.dim(); d++) {
            receptive *= t.size(d);
        }
        return new int[] {t.size(1) * receptive, t.size(0) * receptive};
    }

    private static int fan(String op, Tensor t, FanMode mode) {
        int[] fans = fans(op, t);
        return mode == FanMode.FAN_IN ? fans[0] : fans[1];
    }

    private static Tensor fill(Tensor t, DoubleSupplier next) {
        if (!t.dtype().isFloating()) {
            throw new IllegalArgumentException("Init: can only fill floating tensors, got " + t.dtype());
        }
        double[] v = new double[t.numel()];
        for (int i = 0; i < v.length; i++) {
            v[i] = next.getAsDouble();
        }
        try (var s = Autograd.noGrad()) {
            return t.copy_(Tensor.fromArray(v, t.shape()).to(t.dtype()).to(t.device()));
        }
    }
}
