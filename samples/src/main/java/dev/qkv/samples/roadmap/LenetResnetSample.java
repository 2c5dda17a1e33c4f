package dev.qkv.samples.roadmap;

import dev.qkv.autograd.Autograd;
import dev.qkv.nn.BatchNorm2d;
import dev.qkv.nn.Conv2d;
import dev.qkv.nn.Flatten;
import dev.qkv.nn.Linear;
import dev.qkv.nn.MaxPool2d;
import dev.qkv.nn.ReLU;
import dev.qkv.nn.Sequential;
import dev.qkv.nn.UnaryModule;
import dev.qkv.nn.functional.F;
import dev.qkv.optim.Adam;
import dev.qkv.optim.CosineAnnealingLR;
import dev.qkv.samples.Sample;
import dev.qkv.samples.SampleContext;
import dev.qkv.samples.cli.Progress;
import dev.qkv.samples.plot.Plot;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Two convolutional networks on 28×28 digit images: LeNet-5 (LeCun et al., 1998), the first
 * CNN that read digits for a living, and a small ResNet (He et al., 2015), whose residual
 * blocks with batch normalization are how deep CNNs became trainable. Both are trained with the
 * same loop and compared on held-out images.
 *
 * <p>The digits are generated ({@link Images#digits}), so the sample runs anywhere; with
 * {@code --mnist DIR} it reads the real MNIST IDX files instead ({@link MnistIdx}).
 */
public final class LenetResnetSample implements Sample {
    /** Images per training step. */
    static final int BATCH = 32;

    @Override
    public String name() {
        return "lenet-resnet";
    }

    @Override
    public String summary() {
        return "LeNet-5 and a small ResNet with BatchNorm on generated digits (or MNIST via --mnist DIR)";
    }

    @Override
    public List<String> options() {
        return List.of("mnist", "train", "epochs");
    }

    /**
     * LeNet-5 for size×size inputs (shapes for 28×28): two convolution + pooling stages that turn
     * pixels into 16 maps of 5×5 features, then three fully connected layers. The 1998 network
     * used tanh-like units and trainable average pooling; ReLU and max pooling are the common
     * modern reading.
     */
    static Sequential lenet(int size, Generator g) {
        int side = (size / 2 - 4) / 2;                                         // 5 for 28×28 inputs
        return new Sequential(
                new Conv2d(1, 6, 5, 1, 2, g), new ReLU(), new MaxPool2d(2),      // [N, 6, 28, 28] -> [N, 6, 14, 14]
                new Conv2d(6, 16, 5, 1, 0, g), new ReLU(), new MaxPool2d(2),     // [N, 16, 10, 10] -> [N, 16, 5, 5]
                new Flatten(),                                                  // [N, 400]
                new Linear(16 * side * side, 120, g), new ReLU(),
                new Linear(120, 84, g), new ReLU(),
                new Linear(84, 10, g));                                         // [N, 10] logits
    }

    /**
     * The residual block of ResNet-18/34 (torchvision's BasicBlock, same parameter names):
     * out = relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)). The shortcut is x itself, or a
     * strided 1×1 convolution with batch norm ("downsample") when the block changes the size or
     * the channel count. The identity path lets the gradient reach early layers undiminished.
     */
    static final class BasicBlock extends UnaryModule {
        final Conv2d conv1;
        final BatchNorm2d bn1;
        final Conv2d conv2;
        final BatchNorm2d bn2;
        final Sequential downsample;

        BasicBlock(int in, int out, int stride, Generator g) {
            // No conv bias: the batch norm right after subtracts any constant and adds its own shift.
            conv1 = registerModule("conv1", new Conv2d(in, out, 3, stride, 1, 1, 1, false, g));
            bn1 = registerModule("bn1", new BatchNorm2d(out));
            conv2 = registerModule("conv2", new Conv2d(out, out, 3, 1, 1, 1, 1, false, g));
            bn2 = registerModule("bn2", new BatchNorm2d(out));
            downsample = stride == 1 && in == out ? null : registerModule("downsample",
                    new Sequential(new Conv2d(in, out, 1, stride, 0, 1, 1, false, g), new BatchNorm2d(out)));
        }

        @Override
        public Tensor forward(Tensor x) {
            Tensor h = bn1.forward(conv1.forward(x)).relu();                     // [N, out, H/stride, W/stride]
            h = bn2.forward(conv2.forward(h));
            Tensor shortcut = downsample == null ? x : downsample.forward(x);   // same shape as h
            return h.add(shortcut).relu();
        }
    }

    /**
     * A ResNet for 28×28 images: a strided 3×3 stem (14×14), then three basic blocks of 8, 16 and
     * 32 channels, the last two halving the size (7×7, 4×4), global average pooling and a linear
     * classifier. ResNet-18 is the same design with 8 blocks of 64 to 512 channels, and a 7×7 stem
     * followed by max pooling for its 224×224 images.
     */
    static final class ResNet extends UnaryModule {
        final Sequential stem;
        final Sequential layers;
        final Linear fc;

        ResNet(Generator g) {
            stem = registerModule("stem", new Sequential(new Conv2d(1, 8, 3, 2, 1, 1, 1, false, g), new BatchNorm2d(8),
                    new ReLU()));                                              // [N, 8, 14, 14]
            layers = registerModule("layers", new Sequential(new BasicBlock(8, 8, 1, g), new BasicBlock(8, 16, 2, g),
                    new BasicBlock(16, 32, 2, g)));
            fc = registerModule("fc", new Linear(32, 10, g));
        }

        @Override
        public Tensor forward(Tensor x) {
            Tensor h = layers.forward(stem.forward(x));                          // [N, 32, 4, 4]
            return fc.forward(h.mean(new int[] {2, 3}, false));                  // [N, 32] -> [N, 10]
        }
    }

    /** Mini-batch training with Adam and a cosine learning-rate decay; returns the loss of every step. */
    static double[] train(UnaryModule model, Images.Dataset data, int epochs, int batchSize, double lr, Generator g,
                          SampleContext ctx) {
        Adam opt = new Adam(model.parameters(), lr);
        int perEpoch = data.n() / batchSize;
        int steps = epochs * perEpoch;
        CosineAnnealingLR schedule = new CosineAnnealingLR(opt, steps, lr / 20);
        double[] losses = new double[steps];
        Progress bar = ctx.progress(steps, "img");
        model.train();                                                          // batch norm: batch statistics
        double smooth = Double.NaN;
        for (int epoch = 0, step = 0; epoch < epochs; epoch++) {
            int[] order = Images.permutation(data.n(), g);
            for (int b = 0; b < perEpoch; b++, step++) {
                int[] idx = Images.batch(order, b * batchSize, batchSize);
                Tensor loss = F.crossEntropy(model.forward(data.images(idx)), data.labels(idx));
                opt.zeroGrad();
                loss.backward();
                opt.step();
                schedule.step();
                losses[step] = loss.item();
                smooth = Double.isNaN(smooth) ? losses[step] : 0.95 * smooth + 0.05 * losses[step];
                bar.update(step + 1, String.format(Locale.ROOT, "loss %.3f", smooth), (step + 1.0) * batchSize);
            }
        }
        return losses;
    }

    /** The predicted class of every image, in eval mode (batch norm uses its running statistics). */
    static long[] predict(UnaryModule model, Images.Dataset data) {
        model.eval();
        long[] out = new long[data.n()];
        try (var s = Autograd.noGrad()) {
            for (int from = 0; from < data.n(); from += 250) {
                int[] idx = new int[Math.min(250, data.n() - from)];
                for (int i = 0; i < idx.length; i++) {
                    idx[i] = from + i;
                }
                long[] p = model.forward(data.images(idx)).argmax(1, false).toLongArray();
                System.arraycopy(p, 0, out, from, p.length);
            }
        }
        return out;
    }

    static double accuracy(long[] predicted, long[] labels) {
        int right = 0;
        for (int i = 0; i < predicted.length; i++) {
            right += predicted[i] == labels[i] ? 1 : 0;
        }
        return (double) right / predicted.length;
    }

    @Override
    public Map<String, Double> run(SampleContext ctx) throws Exception {
        Generator g = new Generator(ctx.seed());
        // The smoke run draws 16×16 digits without clutter: a third of the work per image, an
        // easier task, the same networks.
        int nTrain = ctx.args().integer("train", ctx.size(6000, 1600), 100, 60000);
        int epochs = ctx.args().integer("epochs", 3, 1, 100);
        Images.Dataset train;
        Images.Dataset test;
        if (ctx.args().has("mnist")) {
            Path dir = ctx.args().directory("mnist");
            train = MnistIdx.load(dir, true, nTrain);
            test = MnistIdx.load(dir, false, ctx.size(10000, 500));
            ctx.out().println("MNIST from " + dir + ": " + train.n() + " training and " + test.n() + " test images");
        } else {
            int size = ctx.size(28, 16);
            train = Images.digits(nTrain, size, !ctx.smoke(), g);
            test = Images.digits(ctx.size(2000, 400), size, !ctx.smoke(), new Generator(ctx.seed() + 1000));
            ctx.out().println("generated digits: " + train.n() + " training and " + test.n() + " held-out images, "
                    + size + "x" + size);
        }

        // Standardize with the training set's statistics (the test set must not peek at its own).
        double[] ms = train.meanStd();
        Images.Dataset trainIn = train.standardized(ms[0], ms[1]);
        Images.Dataset testIn = test.standardized(ms[0], ms[1]);

        Map<String, Double> results = new LinkedHashMap<>();
        List<Plot.Series> curves = new ArrayList<>();
        long[] resnetPredictions = null;
        for (String kind : new String[] {"lenet", "resnet"}) {
            Generator init = new Generator(ctx.seed() + 1);
            UnaryModule model = kind.equals("lenet") ? lenet(train.size(), init) : new ResNet(init);
            ctx.out().printf(Locale.ROOT, "%s: %,d parameters, %d epochs of %d images%n", kind, model.numParameters(),
                    epochs, train.n());
            long start = System.nanoTime();
            double[] losses = train(model, trainIn, epochs, BATCH, kind.equals("lenet") ? 2e-3 : 4e-3, g, ctx);
            double seconds = (System.nanoTime() - start) / 1e9;
            long[] predicted = predict(model, testIn);
            double acc = accuracy(predicted, test.labels());
            ctx.out().printf(Locale.ROOT, "%s: held-out accuracy %.2f%% (%.0f s of training)%n", kind, 100 * acc, seconds);
            results.put("accuracy_" + kind, acc);
            curves.add(Plot.Series.of(kind, smooth(losses, 20)));
            if (kind.equals("resnet")) {
                resnetPredictions = predicted;
            }
        }

        Path losses = ctx.file("lenet-resnet-loss.svg");
        Plot.lineChart(losses, "training loss (moving average of 20 steps)", "step", "cross-entropy", curves, true);
        ctx.wrote(losses, "training loss of both networks");
        List<float[][][]> tiles = new ArrayList<>();
        List<Integer> frames = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        for (int i = 0; i < Math.min(40, test.n()); i++) {
            tiles.add(test.image(i));
            frames.add(resnetPredictions[i] == test.labels()[i] ? Images.GREEN : Images.RED);
            labels.add(Long.toString(resnetPredictions[i]));
        }
        Path grid = ctx.file("lenet-resnet-predictions.png");
        Images.grid(grid, tiles, frames, labels, 10, 3);
        ctx.wrote(grid, "held-out images with the ResNet's predictions, green right, red wrong");
        return results;
    }

    /** Moving average over a window, so the curve shows the trend rather than batch noise. */
    static double[] smooth(double[] v, int window) {
        double[] out = new double[v.length];
        double sum = 0;
        for (int i = 0; i < v.length; i++) {
            sum += v[i];
            if (i >= window) {
                sum -= v[i - window];
            }
            out[i] = sum / Math.min(i + 1, window);
        }
        return out;
    }
}
