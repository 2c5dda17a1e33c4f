package dev.qkv.optim;

/** Decays the lr by gamma every stepSize steps (torch.optim.lr_scheduler.StepLR): lr = base·gamma^⌊t/stepSize⌋. */
public class StepLR extends LRScheduler {

    public StepLR(Optimizer optimizer, int stepSize, double gamma) {
        if (stepSize <= 0) {
            throw new IllegalArgumentException("StepLR: stepSize must be positive, got " + stepSize);
        }
        super(optimizer, (base, t) -> lrAt(t, base, stepSize, gamma));
    }

    public static double lrAt(int t, double baseLr, int stepSize, double gamma) {
        return baseLr * Math.pow(gamma, Math.floorDiv(t, stepSize));
    }
}
