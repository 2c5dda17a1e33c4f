package dev.qkv.optim;

/**
 * Half a cosine from the base lr down to etaMin over tMax steps, in the closed form of
 * torch.optim.lr_scheduler.CosineAnnealingLR:
 *
 * <pre>
 *   lr = etaMin + (base − etaMin)·(1 + cos(π·t/tMax))/2
 * </pre>
 *
 * Past tMax the cosine continues and the lr rises again, as in PyTorch.
 */
public class CosineAnnealingLR extends LRScheduler {

    public CosineAnnealingLR(Optimizer optimizer, int tMax, double etaMin) {
        if (tMax <= 0) {
            throw new IllegalArgumentException("CosineAnnealingLR: tMax must be positive, got " + tMax);
        }
        super(optimizer, (base, t) -> lrAt(t, base, tMax, etaMin));
    }

    public static double lrAt(int t, double baseLr, int tMax, double etaMin) {
        return etaMin + (baseLr - etaMin) * (1 + Math.cos(Math.PI * t / tMax)) / 2;
    }
}
