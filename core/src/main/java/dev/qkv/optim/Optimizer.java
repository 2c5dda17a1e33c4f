package dev.qkv.optim;

import dev.qkv.autograd.Autograd;
import dev.qkv.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The base of the optimizers, like {@code torch.optim.Optimizer}: parameter groups, the state
 * kept for each parameter (step count and moment buffers), and saving/loading that state.
 *
 * <p>A training step is: {@code zeroGrad()}, forward, {@code loss.backward()}, optionally
 * {@link GradClip#clipGradNorm}, {@code step()}. Each subclass writes its update rule for one
 * parameter in {@link #update}; parameters whose gradient is null are skipped and their state
 * (including the step count used for bias correction) does not advance. Updates run under
 * noGrad and modify parameters and buffers in place, so the Parameter objects never change.
 */
public abstract class Optimizer {
    private final List<ParamGroup> groups = new ArrayList<>();
    private final Map<Tensor, State> state = new IdentityHashMap<>();

    /** What the optimizer remembers about one parameter. */
    protected static final class State {
        /** Updates applied to this parameter so far, this one included while {@link #update} runs. */
        private long step;
        /** Named buffers shaped like the parameter (PyTorch's names: "exp_avg", "momentum_buffer", ...). */
        private final LinkedHashMap<String, Tensor> buffers = new LinkedHashMap<>();

        public long step() {
            return step;
        }

        /** The buffer {@code name}, or null if it was never created. */
        public Tensor get(String name) {
            return buffers.get(name);
        }

        /** The buffer {@code name}, created as zeros shaped like {@code param} on first use. */
        public Tensor zerosLike(String name, Tensor param) {
            return buffers.computeIfAbsent(name, k -> Tensor.zerosLike(param));
        }

        public void put(String name, Tensor buffer) {
            buffers.put(name, buffer);
        }
    }

    /** One group with the given lr and weight decay; more can be added with {@link #addParamGroup}. */
    protected Optimizer(List<? extends Tensor> params, double lr, double weightDecay) {
        if (params.isEmpty()) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": got an empty parameter list");
        }
        addParamGroup(params, lr, weightDecay);
    }

    /** Adds parameters with their own lr and weight decay (e.g. no decay for biases and norms). */
    public void addParamGroup(List<? extends Tensor> params, double lr, double weightDecay) {
        Map<Tensor, Boolean> seen = new IdentityHashMap<>();
        for (Tensor p : allParams()) {
            seen.put(p, true);
        }
        for (Tensor p : params) {
            if (!p.dtype().isFloating() || !p.isLeaf()) {
                throw new IllegalArgumentException(getClass().getSimpleName() + ": can only optimize floating leaf "
                        + "tensors, got a " + p.dtype() + (p.isLeaf() ? " leaf" : " tensor computed by '"
                        + p.gradFn().op() + "'"));
            }
            if (seen.put(p, true) != null) {
                throw new IllegalArgumentException(getClass().getSimpleName() + ": a parameter of shape "
                        + Arrays.toString(p.shape()) + " appears more than once in the parameter groups");
            }
        }
        groups.add(new ParamGroup(params, lr, weightDecay));
    }

    public List<ParamGroup> paramGroups() {
        return Collections.unmodifiableList(groups);
    }

    /** Every parameter, group by group: index i here is parameter i in {@link #stateDict()}. */
    public List<Tensor> allParams() {
        List<Tensor> out = new ArrayList<>();
        for (ParamGroup g : groups) {
            out.addAll(g.params());
        }
        return out;
    }

    /** The first group's learning rate. */
    public double lr() {
        return groups.get(0).lr();
    }

    /** Sets the learning rate of every group. */
    public void setLr(double lr) {
        for (ParamGroup g : groups) {
            g.setLr(lr);
        }
    }

    /** Forgets every parameter's gradient (set to null, PyTorch's default). */
    public void zeroGrad() {
        for (Tensor p : allParams()) {
            p.zeroGrad();
        }
    }

    /** Updates every parameter that has a gradient. */
    public void step() {
        try (var s = Autograd.noGrad()) {
            for (ParamGroup g : groups) {
                for (Tensor p : g.params()) {
                    Tensor grad = p.grad();
                    if (grad == null) {
                        continue;
                    }
                    State st = state.computeIfAbsent(p, k -> new State());
                    st.step++;
                    update(g, p, grad, st);
                }
            }
        }
    }

    /**
     * Applies this optimizer's rule to one parameter in place. Runs under noGrad, after
     * {@code state.step} was incremented (it is 1 on the first update).
     */
    protected abstract void update(ParamGroup group, Tensor param, Tensor grad, State state);

    /**
     * The gradient as the fused updates take it: on the parameter's device and in its dtype (a
     * gradient set with {@code setGrad} in another floating dtype is converted, as PyTorch would
     * refuse it outright). Throws, naming the optimizer and the shapes, for another device.
     */
    static Tensor gradientLike(String optimizer, Tensor p, Tensor grad) {
        if (!grad.device().equals(p.device())) {
            throw new IllegalArgumentException(optimizer + ": the gradient of a parameter of shape "
                    + Arrays.toString(p.shape()) + " on " + p.device() + " is on " + grad.device());
        }
        return grad.dtype() == p.dtype() ? grad : grad.to(p.dtype());
    }

    /** The optimizer-wide hyperparameters by name, for {@link #toString()} and the state dict's metadata. */
    protected abstract Map<String, Object> hyperparameters();

    // ===================================================================== saving and loading

    /** Optimizer state in the two maps a safetensors file holds: tensors, and string metadata. */
    public record StateDict(Map<String, Tensor> tensors, Map<String, String> metadata) {
    }

    private static final String PREFIX = "optimizer.";

    /**
     * The optimizer's state: {@code tensors} has {@code optimizer.state.<i>.<buffer>};
     * {@code metadata} has {@code optimizer.type}, {@code optimizer.state.<i>.step}, each group's
     * parameter indices, lr and weight decay, and the other hyperparameters (for reading only;
     * loading keeps the constructor's). Parameters are named by their index in
     * {@link #allParams()}, so a fresh optimizer built the same way in another process can load
     * it, and the "optimizer." prefix lets the maps share a file with a model's state dict. The
     * tensors are the live buffers, not copies: write them out before the next {@code step()}.
     */
    public StateDict stateDict() {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put(PREFIX + "type", getClass().getSimpleName());
        hyperparameters().forEach((k, v) -> meta.put(PREFIX + k, String.valueOf(v)));
        meta.put(PREFIX + "param_groups", Integer.toString(groups.size()));
        List<Tensor> params = allParams();
        for (int g = 0; g < groups.size(); g++) {
            ParamGroup group = groups.get(g);
            meta.put(PREFIX + "param_groups." + g + ".params", groupIndices(g));
            meta.put(PREFIX + "param_groups." + g + ".lr", Double.toString(group.lr()));
            meta.put(PREFIX + "param_groups." + g + ".weight_decay", Double.toString(group.weightDecay()));
        }
        for (int i = 0; i < params.size(); i++) {
            State st = state.get(params.get(i));
            if (st != null) {
                meta.put(PREFIX + "state." + i + ".step", Long.toString(st.step));
                for (var e : st.buffers.entrySet()) {
                    tensors.put(PREFIX + "state." + i + "." + e.getKey(), e.getValue());
                }
            }
        }
        return new StateDict(tensors, meta);
    }

    /**
     * Replaces this optimizer's state with a saved one (copied, converted to each parameter's
     * device and dtype) and restores each group's lr and weight decay. The optimizer must have
     * the same type and the same groups of same-shaped parameters; entries whose key does not
     * start with "optimizer." are ignored, so the maps may also hold a model or a scheduler.
     */
    public void loadStateDict(Map<String, Tensor> tensors, Map<String, String> metadata) {
        String op = getClass().getSimpleName() + ".loadStateDict";
        String type = metadata.get(PREFIX + "type");
        if (!getClass().getSimpleName().equals(type)) {
            throw new IllegalArgumentException(op + ": the state is from optimizer '" + type + "', not "
                    + getClass().getSimpleName());
        }
        String groupCount = require(op, metadata, PREFIX + "param_groups");
        if (Integer.parseInt(groupCount) != groups.size()) {
            throw new IllegalArgumentException(op + ": the state has " + groupCount + " parameter groups, this optimizer "
                    + groups.size());
        }
        List<Tensor> params = allParams();
        for (int g = 0; g < groups.size(); g++) {
            String saved = require(op, metadata, PREFIX + "param_groups." + g + ".params");
            if (!saved.equals(groupIndices(g))) {
                throw new IllegalArgumentException(op + ": parameter group " + g + " holds parameters [" + saved
                        + "] in the state but [" + groupIndices(g) + "] here");
            }
        }

        // Parse and check everything before changing anything.
        Map<Tensor, State> loaded = new IdentityHashMap<>();
        for (var e : metadata.entrySet()) {
            String[] k = e.getKey().split("\\.");
            if (k.length == 4 && e.getKey().startsWith(PREFIX + "state.") && k[3].equals("step")) {
                stateFor(op, loaded, params, k[2]).step = Long.parseLong(e.getValue());
            }
        }
        for (var e : tensors.entrySet()) {
            if (!e.getKey().startsWith(PREFIX)) {
                continue;
            }
            String[] k = e.getKey().split("\\.", 4);
            if (k.length != 4 || !k[1].equals("state")) {
                throw new IllegalArgumentException(op + ": unexpected tensor key '" + e.getKey()
                        + "' (expected optimizer.state.<index>.<buffer>)");
            }
            Tensor p = params.get(parseIndex(op, params, k[2]));
            if (!Arrays.equals(e.getValue().shape(), p.shape())) {
                throw new IllegalArgumentException(op + ": '" + e.getKey() + "' has shape "
                        + Arrays.toString(e.getValue().shape()) + " but parameter " + k[2] + " has shape "
                        + Arrays.toString(p.shape()));
            }
            State st = loaded.get(p);
            if (st == null) {
                throw new IllegalArgumentException(op + ": '" + e.getKey() + "' has no step count (optimizer.state."
                        + k[2] + ".step) in the metadata");
            }
            try (var s = Autograd.noGrad()) {
                st.buffers.put(k[3], e.getValue().detach().to(p.device()).to(p.dtype()).contiguousCopy());
            }
        }
        double[] lrs = new double[groups.size()];
        double[] decays = new double[groups.size()];
        for (int g = 0; g < groups.size(); g++) {
            lrs[g] = Double.parseDouble(require(op, metadata, PREFIX + "param_groups." + g + ".lr"));
            decays[g] = Double.parseDouble(require(op, metadata, PREFIX + "param_groups." + g + ".weight_decay"));
        }

        state.clear();
        state.putAll(loaded);
        for (int g = 0; g < groups.size(); g++) {
            groups.get(g).setLr(lrs[g]);
            groups.get(g).setWeightDecay(decays[g]);
        }
    }

    /** "3,4,5": the indices in {@link #allParams()} of group g's parameters. */
    private String groupIndices(int g) {
        int start = 0;
        for (int i = 0; i < g; i++) {
            start += groups.get(i).params().size();
        }
        List<String> ids = new ArrayList<>();
        for (int j = 0; j < groups.get(g).params().size(); j++) {
            ids.add(Integer.toString(start + j));
        }
        return String.join(",", ids);
    }

    public void loadStateDict(StateDict stateDict) {
        loadStateDict(stateDict.tensors(), stateDict.metadata());
    }

    private static State stateFor(String op, Map<Tensor, State> loaded, List<Tensor> params, String index) {
        return loaded.computeIfAbsent(params.get(parseIndex(op, params, index)), p -> new State());
    }

    private static int parseIndex(String op, List<Tensor> params, String index) {
        int i;
        try {
            i = Integer.parseInt(index);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(op + ": '" + index + "' is not a parameter index");
        }
        if (i < 0 || i >= params.size()) {
            throw new IllegalArgumentException(op + ": the state names parameter " + i + " but the optimizer has "
                    + params.size() + " parameters");
        }
        return i;
    }

    private static String require(String op, Map<String, String> metadata, String key) {
        String v = metadata.get(key);
        if (v == null) {
            throw new IllegalArgumentException(op + ": the metadata has no '" + key + "'");
        }
        return v;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(getClass().getSimpleName()).append(" (");
        hyperparameters().forEach((k, v) -> sb.append("\n    ").append(k).append(": ").append(v));
        for (int g = 0; g < groups.size(); g++) {
            ParamGroup group = groups.get(g);
            sb.append("\n    group ").append(g).append(": ").append(group.params().size()).append(" parameters, lr: ")
                    .append(group.lr()).append(", weight_decay: ").append(group.weightDecay());
        }
        return sb.append("\n)").toString();
    }
}
