package dev.qkv.backend;

import dev.qkv.tensor.Layout;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The layouts the contract suite runs every op on: a view of a given shape over a storage of
 * {@code size} elements. The storage is filled with random data everywhere, padding included,
 * so a kernel that reads outside its view gets a wrong answer, and one that writes outside it
 * is caught because whole output storages are compared.
 */
final class Views {
    private Views() {
    }

    /** A named layout and the storage size it needs. */
    record View(String name, Layout layout, int size) {
        @Override
        public String toString() {
            return name + " " + Arrays.toString(layout.shape()) + " strides " + Arrays.toString(layout.strides())
                    + " offset " + layout.offset();
        }
    }

    static int numel(int[] shape) {
        int n = 1;
        for (int s : shape) {
            n *= s;
        }
        return n;
    }

    static View contiguous(int[] shape) {
        return new View("contiguous", Layout.contiguous(shape), numel(shape));
    }

    /** Contiguous, starting at element 5 of a larger buffer. */
    static View offset(int[] shape) {
        Layout c = Layout.contiguous(shape);
        return new View("offset", new Layout(shape, c.strides(), 5), numel(shape) + 9);
    }

    /** All dims reversed in memory (for 2-D: the transpose of a row-major matrix). */
    static View permuted(int[] shape) {
        int r = shape.length;
        int[] stored = new int[r];
        int[] order = new int[r];
        for (int d = 0; d < r; d++) {
            stored[d] = shape[r - 1 - d];
            order[d] = r - 1 - d;
        }
        return new View("permuted", Layout.contiguous(stored).permute(order), numel(shape));
    }

    /** Every second element along every dim, starting at 1: no dim is contiguous. */
    static View stepped(int[] shape) {
        int[] base = new int[shape.length];
        for (int d = 0; d < shape.length; d++) {
            base[d] = 2 * shape[d] + 1;
        }
        Layout l = Layout.contiguous(base);
        for (int d = 0; d < shape.length; d++) {
            l = l.slice(d, 1, 2 * shape[d] + 1, 2);
        }
        return new View("stepped", l, numel(base));
    }

    /** Narrowed out of a buffer 3 larger in every dim: rows padded, offset inside. */
    static View padded(int[] shape) {
        int[] base = new int[shape.length];
        for (int d = 0; d < shape.length; d++) {
            base[d] = shape[d] + 3;
        }
        Layout l = Layout.contiguous(base);
        for (int d = 0; d < shape.length; d++) {
            l = l.narrow(d, 1, shape[d]);
        }
        return new View("padded", l, numel(base));
    }

    /** Stride 0 along the dims marked: one stored value repeated (input-only). */
    static View broadcast(int[] shape, boolean[] dims, String name) {
        int[] base = shape.clone();
        for (int d = 0; d < shape.length; d++) {
            if (dims[d]) {
                base[d] = 1;
            }
        }
        return new View(name, Layout.contiguous(base).expand(shape), numel(base));
    }

    /**
     * Shapes with more elements than this are in the suite to be split across threads; they get
     * fewer layouts (contiguous, padded, permuted, and for inputs one broadcast) to keep it quick.
     */
    static final int LARGE = 10_000;

    /** Layouts an output may have (no stride 0: every element is written once). */
    static List<View> outputs(int[] shape) {
        boolean large = numel(shape) > LARGE;
        List<View> v = new ArrayList<>(large ? List.of(contiguous(shape), padded(shape))
                : List.of(contiguous(shape), offset(shape), padded(shape), stepped(shape)));
        if (shape.length >= 2) {
            v.add(permuted(shape));
        }
        return v;
    }

    /** Layouts an input may have: the output layouts plus broadcasts along the first and last dim. */
    static List<View> inputs(int[] shape) {
        List<View> v = outputs(shape);
        int r = shape.length;
        if (numel(shape) > LARGE && r >= 2 && shape[0] > 1) {
            boolean[] first = new boolean[r];
            first[0] = true;
            v.add(broadcast(shape, first, "broadcast-first"));
            return v;
        }
        if (r >= 1 && shape[0] > 1) {
            boolean[] first = new boolean[r];
            first[0] = true;
            v.add(broadcast(shape, first, "broadcast-first"));
        }
        if (r >= 2 && shape[r - 1] > 1) {
            boolean[] last = new boolean[r];
            last[r - 1] = true;
            v.add(broadcast(shape, last, "broadcast-last"));
        }
        return v;
    }
}
