package dev.qkv.tensor;

import java.util.Arrays;

/** Shape arithmetic shared by the ops: element counts, broadcasting, dim normalisation. */
public final class Shapes {
    private Shapes() {
    }

    public static int numel(int[] shape) {
        long n = 1;
        boolean empty = false;
        for (int s : shape) {
            if (s < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            empty |= s == 0;
            n = Math.min(n * s, Long.MAX_VALUE / Integer.MAX_VALUE);   // saturate: cannot overflow
            if (s == 0) {
                n = 1;                                               // keep checking the other dims' signs
            }
        }
        if (empty) {
            return 0;
        }
        if (n > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape)
                    + " has more than 2^31 elements, the limit of one qkv tensor");
        }
        return (int) n;
    }

    /**
     * NumPy broadcasting: align shapes on the right; each pair of sizes must be equal or one of
     * them 1.
     */
    public static int[] broadcast(String op, int[] a, int[] b) {
        int rank = Math.max(a.length, b.length);
        int[] out = new int[rank];
        for (int i = 0; i < rank; i++) {
            int da = i - (rank - a.length) >= 0 ? a[i - (rank - a.length)] : 1;
            int db = i - (rank - b.length) >= 0 ? b[i - (rank - b.length)] : 1;
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException(op + ": shapes " + Arrays.toString(a) + " and "
                        + Arrays.toString(b) + " do not broadcast: dim " + i + " (aligned right) has sizes "
                        + da + " and " + db + "; sizes must match or one must be 1");
            }
            out[i] = da == 1 ? db : da;
        }
        return out;
    }

    /**
     * A dim index that may be negative (counted from the end), checked against the rank. A 0-dim
     * tensor accepts dim 0 and −1 (meaning the tensor itself), as PyTorch's reductions do.
     */
    public static int dim(String op, int dim, int rank) {
        int n = Math.max(rank, 1);
        int d = dim < 0 ? dim + n : dim;
        if (d < 0 || d >= n) {
            throw new IndexOutOfBoundsException(op + ": dim " + dim + " is out of range for a tensor of rank "
                    + rank + " (expected " + -n + " to " + (n - 1) + ")");
        }
        return d;
    }

    /** As {@link #dim(String, int, int)}, naming the tensor's shape in the message. */
    public static int dim(String op, int dim, int[] shape) {
        int n = Math.max(shape.length, 1);
        int d = dim < 0 ? dim + n : dim;
        if (d < 0 || d >= n) {
            throw new IndexOutOfBoundsException(op + ": dim " + dim + " is out of range for a tensor of shape "
                    + Arrays.toString(shape) + " (expected a dim from " + -n + " to " + (n - 1) + ")");
        }
        return d;
    }

    /** A dim that must really exist: ops that index along it reject 0-dim tensors. */
    public static int existingDim(String op, int dim, int[] shape) {
        if (shape.length == 0) {
            throw new IndexOutOfBoundsException(op + ": a 0-dim tensor (shape []) has no dim " + dim
                    + "; expected a tensor with at least one dim");
        }
        return dim(op, dim, shape);
    }

    /** Where a new dim goes (unsqueeze, stack): −(rank+1) to rank, negative counting from the end. */
    public static int newDim(String op, int dim, int[] shape) {
        int n = shape.length + 1;
        int d = dim < 0 ? dim + n : dim;
        if (d < 0 || d >= n) {
            throw new IndexOutOfBoundsException(op + ": dim " + dim + " is out of range for inserting a dim into shape "
                    + Arrays.toString(shape) + " (expected " + -n + " to " + (n - 1) + ")");
        }
        return d;
    }

    /** The shape with the given dims reduced: to 1 if keepDim, removed otherwise. */
    public static int[] reduced(int[] shape, boolean[] reduce, boolean keepDim) {
        int kept = 0;
        for (int d = 0; d < shape.length; d++) {
            if (!reduce[d] || keepDim) {
                kept++;
            }
        }
        int[] out = new int[kept];
        for (int d = 0, j = 0; d < shape.length; d++) {
            if (!reduce[d]) {
                out[j++] = shape[d];
            } else if (keepDim) {
                out[j++] = 1;
            }
        }
        return out;
    }

    /** As {@link #inferShape(String, int[], int)} for a tensor of shape {@code from}, named in errors. */
    public static int[] inferShape(String op, int[] requested, int[] from) {
        try {
            return inferShape(op, requested, numel(from));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage() + " (the input's shape is " + Arrays.toString(from) + ")", e);
        }
    }

    /** Resolves one {@code -1} in a requested shape from the element count. */
    public static int[] inferShape(String op, int[] requested, int numel) {
        int infer = -1;
        long known = 1;
        for (int i = 0; i < requested.length; i++) {
            if (requested[i] == -1) {
                if (infer >= 0) {
                    throw new IllegalArgumentException(op + ": only one dim may be -1, got " + Arrays.toString(requested));
                }
                infer = i;
            } else if (requested[i] < 0) {
                throw new IllegalArgumentException(op + ": invalid size " + requested[i] + " in " + Arrays.toString(requested));
            } else {
                known *= requested[i];
            }
        }
        int[] out = requested.clone();
        if (infer >= 0) {
            if (known == 0 || numel % known != 0) {
                throw new IllegalArgumentException(op + ": shape " + Arrays.toString(requested)
                        + " is invalid for a tensor of " + numel + " elements");
            }
            out[infer] = (int) (numel / known);
        } else if (known != numel) {
            throw new IllegalArgumentException(op + ": shape " + Arrays.toString(requested)
                    + " is invalid for a tensor of " + numel + " elements");
        }
        return out;
    }
}
