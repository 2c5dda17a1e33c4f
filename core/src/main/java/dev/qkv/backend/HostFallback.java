package dev.qkv.backend;

import dev.qkv.backend.cpu.CpuBackend;

/**
 * Default bodies for fused ops that have no composition from primitives: copy the operands to
 * the host, run the CPU backend's kernel, copy the results back. Correct on every device;
 * device backends override the ops they care about.
 */
final class HostFallback {
    private HostFallback() {
    }

    private static Storage host(Backend be, Storage s) {
        return s == null ? null : be.download(s);
    }

    private static void back(Backend be, Storage hostResult, Storage deviceTarget, int n) {
        Storage up = be.upload(hostResult);
        if (up != deviceTarget) {
            dev.qkv.tensor.Layout l = dev.qkv.tensor.Layout.contiguous(n);
            be.copy(up, l, deviceTarget, l);
        }
    }

    private static AttentionArgs onHost(Backend be, AttentionArgs a) {
        return new AttentionArgs(a.batch(), a.numHeads(), a.numKvHeads(), a.tq(), a.tk(), a.headDim(), a.valueDim(),
                host(be, a.q()), host(be, a.k()), host(be, a.v()), host(be, a.mask()), a.maskLayout(),
                a.causal(), a.causalOffset(), a.scale(), a.dropoutP(), a.dropoutSeed(),
                host(be, a.out()), host(be, a.lse()));
    }

    static void attentionForward(Backend be, AttentionArgs a) {
        AttentionArgs h = onHost(be, a);
        CpuBackend.instance().attentionForward(h);
        back(be, h.out(), a.out(), a.batch() * a.numHeads() * a.tq() * a.valueDim());
        back(be, h.lse(), a.lse(), a.batch() * a.numHeads() * a.tq());
    }

    static void attentionBackward(Backend be, AttentionArgs a, Storage dout, Storage dq, Storage dk, Storage dv) {
        AttentionArgs h = onHost(be, a);
        Storage hq = host(be, dq);
        Storage hk = host(be, dk);
        Storage hv = host(be, dv);
        CpuBackend.instance().attentionBackward(h, host(be, dout), hq, hk, hv);
        back(be, hq, dq, a.batch() * a.numHeads() * a.tq() * a.headDim());
        back(be, hk, dk, a.batch() * a.numKvHeads() * a.tk() * a.headDim());
        back(be, hv, dv, a.batch() * a.numKvHeads() * a.tk() * a.valueDim());
    }
}
