package dev.qkv.nn;

import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;

/**
 * The gated feed-forward block of Llama (Shazeer, "GLU Variants Improve Transformer", 2020):
 * <pre>
 *   y = down_proj( silu(gate_proj(x)) · up_proj(x) )
 * </pre>
 * x is [..., dim], the two inner projections are [..., hiddenDim], y is [..., dim]. No biases,
 * and the parameter names are Hugging Face Llama's ({@code gate_proj}, {@code up_proj},
 * {@code down_proj}), so {@code model.layers.N.mlp.*} loads by name.
 */
public class SwiGLU extends UnaryModule {
    public final int dim;
    public final int hiddenDim;
    /** dim → hiddenDim, through SiLU: how much of each hidden feature passes. */
    public final Linear gateProj;
    /** dim → hiddenDim: the values that the gate scales. */
    public final Linear upProj;
    /** hiddenDim → dim. */
    public final Linear downProj;

    public SwiGLU(int dim, int hiddenDim, Generator g) {
        this.dim = dim;
        this.hiddenDim = hiddenDim;
        gateProj = registerModule("gate_proj", new Linear(dim, hiddenDim, false, g));
        upProj = registerModule("up_proj", new Linear(dim, hiddenDim, false, g));
        downProj = registerModule("down_proj", new Linear(hiddenDim, dim, false, g));
    }

    @Override
    public Tensor forward(Tensor x) {
        Tensor h = gateProj.forward(x).silu().mul(upProj.forward(x));               // (..., hidden)
        return downProj.forward(h);                                                 // (..., dim)
    }

    @Override
    protected String extraRepr() {
        return "dim=" + dim + ", hidden_dim=" + hiddenDim;
    }
}
