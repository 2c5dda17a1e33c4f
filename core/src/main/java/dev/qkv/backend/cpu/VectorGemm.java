package dev.qkv.backend.cpu;

import dev.qkv.backend.Gemm;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.invoke.VarHandle;

/**
 * float32 batched GEMM with the Vector API, blocked for the caches in the usual way (Goto / BLIS):
 *
 * <pre>
 * for jc in 0..N step NC                          (a column panel of C)
 *   pack B[0:K, jc:jc+NC] into KC-deep slabs of KC×NR slivers, once, shared
 *                                                 ({@link GemmPacking#packB}; K in chunks of KQ)
 *   for each block of MC rows                     (split across the pool)
 *     for pc in 0..K step KC                      (C accumulates one slab at a time, its MC×NC
 *                                                  block in L2 or L3)
 *       pack A[block rows, pc:pc+KC] into slivers of KC×MR             ({@link GemmPacking#packA})
 *       for each NR-wide sliver of B              (stays in L1 / L2)
 *         for each MR-high sliver of A            (streams from L2)
 *           micro-kernel: C[MR×NR] += A sliver · B sliver, in MR·2 vector registers
 * </pre>
 *
 * Packing makes every operand layout look the same to the micro-kernel (transA/transB are
 * handled there, edges are padded with zeros), and lays out exactly the values the micro-kernel
 * reads, in the order it reads them. Each element of B is packed once; each element of A once
 * per column panel.
 *
 * <p>The micro-kernel holds a 6 × 2-vector tile of C in registers (the BLIS choice for AVX2):
 * 12 accumulators, 2 B vectors and one broadcast A value fill 15 of AVX2's 16 registers. Two FMA
 * pipes of latency 4 need 8 independent chains just to stay busy; 12 leave slack for a load that
 * comes late from L2. C2, left alone, hoists all six A broadcasts to the top of the loop body,
 * needs 20 registers and spills an accumulator (a load-FMA-store chain through the stack in every
 * step: 36 against 57 GFLOPS measured the same hour, one Zen 3 core). See {@link #microKernel}.
 *
 * <p>A narrow product (n ≤ {@link #IN_PLACE_MAX_N}) with a transposed A does not pack A: the
 * micro-kernel reads its slivers where they are (see {@link #rowBlock}).
 *
 * <p>Threads split a product into row blocks that share one packed B panel (packed by all of
 * them, then read by all); only a product with few rows and many columns goes to bands of
 * columns, each thread with its own packed B.
 *
 * <p>Every C element is computed by exactly one task, over the same KC slabs in the same order,
 * whatever the thread count: results are reproducible. alpha and beta are applied when a tile is
 * stored; with beta = 0, C is never read (NaN in C does not leak), as in BLAS.
 *
 * <p>A single row or column of C (m = 1 or n = 1) goes to {@link VectorGemv} instead: there each
 * matrix element is used once and packing would only add a second pass over it. A batch of many
 * small products is split across the pool by batch entry instead of by rows.
 *
 * <p>The reference is {@link ReferenceKernels#gemm}, the textbook triple loop.
 */
final class VectorGemm {
    private VectorGemm() {
    }

    private static final VectorSpecies<Float> S = VectorKernels.S;
    private static final int L = S.length();
    /** Rows of a register tile of C. */
    static final int MR = 6;
    /** Columns of a register tile of C: two vectors. */
    static final int NR = 2 * L;
    // The block sizes can be overridden for tuning experiments (-Dqkv.gemm.kc=..., .mc, .nc);
    // they change speed only, never results' reproducibility across thread counts.
    /**
     * Depth of a packed slab: a KC×NR sliver of B is 32 KiB with 8 lanes, the size of Zen 3's L1.
     * Deeper slabs mean fewer micro-kernel calls and fewer passes over C; 512 ran about 5 % faster
     * than 256 at N = 1024 and 2048 (one core, each against a pure-FMA loop measured beside it).
     */
    static final int KC = Math.max(1, Integer.getInteger("qkv.gemm.kc", 512));
    /** Rows of C per block (24 register tiles): the packed A block is 288 KiB, L2-resident. */
    static final int MC = Math.max(MR, Integer.getInteger("qkv.gemm.mc", 24 * MR) / MR * MR);
    /**
     * Columns of C per panel. A is packed again for every panel, so a wide panel packs it less
     * often: a transformer's products (n = 768, 1024) pack A once. The C block (MC×NC, 576 KiB)
     * then spills from L2 to L3 between slabs; measured, 1024 still ran 3-10 % faster than 512 on
     * 2048×768·768×3072 and 2048×256·256×768 (one core, two rounds).
     */
    static final int NC = Math.max(NR, Integer.getInteger("qkv.gemm.nc", 1024) / NR * NR);
    /** Depth of B packed at once (all its KC slabs): bounds the packed panel to KQ×NC (8 MiB). */
    static final int KQ = Math.max(KC, Integer.getInteger("qkv.gemm.kq", 2048) / KC * KC);

    /**
     * Rows per thread from which a product is split by rows (threads share one packed B panel,
     * each packs only its rows of A) rather than by column bands (each thread packs all of A).
     * Below it a row block would give each B sliver too few micro-kernel calls to pay for
     * bringing it in. With rows, a GPT-sized 2048×256·256×256 packs A once instead of once per
     * thread.
     */
    static final int ROWS_PER_THREAD = 16 * MR;

    /**
     * Products below this many flops run on the calling thread: handing work to a parked pool
     * thread and waiting for it cost more than the product itself. Measured on the 2-core VM with
     * the earlier ForkJoinPool (not re-measured with {@link Parallel}'s spinning workers):
     * N = 128 (4 MFLOP) took 0.15 ms on two threads against 0.08 on one; N = 256 (34 MFLOP)
     * took the same time either way.
     */
    static final double SERIAL_FLOPS = 16e6;

    /** Widest column panel for which a transposed A is read in place rather than packed (see rowBlock). */
    static final int IN_PLACE_MAX_N = 4 * NR;

    /** Per-thread A buffers and edge tiles, reused across calls. */
    private static final ThreadLocal<float[][]> BUFFERS = ThreadLocal.withInitial(() -> new float[][] {
            new float[MC * KC], new float[MR * NR]});
    /** Packed B panel of the thread that packs it; in a row-parallel product the workers read the caller's. */
    private static final ThreadLocal<float[]> B_PANEL = ThreadLocal.withInitial(() -> new float[0]);

    /** This thread's B panel, grown to hold k (at most KQ) rows of an n-column product. */
    private static float[] bPanel(int k, int n) {
        int need = Math.min(k, KQ) * roundUp(Math.min(n, NC), NR);
        float[] bp = B_PANEL.get();
        if (bp.length < need) {
            bp = new float[need];
            B_PANEL.set(bp);
        }
        return bp;
    }

    static void gemm(Gemm g) {
        int m = g.m();
        int n = g.n();
        if (handledWithoutProducts(g)) {
            return;
        }
        if (VectorGemv.applies(g)) {                             // a single row or column of C
            VectorGemv.gemv(g);
            return;
        }
        if (2.0 * m * n * g.k() * g.batch() < SERIAL_FLOPS) {
            gemmOnThisThread(g);                                 // waking the pool costs more
            return;
        }
        int threads = Parallel.threads();
        if (threads > 1 && g.batch() >= 2 * threads) {
            // Many products: one whole product per task, each packing into its own thread's B panel.
            Parallel.forRange(g.batch(), 1, (b0, b1) -> {
                float[] bp = bPanel(g.k(), n);
                for (int bt = b0; bt < b1; bt++) {
                    product(g, bt, bp, false, 0, n);
                }
            });
            return;
        }
        if (threads > 1 && m < threads * ROWS_PER_THREAD && n >= threads * 4 * NR) {
            // Too few rows to split, wide enough: each thread takes a band of columns and packs
            // its own B panel. (Each thread then packs all of A, which is small here.)
            int bands = (n + NR - 1) / NR;
            Parallel.forRange(bands, 4, (s0, s1) -> {
                float[] bp = bPanel(g.k(), n);
                for (int bt = 0; bt < g.batch(); bt++) {
                    product(g, bt, bp, false, s0 * NR, Math.min(n, s1 * NR));
                }
            });
            return;
        }
        float[] bp = bPanel(g.k(), n);
        for (int bt = 0; bt < g.batch(); bt++) {
            product(g, bt, bp, threads > 1, 0, n);
        }
    }

    /**
     * The same product on the calling thread only: for kernels that already run one task per
     * pool thread (fused attention) and call GEMM from inside it.
     */
    static void gemmOnThisThread(Gemm g) {
        if (handledWithoutProducts(g)) {
            return;
        }
        float[] bp = bPanel(g.k(), g.n());
        for (int bt = 0; bt < g.batch(); bt++) {
            product(g, bt, bp, false, 0, g.n());
        }
    }

    /**
     * Packs op(B) of a single product whose depth fits one slab (k ≤ KC), once, for several
     * products that share it (attention's backward uses Kᵀ and Vᵀ for every block of queries).
     * {@link #gemmPackedB} then reads a prefix of it for any n' ≤ n: sliver s sits at s·k·NR
     * whatever n is. Returns {@code into}, or a larger buffer when it is too small.
     */
    static float[] packWholeB(Gemm g, float[] into) {
        requireOneSlab("packWholeB", g);
        int slivers = (g.n() + NR - 1) / NR;
        int need = slivers * NR * g.k();
        float[] bp = into.length >= need ? into : new float[need];
        GemmPacking.packB(g, 0, 0, g.k(), 0, g.n(), 0, slivers, bp, 0);
        return bp;
    }

    /**
     * {@link #gemmOnThisThread} with op(B) already packed by {@link #packWholeB} (same k and op(B),
     * n at most the packed n): g's B is not read. The same tiles, in the same order, as the
     * unpacked call, so the results are identical.
     */
    static void gemmPackedB(Gemm g, float[] bp) {
        if (handledWithoutProducts(g)) {
            return;
        }
        requireOneSlab("gemmPackedB", g);
        rowBlocks(g, 0, 0, g.m(), 0, g.k(), 0, g.n(), bp);
    }

    private static void requireOneSlab(String op, Gemm g) {
        if (g.batch() != 1 || g.k() > KC) {
            throw new IllegalArgumentException(op + ": wants one product with k <= " + KC + ", got batch " + g.batch()
                    + ", k " + g.k());
        }
    }

    /**
     * Columns [j0, j1) of C[bt] = alpha·op(A[bt])·op(B[bt]) + beta·C[bt], row blocks split across
     * the pool if parallel.
     */
    private static void product(Gemm g, int bt, float[] bp, boolean parallel, int j0, int j1) {
        int m = g.m();
        int n = j1;
        int k = g.k();
        // In parallel, each thread takes one contiguous share of the rows, equal to within a
        // register tile, and runs through it in blocks of at most MC rows. (Blocks of one height
        // dealt out to the threads left the last thread short by up to a block: 3 % idle at m = 1024.)
        int threads = parallel ? Parallel.threads() : 1;
        int tiles = (m + MR - 1) / MR;
        for (int jc0 = j0; jc0 < n; jc0 += NC) {
            int jc = jc0;
            int nc = Math.min(NC, n - jc);
            int slivers = (nc + NR - 1) / NR;
            for (int kq0 = 0; kq0 < k; kq0 += KQ) {
                int kq = kq0;
                int kLen = Math.min(KQ, k - kq);
                int slabs = (kLen + KC - 1) / KC;
                // Pack B[kq:kq+kLen, jc:jc+nc] once, every slab of it; then each row block runs
                // through all the slabs in turn, so its C block stays close from one slab to the next.
                if (parallel) {
                    Parallel.forRange(slabs * slivers, 4, (u0, u1) -> packSlabs(g, bt, kq, kLen, jc, nc, u0, u1, bp));
                    Parallel.forRange(threads, 1, (t0, t1) -> {
                        for (int t = t0; t < t1; t++) {
                            int r0 = Math.min(m, (int) ((long) tiles * t / threads) * MR);
                            int r1 = Math.min(m, (int) ((long) tiles * (t + 1) / threads) * MR);
                            rowBlocks(g, bt, r0, r1, kq, kLen, jc, nc, bp);
                        }
                    });
                } else {
                    packSlabs(g, bt, kq, kLen, jc, nc, 0, slabs * slivers, bp);
                    rowBlocks(g, bt, 0, m, kq, kLen, jc, nc, bp);
                }
            }
        }
    }

    /** Rows [r0, r1) of C in blocks of at most MC rows, of near-equal height (multiples of MR). */
    private static void rowBlocks(Gemm g, int bt, int r0, int r1, int kq, int kLen, int jc, int nc, float[] bp) {
        int blocks = (r1 - r0 + MC - 1) / MC;
        if (blocks == 0) {
            return;
        }
        int mc = roundUp((r1 - r0 + blocks - 1) / blocks, MR);
        for (int ic = r0; ic < r1; ic += mc) {
            rowBlock(g, bt, ic, Math.min(mc, r1 - ic), kq, kLen, jc, nc, bp);
        }
    }

    /**
     * Packing units [u0, u1) of B[kq:kq+kLen, jc:jc+nc]: unit u is sliver u % slivers of slab
     * u / slivers. Slab q (rows kq + q·KC ...) starts at q·KC·ncPad in bp, ncPad = slivers·NR.
     */
    private static void packSlabs(Gemm g, int bt, int kq, int kLen, int jc, int nc, int u0, int u1, float[] bp) {
        int slivers = (nc + NR - 1) / NR;
        for (int u = u0; u < u1; ) {
            int q = u / slivers;
            int s1 = Math.min(u1 - q * slivers, slivers);
            int pc = q * KC;
            GemmPacking.packB(g, bt, kq + pc, Math.min(KC, kLen - pc), jc, nc, u - q * slivers, s1, bp,
                    pc * slivers * NR);
            u = q * slivers + s1;
        }
    }

    /** C[ic:ic+mc, jc:jc+nc] of batch bt gets op(A)·op(B) over k in [kq, kq+kLen), B packed in bp. */
    private static void rowBlock(Gemm g, int bt, int ic, int mc, int kq, int kLen, int jc, int nc, float[] bp) {
        float[][] buf = BUFFERS.get();
        float[] ap = buf[0];
        float[] c = ((CpuStorage.F32) g.c()).data;
        float alpha = (float) g.alpha();
        int ncPad = (nc + NR - 1) / NR * NR;
        for (int pc = 0; pc < kLen; pc += KC) {
            int kc = Math.min(KC, kLen - pc);
            // The first slab of the whole product applies beta to the old C; later ones add to it.
            float beta = kq + pc == 0 ? (float) g.beta() : 1f;
            // Aᵀ stored row-major already holds each step's MR values side by side, one step every
            // lda values, so the micro-kernel can read whole slivers of it in place; only an edge
            // sliver (fewer than MR rows, which would read past the matrix) is then packed. Worth
            // it when n is small: packing costs about as much per value as 4 steps of the
            // micro-kernel, and with n ≤ 4·NR each value is used at most 4 times (attention's
            // dV += Pᵀ·dO and dK += dSᵀ·Q have n = 64). With more columns the packed, contiguous
            // sliver wins: in place, 1024³ with Aᵀ ran at 0.76× (a step every 4 KiB thrashes L1).
            boolean inPlace = g.transA() && nc <= IN_PLACE_MAX_N;
            int full = inPlace ? mc / MR * MR : 0;             // rows read in place
            GemmPacking.packA(g, bt, ic + full, mc - full, kq + pc, kc, ap);
            float[] a = ((CpuStorage.F32) g.a()).data;
            int slab = pc * ncPad;
            for (int jr = 0; jr < nc; jr += NR) {
                for (int ir = 0; ir < mc; ir += MR) {
                    if (ir < full) {
                        microKernelStrided(kc, a, g.aIndex(bt, ic + ir, kq + pc), g.lda(), bp, slab + jr * kc,
                                buf[1]);
                    } else {
                        microKernel(kc, ap, (ir - full) * kc, bp, slab + jr * kc, buf[1]);
                    }
                    storeTile(buf[1], c, g.cIndex(bt, ic + ir, jc + jr), g.ldc(), Math.min(MR, mc - ir),
                            Math.min(NR, nc - jr), alpha, beta);
                }
            }
        }
    }

    private static int roundUp(int x, int multiple) {
        return (x + multiple - 1) / multiple * multiple;
    }

    /**
     * On x86 a load-load fence is only an instruction to the JIT, not to the processor: it keeps
     * the compiler from moving a load above it, and costs nothing when it runs. Elsewhere (ARM:
     * {@code dmb ishld}) it would cost a barrier per step, and there are 32 vector registers, so
     * the loads may float freely.
     */
    private static final boolean ORDER_LOADS = System.getProperty("os.arch", "").matches("amd64|x86_64");

    /**
     * tile[MR×NR] = Ap·Bp, where Ap is a packed kc×MR sliver (MR values per step p) and Bp a
     * packed kc×NR sliver (NR values per step p).
     *
     * <p>Each A value is loaded right before its two FMAs, behind a fence ({@link #keepOrder}):
     * without the fences C2 loads all six at the top of the step and runs out of registers (see
     * the class comment). The compiled loop is 2 vector loads, 6 broadcasts and 12 FMAs, with no
     * stack access: checked in {@code -XX:+PrintAssembly} output on JDK 25.
     */
    static void microKernel(int kc, float[] ap, int ao, float[] bp, int bo, float[] tile) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        // One step of p per iteration. (Unrolling by hand makes C2 spill accumulators and keep
        // the bounds checks: measured slower.)
        for (int p = 0; p < kc; p++, ao += MR, bo += NR) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bo);
            FloatVector b1 = FloatVector.fromArray(S, bp, bo + L);
            FloatVector a = FloatVector.broadcast(S, ap[ao]);
            c00 = a.fma(b0, c00);
            c01 = a.fma(b1, c01);
            keepOrder();
            a = FloatVector.broadcast(S, ap[ao + 1]);
            c10 = a.fma(b0, c10);
            c11 = a.fma(b1, c11);
            keepOrder();
            a = FloatVector.broadcast(S, ap[ao + 2]);
            c20 = a.fma(b0, c20);
            c21 = a.fma(b1, c21);
            keepOrder();
            a = FloatVector.broadcast(S, ap[ao + 3]);
            c30 = a.fma(b0, c30);
            c31 = a.fma(b1, c31);
            keepOrder();
            a = FloatVector.broadcast(S, ap[ao + 4]);
            c40 = a.fma(b0, c40);
            c41 = a.fma(b1, c41);
            keepOrder();
            a = FloatVector.broadcast(S, ap[ao + 5]);
            c50 = a.fma(b0, c50);
            c51 = a.fma(b1, c51);
        }
        // The tile goes through a small array, and storeTile applies alpha and beta. This keeps
        // the method to one path after the loop. With the stores written out here (full tile or
        // edge, beta zero or not), C2 had to keep more values alive and reloaded two of them from
        // the stack in every step of the loop.
        c00.intoArray(tile, 0);
        c01.intoArray(tile, L);
        c10.intoArray(tile, NR);
        c11.intoArray(tile, NR + L);
        c20.intoArray(tile, 2 * NR);
        c21.intoArray(tile, 2 * NR + L);
        c30.intoArray(tile, 3 * NR);
        c31.intoArray(tile, 3 * NR + L);
        c40.intoArray(tile, 4 * NR);
        c41.intoArray(tile, 4 * NR + L);
        c50.intoArray(tile, 5 * NR);
        c51.intoArray(tile, 5 * NR + L);
    }

    /**
     * {@link #microKernel} with the A sliver read in place: step p's MR values at a[ao + p·lda ...].
     * The same loop with a step that is not a constant. It is a second copy because C2 compiles
     * the kernel on its own: given the step as a parameter, the packed path's loop gained two
     * range checks and an add per step and ran 2 % slower (median of 200 paired calls).
     */
    static void microKernelStrided(int kc, float[] a, int ao, int lda, float[] bp, int bo, float[] tile) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++, ao += lda, bo += NR) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bo);
            FloatVector b1 = FloatVector.fromArray(S, bp, bo + L);
            FloatVector x = FloatVector.broadcast(S, a[ao]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            keepOrder();
            x = FloatVector.broadcast(S, a[ao + 1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            keepOrder();
            x = FloatVector.broadcast(S, a[ao + 2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            keepOrder();
            x = FloatVector.broadcast(S, a[ao + 3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            keepOrder();
            x = FloatVector.broadcast(S, a[ao + 4]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            keepOrder();
            x = FloatVector.broadcast(S, a[ao + 5]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
        }
        c00.intoArray(tile, 0);
        c01.intoArray(tile, L);
        c10.intoArray(tile, NR);
        c11.intoArray(tile, NR + L);
        c20.intoArray(tile, 2 * NR);
        c21.intoArray(tile, 2 * NR + L);
        c30.intoArray(tile, 3 * NR);
        c31.intoArray(tile, 3 * NR + L);
        c40.intoArray(tile, 4 * NR);
        c41.intoArray(tile, 4 * NR + L);
        c50.intoArray(tile, 5 * NR);
        c51.intoArray(tile, 5 * NR + L);
    }

    /** A load below this line stays below it (on x86; a no-op elsewhere). */
    private static void keepOrder() {
        if (ORDER_LOADS) {
            VarHandle.loadLoadFence();
        }
    }

    /** C[0:rows, 0:cols] (at ci, leading dim ldc) = alpha·tile + beta·C; C is not read when beta is 0. */
    private static void storeTile(float[] tile, float[] c, int ci, int ldc, int rows, int cols, float alpha,
                                  float beta) {
        if (cols == NR) {
            for (int r = 0; r < rows; r++) {
                for (int v = 0; v < NR; v += L) {
                    int i = ci + r * ldc + v;
                    FloatVector acc = FloatVector.fromArray(S, tile, r * NR + v).mul(alpha);
                    if (beta != 0f) {
                        acc = acc.add(FloatVector.fromArray(S, c, i).mul(beta));
                    }
                    acc.intoArray(c, i);
                }
            }
            return;
        }
        for (int r = 0; r < rows; r++) {                     // an edge tile: only the columns that exist
            for (int j = 0; j < cols; j++) {
                int i = ci + r * ldc + j;
                float v = tile[r * NR + j] * alpha;          // the same operations as a full tile
                c[i] = beta == 0f ? v : v + c[i] * beta;
            }
        }
    }

    /** Empty C: nothing to do; k = 0: C = beta·C. True when one of these applied. */
    private static boolean handledWithoutProducts(Gemm g) {
        if (g.batch() == 0 || g.m() == 0 || g.n() == 0) {
            return true;
        }
        if (g.k() == 0) {
            scaleOnly(g);
            return true;
        }
        return false;
    }

    /** K = 0: op(A)·op(B) is all zeros, so C = beta·C (or 0 when beta is 0). */
    private static void scaleOnly(Gemm g) {
        float[] c = ((CpuStorage.F32) g.c()).data;
        float beta = (float) g.beta();
        for (int bt = 0; bt < g.batch(); bt++) {
            for (int i = 0; i < g.m(); i++) {
                for (int j = 0; j < g.n(); j++) {
                    int ci = g.cIndex(bt, i, j);
                    c[ci] = beta == 0f ? 0f : c[ci] * beta;
                }
            }
        }
    }
}
