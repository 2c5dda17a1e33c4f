package dev.qkv.tensor;

/**
 * Element types. Floating tensors carry values and gradients; integer tensors carry token ids,
 * targets and indices; BOOL tensors are masks (the result of comparisons).
 *
 * <p>Binary ops promote like PyTorch: the result takes the "wider" kind (bool &lt; integer &lt;
 * floating) and, within a kind, the larger type.
 */
public enum DType {
    BOOL(1, false),
    UINT8(1, false),
    INT8(1, false),
    INT32(4, false),
    INT64(8, false),
    FLOAT32(4, true),
    FLOAT64(8, true);

    private final int byteSize;
    private final boolean floating;

    DType(int byteSize, boolean floating) {
        this.byteSize = byteSize;
        this.floating = floating;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }

    public boolean isFloating() {
        return floating;
    }

    /** The type a binary op on {@code a} and {@code b} computes in (PyTorch's promotion, simplified). */
    public static DType promote(DType a, DType b) {
        return a.ordinal() >= b.ordinal() ? a : b;
    }

    /** The floating type an op such as exp or division returns for this input type. */
    public DType toFloating() {
        return floating ? this : FLOAT32;
    }
}
