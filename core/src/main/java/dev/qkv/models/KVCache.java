package dev.qkv.models;

import dev.qkv.tensor.DType;
import dev.qkv.tensor.Device;
import dev.qkv.tensor.Tensor;

/**
 * The keys and values that earlier positions computed, per layer, so that decoding one new
 * token costs one position's work instead of the whole prefix's. Buffers are allocated once at
 * full length [B, Hkv, maxLen, D]; {@link #append} writes the new positions into them and
 * returns views of everything cached so far.
 *
 * <p>Prefill runs the prompt through the model with an empty cache; each decode step then
 * feeds one token per sequence. The logits equal the no-cache path's (tests hold them equal).
 */
public final class KVCache {
    private final Tensor[] keys;
    private final Tensor[] values;
    private final int maxLen;
    private int length;

    public KVCache(int layers, int batch, int kvHeads, int maxLen, int headDim, DType dtype, Device device) {
        this.keys = new Tensor[layers];
        this.values = new Tensor[layers];
        for (int l = 0; l < layers; l++) {
            keys[l] = Tensor.zeros(dtype, device, batch, kvHeads, maxLen, headDim);
            values[l] = Tensor.zeros(dtype, device, batch, kvHeads, maxLen, headDim);
        }
        this.maxLen = maxLen;
    }

    /** Positions cached so far (the offset of the next token). */
    public int length() {
        return length;
    }

    public int maxLength() {
        return maxLen;
    }

    /**
     * Stores layer {@code layer}'s keys and values for the new positions ([B, Hkv, Tnew, D]) and
     * returns the cached keys and values of all positions so far. Call {@link #advance} once per
     * forward pass after the last layer.
     */
    public Tensor[] append(int layer, Tensor k, Tensor v) {
        int tNew = k.size(2);
        if (length + tNew > maxLen) {
            throw new IllegalStateException("KVCache: " + (length + tNew) + " positions exceed the cache length " + maxLen);
        }
        try (var s = dev.qkv.autograd.Autograd.noGrad()) {
            keys[layer].narrow(2, length, tNew).copy_(k);
            values[layer].narrow(2, length, tNew).copy_(v);
        }
        return new Tensor[] {keys[layer].narrow(2, 0, length + tNew), values[layer].narrow(2, 0, length + tNew)};
    }

    /** Moves the offset past the positions the last forward pass appended. */
    public void advance(int tNew) {
        length += tNew;
    }
}
