package dev.qkv.backend.cuda;

import dev.qkv.backend.BinaryOp;
import dev.qkv.backend.ReduceOp;
import dev.qkv.backend.UnaryOp;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static dev.qkv.backend.cuda.ParamKind.DIMS;
import static dev.qkv.backend.cuda.ParamKind.F64;
import static dev.qkv.backend.cuda.ParamKind.I32;
import static dev.qkv.backend.cuda.ParamKind.PTR;
import static dev.qkv.backend.cuda.ParamKind.STRIDES;
import static dev.qkv.backend.cuda.ParamKind.U64;

/**
 * Every kernel of the PTX modules, with its parameter list: the Java mirror of the
 * {@code extern "C" __global__} signatures in cuda/src/main/cuda. Elementwise kernels are named
 * after {@link UnaryOp#kernelName()} / {@link BinaryOp#kernelName()} plus {@code _f32} (every
 * operand float32) or {@code _any} (any dtypes, through double).
 */
final class Kernels {
    private static final Map<String, KernelSpec> ALL = new LinkedHashMap<>();

    private static KernelSpec add(String module, String name, ParamKind... params) {
        return add(module, name, List.of(params));
    }

    private static KernelSpec add(String module, String name, List<ParamKind> params) {
        KernelSpec k = new KernelSpec(module, name, params);
        ALL.put(name, k);
        return k;
    }

    static {
        for (UnaryOp op : UnaryOp.values()) {
            add("elementwise", op.kernelName() + "_f32", PTR, STRIDES, PTR, STRIDES, DIMS);
            add("elementwise", op.kernelName() + "_any", PTR, I32, STRIDES, PTR, I32, STRIDES, DIMS);
        }
        for (BinaryOp op : BinaryOp.values()) {
            add("elementwise", op.kernelName() + "_f32", PTR, STRIDES, PTR, STRIDES, PTR, STRIDES, DIMS);
            add("elementwise", op.kernelName() + "_any", PTR, I32, STRIDES, PTR, I32, STRIDES, PTR, I32, STRIDES, DIMS);
        }
        for (ReduceOp op : ReduceOp.values()) {
            boolean arg = op == ReduceOp.ARGMAX || op == ReduceOp.ARGMIN;
            String name = "reduce_" + op.name().toLowerCase(Locale.ROOT);
            if (arg) {
                add("reduce", name + "_f32", PTR, STRIDES, DIMS, STRIDES, DIMS, PTR, I32);
            } else {
                add("reduce", name + "_f32", PTR, STRIDES, DIMS, STRIDES, DIMS, PTR);
            }
            add("reduce", name + "_any", PTR, I32, STRIDES, DIMS, STRIDES, DIMS, PTR, I32);
        }
        for (String t : new String[] {"f32", "f64"}) {
            add("softmax", "softmax_forward_" + t, PTR, PTR, I32, I32, I32);
            add("softmax", "softmax_backward_" + t, PTR, PTR, PTR, I32, I32, I32);
            add("norm", "layernorm_forward_" + t, PTR, PTR, PTR, PTR, PTR, PTR, I32, I32, F64);
            add("norm", "rmsnorm_forward_" + t, PTR, PTR, PTR, PTR, I32, I32, F64);
            add("norm", "norm_backward_" + t, PTR, PTR, PTR, PTR, PTR, PTR, I32, I32);
            add("norm", "norm_param_grad_partial_" + t, PTR, PTR, PTR, PTR, PTR, PTR, I32, I32, I32);
            add("norm", "column_sum_" + t, PTR, I32, I32, PTR);
            add("cross_entropy", "cross_entropy_forward_" + t, PTR, PTR, I32, PTR, PTR, I32, I32, I32, F64, PTR);
            add("cross_entropy", "cross_entropy_backward_" + t, PTR, PTR, I32, PTR, PTR, PTR, I32, I32, I32, F64);
        }
    }

    static final KernelSpec WHERE = add("elementwise", "where_any",
            PTR, I32, STRIDES, PTR, I32, STRIDES, PTR, I32, STRIDES, PTR, I32, STRIDES, DIMS);
    static final KernelSpec FILL = add("elementwise", "fill_any", PTR, I32, STRIDES, DIMS, F64);
    static final KernelSpec COPY = add("elementwise", "copy_any", PTR, I32, STRIDES, PTR, I32, STRIDES, DIMS);

    static final KernelSpec INDEX_SELECT = add("index", "index_select_any",
            PTR, I32, STRIDES, PTR, I32, DIMS, PTR, I32, I32, I32, I32, I32, PTR);
    static final KernelSpec INDEX_ADD = add("index", "index_add_any",
            PTR, I32, STRIDES, PTR, I32, STRIDES, DIMS, PTR, I32, I32, I32, I32, I32, PTR);
    static final KernelSpec GATHER = add("index", "gather_any",
            PTR, I32, STRIDES, PTR, I32, DIMS, PTR, I32, STRIDES, I32, I32, PTR);
    static final KernelSpec SCATTER_ADD = add("index", "scatter_add_any",
            PTR, I32, STRIDES, PTR, I32, STRIDES, DIMS, PTR, I32, STRIDES, I32, I32, PTR);

    static final KernelSpec GEMM = add("gemm", "gemm_any", I32, I32, I32, I32,
            PTR, I32, I32, I32, I32, I32,
            PTR, I32, I32, I32, I32, I32,
            PTR, I32, I32, I32, I32,
            F64, F64);

    static final KernelSpec ADAM = add("optim", "adam_update_f32",
            PTR, PTR, PTR, PTR, PTR, I32, F64, F64, F64, F64, I32, F64, F64, F64, F64, F64);
    static final KernelSpec SGD = add("optim", "sgd_update_f32", PTR, PTR, PTR, I32, F64, F64, F64, F64, I32, I32);

    static final KernelSpec ATTENTION_FORWARD = add("attention", "attention_forward_f32",
            PTR, PTR, PTR, PTR, STRIDES, PTR, PTR, I32, I32, I32, I32, I32, I32, I32, I32, I32, F64, F64, U64);
    static final KernelSpec ATTENTION_DELTA = add("attention", "attention_backward_delta_f32", PTR, PTR, PTR, I32, I32);
    static final KernelSpec ATTENTION_DQ = add("attention", "attention_backward_dq_f32",
            PTR, PTR, PTR, PTR, STRIDES, PTR, PTR, PTR, PTR, I32, I32, I32, I32, I32, I32, I32, I32, I32, F64, F64, U64);
    static final KernelSpec ATTENTION_DKDV = add("attention", "attention_backward_dkdv_f32",
            PTR, PTR, PTR, PTR, STRIDES, PTR, PTR, PTR, PTR, PTR, I32, I32, I32, I32, I32, I32, I32, I32, I32, F64,
            F64, U64);

    static final KernelSpec COPY_X4 = add("elementwise", "copy_x4", PTR, STRIDES, PTR, STRIDES, DIMS);
    static final KernelSpec COLUMN_PARTIAL_SUM = add("reduce", "column_partial_sum_f32", PTR, I32, I32, I32, I32, PTR);
    static final KernelSpec COLUMN_TOTAL = add("reduce", "column_total_f32", PTR, I32, I32, PTR);

    /** The tiled attention kernels for padded head dim 64 or 128 (same parameters as the kernels above). */
    static KernelSpec attentionTiledForward(int dp) {
        return ALL.get("attention_forward_tiled_d" + dp + "_f32");
    }

    static KernelSpec attentionTiledDq(int dp) {
        return ALL.get("attention_backward_dq_tiled_d" + dp + "_f32");
    }

    static KernelSpec attentionTiledDkDv(int dp) {
        return ALL.get("attention_backward_dkdv_tiled_d" + dp + "_f32");
    }

    static {
        for (int dp : new int[] {64, 128}) {
            add("attention", "attention_forward_tiled_d" + dp + "_f32", ATTENTION_FORWARD.params());
            add("attention", "attention_backward_dq_tiled_d" + dp + "_f32", ATTENTION_DQ.params());
            add("attention", "attention_backward_dkdv_tiled_d" + dp + "_f32", ATTENTION_DKDV.params());
        }
    }

    private Kernels() {
    }

    static KernelSpec get(String name) {
        KernelSpec k = ALL.get(name);
        if (k == null) {
            throw new IllegalArgumentException("no CUDA kernel named " + name);
        }
        return k;
    }

    static Collection<KernelSpec> all() {
        return ALL.values();
    }

    static KernelSpec unary(UnaryOp op, boolean f32) {
        return get(op.kernelName() + (f32 ? "_f32" : "_any"));
    }

    static KernelSpec binary(BinaryOp op, boolean f32) {
        return get(op.kernelName() + (f32 ? "_f32" : "_any"));
    }

    static KernelSpec reduce(ReduceOp op, boolean f32) {
        return get("reduce_" + op.name().toLowerCase(Locale.ROOT) + (f32 ? "_f32" : "_any"));
    }

    /** A fused-op kernel by its base name and "f32" / "f64". */
    static KernelSpec typed(String base, String type) {
        return get(base + "_" + type);
    }
}
