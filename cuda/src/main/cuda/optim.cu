// Fused optimizer updates: one pass over a parameter, its gradient and its state buffers
// instead of the ~10 elementwise ops the tensor-level optimizers issue per parameter.
//
// CPU reference: dev.qkv.optim.Adam.update (Adam and AdamW) and dev.qkv.optim.SGD.update, which
// compose the same math from tensor ops. Per element, at step t:
//   AdamW: p ← p·(1 − lr·wd)                      (decoupled decay; Adam adds g ← g + wd·p instead)
//          m ← β1·m + (1 − β1)·g,  v ← β2·v + (1 − β2)·g²
//          v̂ ← max(v̂, v) with amsgrad (vmax != null), else v
//          p ← p − lr/bc1 · m / (√v̂/√bc2 + eps),  bc1 = 1 − β1ᵗ, bc2 = 1 − β2ᵗ
//   SGD:   d ← g + wd·p;  with momentum: b ← d at the first step, else b ← μ·b + (1 − dampening)·d,
//          d ← d + μ·b (nesterov) or b;  p ← p − lr·d
// The bias corrections are computed on the host in double and passed in.
//
// Thread layout: one thread per element, grid-stride loop; all buffers contiguous float32.
#include "common.cuh"

extern "C" __global__ void adam_update_f32(float* p, const float* g, float* m, float* v, float* vmax, int n,
                                           double lr, double beta1, double beta2, double eps, double weightDecay,
                                           int decoupled, double biasCorrection1, double biasCorrection2) {
    const float b1 = (float) beta1;
    const float b2 = (float) beta2;
    const float wd = (float) weightDecay;
    const float decay = (float) (1.0 - lr * weightDecay);
    const float stepSize = (float) (lr / biasCorrection1);
    const float sqrtBc2 = (float) sqrt(biasCorrection2);
    const float epsF = (float) eps;
    QKV_FOR_EACH(i, n) {
        float pi = p[i];
        float gi = g[i];
        if (weightDecay != 0) {
            if (decoupled) {
                pi *= decay;                               // AdamW: shrink the weight itself
            } else {
                gi += wd * pi;                             // Adam: the L2 penalty's gradient
            }
        }
        const float mi = b1 * m[i] + (1.0f - b1) * gi;
        const float vi = b2 * v[i] + (1.0f - b2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        float vhat = vi;
        if (vmax != nullptr) {
            vhat = fmaxf(vmax[i], vi);
            vmax[i] = vhat;
        }
        p[i] = pi - stepSize * mi / (sqrtf(vhat) / sqrtBc2 + epsF);
    }
}

extern "C" __global__ void sgd_update_f32(float* p, const float* g, float* buf, int n, double lr, double momentum,
                                          double dampening, double weightDecay, int nesterov, int firstStep) {
    const float lrF = (float) lr;
    const float mu = (float) momentum;
    const float damp = (float) (1.0 - dampening);
    const float wd = (float) weightDecay;
    QKV_FOR_EACH(i, n) {
        float d = g[i];
        if (weightDecay != 0) {
            d += wd * p[i];
        }
        if (buf != nullptr) {                              // momentum
            const float b = firstStep ? d : mu * buf[i] + damp * d;
            buf[i] = b;
            d = nesterov ? d + mu * b : b;
        }
        p[i] -= lrF * d;
    }
}
