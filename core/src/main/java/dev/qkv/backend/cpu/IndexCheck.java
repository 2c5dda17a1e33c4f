package dev.qkv.backend.cpu;

/** Index validation and multi-index stepping for the gather/scatter kernels. */
final class IndexCheck {
    private IndexCheck() {
    }

    /** The index value as an int, or an exception that names the op, the index and the size. */
    static int index(String op, double value, int size) {
        long k = (long) value;
        if (k < 0 || k >= size) {
            throw new IndexOutOfBoundsException(op + ": index " + k + " is out of bounds for dimension of size " + size);
        }
        return (int) k;
    }

    /** Advances a row-major multi-index by one. */
    static void increment(int[] pos, int[] shape) {
        for (int d = pos.length - 1; d >= 0; d--) {
            if (++pos[d] < shape[d]) {
                return;
            }
            pos[d] = 0;
        }
    }
}
