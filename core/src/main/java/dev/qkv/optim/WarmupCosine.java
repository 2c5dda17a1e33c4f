package dev.qkv.optim;

/**
 * Linear warmup from 0 to the base lr, then half a cosine down to minLr, then minLr: the usual
 * schedule for training transformers. With W = warmupSteps and T = totalSteps:
 *
 * <pre>
 *   t &lt; W:       lr = base·t/W
 *   W ≤ t &lt; T:   lr = minLr + (base − minLr)·(1 + cos(π·(t − W)/(T − W)))/2
 *   t ≥ T:       lr = minLr
 * </pre>
 *
 * So the lr is 0 at t = 0 (the first step only warms up Adam's moments), reaches base at t = W,
 * and is continuous everywhere. PyTorch has no such class; the golden test builds it as a
 * LambdaLR with factor lr(t)/base.
 */
public class WarmupCosine extends LRScheduler {

    public WarmupCosine(Optimizer optimizer, int warmupSteps, int totalSteps, double minLr) {
        check(warmupSteps, totalSteps, minLr);
        super(optimizer, (base, t) -> lrAt(t, base, warmupSteps, totalSteps, minLr));
    }

    public static double lrAt(int t, double baseLr, int warmupSteps, int totalSteps, double minLr) {
        check(warmupSteps, totalSteps, minLr);
        if (t < warmupSteps) {
            return baseLr * t / warmupSteps;
        }
        if (t >= totalSteps) {
            return minLr;
        }
        double progress = (double) (t - warmupSteps) / (totalSteps - warmupSteps);
        return minLr + (baseLr - minLr) * (1 + Math.cos(Math.PI * progress)) / 2;
    }

    private static void check(int warmupSteps, int totalSteps, double minLr) {
        if (warmupSteps < 0 || totalSteps <= 0 || warmupSteps > totalSteps || !(minLr >= 0)) {
            throw new IllegalArgumentException("WarmupCosine: need 0 <= warmupSteps <= totalSteps, totalSteps > 0 and "
                    + "minLr >= 0, got warmupSteps=" + warmupSteps + " totalSteps=" + totalSteps + " minLr=" + minLr);
        }
    }
}
