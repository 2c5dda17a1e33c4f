package dev.qkv.models;

import dev.qkv.tensor.Tensor;

/** A decoder-only language model that generation can drive: GPT and Llama. */
public interface CausalLM {

    /**
     * Logits [B, T, V] for token ids [B, T]. With a cache, ids are the positions after the
     * cached ones; {@code keyPadding} (BOOL [B, cached + T], true for real tokens, may be null)
     * hides left padding.
     */
    Tensor forward(Tensor ids, KVCache cache, Tensor keyPadding);

    /** A cache for this model: batch sequences of up to maxLen positions. */
    KVCache newCache(int batch, int maxLen);

    /** The longest sequence the model accepts (its position table or training context). */
    int contextLength();

    int vocabSize();

    /** Switches dropout off (generation always runs in eval mode). */
    void evalMode();
}
