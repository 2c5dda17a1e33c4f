package dev.qkv.samples;

import dev.qkv.autograd.Autograd;
import dev.qkv.nn.functional.F;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;

/**
 * The flagship demo until the GPT demo lands: a two-layer MLP learns to classify points of
 * two interleaved spirals, with plain tensors, autograd and hand-written SGD.
 */
final class MlpDemo {
    // Kept as "qkv mlp-demo": the first demo, before the GPT existed.
    private MlpDemo() {
    }

    static void run(String[] args) {
        int steps = 400;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--steps") && i + 1 < args.length) {
                steps = Integer.parseInt(args[++i]);
            } else if (!args[i].equals("--verbose")) {
                throw new IllegalArgumentException("unknown option '" + args[i] + "' (options: --steps N)");
            }
        }
        Generator g = new Generator(42);
        int n = 512;
        // Two spirals: class k's points lie at angle θ + kπ with radius growing with θ.
        float[] xs = new float[n * 2];
        long[] ys = new long[n];
        for (int i = 0; i < n; i++) {
            int k = i % 2;
            double t = 0.5 + 3.5 * g.nextDouble();
            double angle = t * 1.8 + k * Math.PI;
            xs[2 * i] = (float) (t * Math.cos(angle) / 4 + 0.05 * g.nextGaussian());
            xs[2 * i + 1] = (float) (t * Math.sin(angle) / 4 + 0.05 * g.nextGaussian());
            ys[i] = k;
        }
        Tensor x = Tensor.fromArray(xs, n, 2);
        Tensor y = Tensor.fromArray(ys, n);

        int hidden = 64;
        Tensor w1 = Tensor.randn(g, 2, hidden).mul(Math.sqrt(2.0 / 2)).detach().requiresGrad(true);
        Tensor b1 = Tensor.zeros(hidden).requiresGrad(true);
        Tensor w2 = Tensor.randn(g, hidden, hidden).mul(Math.sqrt(2.0 / hidden)).detach().requiresGrad(true);
        Tensor b2 = Tensor.zeros(hidden).requiresGrad(true);
        Tensor w3 = Tensor.randn(g, hidden, 2).mul(Math.sqrt(1.0 / hidden)).detach().requiresGrad(true);
        Tensor b3 = Tensor.zeros(2).requiresGrad(true);
        Tensor[] params = {w1, b1, w2, b2, w3, b3};

        System.out.println("qkv demo: a 2-64-64-2 MLP learns two spirals (" + n + " points, full-batch SGD)");
        double lr = 0.5;
        for (int step = 0; step <= steps; step++) {
            Tensor logits = x.matmul(w1).add(b1).tanh().matmul(w2).add(b2).tanh().matmul(w3).add(b3);
            Tensor loss = F.crossEntropy(logits, y);
            for (Tensor p : params) {
                p.zeroGrad();
            }
            loss.backward();
            try (var s = Autograd.noGrad()) {
                for (Tensor p : params) {
                    p.sub_(p.grad().mul(lr));
                }
            }
            if (step % 50 == 0) {
                double acc;
                try (var s = Autograd.noGrad()) {
                    acc = logits.argmax(1, false).eq(y).to(dev.qkv.tensor.DType.FLOAT32).mean().item();
                }
                System.out.printf("step %4d  loss %.4f  accuracy %.1f%%%n", step, loss.item(), 100 * acc);
            }
        }
    }
}
