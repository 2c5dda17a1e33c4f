package dev.qkv.autograd;

import dev.qkv.tensor.Tensor;

/**
 * Switches of the autograd and the one place where ops record themselves.
 *
 * <pre>{@code
 * try (var scope = Autograd.noGrad()) {        // like torch.no_grad()
 *     ... evaluation: no graph is built ...
 * }
 * try (var scope = Autograd.detectAnomaly()) { // like torch.autograd.detect_anomaly()
 *     ... the first op that makes NaN/Inf, forward or backward, throws and names itself ...
 * }
 * }</pre>
 */
public final class Autograd {
    private static final ThreadLocal<boolean[]> GRAD_ENABLED = ThreadLocal.withInitial(() -> new boolean[] {true});
    private static final ThreadLocal<boolean[]> ANOMALY = ThreadLocal.withInitial(() -> new boolean[] {false});
    /** True while the engine runs a backward rule: the engine checks the rule's results itself. */
    private static final ThreadLocal<boolean[]> IN_BACKWARD_RULE = ThreadLocal.withInitial(() -> new boolean[] {false});

    private Autograd() {
    }

    /** A scope (try-with-resources) that restores the previous setting when closed. */
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }

    private static Scope set(ThreadLocal<boolean[]> flag, boolean value) {
        boolean[] cell = flag.get();
        boolean previous = cell[0];
        cell[0] = value;
        return () -> cell[0] = previous;
    }

    /** Disables graph recording on this thread until the scope closes. */
    public static Scope noGrad() {
        return set(GRAD_ENABLED, false);
    }

    /** Re-enables graph recording inside a noGrad scope. */
    public static Scope enableGrad() {
        return set(GRAD_ENABLED, true);
    }

    public static boolean isGradEnabled() {
        return GRAD_ENABLED.get()[0];
    }

    /**
     * Until the scope closes, throws as soon as an op makes a NaN/Inf its inputs did not have
     * in the forward pass, or a backward rule returns a NaN/Inf gradient, naming the op (the
     * exact rule is in {@link AnomalyCheck}). Slow: every value is read back to check it.
     */
    public static Scope detectAnomaly() {
        return set(ANOMALY, true);
    }

    public static boolean isAnomalyEnabled() {
        return ANOMALY.get()[0];
    }

    /** Used by the engine around a backward rule, so that anomalies are blamed on the rule's op. */
    static Scope backwardRule() {
        return set(IN_BACKWARD_RULE, true);
    }

    /**
     * Records that {@code out} was computed from {@code inputs} by {@code op}. Does nothing when
     * grad mode is off or no input requires a gradient. Op implementations call this right after
     * computing their forward result; the backward lambda sits next to that forward code.
     *
     * @return out, for chaining
     */
    public static Tensor record(String op, Tensor out, BackwardFn backward, Tensor... inputs) {
        if (isAnomalyEnabled() && !IN_BACKWARD_RULE.get()[0]) {
            AnomalyCheck.forward(op, out, inputs);
        }
        if (!isGradEnabled()) {
            return out;
        }
        boolean any = false;
        for (Tensor t : inputs) {
            if (t != null && t.requiresGrad()) {
                any = true;
                break;
            }
        }
        if (any) {
            out.setGradFn(new Node(op, backward, inputs.clone()));
        }
        return out;
    }
}
