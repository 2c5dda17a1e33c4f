package dev.qkv.nn;

import dev.qkv.autograd.Autograd;
import dev.qkv.tensor.DType;
import dev.qkv.tensor.Device;
import dev.qkv.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * The base of every layer and model, like {@code torch.nn.Module}: a tree of modules, each
 * owning named parameters, buffers and child modules in the order it registered them.
 *
 * <p>Registration is explicit ({@link #registerParameter}, {@link #registerBuffer},
 * {@link #registerModule}), usually in the constructor; there is no reflection. Names in the
 * tree are dotted paths as in PyTorch ({@code layers.0.weight}), so a state dict's keys match
 * a PyTorch checkpoint of the same architecture.
 *
 * <p>This class has no forward method, because models differ in what they take and return;
 * layers with one input and one output extend {@link UnaryModule}.
 */
public abstract class Module {
    private final Map<String, Parameter> parameters = new LinkedHashMap<>();
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();
    private final Set<String> nonPersistentBuffers = new HashSet<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private boolean training = true;

    // ===================================================================== registration

    /** Registers a learnable parameter under {@code name} and returns it. */
    protected Parameter registerParameter(String name, Parameter parameter) {
        checkNewName("registerParameter", name, parameter);
        parameters.put(name, parameter);
        return parameter;
    }

    /** Registers a persistent buffer: a non-learnable tensor that the state dict saves. */
    protected Tensor registerBuffer(String name, Tensor buffer) {
        return registerBuffer(name, buffer, true);
    }

    /**
     * Registers a buffer; a non-persistent one (e.g. a cache that is cheap to recompute) is
     * left out of the state dict. Modules should read buffers through {@link #buffer(String)},
     * because {@link #to(Device)} replaces the tensor.
     */
    protected Tensor registerBuffer(String name, Tensor buffer, boolean persistent) {
        checkNewName("registerBuffer", name, buffer);
        buffers.put(name, buffer);
        if (!persistent) {
            nonPersistentBuffers.add(name);
        }
        return buffer;
    }

    /** Registers a child module under {@code name} and returns it. */
    protected <M extends Module> M registerModule(String name, M module) {
        checkNewName("registerModule", name, module);
        if (module == this) {
            throw new IllegalArgumentException("registerModule: a module cannot be its own child ('" + name + "')");
        }
        children.put(name, module);
        return module;
    }

    private void checkNewName(String op, String name, Object value) {
        if (value == null) {
            throw new IllegalArgumentException(op + ": '" + name + "' is null; leave optional parts unregistered instead");
        }
        if (name == null || name.isEmpty() || name.contains(".")) {
            throw new IllegalArgumentException(op + ": name '" + name + "' must be non-empty and contain no '.'");
        }
        if (parameters.containsKey(name) || buffers.containsKey(name) || children.containsKey(name)) {
            throw new IllegalArgumentException(op + ": " + getClass().getSimpleName() + " already has a parameter, "
                    + "buffer or module named '" + name + "'");
        }
    }

    /** This module's own buffer {@code name} (its current tensor, also after {@link #to}). */
    protected Tensor buffer(String name) {
        Tensor b = buffers.get(name);
        if (b == null) {
            throw new IllegalArgumentException("buffer: " + getClass().getSimpleName() + " has no buffer '" + name
                    + "'; it has " + buffers.keySet());
        }
        return b;
    }

    // ===================================================================== walking the tree

    /** Visits this module and every descendant, parents first, with their dotted prefixes ("" for this). */
    private void walk(String prefix, BiConsumer<String, Module> visit) {
        visit.accept(prefix, this);
        for (var e : children.entrySet()) {
            e.getValue().walk(prefix + e.getKey() + ".", visit);
        }
    }

    /**
     * Every parameter of the tree by dotted name, parents' first. A parameter shared by two
     * modules (tied weights) appears once, under its first name, as in PyTorch.
     */
    public LinkedHashMap<String, Parameter> namedParameters() {
        LinkedHashMap<String, Parameter> out = new LinkedHashMap<>();
        Set<Tensor> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        walk("", (prefix, m) -> m.parameters.forEach((name, p) -> {
            if (seen.add(p)) {
                out.put(prefix + name, p);
            }
        }));
        return out;
    }

    /** The distinct parameters of the tree, in {@link #namedParameters()} order. */
    public List<Parameter> parameters() {
        return new ArrayList<>(namedParameters().values());
    }

    /** Every buffer of the tree by dotted name (shared ones once). */
    public LinkedHashMap<String, Tensor> namedBuffers() {
        LinkedHashMap<String, Tensor> out = new LinkedHashMap<>();
        Set<Tensor> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        walk("", (prefix, m) -> m.buffers.forEach((name, b) -> {
            if (seen.add(b)) {
                out.put(prefix + name, b);
            }
        }));
        return out;
    }

    public List<Tensor> buffers() {
        return new ArrayList<>(namedBuffers().values());
    }

    /** The direct children by name, in registration order. */
    public LinkedHashMap<String, Module> namedChildren() {
        return new LinkedHashMap<>(children);
    }

    public List<Module> children() {
        return new ArrayList<>(children.values());
    }

    /** This module ("") and all its descendants by dotted name, parents first, each once. */
    public LinkedHashMap<String, Module> namedModules() {
        LinkedHashMap<String, Module> out = new LinkedHashMap<>();
        Set<Module> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        walk("", (prefix, m) -> {
            if (seen.add(m)) {
                out.put(prefix.isEmpty() ? "" : prefix.substring(0, prefix.length() - 1), m);
            }
        });
        return out;
    }

    public List<Module> modules() {
        return new ArrayList<>(namedModules().values());
    }

    /** Calls {@code fn} on every descendant (children first) and then on this module; returns this. */
    public Module apply(Consumer<Module> fn) {
        for (Module child : children.values()) {
            child.apply(fn);
        }
        fn.accept(this);
        return this;
    }

    /** The number of learnable values (distinct parameters' elements). */
    public long numParameters() {
        long n = 0;
        for (Parameter p : parameters()) {
            n += p.numel();
        }
        return n;
    }

    // ===================================================================== modes and gradients

    /** Sets training mode (true) or evaluation mode (false) on the whole tree; returns this. */
    public Module train(boolean mode) {
        training = mode;
        for (Module child : children.values()) {
            child.train(mode);
        }
        return this;
    }

    public Module train() {
        return train(true);
    }

    /** Evaluation mode: dropout becomes the identity. */
    public Module eval() {
        return train(false);
    }

    public boolean isTraining() {
        return training;
    }

    /** Forgets every parameter's gradient (PyTorch's default, set_to_none=True). */
    public void zeroGrad() {
        for (Parameter p : parameters()) {
            p.zeroGrad();
        }
    }

    // ===================================================================== state dict

    /**
     * Parameters and persistent buffers by dotted name: each module's own parameters, then its
     * buffers, then its children's, as torch's state_dict. Tied weights appear under every
     * name. The values are detached views sharing storage with the model (no copy).
     */
    public LinkedHashMap<String, Tensor> stateDict() {
        LinkedHashMap<String, Tensor> out = new LinkedHashMap<>();
        stateTargets().forEach((k, t) -> out.put(k, t.detach()));
        return out;
    }

    /** The tensors that stateDict() shows and loadStateDict() writes into, by key. */
    private LinkedHashMap<String, Tensor> stateTargets() {
        LinkedHashMap<String, Tensor> out = new LinkedHashMap<>();
        walk("", (prefix, m) -> {
            m.parameters.forEach((name, p) -> out.put(prefix + name, p));
            m.buffers.forEach((name, b) -> {
                if (!m.nonPersistentBuffers.contains(name)) {
                    out.put(prefix + name, b);
                }
            });
        });
        return out;
    }

    /** What {@link #loadStateDict} found missing (in the model only) and unexpected (in the state only). */
    public record LoadResult(List<String> missingKeys, List<String> unexpectedKeys) {
    }

    /**
     * Copies the values of {@code state} into this model's parameters and buffers (converted to
     * each one's dtype and device); the Parameter objects stay the same, so optimizers keep
     * working. Nothing is copied unless the whole load is valid: a shape mismatch is always an
     * error, and with {@code strict} so are missing and unexpected keys. The exception lists
     * every problem at once.
     */
    public LoadResult loadStateDict(Map<String, ? extends Tensor> state, boolean strict) {
        LinkedHashMap<String, Tensor> targets = stateTargets();
        List<String> missing = new ArrayList<>();
        List<String> unexpected = new ArrayList<>();
        List<String> mismatched = new ArrayList<>();
        targets.forEach((key, target) -> {
            Tensor src = state.get(key);
            if (src == null) {
                missing.add(key);
            } else if (!Arrays.equals(src.shape(), target.shape())) {
                mismatched.add(key + " (state dict " + Arrays.toString(src.shape()) + ", model "
                        + Arrays.toString(target.shape()) + ")");
            }
        });
        for (String key : state.keySet()) {
            if (!targets.containsKey(key)) {
                unexpected.add(key);
            }
        }
        if (!mismatched.isEmpty() || strict && (!missing.isEmpty() || !unexpected.isEmpty())) {
            StringBuilder msg = new StringBuilder("loadStateDict: error(s) loading a state dict into "
                    + getClass().getSimpleName() + " (nothing was loaded):");
            if (strict && !missing.isEmpty()) {
                msg.append("\n  missing keys (in the model, not in the state dict): ").append(String.join(", ", missing));
            }
            if (strict && !unexpected.isEmpty()) {
                msg.append("\n  unexpected keys (in the state dict, not in the model): ")
                        .append(String.join(", ", unexpected));
            }
            if (!mismatched.isEmpty()) {
                msg.append("\n  shape mismatches: ").append(String.join(", ", mismatched));
            }
            throw new IllegalArgumentException(msg.toString());
        }
        try (var s = Autograd.noGrad()) {
            targets.forEach((key, target) -> {
                Tensor src = state.get(key);
                if (src != null) {
                    target.copy_(src.detach().to(target.device()).to(target.dtype()));
                }
            });
        }
        return new LoadResult(List.copyOf(missing), List.copyOf(unexpected));
    }

    // ===================================================================== devices and dtypes

    /**
     * Moves every parameter (with its gradient) and buffer to {@code device}, in place: the
     * Parameter objects keep their identity. A no-op for tensors already there. Returns this.
     */
    public Module to(Device device) {
        return convert(t -> t.to(device), t -> true);
    }

    /**
     * Converts floating parameters (with their gradients) and floating buffers to a floating
     * dtype, e.g. FLOAT64 for gradient checks; integer buffers are kept. Returns this.
     */
    public Module to(DType dtype) {
        if (!dtype.isFloating()) {
            throw new IllegalArgumentException("Module.to: parameters must stay floating, cannot convert to " + dtype);
        }
        return convert(t -> t.to(dtype), t -> t.dtype().isFloating());
    }

    /** Applies fn (which returns its argument when there is nothing to do) to parameters, grads and buffers. */
    private Module convert(UnaryOperator<Tensor> fn, Predicate<Tensor> applies) {
        try (var s = Autograd.noGrad()) {
            for (Parameter p : parameters()) {
                Tensor grad = p.grad();
                p.setData(fn.apply(p.detach()));
                if (grad != null) {
                    p.setGrad(fn.apply(grad));
                }
            }
            for (Module m : modules()) {
                m.buffers.replaceAll((name, b) -> applies.test(b) ? fn.apply(b) : b);
            }
        }
        return this;
    }

    // ===================================================================== printing

    /** The text inside this module's parentheses when printed, e.g. "in_features=4, out_features=8". */
    protected String extraRepr() {
        return "";
    }

    /** A tree like PyTorch's: {@code Sequential(\n  (0): Linear(in_features=2, ...)\n)}. */
    @Override
    public String toString() {
        List<String> lines = new ArrayList<>();
        String extra = extraRepr();
        if (!extra.isEmpty()) {
            lines.addAll(extra.lines().toList());
        }
        children.forEach((name, child) -> lines.add("(" + name + "): " + child.toString().replace("\n", "\n  ")));
        String head = getClass().getSimpleName().isEmpty() ? "Module" : getClass().getSimpleName();
        if (lines.isEmpty()) {
            return head + "()";
        }
        if (children.isEmpty() && lines.size() == 1) {
            return head + "(" + lines.get(0) + ")";
        }
        return head + "(\n  " + String.join("\n  ", lines) + "\n)";
    }
}
