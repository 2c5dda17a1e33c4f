package dev.qkv.backend;

import dev.qkv.tensor.Layout;

import java.util.Arrays;

/**
 * One Adam or AdamW step on one parameter, for {@link Backend#adamUpdate}. At step t = {@code step}
 * (1 for the first), elementwise:
 *
 * <pre>
 *   p ← p·(1 − lr·wd)                             if decoupledWeightDecay (AdamW) and wd ≠ 0
 *   g ← g + wd·p                                  if not decoupled (Adam's L2 penalty) and wd ≠ 0
 *   m ← β1·m + (1 − β1)·g                         expAvg
 *   v ← β2·v + (1 − β2)·g²                        expAvgSq
 *   v̂ ← max(v̂, v) with AMSGrad (maxExpAvgSq ≠ null), else v
 *   p ← p − lr/(1 − β1ᵗ) · m / (√v̂/√(1 − β2ᵗ) + eps)
 * </pre>
 *
 * param, expAvg, expAvgSq and maxExpAvgSq are updated in place; grad is only read. Every buffer
 * is a storage and a view of it; the views have the parameter's shape and all storages its
 * (floating) dtype. The scalars are rounded to that dtype the way the tensor ops round theirs
 * (see {@link OptimizerUpdates}), so a backend's fused kernel can reproduce the composed result
 * exactly.
 */
public record AdamUpdate(Storage param, Layout paramLayout, Storage grad, Layout gradLayout,
                         Storage expAvg, Layout expAvgLayout, Storage expAvgSq, Layout expAvgSqLayout,
                         Storage maxExpAvgSq, Layout maxExpAvgSqLayout,
                         double lr, double beta1, double beta2, double eps, double weightDecay,
                         boolean decoupledWeightDecay, long step) {

    public AdamUpdate {
        OptimizerUpdates.checkBuffers("adamUpdate", param, paramLayout, new Storage[] {grad, expAvg, expAvgSq,
                maxExpAvgSq}, new Layout[] {gradLayout, expAvgLayout, expAvgSqLayout, maxExpAvgSqLayout},
                new String[] {"grad", "expAvg", "expAvgSq", "maxExpAvgSq"}, new boolean[] {false, false, false, true});
        if (step < 1) {
            throw new IllegalArgumentException("adamUpdate: step counts from 1, got " + step);
        }
    }

    /** Whether this is AMSGrad (a running maximum of v is kept). */
    public boolean amsgrad() {
        return maxExpAvgSq != null;
    }

    /** 1 − β1ᵗ, in double. */
    public double biasCorrection1() {
        return 1 - Math.pow(beta1, step);
    }

    /** 1 − β2ᵗ, in double. */
    public double biasCorrection2() {
        return 1 - Math.pow(beta2, step);
    }

    @Override
    public String toString() {
        return "adamUpdate of " + param.dtype() + " " + Arrays.toString(paramLayout.shape()) + " step " + step
                + (decoupledWeightDecay ? " (AdamW)" : "") + (amsgrad() ? " (AMSGrad)" : "");
    }
}
