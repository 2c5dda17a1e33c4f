package dev.qkv.tokenizer;

import dev.qkv.io.AtomicFiles;
import dev.qkv.io.Json;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Byte-level BPE, as GPT-2 uses it: split the text into words with a regex, turn each word's
 * UTF-8 bytes into visible characters ({@link ByteLevel}), apply the learned merges
 * ({@link BytePairEncoding}) and look the pieces up in the vocabulary. Because every byte is a
 * token, any Unicode text encodes and decodes back exactly.
 *
 * <p>Loads GPT-2's {@code encoder.json} + {@code vocab.bpe}, or a Hugging Face
 * {@code tokenizer.json} whose model is byte-level BPE; {@link #train} learns a vocabulary from
 * text. Special tokens (e.g. {@code <|endoftext|>}) found verbatim in the text encode to their
 * own ids.
 */
public final class ByteLevelBpeTokenizer implements Tokenizer {
    /** GPT-2's pre-tokenizer: contractions, letters, numbers, other symbols, whitespace runs. */
    public static final String GPT2_PATTERN =
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

    private static final int MAX_FILE = 256 << 20;

    private final Map<String, Integer> vocab;
    private final String[] tokens;                       // id -> token text
    private final BytePairEncoding bpe;
    private final List<String[]> merges;
    private final Pattern pattern;
    private final Map<String, Integer> special;
    private final Pattern specialSplit;

    public ByteLevelBpeTokenizer(Map<String, Integer> vocab, List<String[]> merges, Map<String, Integer> specialTokens,
                                 String pattern) {
        this.vocab = new HashMap<>(vocab);
        this.special = new LinkedHashMap<>(specialTokens);
        this.vocab.putAll(special);
        int size = 0;
        for (int id : this.vocab.values()) {
            if (id < 0) {
                throw new IllegalArgumentException("ByteLevelBpeTokenizer: negative token id " + id);
            }
            size = Math.max(size, id + 1);
        }
        if (size > 16_000_000) {
            throw new IllegalArgumentException("ByteLevelBpeTokenizer: token id " + (size - 1) + " is implausibly large");
        }
        tokens = new String[size];
        this.vocab.forEach((t, id) -> tokens[id] = t);
        this.merges = List.copyOf(merges);
        this.bpe = new BytePairEncoding(merges);
        this.pattern = Pattern.compile(pattern, Pattern.UNICODE_CHARACTER_CLASS);
        this.specialSplit = special.isEmpty() ? null : Pattern.compile(special.keySet().stream()
                .sorted((a, b) -> b.length() - a.length()).map(Pattern::quote)
                .reduce((a, b) -> a + "|" + b).orElseThrow());
        for (int b = 0; b < 256; b++) {
            String c = String.valueOf(ByteLevel.BYTE_TO_CHAR[b]);
            if (!this.vocab.containsKey(c)) {
                throw new IllegalArgumentException("ByteLevelBpeTokenizer: the vocabulary lacks the byte token '" + c
                        + "' (byte " + b + "); a byte-level vocabulary must contain all 256");
            }
        }
    }

    // ===================================================================== loading

    /** GPT-2's files: encoder.json (token → id) and vocab.bpe (one merge "a b" per line). */
    public static ByteLevelBpeTokenizer fromGpt2Files(Path encoderJson, Path vocabBpe) throws IOException {
        Map<String, Integer> vocab = vocabFromJson(Json.parse(encoderJson, MAX_FILE), encoderJson.toString());
        List<String[]> merges = new ArrayList<>();
        List<String> lines = Files.readAllLines(vocabBpe, StandardCharsets.UTF_8);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.startsWith("#version") || line.isBlank()) {
                continue;
            }
            String[] pair = line.split(" ");
            if (pair.length != 2) {
                throw new IOException(vocabBpe + ": line " + (i + 1) + " is not a merge \"a b\": " + line);
            }
            merges.add(pair);
        }
        Map<String, Integer> special = new LinkedHashMap<>();
        if (vocab.containsKey("<|endoftext|>")) {
            special.put("<|endoftext|>", vocab.get("<|endoftext|>"));
        }
        return new ByteLevelBpeTokenizer(vocab, merges, special, GPT2_PATTERN);
    }

    private static Map<String, Integer> vocabFromJson(Object json, String where) throws IOException {
        if (!(json instanceof Map<?, ?> m)) {
            throw new IOException(where + ": the vocabulary must be a JSON object {token: id}");
        }
        Map<String, Integer> vocab = new HashMap<>();
        for (var e : m.entrySet()) {
            if (!(e.getValue() instanceof Long id) || id < 0 || id > Integer.MAX_VALUE) {
                throw new IOException(where + ": token '" + e.getKey() + "' has an invalid id " + e.getValue());
            }
            vocab.put((String) e.getKey(), (int) (long) id);
        }
        return vocab;
    }

    /**
     * A Hugging Face tokenizer.json with a byte-level BPE model: pre_tokenizer ByteLevel (GPT-2's
     * regex) or a Sequence of a regex Split and ByteLevel (as in Llama 3); added_tokens become
     * special tokens.
     */
    public static ByteLevelBpeTokenizer fromHuggingFace(Path tokenizerJson) throws IOException {
        String where = tokenizerJson.toString();
        if (!(Json.parse(tokenizerJson, MAX_FILE) instanceof Map<?, ?> root)) {
            throw new IOException(where + ": expected a JSON object");
        }
        if (!(root.get("model") instanceof Map<?, ?> model) || !"BPE".equals(model.get("type"))) {
            throw new IOException(where + ": only BPE models are supported, found model type "
                    + (root.get("model") instanceof Map<?, ?> mm ? mm.get("type") : "none"));
        }
        Map<String, Integer> vocab = vocabFromJson(model.get("vocab"), where + " model.vocab");
        List<String[]> merges = new ArrayList<>();
        if (!(model.get("merges") instanceof List<?> ms)) {
            throw new IOException(where + ": model.merges must be a list");
        }
        for (Object o : ms) {
            if (o instanceof String s && s.split(" ").length == 2) {
                merges.add(s.split(" "));
            } else if (o instanceof List<?> l && l.size() == 2 && l.get(0) instanceof String a && l.get(1) instanceof String b) {
                merges.add(new String[] {a, b});
            } else {
                throw new IOException(where + ": merge " + o + " is neither \"a b\" nor [a, b]");
            }
        }
        String pattern = pretokenizerPattern(root.get("pre_tokenizer"), where);
        Map<String, Integer> special = new LinkedHashMap<>();
        if (root.get("added_tokens") instanceof List<?> added) {
            for (Object o : added) {
                if (o instanceof Map<?, ?> t && t.get("content") instanceof String c && t.get("id") instanceof Long id) {
                    special.put(c, (int) (long) id);
                }
            }
        }
        return new ByteLevelBpeTokenizer(vocab, merges, special, pattern);
    }

    private static String pretokenizerPattern(Object pre, String where) throws IOException {
        if (pre instanceof Map<?, ?> p && "ByteLevel".equals(p.get("type"))) {
            return GPT2_PATTERN;
        }
        if (pre instanceof Map<?, ?> p && "Sequence".equals(p.get("type")) && p.get("pretokenizers") instanceof List<?> l) {
            String regex = null;
            boolean byteLevel = false;
            for (Object o : l) {
                if (o instanceof Map<?, ?> step && "Split".equals(step.get("type"))
                        && step.get("pattern") instanceof Map<?, ?> pat && pat.get("Regex") instanceof String r) {
                    regex = r;
                } else if (o instanceof Map<?, ?> step && "ByteLevel".equals(step.get("type"))) {
                    byteLevel = true;
                }
            }
            if (regex != null && byteLevel) {
                return regex;
            }
        }
        throw new IOException(where + ": unsupported pre_tokenizer " + pre + " (supported: ByteLevel, or a Sequence of a "
                + "regex Split and ByteLevel)");
    }

    // ===================================================================== encoding

    @Override
    public int[] encode(String text) {
        List<Integer> ids = new ArrayList<>();
        if (specialSplit == null) {
            encodeOrdinary(text, ids);
        } else {
            Matcher m = specialSplit.matcher(text);
            int at = 0;
            while (m.find()) {
                encodeOrdinary(text.substring(at, m.start()), ids);
                ids.add(special.get(m.group()));
                at = m.end();
            }
            encodeOrdinary(text.substring(at), ids);
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    private void encodeOrdinary(String text, List<Integer> ids) {
        Matcher m = pattern.matcher(text);
        while (m.find()) {
            for (String piece : bpe.apply(ByteLevel.encode(m.group()))) {
                Integer id = vocab.get(piece);
                if (id == null) {
                    throw new IllegalStateException("ByteLevelBpeTokenizer: merge result '" + piece
                            + "' is not in the vocabulary (inconsistent vocab and merges)");
                }
                ids.add(id);
            }
        }
    }

    @Override
    public String decode(int[] ids) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (int id : ids) {
            if (id < 0 || id >= tokens.length || tokens[id] == null) {
                throw new IllegalArgumentException("ByteLevelBpeTokenizer: unknown token id " + id);
            }
            String t = tokens[id];
            if (special.containsKey(t)) {
                bytes.writeBytes(t.getBytes(StandardCharsets.UTF_8));
            } else {
                ByteLevel.decode(t, bytes);
            }
        }
        // a cut in the middle of a multi-byte character decodes to U+FFFD, as in Hugging Face
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Override
    public int vocabSize() {
        return tokens.length;
    }

    /** The id of a token's text, or -1. */
    public int tokenId(String token) {
        return vocab.getOrDefault(token, -1);
    }

    /** The text of a token id (in byte-level characters). */
    public String token(int id) {
        return tokens[id];
    }

    public int mergeCount() {
        return bpe.mergeCount();
    }

    // ===================================================================== training and saving

    /**
     * Learns a byte-level BPE vocabulary of {@code vocabSize} tokens from text: start with the 256
     * byte tokens, then repeatedly merge the most frequent adjacent pair within the words of the
     * GPT-2 pre-tokenizer (ties broken by the pair's text, so training is deterministic). Special
     * tokens get the last ids.
     */
    public static ByteLevelBpeTokenizer train(String text, int vocabSize, List<String> specialTokens) {
        return BpeTrainer.train(text, vocabSize, specialTokens);
    }

    /** Writes a Hugging Face style tokenizer.json (loadable by {@link #fromHuggingFace}) into dir. */
    public void save(Path dir) throws IOException {
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("type", "BPE");
        Map<String, Object> v = new LinkedHashMap<>();
        for (int id = 0; id < tokens.length; id++) {
            if (tokens[id] != null && !special.containsKey(tokens[id])) {
                v.put(tokens[id], (long) id);
            }
        }
        model.put("vocab", v);
        List<Object> ms = new ArrayList<>();
        for (String[] m : merges) {
            ms.add(m[0] + " " + m[1]);
        }
        model.put("merges", ms);
        List<Object> added = new ArrayList<>();
        special.forEach((t, id) -> {
            Map<String, Object> a = new LinkedHashMap<>();
            a.put("id", (long) id);
            a.put("content", t);
            a.put("special", true);
            added.add(a);
        });
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("version", "1.0");
        root.put("added_tokens", added);
        Map<String, Object> pre = new LinkedHashMap<>();
        if (pattern.pattern().equals(GPT2_PATTERN)) {
            pre.put("type", "ByteLevel");
        } else {
            pre.put("type", "Sequence");
            pre.put("pretokenizers", List.of(Map.of("type", "Split", "pattern", Map.of("Regex", pattern.pattern())),
                    Map.of("type", "ByteLevel")));
        }
        root.put("pre_tokenizer", pre);
        root.put("decoder", Map.of("type", "ByteLevel"));
        root.put("model", model);
        byte[] bytes = Json.write(root).getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(dir.resolve("tokenizer.json"), out -> out.write(bytes));
    }

    List<String[]> merges() {
        return merges;
    }
}
