package dev.qkv.backend.cuda;

import java.util.List;

/**
 * A kernel's name, the PTX module (the .cu file) that holds it, and its parameter list. Every
 * launch is checked against its spec before it reaches the driver, and a test checks every spec
 * against the signature of the {@code .entry} in the shipped PTX, so an argument list that does
 * not match the kernel fails in Java (on any machine) instead of corrupting a launch on the GPU.
 */
record KernelSpec(String module, String name, List<ParamKind> params) {

    KernelSpec(String module, String name, ParamKind... params) {
        this(module, name, List.of(params));
    }

    /** Throws if {@code args} does not have exactly this kernel's parameter kinds. */
    void check(KernelArgs args) {
        if (!args.kinds().equals(params)) {
            throw new IllegalArgumentException("kernel " + name + " takes " + params + " but was given " + args.kinds());
        }
    }
}
