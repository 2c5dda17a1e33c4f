// Fused scaled-dot-product attention, FlashAttention-style: the T×T score matrix is never
// stored. Forward and backward, float32, head dims up to 128, on CUDA cores (no tensor cores).
//
// CPU reference: ReferenceAttention.forward / backward (and dev.qkv.backend.AttentionArgs for
// the shapes). For query row i of head h (key/value head h/G with G = H/Hkv):
//   s_j   = scale·q_i·k_j + mask[b,h,i,j]      (−∞ where the causal rule hides j: j > i + causalOffset)
//   out_i = Σ_j drop_ij·softmax(s)_j·v_j,  lse_i = log Σ_j exp(s_j)
// A row whose keys are all hidden gets out 0 and lse −∞.
// Backward, with P = exp(s − lse), D_i = dO_i·O_i:
//   dV_j += Σ_i P_ij·drop_ij·dO_i,   dP_ij = drop_ij·(dO_i·v_j),   dS_ij = P_ij·(dP_ij − D_i)
//   dQ_i += scale·Σ_j dS_ij·k_j,      dK_j += scale·Σ_i dS_ij·q_i
//
// Dropout: drop_ij is AttentionDropout.factor, reproduced bit for bit (the same SplitMix64
// finalizer on 64-bit integers, the same double comparison), so the kept/dropped pattern is
// identical to the CPU's and to the unfused path's for the same seed.
//
// Thread layout (all three main kernels): blocks of WARPS warps. TILE = 32 keys (or queries)
// are staged in shared memory at a time; lane t of a warp owns element t of the tile for the
// dot products, and the head dimension d = lane, lane+32, ... for the accumulators, so a warp
// holds at most MAX_DIM/32 = 4 accumulators per lane. Rows of staged tiles are padded by one
// float so that lanes reading different rows at the same d hit different banks.
//   forward:  one warp per query row; the block's warps share each staged K/V tile; the
//             online softmax keeps (running max m, running sum l, acc) per row.
//   dq:       one warp per query row, like the forward pass, writing dQ.
//   dkdv:     one warp per key row; the block stages 32 query rows (q, dO, lse, D) at a time,
//             for every query head sharing the key's head (GQA), and writes dK and dV.
// dQ and dK/dV come from separate kernels so that no atomics are needed: every result element
// is written by one thread, and the backward pass is deterministic.
#include "common.cuh"
#include <math_constants.h>

#define WARPS 8
#define TILE 32
#define MAX_DIM 128
#define PER_LANE (MAX_DIM / 32)

// AttentionDropout.factor: 1/(1−p) if weight (b, h, i, j) is kept, 0 if dropped.
__device__ __forceinline__ float drop_factor(unsigned long long seed, double p, int b, int h, int i, int j,
                                             int numHeads, int tq, int tk) {
    if (p == 0) {
        return 1.0f;
    }
    const long long index = (((long long) b * numHeads + h) * tq + i) * (long long) tk + j;
    unsigned long long z = seed + (unsigned long long) (index + 1) * 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z = z ^ (z >> 31);
    const double u = (double) (z >> 11) * 0x1.0p-53;          // uniform in [0, 1)
    return u < p ? 0.0f : (float) (1.0 / (1.0 - p));
}

// Max and sum across groups of WIDTH adjacent lanes of a warp (butterfly shuffles): 32 is the
// whole warp (one row per warp, above); 16 is half a warp (a row of a 64×64 tile, below).
template <int WIDTH>
__device__ __forceinline__ float lanes_max(float v) {
    for (int o = WIDTH / 2; o > 0; o /= 2) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}
template <int WIDTH>
__device__ __forceinline__ float lanes_sum(float v) {
    for (int o = WIDTH / 2; o > 0; o /= 2) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

// The additive mask at (b, h, i, j), 0 without a mask. maskS holds the strides of the mask seen
// as [B, H, Tq, Tk] (0 on broadcast dims) and its offset.
__device__ __forceinline__ float mask_at(const float* mask, const Strides& maskS, int b, int h, int i, int j) {
    if (mask == nullptr) {
        return 0.0f;
    }
    return mask[maskS.offset + b * maskS.stride[0] + h * maskS.stride[1] + i * maskS.stride[2] + j * maskS.stride[3]];
}

// Loads rows [row0, row0 + rows) of a [n, dim] matrix into shared memory with row pitch
// `pitch`, zero-filling rows past n. All threads of the block take part.
__device__ __forceinline__ void stage_rows(float* dst, int pitch, const float* src, int row0, int rows, int n,
                                           int dim) {
    const int threads = blockDim.x;
    for (int e = threadIdx.x; e < rows * dim; e += threads) {
        const int r = e / dim;
        const int d = e - r * dim;
        dst[r * pitch + d] = row0 + r < n ? src[(long long) (row0 + r) * dim + d] : 0.0f;
    }
}

// ---------------------------------------------------------------------------------- forward
// grid.x = ceil(Tq / WARPS) · B · H, block = 32·WARPS threads,
// dynamic shared memory = (TILE·(D+1) + TILE·Dv + WARPS·D) floats (LaunchShapes.attention).
extern "C" __global__ void attention_forward_f32(const float* q, const float* k, const float* v, const float* mask,
                                                 Strides maskS, float* out, float* lse, int B, int H, int Hkv,
                                                 int Tq, int Tk, int D, int Dv, int causal, int causalOffset,
                                                 double scaleD, double dropoutP, unsigned long long seed) {
    extern __shared__ float smem[];
    float* Ks = smem;                                   // [TILE][D+1]
    float* Vs = Ks + TILE * (D + 1);                    // [TILE][Dv]
    float* Qs = Vs + TILE * Dv;                         // [WARPS][D]
    const float scale = (float) scaleD;

    const int tiles = (Tq + WARPS - 1) / WARPS;
    const int bh = blockIdx.x / tiles;                  // b·H + h
    const int b = bh / H;
    const int h = bh - b * H;
    const int kvh = h / (H / Hkv);
    const int warp = threadIdx.x / 32;
    const int lane = threadIdx.x & 31;
    const int i = (blockIdx.x - bh * tiles) * WARPS + warp;   // this warp's query row
    const bool valid = i < Tq;
    const long long row = (long long) bh * Tq + i;
    const float* kh = k + (long long) (b * Hkv + kvh) * Tk * D;
    const float* vh = v + (long long) (b * Hkv + kvh) * Tk * Dv;

    for (int d = lane; d < D; d += 32) {
        Qs[warp * D + d] = valid ? q[row * D + d] : 0.0f;
    }
    // Keys past the block's last visible one are hidden from every row of the block.
    int keyEnd = Tk;
    if (causal) {
        const int lastRow = min(Tq - 1, (blockIdx.x - bh * tiles) * WARPS + WARPS - 1);
        keyEnd = max(0, min(Tk, lastRow + causalOffset + 1));
    }

    float m = -CUDART_INF_F;                            // running max of the scores seen so far
    float l = 0.0f;                                     // running Σ exp(s − m)
    float acc[PER_LANE] = {0.0f, 0.0f, 0.0f, 0.0f};     // running Σ exp(s − m)·drop·v, d = lane + 32t
    for (int j0 = 0; j0 < keyEnd; j0 += TILE) {
        __syncthreads();                                // the previous tile is consumed
        stage_rows(Ks, D + 1, kh, j0, TILE, Tk, D);
        stage_rows(Vs, Dv, vh, j0, TILE, Tk, Dv);
        __syncthreads();

        const int j = j0 + lane;                        // this lane's key
        float s = -CUDART_INF_F;
        if (valid && j < keyEnd && !(causal && j > i + causalOffset)) {
            float dot = 0.0f;
            for (int d = 0; d < D; d++) {
                dot += Qs[warp * D + d] * Ks[lane * (D + 1) + d];
            }
            s = scale * dot + mask_at(mask, maskS, b, h, i, j);
        }
        const float mNew = fmaxf(m, lanes_max<32>(s));
        if (mNew == -CUDART_INF_F) {
            continue;                                   // nothing visible yet: nothing to add
        }
        const float correction = m == -CUDART_INF_F ? 0.0f : expf(m - mNew);   // rescale what we have
        const float p = s == -CUDART_INF_F ? 0.0f : expf(s - mNew);
        l = l * correction + lanes_sum<32>(p);
        const float pd = p > 0.0f ? p * drop_factor(seed, dropoutP, b, h, i, j, H, Tq, Tk) : 0.0f;
#pragma unroll
        for (int t = 0; t < PER_LANE; t++) {
            acc[t] *= correction;
        }
        for (int jj = 0; jj < TILE; jj++) {
            const float pj = __shfl_sync(0xffffffffu, pd, jj);
            if (pj != 0.0f) {
#pragma unroll
                for (int t = 0; t < PER_LANE; t++) {
                    const int d = lane + 32 * t;
                    if (d < Dv) acc[t] += pj * Vs[jj * Dv + d];
                }
            }
        }
        m = mNew;
    }
    if (valid) {
#pragma unroll
        for (int t = 0; t < PER_LANE; t++) {
            const int d = lane + 32 * t;
            if (d < Dv) out[row * Dv + d] = l > 0.0f ? acc[t] / l : 0.0f;    // all hidden: output 0
        }
        if (lane == 0) {
            lse[row] = l > 0.0f ? m + logf(l) : -CUDART_INF_F;
        }
    }
}

// ------------------------------------------------------------------------- backward: D_i
// delta[row] = dO_row · O_row for every query row (B·H·Tq rows); one warp per row.
extern "C" __global__ void attention_backward_delta_f32(const float* out, const float* dout, float* delta, int rows,
                                                        int Dv) {
    const int row = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
    const int lane = threadIdx.x & 31;
    float s = 0.0f;
    if (row < rows) {
        for (int d = lane; d < Dv; d += 32) {
            s += dout[(long long) row * Dv + d] * out[(long long) row * Dv + d];
        }
    }
    s = lanes_sum<32>(s);
    if (row < rows && lane == 0) {
        delta[row] = s;
    }
}

// --------------------------------------------------------------------------- backward: dQ
// grid.x = ceil(Tq / WARPS) · B · H, block = 32·WARPS,
// shared memory = (TILE·(D+1) + TILE·(Dv+1) + WARPS·D + WARPS·Dv) floats.
extern "C" __global__ void attention_backward_dq_f32(const float* q, const float* k, const float* v,
                                                     const float* mask, Strides maskS, const float* lse,
                                                     const float* delta, const float* dout, float* dq, int B, int H,
                                                     int Hkv, int Tq, int Tk, int D, int Dv, int causal,
                                                     int causalOffset, double scaleD, double dropoutP,
                                                     unsigned long long seed) {
    extern __shared__ float smem[];
    float* Ks = smem;                                   // [TILE][D+1]
    float* Vs = Ks + TILE * (D + 1);                    // [TILE][Dv+1]
    float* Qs = Vs + TILE * (Dv + 1);                   // [WARPS][D]
    float* dOs = Qs + WARPS * D;                        // [WARPS][Dv]
    const float scale = (float) scaleD;

    const int tiles = (Tq + WARPS - 1) / WARPS;
    const int bh = blockIdx.x / tiles;
    const int b = bh / H;
    const int h = bh - b * H;
    const int kvh = h / (H / Hkv);
    const int warp = threadIdx.x / 32;
    const int lane = threadIdx.x & 31;
    const int i = (blockIdx.x - bh * tiles) * WARPS + warp;
    const long long row = (long long) bh * Tq + i;
    const float rowLse = i < Tq ? lse[row] : -CUDART_INF_F;
    const bool valid = rowLse != -CUDART_INF_F;         // rows with every key hidden get no gradient
    const float Di = valid ? delta[row] : 0.0f;
    const float* kh = k + (long long) (b * Hkv + kvh) * Tk * D;
    const float* vh = v + (long long) (b * Hkv + kvh) * Tk * Dv;

    for (int d = lane; d < D; d += 32) Qs[warp * D + d] = valid ? q[row * D + d] : 0.0f;
    for (int d = lane; d < Dv; d += 32) dOs[warp * Dv + d] = valid ? dout[row * Dv + d] : 0.0f;
    int keyEnd = Tk;
    if (causal) {
        const int lastRow = min(Tq - 1, (blockIdx.x - bh * tiles) * WARPS + WARPS - 1);
        keyEnd = max(0, min(Tk, lastRow + causalOffset + 1));
    }

    float acc[PER_LANE] = {0.0f, 0.0f, 0.0f, 0.0f};     // Σ_j dS_ij·k_j, d = lane + 32t
    for (int j0 = 0; j0 < keyEnd; j0 += TILE) {
        __syncthreads();
        stage_rows(Ks, D + 1, kh, j0, TILE, Tk, D);
        stage_rows(Vs, Dv + 1, vh, j0, TILE, Tk, Dv);
        __syncthreads();

        const int j = j0 + lane;
        float ds = 0.0f;
        if (valid && j < keyEnd && !(causal && j > i + causalOffset)) {
            float dot = 0.0f;
            for (int d = 0; d < D; d++) dot += Qs[warp * D + d] * Ks[lane * (D + 1) + d];
            const float s = scale * dot + mask_at(mask, maskS, b, h, i, j);
            if (s != -CUDART_INF_F) {
                const float p = expf(s - rowLse);       // softmax, recomputed from the saved lse
                float dp = 0.0f;
                for (int d = 0; d < Dv; d++) dp += dOs[warp * Dv + d] * Vs[lane * (Dv + 1) + d];
                ds = p * (drop_factor(seed, dropoutP, b, h, i, j, H, Tq, Tk) * dp - Di);
            }
        }
        for (int jj = 0; jj < TILE; jj++) {
            const float dsj = __shfl_sync(0xffffffffu, ds, jj);
            if (dsj != 0.0f) {
#pragma unroll
                for (int t = 0; t < PER_LANE; t++) {
                    const int d = lane + 32 * t;
                    if (d < D) acc[t] += dsj * Ks[jj * (D + 1) + d];
                }
            }
        }
    }
    if (valid) {
#pragma unroll
        for (int t = 0; t < PER_LANE; t++) {
            const int d = lane + 32 * t;
            if (d < D) dq[row * D + d] += scale * acc[t];
        }
    }
}

// ----------------------------------------------------------------------- backward: dK, dV
// grid.x = ceil(Tk / WARPS) · B · Hkv, block = 32·WARPS,
// shared memory = (TILE·(D+1) + TILE·(Dv+1) + WARPS·D + WARPS·Dv + 2·TILE) floats.
extern "C" __global__ void attention_backward_dkdv_f32(const float* q, const float* k, const float* v,
                                                       const float* mask, Strides maskS, const float* lse,
                                                       const float* delta, const float* dout, float* dk, float* dv,
                                                       int B, int H, int Hkv, int Tq, int Tk, int D, int Dv,
                                                       int causal, int causalOffset, double scaleD, double dropoutP,
                                                       unsigned long long seed) {
    extern __shared__ float smem[];
    float* Qs = smem;                                   // [TILE][D+1]   query rows i0 ..
    float* dOs = Qs + TILE * (D + 1);                   // [TILE][Dv+1]
    float* Ks = dOs + TILE * (Dv + 1);                  // [WARPS][D]    this block's keys
    float* Vs = Ks + WARPS * D;                         // [WARPS][Dv]
    float* lseS = Vs + WARPS * Dv;                      // [TILE]
    float* deltaS = lseS + TILE;                        // [TILE]
    const float scale = (float) scaleD;

    const int tiles = (Tk + WARPS - 1) / WARPS;
    const int bkv = blockIdx.x / tiles;                 // b·Hkv + kvh
    const int b = bkv / Hkv;
    const int kvh = bkv - b * Hkv;
    const int group = H / Hkv;
    const int warp = threadIdx.x / 32;
    const int lane = threadIdx.x & 31;
    const int firstKey = (blockIdx.x - bkv * tiles) * WARPS;
    const int j = firstKey + warp;                      // this warp's key
    const bool validKey = j < Tk;
    const long long kvRow = (long long) bkv * Tk + j;

    for (int d = lane; d < D; d += 32) Ks[warp * D + d] = validKey ? k[kvRow * D + d] : 0.0f;
    for (int d = lane; d < Dv; d += 32) Vs[warp * Dv + d] = validKey ? v[kvRow * Dv + d] : 0.0f;
    // Query i sees key j when j <= i + causalOffset: rows below firstKey - causalOffset see none.
    const int firstRow = causal ? max(0, firstKey - causalOffset) / TILE * TILE : 0;

    float dkAcc[PER_LANE] = {0.0f, 0.0f, 0.0f, 0.0f};   // Σ dS_ij·q_i
    float dvAcc[PER_LANE] = {0.0f, 0.0f, 0.0f, 0.0f};   // Σ P_ij·drop_ij·dO_i
    for (int h = kvh * group; h < (kvh + 1) * group; h++) {
        const long long bh = (long long) b * H + h;
        for (int i0 = firstRow; i0 < Tq; i0 += TILE) {
            __syncthreads();
            stage_rows(Qs, D + 1, q + bh * Tq * D, i0, TILE, Tq, D);
            stage_rows(dOs, Dv + 1, dout + bh * Tq * Dv, i0, TILE, Tq, Dv);
            if (threadIdx.x < TILE) {
                const int i = i0 + threadIdx.x;
                lseS[threadIdx.x] = i < Tq ? lse[bh * Tq + i] : -CUDART_INF_F;
                deltaS[threadIdx.x] = i < Tq ? delta[bh * Tq + i] : 0.0f;
            }
            __syncthreads();

            const int i = i0 + lane;                    // this lane's query row
            float pd = 0.0f;
            float ds = 0.0f;
            if (validKey && i < Tq && lseS[lane] != -CUDART_INF_F && !(causal && j > i + causalOffset)) {
                float dot = 0.0f;
                for (int d = 0; d < D; d++) dot += Qs[lane * (D + 1) + d] * Ks[warp * D + d];
                const float s = scale * dot + mask_at(mask, maskS, b, h, i, j);
                if (s != -CUDART_INF_F) {
                    const float p = expf(s - lseS[lane]);
                    const float drop = drop_factor(seed, dropoutP, b, h, i, j, H, Tq, Tk);
                    float dp = 0.0f;
                    for (int d = 0; d < Dv; d++) dp += dOs[lane * (Dv + 1) + d] * Vs[warp * Dv + d];
                    pd = p * drop;
                    ds = p * (drop * dp - deltaS[lane]);
                }
            }
            for (int ii = 0; ii < TILE; ii++) {
                const float pdi = __shfl_sync(0xffffffffu, pd, ii);
                const float dsi = __shfl_sync(0xffffffffu, ds, ii);
#pragma unroll
                for (int t = 0; t < PER_LANE; t++) {
                    const int d = lane + 32 * t;
                    if (d < Dv) dvAcc[t] += pdi * dOs[ii * (Dv + 1) + d];
                    if (d < D) dkAcc[t] += dsi * Qs[ii * (D + 1) + d];
                }
            }
        }
    }
    if (validKey) {
#pragma unroll
        for (int t = 0; t < PER_LANE; t++) {
            const int d = lane + 32 * t;
            if (d < D) dk[kvRow * D + d] += scale * dkAcc[t];
            if (d < Dv) dv[kvRow * Dv + d] += dvAcc[t];
        }
    }
}

// ================================================================================================
// Tiled kernels: the same math as the warp-per-row kernels above, restructured so that the
// scores and every product are small matrix products held in registers.
//
// The kernels above give each query row one warp and compute one score per lane: every score
// costs a D-long dot product read from shared memory, one float loaded per multiply-add, which
// caps them far below the GPU's arithmetic rate. Here a block of 256 threads owns a 64×64 tile of
// scores, and each thread a 4×4 sub-tile of it, so each value loaded from shared memory feeds 4
// multiply-adds (as in any register-blocked GEMM). FlashAttention-2's loop order:
//   forward, dQ: a block per 64 query rows, looping over 64-key tiles;
//   dK, dV:      a block per 64 keys, looping over 64-query tiles of every query head of the
//                key's group (GQA).
// Thread (ty, tx) = (tid / 16, tid % 16) owns rows ty + 16r (r < 4) of a score tile and its
// columns tx + 16c (c < 4); for products whose output runs over the head dim it owns columns
// 64h + 4tx + c (c < 4, h < DP/64), so that it reads 16 bytes at a time there too.
// Every operand sits in shared memory in its natural layout (row = token, column = head dim),
// rows padded to DP + 4 floats so that both read patterns below are free of bank conflicts.
// Head dims are padded with zeros to DP = 64 or 128; the Java side (CudaAttention) uses these
// kernels when the padded tiles fit the device's shared memory, the warp-per-row kernels above
// otherwise. Tests hold the two equal on the GPU, and both to ReferenceAttention.
// ================================================================================================
#define TQ 64                 // query rows per tile
#define TK 64                 // keys per tile
#define TPITCH (TK + 4)       // row pitch of 64-wide score tiles in shared memory

// acc[r][c] += Σ_k A[ty + 16r][k] · B[tx + 16c][k]: both operands row-major with the summed
// index contiguous (Q·Kᵀ, dO·Vᵀ). Reads are 16-byte; lda, ldb are multiples of 4, ≡ 4 mod 32.
template <int K>
__device__ __forceinline__ void mm_nt(float (&acc)[4][4], const float* A, int lda, const float* B, int ldb, int ty,
                                      int tx) {
#pragma unroll 1
    for (int k = 0; k < K; k += 4) {
        float4 a[4], b[4];
#pragma unroll
        for (int r = 0; r < 4; r++) a[r] = *reinterpret_cast<const float4*>(A + (ty + 16 * r) * lda + k);
#pragma unroll
        for (int c = 0; c < 4; c++) b[c] = *reinterpret_cast<const float4*>(B + (tx + 16 * c) * ldb + k);
#pragma unroll
        for (int r = 0; r < 4; r++) {
#pragma unroll
            for (int c = 0; c < 4; c++) {
                acc[r][c] = fmaf(a[r].x, b[c].x, acc[r][c]);
                acc[r][c] = fmaf(a[r].y, b[c].y, acc[r][c]);
                acc[r][c] = fmaf(a[r].z, b[c].z, acc[r][c]);
                acc[r][c] = fmaf(a[r].w, b[c].w, acc[r][c]);
            }
        }
    }
}

// acc[r][4h + c] += Σ_k A[ty + 16r][k] · B[k][64h + 4tx + c] for k < K (the 64 keys or queries
// of a tile): P·V, dS·K, Pᵀ·dO, dSᵀ·Q, with B a tile in its natural layout.
template <int K, int H>
__device__ __forceinline__ void mm_nn(float (&acc)[4][4 * H], const float* A, int lda, const float* B, int ldb,
                                      int ty, int tx) {
#pragma unroll 2
    for (int k = 0; k < K; k += 4) {
        float4 a[4];
#pragma unroll
        for (int r = 0; r < 4; r++) a[r] = *reinterpret_cast<const float4*>(A + (ty + 16 * r) * lda + k);
#pragma unroll
        for (int kk = 0; kk < 4; kk++) {
#pragma unroll
            for (int h = 0; h < H; h++) {
                const float4 b = *reinterpret_cast<const float4*>(B + (k + kk) * ldb + 64 * h + 4 * tx);
#pragma unroll
                for (int r = 0; r < 4; r++) {
                    const float ar = kk == 0 ? a[r].x : kk == 1 ? a[r].y : kk == 2 ? a[r].z : a[r].w;
                    acc[r][4 * h + 0] = fmaf(ar, b.x, acc[r][4 * h + 0]);
                    acc[r][4 * h + 1] = fmaf(ar, b.y, acc[r][4 * h + 1]);
                    acc[r][4 * h + 2] = fmaf(ar, b.z, acc[r][4 * h + 2]);
                    acc[r][4 * h + 3] = fmaf(ar, b.w, acc[r][4 * h + 3]);
                }
            }
        }
    }
}

// Loads rows [row0, row0 + 64) of a row-major [n][dim] matrix into dst[64][DP + 4], zero-filling
// rows past n and columns past dim (the padding then adds nothing to any product).
template <int DP>
__device__ __forceinline__ void load_tile(float* dst, const float* src, int row0, int n, int dim) {
    constexpr int LD = DP + 4;
    if ((dim & 3) == 0) {                               // 16-byte loads (row starts stay aligned)
        for (int e = threadIdx.x; e < 64 * DP / 4; e += blockDim.x) {
            const int r = e / (DP / 4);
            const int d = (e - r * (DP / 4)) * 4;
            float4 x = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
            if (row0 + r < n && d < dim) x = *reinterpret_cast<const float4*>(src + (long long) (row0 + r) * dim + d);
            *reinterpret_cast<float4*>(dst + r * LD + d) = x;
        }
    } else {
        for (int e = threadIdx.x; e < 64 * DP; e += blockDim.x) {
            const int r = e / DP;
            const int d = e - r * DP;
            dst[r * LD + d] = row0 + r < n && d < dim ? src[(long long) (row0 + r) * dim + d] : 0.0f;
        }
    }
}


// The same load with cp.async (sm_80+): 16-byte copies from global to shared memory that run
// while the block computes on the previous tile; rows past n and columns past dim are filled with
// zeros by the copy itself (source size 0). Needs dim % 4 == 0. Completes at cp_async_wait.
template <int DP>
__device__ __forceinline__ void load_tile_async(float* dst, const float* src, int row0, int n, int dim) {
    constexpr int LD = DP + 4;
    for (int e = threadIdx.x; e < 64 * DP / 4; e += blockDim.x) {
        const int r = e / (DP / 4);
        const int d = (e - r * (DP / 4)) * 4;
        const bool valid = row0 + r < n && d < dim;
        const float* from = valid ? src + (long long) (row0 + r) * dim + d : src;
        const unsigned to = static_cast<unsigned>(__cvta_generic_to_shared(dst + r * LD + d));
        asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(to), "l"(from), "r"(valid ? 16 : 0));
    }
}
__device__ __forceinline__ void cp_async_commit() {
    asm volatile("cp.async.commit_group;\n" ::);
}
// Waits until at most N of this thread's committed groups are still in flight.
template <int N>
__device__ __forceinline__ void cp_async_wait() {
    asm volatile("cp.async.wait_group %0;\n" ::"n"(N));
}

// ---------------------------------------------------------------------------- tiled forward
// grid.x = ceil(Tq / 64) · B · H, block = 256, dynamic shared memory = (5·64·(DP+4) + 64·68)
// floats (LaunchShapes.attentionTiledForwardShared). Same parameters as attention_forward_f32.
// K and V tiles are double-buffered: while the block works on one key tile, cp.async brings the
// next into the other buffer (head dims divisible by 4; otherwise plain loads, one tile at a time).
template <int DP>
__device__ __forceinline__ void attention_forward_tiled(const float* q, const float* k, const float* v,
                                                        const float* mask, const Strides& maskS, float* out,
                                                        float* lse, int B, int H, int Hkv, int Tq, int Tk, int D,
                                                        int Dv, int causal, int causalOffset, double scaleD,
                                                        double dropoutP, unsigned long long seed) {
    constexpr int LD = DP + 4;
    constexpr int HN = DP / 64;
    extern __shared__ float4 smem4[];
    float* Qs = reinterpret_cast<float*>(smem4);        // [64][LD]  this block's query rows
    float* Kbuf = Qs + TQ * LD;                         // 2 × [64][LD]  key tiles (two buffers)
    float* Vbuf = Kbuf + 2 * TK * LD;                   // 2 × [64][LD]  and value tiles
    float* Ps = Vbuf + 2 * TK * LD;                     // [64][TPITCH]  P·drop of the tile
    const float scale = (float) scaleD;
    const int tx = threadIdx.x & 15;
    const int ty = threadIdx.x >> 4;

    const int tiles = (Tq + TQ - 1) / TQ;
    const int bh = blockIdx.x / tiles;
    int qt = blockIdx.x - bh * tiles;
    if (causal) qt = tiles - 1 - qt;                    // the longest rows first: a better tail
    const int b = bh / H;
    const int h = bh - b * H;
    const int kvh = h / (H / Hkv);
    const int i0 = qt * TQ;
    const float* kh = k + (long long) (b * Hkv + kvh) * Tk * D;
    const float* vh = v + (long long) (b * Hkv + kvh) * Tk * Dv;
    load_tile<DP>(Qs, q + (long long) bh * Tq * D, i0, Tq, D);
    int keyEnd = Tk;
    if (causal) keyEnd = max(0, min(Tk, min(Tq - 1, i0 + TQ - 1) + causalOffset + 1));

    float m[4], l[4], acc[4][4 * HN];
#pragma unroll
    for (int r = 0; r < 4; r++) {
        m[r] = -CUDART_INF_F;                           // running max of the row's scores
        l[r] = 0.0f;                                    // this thread's part of Σ exp(s − m)
#pragma unroll
        for (int c = 0; c < 4 * HN; c++) acc[r][c] = 0.0f;
    }
    const bool async = (D & 3) == 0 && (Dv & 3) == 0;
    if (async && keyEnd > 0) {
        load_tile_async<DP>(Kbuf, kh, 0, Tk, D);
        load_tile_async<DP>(Vbuf, vh, 0, Tk, Dv);
        cp_async_commit();
    }
    for (int j0 = 0, t = 0; j0 < keyEnd; j0 += TK, t++) {
        float* Ks = Kbuf + (t & 1) * TK * LD;
        float* Vs = Vbuf + (t & 1) * TK * LD;
        if (async) {
            if (j0 + TK < keyEnd) {                     // the next tile, into the buffer freed last round
                load_tile_async<DP>(Kbuf + ((t + 1) & 1) * TK * LD, kh, j0 + TK, Tk, D);
                load_tile_async<DP>(Vbuf + ((t + 1) & 1) * TK * LD, vh, j0 + TK, Tk, Dv);
            }
            cp_async_commit();                          // (an empty group at the end keeps the count)
            cp_async_wait<1>();                         // this tile's group has landed
        } else {
            load_tile<DP>(Ks, kh, j0, Tk, D);
            load_tile<DP>(Vs, vh, j0, Tk, Dv);
        }
        __syncthreads();                                // every thread's part of the tile is there
        float s[4][4] = {};
        mm_nt<DP>(s, Qs, LD, Ks, LD, ty, tx);
#pragma unroll
        for (int r = 0; r < 4; r++) {
            const int i = i0 + ty + 16 * r;
            float rowMax = -CUDART_INF_F;
#pragma unroll
            for (int c = 0; c < 4; c++) {
                const int j = j0 + tx + 16 * c;
                const bool visible = i < Tq && j < keyEnd && !(causal && j > i + causalOffset);
                s[r][c] = visible ? scale * s[r][c] + mask_at(mask, maskS, b, h, i, j) : -CUDART_INF_F;
                rowMax = fmaxf(rowMax, s[r][c]);
            }
            const float mNew = fmaxf(m[r], lanes_max<16>(rowMax));
            const float correction = mNew == -CUDART_INF_F ? 1.0f : expf(m[r] - mNew);
            l[r] *= correction;
#pragma unroll
            for (int c = 0; c < 4 * HN; c++) acc[r][c] *= correction;
#pragma unroll
            for (int c = 0; c < 4; c++) {
                const int j = j0 + tx + 16 * c;
                const float p = s[r][c] == -CUDART_INF_F ? 0.0f : expf(s[r][c] - mNew);
                l[r] += p;
                Ps[(ty + 16 * r) * TPITCH + tx + 16 * c] =
                        p > 0.0f ? p * drop_factor(seed, dropoutP, b, h, i, j, H, Tq, Tk) : 0.0f;
            }
            m[r] = mNew;
        }
        __syncthreads();
        mm_nn<TK, HN>(acc, Ps, TPITCH, Vs, LD, ty, tx);
        __syncthreads();                                // this tile and Ps are consumed
    }
#pragma unroll
    for (int r = 0; r < 4; r++) {
        const int i = i0 + ty + 16 * r;
        const float sum = lanes_sum<16>(l[r]);
        if (i < Tq) {
            const long long row = (long long) bh * Tq + i;
#pragma unroll
            for (int c = 0; c < 4 * HN; c++) {
                const int d = 64 * (c / 4) + 4 * tx + c % 4;
                if (d < Dv) out[row * Dv + d] = sum > 0.0f ? acc[r][c] / sum : 0.0f;   // all hidden: 0
            }
            if (tx == 0) lse[row] = sum > 0.0f ? m[r] + logf(sum) : -CUDART_INF_F;
        }
    }
}

// -------------------------------------------------------------------------------- tiled dQ
// grid.x = ceil(Tq / 64) · B · H, block = 256, shared memory = (4·64·(DP+4) + 64·68) floats.
template <int DP>
__device__ __forceinline__ void attention_backward_dq_tiled(const float* q, const float* k, const float* v,
                                                            const float* mask, const Strides& maskS,
                                                            const float* lse, const float* delta, const float* dout,
                                                            float* dq, int B, int H, int Hkv, int Tq, int Tk, int D,
                                                            int Dv, int causal, int causalOffset, double scaleD,
                                                            double dropoutP, unsigned long long seed) {
    constexpr int LD = DP + 4;
    constexpr int HN = DP / 64;
    extern __shared__ float4 smem4[];
    float* Qs = reinterpret_cast<float*>(smem4);        // [64][LD]
    float* dOs = Qs + TQ * LD;                          // [64][LD]
    float* Ks = dOs + TQ * LD;                          // [64][LD]
    float* Vs = Ks + TK * LD;                           // [64][LD]
    float* dSs = Vs + TK * LD;                          // [64][TPITCH]
    const float scale = (float) scaleD;
    const int tx = threadIdx.x & 15;
    const int ty = threadIdx.x >> 4;

    const int tiles = (Tq + TQ - 1) / TQ;
    const int bh = blockIdx.x / tiles;
    int qt = blockIdx.x - bh * tiles;
    if (causal) qt = tiles - 1 - qt;
    const int b = bh / H;
    const int h = bh - b * H;
    const int kvh = h / (H / Hkv);
    const int i0 = qt * TQ;
    const float* kh = k + (long long) (b * Hkv + kvh) * Tk * D;
    const float* vh = v + (long long) (b * Hkv + kvh) * Tk * Dv;
    load_tile<DP>(Qs, q + (long long) bh * Tq * D, i0, Tq, D);
    load_tile<DP>(dOs, dout + (long long) bh * Tq * Dv, i0, Tq, Dv);
    float rowLse[4], rowDelta[4];
#pragma unroll
    for (int r = 0; r < 4; r++) {
        const int i = i0 + ty + 16 * r;
        rowLse[r] = i < Tq ? lse[(long long) bh * Tq + i] : -CUDART_INF_F;   // −∞: no gradient
        rowDelta[r] = rowLse[r] != -CUDART_INF_F ? delta[(long long) bh * Tq + i] : 0.0f;
    }
    int keyEnd = Tk;
    if (causal) keyEnd = max(0, min(Tk, min(Tq - 1, i0 + TQ - 1) + causalOffset + 1));

    float acc[4][4 * HN] = {};                          // Σ_j dS_ij·k_j
    for (int j0 = 0; j0 < keyEnd; j0 += TK) {
        __syncthreads();
        load_tile<DP>(Ks, kh, j0, Tk, D);
        load_tile<DP>(Vs, vh, j0, Tk, Dv);
        __syncthreads();
        float s[4][4] = {};
        float dp[4][4] = {};
        mm_nt<DP>(s, Qs, LD, Ks, LD, ty, tx);
        mm_nt<DP>(dp, dOs, LD, Vs, LD, ty, tx);
#pragma unroll
        for (int r = 0; r < 4; r++) {
            const int i = i0 + ty + 16 * r;
#pragma unroll
            for (int c = 0; c < 4; c++) {
                const int j = j0 + tx + 16 * c;
                float ds = 0.0f;
                if (rowLse[r] != -CUDART_INF_F && j < keyEnd && !(causal && j > i + causalOffset)) {
                    const float sc = scale * s[r][c] + mask_at(mask, maskS, b, h, i, j);
                    if (sc != -CUDART_INF_F) {
                        const float p = expf(sc - rowLse[r]);   // softmax, from the saved lse
                        ds = p * (drop_factor(seed, dropoutP, b, h, i, j, H, Tq, Tk) * dp[r][c] - rowDelta[r]);
                    }
                }
                dSs[(ty + 16 * r) * TPITCH + tx + 16 * c] = ds;
            }
        }
        __syncthreads();
        mm_nn<TK, HN>(acc, dSs, TPITCH, Ks, LD, ty, tx);
    }
#pragma unroll
    for (int r = 0; r < 4; r++) {
        const int i = i0 + ty + 16 * r;
        if (i < Tq && rowLse[r] != -CUDART_INF_F) {
            const long long row = (long long) bh * Tq + i;
#pragma unroll
            for (int c = 0; c < 4 * HN; c++) {
                const int d = 64 * (c / 4) + 4 * tx + c % 4;
                if (d < D) dq[row * D + d] += scale * acc[r][c];
            }
        }
    }
}

// --------------------------------------------------------------------------- tiled dK, dV
// grid.x = ceil(Tk / 64) · B · Hkv, block = 256,
// shared memory = (4·64·(DP+4) + 2·64·68 + 2·64) floats. Tiles are transposed relative to the
// dQ kernel: rows are keys j, columns query rows i.
template <int DP>
__device__ __forceinline__ void attention_backward_dkdv_tiled(const float* q, const float* k, const float* v,
                                                              const float* mask, const Strides& maskS,
                                                              const float* lse, const float* delta,
                                                              const float* dout, float* dk, float* dv, int B, int H,
                                                              int Hkv, int Tq, int Tk, int D, int Dv, int causal,
                                                              int causalOffset, double scaleD, double dropoutP,
                                                              unsigned long long seed) {
    constexpr int LD = DP + 4;
    constexpr int HN = DP / 64;
    extern __shared__ float4 smem4[];
    float* Ks = reinterpret_cast<float*>(smem4);        // [64][LD]  this block's keys
    float* Vs = Ks + TK * LD;                           // [64][LD]
    float* Qs = Vs + TK * LD;                           // [64][LD]  a tile of query rows
    float* dOs = Qs + TQ * LD;                          // [64][LD]
    float* Ps = dOs + TQ * LD;                          // [64 keys][TPITCH]  P·drop, transposed
    float* dSs = Ps + TK * TPITCH;                      // [64 keys][TPITCH]  dS, transposed
    float* lseS = dSs + TK * TPITCH;                    // [64]
    float* deltaS = lseS + TQ;                          // [64]
    const float scale = (float) scaleD;
    const int tx = threadIdx.x & 15;
    const int ty = threadIdx.x >> 4;

    const int tiles = (Tk + TK - 1) / TK;
    const int bkv = blockIdx.x / tiles;
    const int b = bkv / Hkv;
    const int kvh = bkv - b * Hkv;
    const int group = H / Hkv;
    const int j0 = (blockIdx.x - bkv * tiles) * TK;
    load_tile<DP>(Ks, k + (long long) bkv * Tk * D, j0, Tk, D);
    load_tile<DP>(Vs, v + (long long) bkv * Tk * Dv, j0, Tk, Dv);
    // Query i sees key j when j <= i + causalOffset: tiles of rows below j0 - causalOffset see none.
    const int firstRow = causal ? max(0, j0 - causalOffset) / TQ * TQ : 0;

    float dkAcc[4][4 * HN] = {};                        // Σ_i dS_ij·q_i
    float dvAcc[4][4 * HN] = {};                        // Σ_i P_ij·drop_ij·dO_i
    for (int h = kvh * group; h < (kvh + 1) * group; h++) {
        const long long bh = (long long) b * H + h;
        for (int i0 = firstRow; i0 < Tq; i0 += TQ) {
            __syncthreads();
            load_tile<DP>(Qs, q + bh * Tq * D, i0, Tq, D);
            load_tile<DP>(dOs, dout + bh * Tq * Dv, i0, Tq, Dv);
            if (threadIdx.x < TQ) {
                const int i = i0 + threadIdx.x;
                lseS[threadIdx.x] = i < Tq ? lse[bh * Tq + i] : -CUDART_INF_F;
                deltaS[threadIdx.x] = i < Tq ? delta[bh * Tq + i] : 0.0f;
            }
            __syncthreads();
            float s[4][4] = {};
            float dp[4][4] = {};
            mm_nt<DP>(s, Ks, LD, Qs, LD, ty, tx);           // s[r][c] = k_j·q_i
            mm_nt<DP>(dp, Vs, LD, dOs, LD, ty, tx);         // dp[r][c] = v_j·dO_i
#pragma unroll
            for (int r = 0; r < 4; r++) {
                const int j = j0 + ty + 16 * r;
#pragma unroll
                for (int c = 0; c < 4; c++) {
                    const int i = i0 + tx + 16 * c;
                    const float rowLse = lseS[tx + 16 * c];
                    float pd = 0.0f;
                    float ds = 0.0f;
                    if (j < Tk && i < Tq && rowLse != -CUDART_INF_F && !(causal && j > i + causalOffset)) {
                        const float sc = scale * s[r][c] + mask_at(mask, maskS, b, h, i, j);
                        if (sc != -CUDART_INF_F) {
                            const float p = expf(sc - rowLse);
                            const float drop = drop_factor(seed, dropoutP, b, h, i, j, H, Tq, Tk);
                            pd = p * drop;
                            ds = p * (drop * dp[r][c] - deltaS[tx + 16 * c]);
                        }
                    }
                    Ps[(ty + 16 * r) * TPITCH + tx + 16 * c] = pd;
                    dSs[(ty + 16 * r) * TPITCH + tx + 16 * c] = ds;
                }
            }
            __syncthreads();
            mm_nn<TQ, HN>(dvAcc, Ps, TPITCH, dOs, LD, ty, tx);
            mm_nn<TQ, HN>(dkAcc, dSs, TPITCH, Qs, LD, ty, tx);
        }
    }
#pragma unroll
    for (int r = 0; r < 4; r++) {
        const int j = j0 + ty + 16 * r;
        if (j < Tk) {
            const long long kvRow = (long long) bkv * Tk + j;
#pragma unroll
            for (int c = 0; c < 4 * HN; c++) {
                const int d = 64 * (c / 4) + 4 * tx + c % 4;
                if (d < D) dk[kvRow * D + d] += scale * dkAcc[r][c];
                if (d < Dv) dv[kvRow * Dv + d] += dvAcc[r][c];
            }
        }
    }
}

// The entry points, one per padded head dim (64: head dims 1..64, 128: 65..128).
#define QKV_ATTENTION_TILED(DP)                                                                                     \
    extern "C" __global__ void __launch_bounds__(256) attention_forward_tiled_d##DP##_f32(                            \
            const float* q, const float* k, const float* v, const float* mask, Strides maskS, float* out,          \
            float* lse, int B, int H, int Hkv, int Tq, int Tk, int D, int Dv, int causal, int causalOffset,        \
            double scaleD, double dropoutP, unsigned long long seed) {                                             \
        attention_forward_tiled<DP>(q, k, v, mask, maskS, out, lse, B, H, Hkv, Tq, Tk, D, Dv, causal,            \
                                    causalOffset, scaleD, dropoutP, seed);                                         \
    }                                                                                                               \
    extern "C" __global__ void __launch_bounds__(256) attention_backward_dq_tiled_d##DP##_f32(                        \
            const float* q, const float* k, const float* v, const float* mask, Strides maskS, const float* lse,    \
            const float* delta, const float* dout, float* dq, int B, int H, int Hkv, int Tq, int Tk, int D, int Dv, \
            int causal, int causalOffset, double scaleD, double dropoutP, unsigned long long seed) {               \
        attention_backward_dq_tiled<DP>(q, k, v, mask, maskS, lse, delta, dout, dq, B, H, Hkv, Tq, Tk, D, Dv,     \
                                        causal, causalOffset, scaleD, dropoutP, seed);                             \
    }                                                                                                               \
    extern "C" __global__ void __launch_bounds__(256) attention_backward_dkdv_tiled_d##DP##_f32(                      \
            const float* q, const float* k, const float* v, const float* mask, Strides maskS, const float* lse,    \
            const float* delta, const float* dout, float* dk, float* dv, int B, int H, int Hkv, int Tq, int Tk,     \
            int D, int Dv, int causal, int causalOffset, double scaleD, double dropoutP,                            \
            unsigned long long seed) {                                                                              \
        attention_backward_dkdv_tiled<DP>(q, k, v, mask, maskS, lse, delta, dout, dk, dv, B, H, Hkv, Tq, Tk, D,   \
                                          Dv, causal, causalOffset, scaleD, dropoutP, seed);                       \
    }
QKV_ATTENTION_TILED(64)
QKV_ATTENTION_TILED(128)
