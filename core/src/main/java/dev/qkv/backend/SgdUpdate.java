package dev.qkv.backend;

import dev.qkv.tensor.Layout;

import java.util.Arrays;

/**
 * One SGD step on one parameter, for {@link Backend#sgdUpdate}. Elementwise:
 *
 * <pre>
 *   d ← g + wd·p                                   (d ← g if wd = 0)
 *   if momentum ≠ 0:
 *       b ← d                                      if firstStep (no dampening on the first step)
 *       b ← momentum·b + (1 − dampening)·d         otherwise
 *       d ← d + momentum·b    if nesterov,   else   d ← b
 *   p ← p − lr·d
 * </pre>
 *
 * param and momentumBuffer (non-null exactly when momentum ≠ 0) are updated in place; grad is only
 * read. The views have the parameter's shape and all storages its (floating) dtype.
 */
public record SgdUpdate(Storage param, Layout paramLayout, Storage grad, Layout gradLayout,
                        Storage momentumBuffer, Layout momentumBufferLayout,
                        double lr, double momentum, double dampening, double weightDecay, boolean nesterov,
                        boolean firstStep) {

    public SgdUpdate {
        OptimizerUpdates.checkBuffers("sgdUpdate", param, paramLayout, new Storage[] {grad, momentumBuffer},
                new Layout[] {gradLayout, momentumBufferLayout}, new String[] {"grad", "momentumBuffer"},
                new boolean[] {false, true});
        if ((momentum != 0) != (momentumBuffer != null)) {
            throw new IllegalArgumentException("sgdUpdate: a momentum buffer is needed exactly when momentum != 0; got "
                    + "momentum " + momentum + " and " + (momentumBuffer == null ? "no buffer" : "a buffer"));
        }
    }

    @Override
    public String toString() {
        return "sgdUpdate of " + param.dtype() + " " + Arrays.toString(paramLayout.shape())
                + (momentum != 0 ? " momentum " + momentum + (nesterov ? " nesterov" : "") : "");
    }
}
