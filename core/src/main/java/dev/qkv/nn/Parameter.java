package dev.qkv.nn;

import dev.qkv.tensor.Tensor;

import java.util.Arrays;

/**
 * A tensor that is a learnable weight of a {@link Module}, like {@code torch.nn.Parameter}: a
 * leaf that requires grad and shares the storage of the tensor it was made from.
 *
 * <p>Optimizers hold references to Parameter objects, so a Parameter is never replaced: moving
 * or converting a module swaps the data behind it with {@link #setData} and the object stays.
 */
public class Parameter extends Tensor {

    /** A parameter over {@code data}'s storage (no copy); {@code data} must be floating. */
    public Parameter(Tensor data) {
        super(data.storage(), data.layout());
        requiresGrad(true);
    }

    /**
     * Points this parameter at {@code data}'s storage (PyTorch's {@code param.data = data}).
     * The shape must stay the same, because optimizer state and gradients are shaped like the
     * parameter; device and dtype may change. Not recorded by the autograd. This does not tie
     * two parameters (each still gets its own gradient): to share a weight, register the same
     * Parameter object in both modules.
     */
    public void setData(Tensor data) {
        if (!Arrays.equals(data.shape(), shape())) {
            throw new IllegalArgumentException("Parameter.setData: new data has shape " + Arrays.toString(data.shape())
                    + " but the parameter has shape " + Arrays.toString(shape()) + "; the shape cannot change");
        }
        if (!data.dtype().isFloating()) {
            throw new IllegalArgumentException("Parameter.setData: parameters must be floating, got " + data.dtype());
        }
        replaceData(data);
    }

    @Override
    public String toString() {
        return "Parameter containing:\n" + super.toString();
    }
}
