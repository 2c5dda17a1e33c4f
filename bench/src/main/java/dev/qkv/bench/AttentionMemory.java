package dev.qkv.bench;

import dev.qkv.autograd.Autograd;
import dev.qkv.nn.functional.Attention;
import dev.qkv.tensor.Tensor;

import java.lang.management.ManagementFactory;

/**
 * Bytes that one causal attention call allocates on the Java heap, manual path against fused,
 * at long context: the memory claim of the fused kernel, measured.
 *
 * <pre>
 *   java --add-modules jdk.incubator.vector -Xmx12g -cp bench/target/benchmarks.jar \
 *       dev.qkv.bench.AttentionMemory [T] [B] [H] [D] [threads]     (defaults 4096 1 8 64 1)
 * </pre>
 *
 * Counts the bytes allocated by all threads (HotSpot's counter,
 * {@code com.sun.management.ThreadMXBean.getTotalThreadAllocatedBytes}) across one forward
 * (under noGrad) and one forward + backward, after one untimed warmup call of each. This is
 * allocation volume, not peak residency (JMH's {@code -prof gc} reports the same kind of figure
 * as gc.alloc.rate.norm): an upper bound on what the call holds at once, and the traffic the
 * garbage collector must absorb. Prints CSV rows {@code workload,shape,threads,system,metric,value},
 * with the size of one float32 score matrix, B·H·T·T·4 bytes, for scale.
 */
public final class AttentionMemory {
    private AttentionMemory() {
    }

    public static void main(String[] args) {
        int t = args.length > 0 ? Integer.parseInt(args[0]) : 4096;
        int b = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        int h = args.length > 2 ? Integer.parseInt(args[2]) : 8;
        int d = args.length > 3 ? Integer.parseInt(args[3]) : 64;
        int threads = args.length > 4 ? Integer.parseInt(args[4]) : 1;
        BenchSupport.select("vector", threads);
        String shape = "B" + b + " H" + h + " T" + t + " D" + d + " causal";
        Tensor q = BenchSupport.randn(1, b, h, t, d).requiresGrad(true);
        Tensor k = BenchSupport.randn(2, b, h, t, d).requiresGrad(true);
        Tensor v = BenchSupport.randn(3, b, h, t, d).requiresGrad(true);
        Tensor dout = BenchSupport.randn(4, b, h, t, d);
        System.out.printf("attention-memory,%s,%d,scores-matrix,bytes,%d%n", shape, threads, 4L * b * h * t * t);
        for (Attention.Impl impl : new Attention.Impl[] {Attention.Impl.FUSED, Attention.Impl.MANUAL}) {
            String system = "qkv-" + impl.name().toLowerCase();
            Runnable forward = () -> {
                try (var ng = Autograd.noGrad()) {
                    Attention.scaledDotProductAttention(q, k, v, null, true, 0, 0.0, null, null, impl);
                }
            };
            Runnable forwardBackward = () -> {
                q.zeroGrad();
                k.zeroGrad();
                v.zeroGrad();
                Attention.scaledDotProductAttention(q, k, v, null, true, 0, 0.0, null, null, impl).backward(dout);
            };
            forward.run();                                   // warmup: class loading, JIT, lazy buffers
            System.out.printf("attention-memory,%s,%d,%s,fwd_alloc_bytes,%d%n", shape, threads, system, allocated(forward));
            forwardBackward.run();
            System.out.printf("attention-memory,%s,%d,%s,fwdbwd_alloc_bytes,%d%n", shape, threads, system,
                    allocated(forwardBackward));
        }
    }

    /**
     * Heap bytes that all threads allocate while {@code body} runs, from the JVM-wide counter,
     * which keeps the bytes of threads that ended meanwhile (the pool retires idle workers;
     * summing live threads' counters would lose theirs).
     */
    static long allocated(Runnable body) {
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = mx.getTotalThreadAllocatedBytes();
        body.run();
        return mx.getTotalThreadAllocatedBytes() - before;
    }
}
