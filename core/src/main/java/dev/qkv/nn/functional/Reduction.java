package dev.qkv.nn.functional;

/** How a loss combines its per-element values, as PyTorch's {@code reduction=} argument. */
public enum Reduction {
    /** One loss per element. */
    NONE,
    /** The average (over non-ignored targets for cross-entropy and NLL). */
    MEAN,
    SUM
}
