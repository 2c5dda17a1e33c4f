package dev.qkv.nn;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * A list of child modules named "0", "1", ..., like {@code torch.nn.ModuleList}: for stacks of
 * blocks whose forward takes more than one argument (so they cannot form a Sequential), e.g.
 * GPT-2's {@code h.0.attn.c_attn.weight}.
 */
public class ModuleList<M extends Module> extends Module implements Iterable<M> {
    private final List<M> items = new ArrayList<>();

    public ModuleList(List<? extends M> modules) {
        for (M m : modules) {
            add(m);
        }
    }

    /** Appends a module as child number size(); returns it. */
    public M add(M module) {
        registerModule(Integer.toString(items.size()), module);
        items.add(module);
        return module;
    }

    public M get(int i) {
        if (i < 0 || i >= items.size()) {
            throw new IndexOutOfBoundsException("ModuleList.get: index " + i + " out of range for " + items.size()
                    + " modules");
        }
        return items.get(i);
    }

    public int size() {
        return items.size();
    }

    @Override
    public Iterator<M> iterator() {
        return List.copyOf(items).iterator();
    }
}
