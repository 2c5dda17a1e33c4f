package dev.qkv.samples.roadmap;

import dev.qkv.autograd.Autograd;
import dev.qkv.nn.Sequential;
import dev.qkv.nn.UnaryModule;
import dev.qkv.nn.functional.F;
import dev.qkv.optim.Adam;
import dev.qkv.samples.Sample;
import dev.qkv.samples.SampleContext;
import dev.qkv.samples.cli.Progress;
import dev.qkv.samples.plot.Plot;
import dev.qkv.tensor.DType;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Adversarial examples with the fast gradient sign method (FGSM, Goodfellow et al., 2014), and
 * adversarial training as a defense.
 *
 * <p>Training asks: how should the weights change to lower the loss? FGSM asks the same
 * question about the input: the gradient of the loss with respect to the pixels, from the same
 * backward pass. Moving every pixel a small step ε in the direction of that gradient's sign,
 *
 * <pre>
 *   x_adv = clamp(x + ε·sign(∇ₓ loss(f(x), y)), 0, 1)
 * </pre>
 *
 * changes the image by at most ε per pixel, a faint haze at ε = 0.1, yet adds up over hundreds
 * of pixels into a large change of the logits, because the network is close to linear. A LeNet
 * that is right on 96% of clean digits is wrong on more than half of them at ε = 0.1.
 * Adversarial training fights back by training on such examples, made fresh against the current
 * weights at every step.
 */
public final class AdversarialSample implements Sample {
    /** The strengths of attack to evaluate; pixels are in [0, 1]. */
    static final double[] EPSILONS = {0, 0.05, 0.1, 0.15, 0.2};
    /** The ε the adversarially trained model sees during training. */
    static final double TRAIN_EPSILON = 0.1;

    @Override
    public String name() {
        return "adversarial";
    }

    @Override
    public String summary() {
        return "FGSM adversarial examples against a digit classifier, then adversarial training";
    }

    @Override
    public List<String> options() {
        return List.of("mnist", "train", "epochs");
    }

    /**
     * The classifier: LeNet-5 from the lenet-resnet sample, behind a fixed standardization. The
     * attack works on pixels in [0, 1], so the model takes raw pixels and standardizes them itself.
     */
    static Sequential classifier(int size, double mean, double std, Generator g) {
        return new Sequential(new Standardize(mean, std), LenetResnetSample.lenet(size, g));
    }

    /** (x − mean)/std with fixed statistics of the training pixels; no parameters. */
    static final class Standardize extends UnaryModule {
        final double mean;
        final double std;

        Standardize(double mean, double std) {
            this.mean = mean;
            this.std = std;
        }

        @Override
        public Tensor forward(Tensor x) {
            return x.sub(mean).div(std);
        }
    }

    /**
     * FGSM: x + ε·sign(∇ₓ loss), kept inside the valid pixel range [0, 1]. The gradient comes
     * from an ordinary backward pass with x as a leaf that requires grad; the parameters'
     * gradients it leaves behind are cleared by the next zeroGrad.
     */
    static Tensor fgsm(Sequential model, Tensor x, Tensor y, double eps) {
        Tensor leaf = x.detach().requiresGrad(true);
        F.crossEntropy(model.forward(leaf), y).backward();
        Tensor grad = leaf.grad();
        // sign(g) = [g > 0] − [g < 0]: +1, −1, or 0 where the loss does not depend on the pixel
        Tensor sign = grad.gt(0).to(DType.FLOAT32).sub(grad.lt(0).to(DType.FLOAT32));
        try (var s = Autograd.noGrad()) {
            return x.add(sign.mul(eps)).clamp(0, 1);
        }
    }

    /**
     * Trains with Adam; with {@code advEps} > 0 each batch is half clean, half FGSM examples made
     * against the current weights (Goodfellow et al.'s mix, so clean accuracy stays high).
     */
    static void train(Sequential model, Images.Dataset data, int epochs, double advEps, Generator g, SampleContext ctx) {
        Adam opt = new Adam(model.parameters(), 3e-3);
        int batch = 32;
        int perEpoch = data.n() / batch;
        Progress bar = ctx.progress(epochs * perEpoch, "img");
        double smooth = Double.NaN;
        for (int epoch = 0, step = 0; epoch < epochs; epoch++) {
            int[] order = Images.permutation(data.n(), g);
            for (int b = 0; b < perEpoch; b++, step++) {
                int[] idx = Images.batch(order, b * batch, batch);
                Tensor x = data.images(idx);
                Tensor y = data.labels(idx);
                if (advEps > 0) {
                    int half = batch / 2;
                    Tensor adv = fgsm(model, x.narrow(0, half, half), y.narrow(0, half, half), advEps);
                    x = Tensor.cat(List.of(x.narrow(0, 0, half), adv), 0);     // [clean half; adversarial half]
                }
                Tensor loss = F.crossEntropy(model.forward(x), y);
                opt.zeroGrad();                                                 // also drops fgsm's gradients
                loss.backward();
                opt.step();
                smooth = Double.isNaN(smooth) ? loss.item() : 0.95 * smooth + 0.05 * loss.item();
                bar.update(step + 1, String.format(Locale.ROOT, "loss %.3f", smooth), (step + 1.0) * batch);
            }
        }
    }

    /** Accuracy on the data after an FGSM attack of strength eps (eps = 0: clean accuracy). */
    static double attackedAccuracy(Sequential model, Images.Dataset data, double eps) {
        int right = 0;
        for (int from = 0; from < data.n(); from += 500) {
            int[] idx = range(from, Math.min(500, data.n() - from));
            Tensor x = data.images(idx);
            Tensor y = data.labels(idx);
            Tensor input = eps == 0 ? x : fgsm(model, x, y, eps);
            try (var s = Autograd.noGrad()) {
                right += (int) model.forward(input).argmax(1, false).eq(y).to(DType.INT64).sum().item();
            }
        }
        model.zeroGrad();
        return (double) right / data.n();
    }

    static int[] range(int from, int count) {
        int[] idx = new int[count];
        for (int i = 0; i < count; i++) {
            idx[i] = from + i;
        }
        return idx;
    }

    @Override
    public Map<String, Double> run(SampleContext ctx) throws Exception {
        Generator g = new Generator(ctx.seed());
        int nTrain = ctx.args().integer("train", ctx.size(6000, 1600), 100, 60000);
        int epochs = ctx.args().integer("epochs", 3, 1, 100);
        Images.Dataset train;
        Images.Dataset test;
        if (ctx.args().has("mnist")) {
            Path dir = ctx.args().directory("mnist");
            train = MnistIdx.load(dir, true, nTrain);
            test = MnistIdx.load(dir, false, ctx.size(2000, 500));
        } else {
            int size = ctx.size(28, 16);                       // the smoke run: 16×16 digits without clutter
            train = Images.digits(nTrain, size, !ctx.smoke(), g);
            test = Images.digits(ctx.size(2000, 500), size, !ctx.smoke(), new Generator(ctx.seed() + 1000));
        }
        ctx.out().printf("digits %dx%d: %d training, %d test images; pixels in [0, 1]%n", train.size(), train.size(),
                train.n(), test.n());

        double[] ms = train.meanStd();
        Map<String, Double> results = new LinkedHashMap<>();
        List<Plot.Series> curves = new ArrayList<>();
        Sequential standard = null;
        for (String kind : new String[] {"standard", "adversarial"}) {
            Sequential model = classifier(train.size(), ms[0], ms[1], new Generator(ctx.seed() + 1));
            ctx.out().println(kind + " training" + (kind.equals("standard") ? " on clean digits"
                    : " on half clean, half FGSM digits (eps " + TRAIN_EPSILON + ")"));
            train(model, train, epochs, kind.equals("standard") ? 0 : TRAIN_EPSILON, g, ctx);
            double[] acc = new double[EPSILONS.length];
            for (int i = 0; i < EPSILONS.length; i++) {
                acc[i] = attackedAccuracy(model, test, EPSILONS[i]);
                ctx.out().printf(Locale.ROOT, "  %s model, FGSM eps %.2f: accuracy %.1f%%%n", kind, EPSILONS[i],
                        100 * acc[i]);
                results.put(String.format(Locale.ROOT, "%s_acc_eps%.2f", kind, EPSILONS[i]), acc[i]);
            }
            curves.add(Plot.Series.line(kind + " training", EPSILONS, acc));
            if (standard == null) {
                standard = model;
            }
        }

        Path chart = ctx.file("adversarial-accuracy.svg");
        Plot.lineChart(chart, "accuracy under FGSM attack", "epsilon (max change per pixel)", "test accuracy", curves,
                false);
        ctx.wrote(chart, "accuracy against attack strength, standard vs adversarial training");
        Path grid = ctx.file("adversarial-examples.png");
        examples(grid, standard, test, TRAIN_EPSILON);
        ctx.wrote(grid, "rows: clean digits, FGSM eps " + TRAIN_EPSILON + ", the perturbation; labels are the standard model's predictions");
        return results;
    }

    /** A PNG of ten test digits: clean, attacked, and the perturbation (gray = 0, white = +eps, black = −eps). */
    static void examples(Path file, Sequential model, Images.Dataset test, double eps) throws java.io.IOException {
        int[] idx = range(0, 10);
        Tensor x = test.images(idx);
        Tensor y = test.labels(idx);
        Tensor adv = fgsm(model, x, y, eps);
        model.zeroGrad();
        long[] cleanPred;
        long[] advPred;
        try (var s = Autograd.noGrad()) {
            cleanPred = model.forward(x).argmax(1, false).toLongArray();
            advPred = model.forward(adv).argmax(1, false).toLongArray();
        }
        Tensor delta = adv.sub(x).div(2 * eps).add(0.5);                      // [−eps, eps] -> [0, 1]
        Images.Dataset[] rows = {asDataset(x, test), asDataset(adv, test), asDataset(delta, test)};
        List<float[][][]> tiles = new ArrayList<>();
        List<Integer> frames = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        for (int r = 0; r < 3; r++) {
            for (int i = 0; i < 10; i++) {
                tiles.add(rows[r].image(i));
                long p = r == 0 ? cleanPred[i] : advPred[i];
                frames.add(r == 2 ? Images.GRAY : p == test.labels()[i] ? Images.GREEN : Images.RED);
                labels.add(r == 2 ? "" : Long.toString(p));
            }
        }
        Images.grid(file, tiles, frames, labels, 10, 3);
    }

    private static Images.Dataset asDataset(Tensor images, Images.Dataset like) {
        return new Images.Dataset(images.toFloatArray(), java.util.Arrays.copyOf(like.labels(), images.size(0)),
                images.size(0), 1, like.size());
    }
}
