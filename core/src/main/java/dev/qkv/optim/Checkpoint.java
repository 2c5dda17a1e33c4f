package dev.qkv.optim;

import dev.qkv.io.SafeTensors;
import dev.qkv.io.SafeTensorsFile;
import dev.qkv.nn.Module;
import dev.qkv.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A training checkpoint in one safetensors file: the model's state dict (keys prefixed
 * {@code model.}), the optimizer's state ({@code optimizer.}), the step, an optional
 * scheduler's state and any extra metadata strings. Saving writes a temporary file and renames
 * it over the old one, so an interrupted save never destroys the previous checkpoint.
 */
public final class Checkpoint {
    private Checkpoint() {
    }

    private static final String FORMAT = "qkv-checkpoint-1";

    /** What a load restored besides the tensors: the step and the extra metadata. */
    public record Info(long step, Map<String, String> metadata) {
    }

    /** Saves model + optimizer (+ scheduler, may be null) + step atomically. */
    public static void save(Path file, Module model, Optimizer optimizer, LRScheduler scheduler, long step,
                            Map<String, String> extra) throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        model.stateDict().forEach((k, v) -> tensors.put("model." + k, v));
        Map<String, String> meta = new LinkedHashMap<>();
        if (optimizer != null) {
            Optimizer.StateDict os = optimizer.stateDict();
            tensors.putAll(os.tensors());
            meta.putAll(os.metadata());
        }
        if (scheduler != null) {
            meta.putAll(scheduler.stateDict());
        }
        extra.forEach((k, v) -> meta.put("extra." + k, v));
        meta.put("qkv.format", FORMAT);
        meta.put("qkv.step", Long.toString(step));
        SafeTensors.save(file, tensors, meta);
    }

    /**
     * Restores a checkpoint into an existing model (strict: every key must match) and, if given,
     * optimizer and scheduler. Returns the step and the extra metadata.
     */
    public static Info load(Path file, Module model, Optimizer optimizer, LRScheduler scheduler) throws IOException {
        Map<String, Tensor> modelState = new LinkedHashMap<>();
        Map<String, Tensor> optimState = new LinkedHashMap<>();
        Map<String, String> meta;
        try (SafeTensorsFile f = SafeTensors.open(file)) {
            meta = new HashMap<>(f.metadata());
            if (!FORMAT.equals(meta.get("qkv.format"))) {
                throw new IOException(file + " is not a qkv checkpoint (metadata qkv.format is " + meta.get("qkv.format")
                        + ", expected " + FORMAT + ")");
            }
            for (String name : f.names()) {
                if (name.startsWith("model.")) {
                    modelState.put(name.substring("model.".length()), f.tensor(name));
                } else {
                    optimState.put(name, f.tensor(name));
                }
            }
        }
        model.loadStateDict(modelState, true);
        if (optimizer != null) {
            optimizer.loadStateDict(optimState, meta);
        }
        if (scheduler != null) {
            scheduler.loadStateDict(meta);
        }
        long step;
        try {
            step = Long.parseLong(meta.get("qkv.step"));
        } catch (NumberFormatException e) {
            throw new IOException(file + ": metadata qkv.step is not a number: " + meta.get("qkv.step"));
        }
        Map<String, String> extra = new LinkedHashMap<>();
        meta.forEach((k, v) -> {
            if (k.startsWith("extra.")) {
                extra.put(k.substring("extra.".length()), v);
            }
        });
        return new Info(step, extra);
    }
}
