package dev.qkv.models.gpt;

import dev.qkv.nn.Dropout;
import dev.qkv.nn.Linear;
import dev.qkv.nn.UnaryModule;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;

/** GPT-2's feed-forward layer: widen to 4C, GELU (tanh approximation), narrow back to C. */
public final class Mlp extends UnaryModule {
    public final Linear cFc;
    public final Linear cProj;
    private final Dropout dropout;

    Mlp(GPTConfig cfg, Generator g) {
        cFc = registerModule("c_fc", new Linear(cfg.nEmbd(), 4 * cfg.nEmbd(), cfg.bias(), g));
        cProj = registerModule("c_proj", new Linear(4 * cfg.nEmbd(), cfg.nEmbd(), cfg.bias(), g));
        dropout = registerModule("dropout", new Dropout(cfg.dropout(), g));
    }

    @Override
    public Tensor forward(Tensor x) {
        return dropout.forward(cProj.forward(cFc.forward(x).gelu(true)));             // (B, T, 4C) -> (B, T, C)
    }
}
