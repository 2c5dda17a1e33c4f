// Fused optimizer updates: one pass over a parameter, its gradient and its state buffers
// instead of the ~12 elementwise launches the composed update issues per parameter.
//
// CPU reference: Backend.adamUpdate / sgdUpdate's default bodies (core's OptimizerUpdates), which
// compose the update from elementwise ops in the order the tensor expressions of dev.qkv.optim.Adam
// and SGD were written, rounding to float after each op. These kernels do the same float
// operations in the same order, each as an explicitly rounded intrinsic (__fmul_rn, __fadd_rn,
// __fdiv_rn, __fsqrt_rn), which nvcc never contracts into an FMA, so the results are meant to be
// bit-identical to the CPU's (CudaOptimizerUpdateTest checks that on a GPU; OptimKernelMathTest
// checks a Java transcription of these loops against the CPU without one). Per element, at step t:
//   AdamW: p ← p·decay                              decay = (float) (1 − lr·wd)   (decayMode 2)
//   Adam:  g ← g + p·wd                             (decayMode 1: L2 penalty)
//          m ← m·β1 + g·(1 − β1),  v ← v·β2 + (g·g)·(1 − β2)
//          v̂ ← max(v̂, v) with amsgrad (vmax != null), else v        (NaN-propagating, like Math.max)
//          p ← p − (m / (√v̂ / √bc2 + eps))·(lr / bc1),   bc1 = 1 − β1ᵗ, bc2 = 1 − β2ᵗ
//   SGD:   d ← g + p·wd;  with momentum: b ← d at the first step, else b ← b·μ + d·(1 − dampening),
//          d ← d + b·μ (nesterov) or b;  p ← p − d·lr
// Every scalar arrives as the double the CPU computes (1 − β1, lr / bc1, √bc2, ...) and is rounded to
// float here, as the CPU rounds the scalar operand of a float32 tensor op.
//
// Thread layout: one thread per element, grid-stride loop; all buffers contiguous float32.
#include "common.cuh"

extern "C" __global__ void adam_update_f32(float* p, const float* g, float* m, float* v, float* vmax, int n,
                                           double beta1, double oneMinusBeta1, double beta2, double oneMinusBeta2,
                                           int decayMode, double weightDecay, double decay,
                                           double sqrtBiasCorrection2, double eps, double stepSize) {
    const float b1 = (float) beta1;
    const float c1 = (float) oneMinusBeta1;
    const float b2 = (float) beta2;
    const float c2 = (float) oneMinusBeta2;
    const float wd = (float) weightDecay;
    const float shrink = (float) decay;
    const float sqrtBc2 = (float) sqrtBiasCorrection2;
    const float epsF = (float) eps;
    const float step = (float) stepSize;
    QKV_FOR_EACH(i, n) {
        float pi = p[i];
        float gi = g[i];
        if (decayMode == 2) {
            pi = __fmul_rn(pi, shrink);                                  // AdamW: shrink the weight itself
        } else if (decayMode == 1) {
            gi = __fadd_rn(gi, __fmul_rn(pi, wd));                       // Adam: the L2 penalty's gradient
        }
        const float mi = __fadd_rn(__fmul_rn(m[i], b1), __fmul_rn(gi, c1));
        const float vi = __fadd_rn(__fmul_rn(v[i], b2), __fmul_rn(__fmul_rn(gi, gi), c2));
        m[i] = mi;
        v[i] = vi;
        float vhat = vi;
        if (vmax != nullptr) {
            vhat = nan_max(vmax[i], vi);
            vmax[i] = vhat;
        }
        const float denom = __fadd_rn(__fdiv_rn(__fsqrt_rn(vhat), sqrtBc2), epsF);
        p[i] = __fsub_rn(pi, __fmul_rn(__fdiv_rn(mi, denom), step));
    }
}

extern "C" __global__ void sgd_update_f32(float* p, const float* g, float* buf, int n, double lr, double momentum,
                                          double oneMinusDampening, double weightDecay, int nesterov, int firstStep) {
    const float lrF = (float) lr;
    const float mu = (float) momentum;
    const float damp = (float) oneMinusDampening;
    const float wd = (float) weightDecay;
    QKV_FOR_EACH(i, n) {
        const float pi = p[i];
        float d = g[i];
        if (weightDecay != 0) {
            d = __fadd_rn(d, __fmul_rn(pi, wd));
        }
        if (buf != nullptr) {                                            // momentum
            const float b = firstStep ? d : __fadd_rn(__fmul_rn(buf[i], mu), __fmul_rn(d, damp));
            buf[i] = b;
            d = nesterov ? __fadd_rn(d, __fmul_rn(b, mu)) : b;
        }
        p[i] = __fsub_rn(pi, __fmul_rn(d, lrF));
    }
}
