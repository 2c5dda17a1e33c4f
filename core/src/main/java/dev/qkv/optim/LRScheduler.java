package dev.qkv.optim;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Changes an optimizer's learning rate as training goes, like
 * {@code torch.optim.lr_scheduler}. Each group's lr is set to schedule(base, t), where base is
 * the group's lr when the scheduler was made and t counts the calls to {@link #step()}:
 * construction sets t = 0, so the first optimizer step runs at the schedule's lr for t = 0.
 * Call {@code scheduler.step()} after {@code optimizer.step()}.
 *
 * <p>Every subclass also offers its schedule as a pure static function ({@code lrAt}) for
 * plotting or for use without an optimizer.
 */
public abstract class LRScheduler {

    /** A schedule as a pure function: the lr at step t of a group whose base lr is baseLr. */
    @FunctionalInterface
    public interface Schedule {
        double lr(double baseLr, int step);
    }

    private final Optimizer optimizer;
    private final Schedule schedule;
    private final double[] baseLrs;
    private int lastStep;

    protected LRScheduler(Optimizer optimizer, Schedule schedule) {
        this.optimizer = optimizer;
        this.schedule = schedule;
        List<ParamGroup> groups = optimizer.paramGroups();
        this.baseLrs = new double[groups.size()];
        for (int i = 0; i < baseLrs.length; i++) {
            baseLrs[i] = groups.get(i).lr();
        }
        apply();
    }

    /** Advances to the next step and sets each group's lr for it. */
    public void step() {
        lastStep++;
        apply();
    }

    private void apply() {
        List<ParamGroup> groups = optimizer.paramGroups();
        if (groups.size() != baseLrs.length) {
            throw new IllegalStateException(getClass().getSimpleName() + ": the optimizer had " + baseLrs.length
                    + " parameter groups when the scheduler was made and has " + groups.size() + " now");
        }
        for (int i = 0; i < baseLrs.length; i++) {
            groups.get(i).setLr(schedule.lr(baseLrs[i], lastStep));
        }
    }

    /** The current lr of the first group. */
    public double lr() {
        return optimizer.lr();
    }

    /** The first group's lr at any step (pure: changes nothing). */
    public double lrAt(int step) {
        return schedule.lr(baseLrs[0], step);
    }

    /** How many times step() was called (PyTorch's last_epoch). */
    public int lastStep() {
        return lastStep;
    }

    /** The scheduler's position as metadata strings: "scheduler.type", "scheduler.last_step", "scheduler.base_lrs". */
    public Map<String, String> stateDict() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("scheduler.type", getClass().getSimpleName());
        m.put("scheduler.last_step", Integer.toString(lastStep));
        List<String> lrs = new ArrayList<>();
        for (double lr : baseLrs) {
            lrs.add(Double.toString(lr));
        }
        m.put("scheduler.base_lrs", String.join(",", lrs));
        return m;
    }

    /** Restores the position saved by {@link #stateDict()} and sets the lrs for it. Other keys are ignored. */
    public void loadStateDict(Map<String, String> metadata) {
        String op = getClass().getSimpleName() + ".loadStateDict";
        String type = metadata.get("scheduler.type");
        if (!getClass().getSimpleName().equals(type)) {
            throw new IllegalArgumentException(op + ": the state is from scheduler '" + type + "', not "
                    + getClass().getSimpleName());
        }
        String[] lrs = metadata.getOrDefault("scheduler.base_lrs", "").split(",");
        String last = metadata.get("scheduler.last_step");
        if (last == null || lrs.length != baseLrs.length) {
            throw new IllegalArgumentException(op + ": expected scheduler.last_step and " + baseLrs.length
                    + " scheduler.base_lrs, got last_step=" + last + " and base_lrs="
                    + metadata.get("scheduler.base_lrs"));
        }
        for (int i = 0; i < lrs.length; i++) {
            baseLrs[i] = Double.parseDouble(lrs[i]);
        }
        lastStep = Integer.parseInt(last);
        apply();
    }
}
