package dev.qkv.samples.roadmap;

import dev.qkv.samples.Samples;
import dev.qkv.samples.cli.CliException;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;
import dev.qkv.tokenizer.WordPieceTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The NLP samples (bert, translation, question-answering): their metrics and data handling on
 * known examples, and each --smoke run reaching a learned result, not just finishing.
 */
class NlpSmokeTest {
    @TempDir
    Path tmp;

    Map<String, Double> smoke(String name) throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        Map<String, Double> r = Samples.command(new String[] {name, "--smoke", "--out", tmp.resolve(name).toString()},
                new PrintStream(buf, true, StandardCharsets.UTF_8));
        assertTrue(buf.toString(StandardCharsets.UTF_8).contains("== results:"));
        return r;
    }

    // ===================================================================== bert

    @Test
    void vocabularyCutsSuffixesAndNumbersIntoWordPieces() {
        List<String> vocab = BertSample.buildVocab(List.of("The plot was boring, boring!", "It opened in 1893."), 100);
        assertEquals(List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"), vocab.subList(0, 5));
        assertTrue(vocab.containsAll(List.of("bor", "##ing", "open", "##ed", "18", "##93")), vocab.toString());
        assertTrue(!vocab.contains("boring") && !vocab.contains("1893"), vocab.toString());
        WordPieceTokenizer tok = new WordPieceTokenizer(vocab, true);
        assertEquals("[CLS] the plot was bor ##ing , bor ##ing ! [SEP]",
                BertSample.tokenStrings(vocab, tok.encodeForModel("The plot was boring, boring!")));
        assertEquals("18 ##93 [UNK]", BertSample.tokenStrings(vocab, tok.encode("1893 unseen")));
    }

    @Test
    void maskingChoosesFifteenPercentAndSplitsThem80_10_10() {
        int n = 200_000;
        long[] ids = new long[n];
        for (int i = 0; i < n; i++) {
            ids[i] = i % 50 == 0 ? 2 : 5 + i % 20;                           // a [CLS] now and then, never chosen
        }
        Tensor[] m = BertSample.maskTokens(Tensor.fromArray(ids, 1, n), 30, new Generator(7));
        long[] in = m[0].toLongArray();
        long[] labels = m[1].toLongArray();
        int chosen = 0;
        int masked = 0;
        int kept = 0;
        for (int i = 0; i < n; i++) {
            if (ids[i] == 2) {
                assertEquals(-100, labels[i]);
                continue;
            }
            if (labels[i] != -100) {
                chosen++;
                assertEquals(ids[i], labels[i]);
                masked += in[i] == 4 ? 1 : 0;                              // [MASK] = 4
                kept += in[i] == ids[i] ? 1 : 0;                           // 10% kept (+ random picks of the same id)
            } else {
                assertEquals(ids[i], in[i]);
            }
        }
        double real = n * 49.0 / 50;
        assertEquals(0.15, chosen / real, 0.005);
        assertEquals(0.80, masked / (double) chosen, 0.01);
        assertEquals(0.10 + 0.10 / 25, kept / (double) chosen, 0.01);
    }

    @Test
    void precisionRecallF1FromAConfusionMatrix() {
        // true negatives found 30 of 40 (recall 0.75), 10 positives called negative (precision 0.75)
        double[] m = BertSample.metrics(new int[][] {{150, 10}, {10, 30}}, 1);
        assertEquals(180 / 200.0, m[0], 1e-12);
        assertEquals(0.75, m[1], 1e-12);
        assertEquals(0.75, m[2], 1e-12);
        assertEquals(0.75, m[3], 1e-12);
        assertEquals((0.75 + 2 * (150 / 160.0) * (150 / 160.0) / (300 / 160.0)) / 2, m[4], 1e-12);
    }

    @Test
    void bertPretrainsAndFineTunesAboveChance() throws Exception {
        Map<String, Double> r = smoke("bert");
        assertTrue(r.get("mlm_loss_last") < r.get("mlm_loss_first") - 0.8, "MLM loss must drop: " + r);
        // always answering "positive" scores F1 0 on the negative class
        assertTrue(r.get("weighted_f1") > 0.4, "F1 of the minority class with class weights: " + r);
        assertTrue(r.get("weighted_recall") >= r.get("unweighted_recall"), "class weights raise minority recall: " + r);
        assertTrue(Files.isRegularFile(tmp.resolve("bert/bert-finetune-loss.svg")));
    }

    @Test
    void badTsvLinesAreNamed(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("x.tsv");
        Files.writeString(f, "label\ttext\npos\tfine film\nno tab here\n");
        CliException e = assertThrows(CliException.class, () -> BertSample.load(f, 1));
        assertTrue(e.getMessage().contains("line 3"), e.getMessage());
    }

    // ===================================================================== translation

    @Test
    void numberWords() {
        assertEquals("zero", TranslationSample.words(0));
        assertEquals("one hundred fifteen", TranslationSample.words(115));
        assertEquals("three thousand forty two", TranslationSample.words(3042));
        assertEquals("nine hundred ninety nine thousand nine hundred ninety nine", TranslationSample.words(999_999));
        assertEquals(List.of("words", ":", "3", "0", "4", "2"), TranslationSample.tokenize("words: 3042"));
        assertEquals("3042", TranslationSample.detokenize(List.of("3", "0", "4", "2")));
        assertEquals(List.of("i", "love", "you", "我", "爱", "你", "!"), TranslationSample.tokenize("i love you 我爱你!"));
        assertEquals("you 我爱你 !", TranslationSample.detokenize(List.of("you", "我", "爱", "你", "!")));
    }

    @Test
    void bleuOnAHandComputedExample() {
        // hypothesis "a b c d e f" (c = 6), reference "a b c d x f g" (r = 7):
        // p1 = 5/6 (a b c d f), p2 = 3/5 (ab bc cd), p3 = 2/4 (abc bcd), p4 = 1/3 (abcd)
        // BLEU = exp(1 − 7/6) · (5/6 · 3/5 · 2/4 · 1/3)^(1/4) = 0.846482 · (1/12)^(1/4) = 0.454802
        List<List<String>> hyp = List.of(List.of("a", "b", "c", "d", "e", "f"));
        List<List<String>> ref = List.of(List.of("a", "b", "c", "d", "x", "f", "g"));
        assertEquals(Math.exp(1 - 7.0 / 6) * Math.pow(1.0 / 12, 0.25), TranslationSample.corpusBleu(hyp, ref, 4), 1e-12);
        assertEquals(0.454802, TranslationSample.corpusBleu(hyp, ref, 4), 1e-6);
        assertEquals(1.0, TranslationSample.corpusBleu(ref, ref, 4), 1e-12);
        // clipping: "the the the" against "the cat" matches one "the" of three
        assertEquals(1 / 3.0, TranslationSample.corpusBleu(List.of(List.of("the", "the", "the")),
                List.of(List.of("the", "cat")), 1), 1e-12);
        // corpus counts: the short pair has no 4-gram, the long one carries p4
        assertEquals(1.0, TranslationSample.corpusBleu(List.of(List.of("x"), List.of("a", "b", "c", "d")),
                List.of(List.of("x"), List.of("a", "b", "c", "d")), 4), 1e-12);
    }

    @Test
    void translationLearnsHeldOutNumbers() throws Exception {
        Map<String, Double> r = smoke("translation");
        assertTrue(r.get("exact_match_digits") > 0.7, r.toString());
        assertTrue(r.get("exact_match_words") > 0.5, r.toString());
        assertTrue(r.get("bleu_words") > 60, r.toString());
        assertTrue(Files.isRegularFile(tmp.resolve("translation/translation-cross-attention.png")));
    }

    // ===================================================================== question answering

    @Test
    void squadNormalizationExactMatchAndF1() {
        assertEquals("oslo bridge", QuestionAnsweringSample.normalize("The  Oslo Bridge!"));
        assertEquals(1.0, QuestionAnsweringSample.exactMatch("the Oslo bridge", "Oslo Bridge."));
        assertEquals(0.0, QuestionAnsweringSample.exactMatch("Oslo", "Oslo Bridge"));
        // prediction "Berg" against gold "Anna Berg": precision 1, recall 1/2, F1 2/3
        assertEquals(2 / 3.0, QuestionAnsweringSample.f1("Berg", "Anna Berg"), 1e-12);
        assertEquals(0.0, QuestionAnsweringSample.f1("1893", "1921"));
        assertEquals(1.0, QuestionAnsweringSample.best(QuestionAnsweringSample::exactMatch, "1921",
                List.of("in 1893", "1921")));
    }

    @Test
    void squadJsonRoundTripsAndBadOffsetsAreNamed(@TempDir Path dir) throws Exception {
        List<QuestionAnsweringSample.Question> qs = QuestionAnsweringSample.generateContext(new Generator(3), 0);
        Path f = dir.resolve("squad.json");
        QuestionAnsweringSample.writeSquad(f, qs);
        assertEquals(qs, QuestionAnsweringSample.readSquad(f));
        Files.writeString(f, Files.readString(f).replaceFirst("\"answer_start\":(\\d+)", "\"answer_start\":1"));
        CliException e = assertThrows(CliException.class, () -> QuestionAnsweringSample.readSquad(f));
        assertTrue(e.getMessage().contains("question 0-0"), e.getMessage());
    }

    @Test
    void featuresMapTheAnswerToTokensAndBack() {
        List<QuestionAnsweringSample.Question> qs = QuestionAnsweringSample.generateContext(new Generator(5), 0);
        List<String> corpus = qs.stream().flatMap(q -> java.util.stream.Stream.of(q.context(), q.question())).toList();
        WordPieceTokenizer tok = new WordPieceTokenizer(BertSample.buildVocab(corpus, 1000), true);
        for (QuestionAnsweringSample.Question q : qs) {
            QuestionAnsweringSample.Feature f = QuestionAnsweringSample.feature(tok, q, 96);
            assertTrue(f.startPos() >= f.contextFrom() && f.endPos() >= f.startPos(), q.toString());
            // logits that peak at the gold positions decode to exactly the gold text
            double[] start = new double[f.ids().length];
            double[] end = new double[f.ids().length];
            start[f.startPos()] = 5;
            end[f.endPos()] = 5;
            assertEquals(q.answers().get(0), QuestionAnsweringSample.bestSpan(f, start, end, 15));
        }
    }

    @Test
    void questionAnsweringFindsAnswersAboveChance() throws Exception {
        Map<String, Double> r = smoke("question-answering");
        assertTrue(r.get("loss_last") < r.get("loss_first") - 0.5, r.toString());
        assertTrue(r.get("f1") > 40, r.toString());
        assertTrue(Files.isRegularFile(tmp.resolve("question-answering/squad-dev.json")));
    }
}
