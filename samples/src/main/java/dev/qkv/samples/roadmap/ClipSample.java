package dev.qkv.samples.roadmap;

import dev.qkv.autograd.Autograd;
import dev.qkv.nn.Conv2d;
import dev.qkv.nn.Flatten;
import dev.qkv.nn.Init;
import dev.qkv.nn.Linear;
import dev.qkv.nn.MaxPool2d;
import dev.qkv.nn.Parameter;
import dev.qkv.nn.ReLU;
import dev.qkv.nn.Sequential;
import dev.qkv.nn.functional.F;
import dev.qkv.optim.Adam;
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
 * Contrastive image–text pretraining in the style of CLIP (Radford et al., 2021) on generated
 * pictures of colored shapes and their captions ("a photo of a small red circle").
 *
 * <p>An image encoder (a small CNN) and a text encoder (a bag of words) each map their input to
 * a unit vector in one shared 32-dimensional space. For a batch of B matching pairs, the B×B
 * matrix of cosine similarities, scaled by a learned temperature, is read as logits twice: each
 * image must pick its own caption among the B (cross-entropy along rows), and each caption its
 * image (along columns). This symmetric InfoNCE loss pulls matching pairs together and pushes
 * the B² − B mismatched ones apart; no class labels are ever given.
 *
 * <p>Zero-shot classification then needs no training at all: embed the captions of each class
 * ("a photo of a small red circle", ...) and give each image the class whose captions are most
 * similar.
 * Four color–shape combinations are never shown in training; recognizing them tests whether the
 * model learned "red" and "circle" as separate concepts it can combine.
 */
public final class ClipSample implements Sample {
    static final String[] COLORS = {"red", "green", "blue", "yellow"};
    static final float[][] RGB = {{0.9f, 0.15f, 0.1f}, {0.15f, 0.8f, 0.2f}, {0.2f, 0.35f, 0.95f}, {0.95f, 0.85f, 0.1f}};
    static final String[] SHAPES = {"circle", "square", "triangle", "cross"};
    static final String[] SIZES = {"small", "large"};
    /** Caption templates: word order varies, filler words carry no information. */
    static final String[] TEMPLATES = {"a %s %s %s", "a photo of a %s %s %s", "a picture of a %s %s %s"};
    static final List<String> VOCAB = List.of("a", "photo", "picture", "of", "small", "large", "red", "green", "blue",
            "yellow", "circle", "square", "triangle", "cross");
    /** Image side in pixels, and the dimension of the shared embedding space. */
    static final int SIZE = 16;
    static final int EMBED = 32;

    @Override
    public String name() {
        return "clip";
    }

    @Override
    public String summary() {
        return "CLIP-style contrastive image-text training on shapes and captions; zero-shot classification";
    }

    @Override
    public List<String> options() {
        return List.of("steps");
    }

    /** Held out from training: one combination per color and per shape (a diagonal of the 4×4 grid). */
    static boolean heldOut(int color, int shape) {
        return color == shape;
    }

    /** A [3, SIZE, SIZE] picture of one shape: random position and jittered color on a dark, noisy background. */
    static float[] render(int color, int shape, int size, Generator g) {
        float[] img = new float[3 * SIZE * SIZE];
        double r = size == 0 ? 2.5 + g.nextDouble() : 4.8 + 1.4 * g.nextDouble();        // half-extent in pixels
        double cx = r + 0.5 + (SIZE - 1 - 2 * r) * g.nextDouble();
        double cy = r + 0.5 + (SIZE - 1 - 2 * r) * g.nextDouble();
        float[] rgb = new float[3];
        for (int c = 0; c < 3; c++) {
            rgb[c] = (float) Math.max(0, Math.min(1, RGB[color][c] + 0.08 * g.nextGaussian()));
        }
        for (int y = 0; y < SIZE; y++) {
            for (int x = 0; x < SIZE; x++) {
                // coverage by 4×4 subsamples: smooth edges
                int in = 0;
                for (int sy = 0; sy < 4; sy++) {
                    for (int sx = 0; sx < 4; sx++) {
                        in += inside(shape, x + (sx + 0.5) / 4 - cx, y + (sy + 0.5) / 4 - cy, r) ? 1 : 0;
                    }
                }
                double cover = in / 16.0;
                for (int c = 0; c < 3; c++) {
                    double v = cover * rgb[c] + 0.05 + 0.03 * g.nextGaussian();
                    img[(c * SIZE + y) * SIZE + x] = (float) Math.max(0, Math.min(1, v));
                }
            }
        }
        return img;
    }

    /** Whether offset (dx, dy) from the center (y pointing down) is inside the shape of half-extent r. */
    static boolean inside(int shape, double dx, double dy, double r) {
        return switch (shape) {
            case 0 -> dx * dx + dy * dy <= r * r;                                          // circle
            case 1 -> Math.abs(dx) <= 0.85 * r && Math.abs(dy) <= 0.85 * r;                // square
            case 2 -> dy >= -r && dy <= 0.8 * r && Math.abs(dx) <= (dy + r) / 1.8;         // triangle, apex up
            default -> Math.abs(dx) <= r / 3 && Math.abs(dy) <= r || Math.abs(dy) <= r / 3 && Math.abs(dx) <= r;   // cross
        };
    }

    /** Bag of words: [VOCAB.size()] word counts divided by the number of words (the mean of one-hots). */
    static float[] bagOfWords(String caption) {
        float[] v = new float[VOCAB.size()];
        String[] words = caption.split(" ");
        for (String w : words) {
            int i = VOCAB.indexOf(w);
            if (i < 0) {
                throw new IllegalArgumentException("clip: word '" + w + "' is not in the vocabulary " + VOCAB);
            }
            v[i] += 1f / words.length;
        }
        return v;
    }

    /** The image encoder: [N, 3, 16, 16] → [N, EMBED]. */
    static Sequential imageEncoder(Generator g) {
        return new Sequential(
                new Conv2d(3, 16, 3, 1, 1, g), new ReLU(), new MaxPool2d(2),     // [N, 16, 8, 8]
                new Conv2d(16, 32, 3, 1, 1, g), new ReLU(), new MaxPool2d(2),    // [N, 32, 4, 4]
                new Flatten(), new Linear(32 * 4 * 4, EMBED, g));                // [N, EMBED]
    }

    /**
     * The text encoder: bag of words [N, V] → [N, EMBED]. Its first layer on word frequencies is
     * the mean of the words' embeddings. Word order is lost, which these captions can afford;
     * CLIP's text encoder is a transformer.
     */
    static Sequential textEncoder(Generator g) {
        return new Sequential(new Linear(VOCAB.size(), 64, g), new ReLU(), new Linear(64, EMBED, g));
    }

    /** Rows scaled to unit length: then a dot product is the cosine similarity. */
    static Tensor normalize(Tensor e) {
        return e.div(e.square().sum(-1, true).add(1e-12).sqrt());
    }

    @Override
    public Map<String, Double> run(SampleContext ctx) throws Exception {
        Generator g = new Generator(ctx.seed());
        int steps = ctx.args().integer("steps", ctx.size(800, 250), 1, 1_000_000);
        Sequential images = imageEncoder(new Generator(ctx.seed() + 1));
        Sequential text = textEncoder(new Generator(ctx.seed() + 2));
        // log of the inverse temperature, as in CLIP: starts at 1/0.07 and is learned.
        Parameter logitScale = new Parameter(Tensor.scalar(Math.log(1 / 0.07)));
        List<Parameter> params = new ArrayList<>(images.parameters());
        params.addAll(text.parameters());
        params.add(logitScale);
        Adam opt = new Adam(params, 2e-3);

        // Every training triple (color, shape, size) once per batch: B = 24 distinct captions.
        List<int[]> triples = new ArrayList<>();
        for (int c = 0; c < COLORS.length; c++) {
            for (int s = 0; s < SHAPES.length; s++) {
                for (int z = 0; z < SIZES.length; z++) {
                    if (!heldOut(c, s)) {
                        triples.add(new int[] {c, s, z});
                    }
                }
            }
        }
        int b = triples.size();
        ctx.out().printf("%d caption triples (color, shape, size) in training; held out: %s%n", b, heldOutNames());
        Tensor targets = Tensor.arange(b);                                      // pair i matches pair i
        double[] losses = new double[steps];
        Progress bar = ctx.progress(steps, "pair");
        for (int t = 0; t < steps; t++) {
            float[] pix = new float[b * 3 * SIZE * SIZE];
            float[] words = new float[b * VOCAB.size()];
            for (int i = 0; i < b; i++) {
                int[] tr = triples.get(i);
                System.arraycopy(render(tr[0], tr[1], tr[2], g), 0, pix, i * 3 * SIZE * SIZE, 3 * SIZE * SIZE);
                String caption = String.format(TEMPLATES[(int) g.nextLong(TEMPLATES.length)], SIZES[tr[2]],
                        COLORS[tr[0]], SHAPES[tr[1]]);
                System.arraycopy(bagOfWords(caption), 0, words, i * VOCAB.size(), VOCAB.size());
            }
            Tensor img = normalize(images.forward(Tensor.fromArray(pix, b, 3, SIZE, SIZE)));   // [B, EMBED]
            Tensor txt = normalize(text.forward(Tensor.fromArray(words, b, VOCAB.size())));      // [B, EMBED]
            Tensor logits = img.matmul(txt.t()).mul(logitScale.exp());                           // [B, B]
            // Symmetric InfoNCE: images choose among captions (rows), captions among images (columns).
            Tensor loss = F.crossEntropy(logits, targets).add(F.crossEntropy(logits.t(), targets)).div(2);
            opt.zeroGrad();
            loss.backward();
            opt.step();
            try (var s = Autograd.noGrad()) {
                if (logitScale.item() > Math.log(100)) {
                    Init.constant_(logitScale, Math.log(100));                   // CLIP caps the scale at 100
                }
            }
            losses[t] = loss.item();
            bar.update(t + 1, String.format(Locale.ROOT, "loss %.3f", losses[t]), (t + 1.0) * b);
        }
        ctx.out().printf(Locale.ROOT, "learned temperature 1/%.1f; chance loss would be ln %d = %.2f%n",
                Math.exp(logitScale.item()), b, Math.log(b));

        // Zero-shot: a class (color, shape) is described by every caption that fits it, all
        // templates and both sizes; their embeddings are averaged ("prompt ensembling" in CLIP).
        int classes = COLORS.length * SHAPES.length;
        int variants = SIZES.length * TEMPLATES.length;
        float[] prompts = new float[classes * variants * VOCAB.size()];
        for (int k = 0, row = 0; k < classes; k++) {
            for (String size : SIZES) {
                for (String template : TEMPLATES) {
                    String p = String.format(template, size, COLORS[k / SHAPES.length], SHAPES[k % SHAPES.length]);
                    System.arraycopy(bagOfWords(p), 0, prompts, row++ * VOCAB.size(), VOCAB.size());
                }
            }
        }
        int perClass = ctx.size(50, 25);
        Generator tg = new Generator(ctx.seed() + 100);
        float[] testPix = new float[classes * perClass * 3 * SIZE * SIZE];
        long[] testClass = new long[classes * perClass];
        for (int i = 0; i < testClass.length; i++) {
            int k = i % classes;
            testClass[i] = k;
            System.arraycopy(render(k / SHAPES.length, k % SHAPES.length, (int) tg.nextLong(2), tg), 0, testPix,
                    i * 3 * SIZE * SIZE, 3 * SIZE * SIZE);
        }
        long[] predicted;
        Tensor similarity;
        try (var s = Autograd.noGrad()) {
            Tensor promptEmb = normalize(text.forward(Tensor.fromArray(prompts, classes * variants, VOCAB.size())));
            Tensor classEmb = normalize(promptEmb.view(classes, variants, EMBED).mean(1));               // [16, EMBED]
            Tensor testEmb = normalize(images.forward(Tensor.fromArray(testPix, testClass.length, 3, SIZE, SIZE)));
            similarity = testEmb.matmul(classEmb.t());                                                   // [n, 16]
            predicted = similarity.argmax(1, false).toLongArray();
        }
        int[] right = new int[2];
        int[] total = new int[2];
        for (int i = 0; i < testClass.length; i++) {
            int k = (int) testClass[i];
            int unseen = heldOut(k / SHAPES.length, k % SHAPES.length) ? 1 : 0;
            total[unseen]++;
            right[unseen] += predicted[i] == k ? 1 : 0;
        }
        double seen = (double) right[0] / total[0];
        double unseenAcc = (double) right[1] / total[1];
        ctx.out().printf(Locale.ROOT, "zero-shot accuracy over %d classes (chance %.1f%%): %.1f%% on combinations seen "
                + "in training, %.1f%% on the %d held-out combinations%n", classes, 100.0 / classes, 100 * seen,
                100 * unseenAcc, total[1] / perClass);

        Path lossFile = ctx.file("clip-loss.svg");
        Plot.lineChart(lossFile, "symmetric InfoNCE loss (moving average of 20 steps)", "step", "loss",
                List.of(Plot.Series.of("loss", LenetResnetSample.smooth(losses, 20))), false);
        ctx.wrote(lossFile, "training loss");
        // The first test image of each class against every class prompt: a bright diagonal is success.
        double[][] sim = new double[classes][classes];
        float[] all = similarity.toFloatArray();
        for (int k = 0; k < classes; k++) {
            for (int j = 0; j < classes; j++) {
                sim[k][j] = all[k * classes + j];
            }
        }
        Path heat = ctx.file("clip-similarity.png");
        Plot.heatmap(heat, sim, 16);
        ctx.wrote(heat, "cosine similarity, one test image per class (rows) vs the 16 class prompts (columns), "
                + "classes ordered color-major: red circle, red square, ...");
        List<float[][][]> tiles = new ArrayList<>();
        List<Integer> frames = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        for (int i = 0; i < 3 * classes; i++) {
            float[][][] im = new float[3][SIZE][SIZE];
            for (int c = 0; c < 3; c++) {
                for (int y = 0; y < SIZE; y++) {
                    System.arraycopy(testPix, ((i * 3 + c) * SIZE + y) * SIZE, im[c][y], 0, SIZE);
                }
            }
            tiles.add(im);
            frames.add(predicted[i] == testClass[i] ? Images.GREEN : Images.RED);
            labels.add("");
        }
        Path grid = ctx.file("clip-zero-shot.png");
        Images.grid(grid, tiles, frames, labels, classes, 4);
        ctx.wrote(grid, "test images, green frame where the zero-shot class is right (held-out combinations on the "
                + "diagonal: columns 1, 6, 11, 16)");

        Map<String, Double> results = new LinkedHashMap<>();
        results.put("zero_shot_accuracy_seen", seen);
        results.put("zero_shot_accuracy_unseen", unseenAcc);
        results.put("final_loss", LenetResnetSample.smooth(losses, 20)[steps - 1]);
        results.put("temperature", 1 / Math.exp(logitScale.item()));
        return results;
    }

    private static String heldOutNames() {
        List<String> names = new ArrayList<>();
        for (int c = 0; c < COLORS.length; c++) {
            for (int s = 0; s < SHAPES.length; s++) {
                if (heldOut(c, s)) {
                    names.add(COLORS[c] + " " + SHAPES[s]);
                }
            }
        }
        return String.join(", ", names);
    }
}
