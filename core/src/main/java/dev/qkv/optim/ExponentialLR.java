package dev.qkv.optim;

/** Decays the lr by gamma every step (torch.optim.lr_scheduler.ExponentialLR): lr = base·gammaᵗ. */
public class ExponentialLR extends LRScheduler {

    public ExponentialLR(Optimizer optimizer, double gamma) {
        super(optimizer, (base, t) -> lrAt(t, base, gamma));
    }

    public static double lrAt(int t, double baseLr, double gamma) {
        return baseLr * Math.pow(gamma, t);
    }
}
