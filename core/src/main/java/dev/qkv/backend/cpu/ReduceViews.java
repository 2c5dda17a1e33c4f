package dev.qkv.backend.cpu;

import dev.qkv.tensor.Layout;

/** Splits a view into the kept dims and the reduced dims of a reduction. */
final class ReduceViews {
    private ReduceViews() {
    }

    /**
     * Returns {kept, reduced}: kept has the input's offset and the non-reduced dims; reduced has
     * offset 0 and the reduced dims, so element (o, j) is at kept(o) + reduced(j).
     */
    static Layout[] split(Layout xl, boolean[] dims) {
        int rank = xl.rank();
        int nk = 0;
        for (int d = 0; d < rank; d++) {
            if (!dims[d]) {
                nk++;
            }
        }
        int[] ks = new int[nk];
        int[] kst = new int[nk];
        int[] rs = new int[rank - nk];
        int[] rst = new int[rank - nk];
        for (int d = 0, a = 0, b = 0; d < rank; d++) {
            if (dims[d]) {
                rs[b] = xl.shape(d);
                rst[b++] = xl.stride(d);
            } else {
                ks[a] = xl.shape(d);
                kst[a++] = xl.stride(d);
            }
        }
        return new Layout[] {new Layout(ks, kst, xl.offset()), new Layout(rs, rst, 0)};
    }
}
