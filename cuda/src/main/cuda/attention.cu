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

__device__ __forceinline__ float warp_max(float v) {
    for (int o = 16; o > 0; o /= 2) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}
__device__ __forceinline__ float warp_sum(float v) {
    for (int o = 16; o > 0; o /= 2) v += __shfl_xor_sync(0xffffffffu, v, o);
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
        const float mNew = fmaxf(m, warp_max(s));
        if (mNew == -CUDART_INF_F) {
            continue;                                   // nothing visible yet: nothing to add
        }
        const float correction = m == -CUDART_INF_F ? 0.0f : expf(m - mNew);   // rescale what we have
        const float p = s == -CUDART_INF_F ? 0.0f : expf(s - mNew);
        l = l * correction + warp_sum(p);
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
    s = warp_sum(s);
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
