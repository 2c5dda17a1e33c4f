package dev.qkv.models.llama;

import dev.qkv.nn.Linear;
import dev.qkv.nn.UnaryModule;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;

/** Llama's SwiGLU feed-forward layer: down(silu(gate(x)) · up(x)), no biases. */
public final class LlamaMlp extends UnaryModule {
    public final Linear gateProj;
    public final Linear upProj;
    public final Linear downProj;

    LlamaMlp(LlamaConfig cfg, Generator g) {
        gateProj = registerModule("gate_proj", new Linear(cfg.hiddenSize(), cfg.intermediateSize(), false, g));
        upProj = registerModule("up_proj", new Linear(cfg.hiddenSize(), cfg.intermediateSize(), false, g));
        downProj = registerModule("down_proj", new Linear(cfg.intermediateSize(), cfg.hiddenSize(), false, g));
    }

    @Override
    public Tensor forward(Tensor x) {
        return downProj.forward(gateProj.forward(x).silu().mul(upProj.forward(x)));   // (B, T, I) -> (B, T, C)
    }
}
