package dev.qkv.optim;

import java.util.function.IntToDoubleFunction;

/** Any schedule given as a factor of the base lr (torch.optim.lr_scheduler.LambdaLR): lr = base·factor(t). */
public class LambdaLR extends LRScheduler {

    public LambdaLR(Optimizer optimizer, IntToDoubleFunction factor) {
        super(optimizer, (base, t) -> base * factor.applyAsDouble(t));
    }
}
