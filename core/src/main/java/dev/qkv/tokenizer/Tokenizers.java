package dev.qkv.tokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Finds and loads the tokenizer stored in a directory. */
public final class Tokenizers {
    private Tokenizers() {
    }

    /**
     * Loads, in this order of preference: tokenizer.json (Hugging Face byte-level BPE),
     * encoder.json + vocab.bpe (GPT-2), vocab.txt (WordPiece; lower-cased unless
     * {@code lowerCase} is false), char_vocab.json (qkv's character tokenizer).
     */
    public static Tokenizer load(Path dir, boolean lowerCase) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new IOException("tokenizer directory " + dir + " does not exist");
        }
        if (Files.isRegularFile(dir.resolve("tokenizer.json"))) {
            return ByteLevelBpeTokenizer.fromHuggingFace(dir.resolve("tokenizer.json"));
        }
        if (Files.isRegularFile(dir.resolve("encoder.json")) && Files.isRegularFile(dir.resolve("vocab.bpe"))) {
            return ByteLevelBpeTokenizer.fromGpt2Files(dir.resolve("encoder.json"), dir.resolve("vocab.bpe"));
        }
        if (Files.isRegularFile(dir.resolve("vocab.txt"))) {
            return WordPieceTokenizer.fromVocabFile(dir.resolve("vocab.txt"), lowerCase);
        }
        if (Files.isRegularFile(dir.resolve(CharTokenizer.FILE))) {
            return CharTokenizer.load(dir);
        }
        throw new IOException("no tokenizer files in " + dir + " (looked for tokenizer.json, encoder.json + vocab.bpe, "
                + "vocab.txt, " + CharTokenizer.FILE + ")");
    }

    public static Tokenizer load(Path dir) throws IOException {
        return load(dir, true);
    }

    /** True when dir holds files that {@link #load} understands. */
    public static boolean present(Path dir) {
        return Files.isRegularFile(dir.resolve("tokenizer.json"))
                || (Files.isRegularFile(dir.resolve("encoder.json")) && Files.isRegularFile(dir.resolve("vocab.bpe")))
                || Files.isRegularFile(dir.resolve("vocab.txt")) || Files.isRegularFile(dir.resolve(CharTokenizer.FILE));
    }
}
