package dev.qkv.tokenizer;

import dev.qkv.io.AtomicFiles;
import dev.qkv.io.Json;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * One token per Unicode code point, the vocabulary being the sorted distinct code points of a
 * training text (as in nanoGPT's Shakespeare-char). Encoding a character outside the vocabulary
 * is an error that names it.
 */
public final class CharTokenizer implements Tokenizer {
    /** The file a char vocabulary is saved in, inside a tokenizer or model directory. */
    public static final String FILE = "char_vocab.json";

    private final int[] codePoints;                 // id -> code point
    private final Map<Integer, Integer> ids = new HashMap<>();

    public CharTokenizer(int[] codePoints) {
        this.codePoints = codePoints.clone();
        for (int i = 0; i < codePoints.length; i++) {
            if (ids.put(codePoints[i], i) != null) {
                throw new IllegalArgumentException("CharTokenizer: code point U+" + Integer.toHexString(codePoints[i])
                        + " appears twice in the vocabulary");
            }
        }
    }

    /** The vocabulary of a text: its distinct code points in increasing order. */
    public static CharTokenizer fromText(String text) {
        TreeSet<Integer> set = new TreeSet<>();
        text.codePoints().forEach(set::add);
        return new CharTokenizer(set.stream().mapToInt(Integer::intValue).toArray());
    }

    @Override
    public int[] encode(String text) {
        return text.codePoints().map(cp -> {
            Integer id = ids.get(cp);
            if (id == null) {
                throw new IllegalArgumentException("CharTokenizer: character '" + new String(Character.toChars(cp))
                        + "' (U+" + Integer.toHexString(cp) + ") is not in the vocabulary");
            }
            return id;
        }).toArray();
    }

    @Override
    public String decode(int[] tokenIds) {
        checkIds(tokenIds);
        StringBuilder sb = new StringBuilder();
        for (int id : tokenIds) {
            sb.appendCodePoint(codePoints[id]);
        }
        return sb.toString();
    }

    @Override
    public int vocabSize() {
        return codePoints.length;
    }

    /** Saves {"type": "char", "chars": [code points]} atomically into dir/char_vocab.json. */
    public void save(Path dir) throws IOException {
        List<Object> list = new ArrayList<>();
        for (int cp : codePoints) {
            list.add((long) cp);
        }
        Map<String, Object> json = new java.util.LinkedHashMap<>();
        json.put("type", "char");
        json.put("chars", list);
        byte[] bytes = Json.write(json).getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(dir.resolve(FILE), out -> out.write(bytes));
    }

    /** Loads a vocabulary saved by {@link #save}. */
    public static CharTokenizer load(Path dir) throws IOException {
        Object root = Json.parse(dir.resolve(FILE), 16 << 20);
        if (!(root instanceof Map<?, ?> m) || !"char".equals(m.get("type")) || !(m.get("chars") instanceof List<?> l)) {
            throw new IOException(dir.resolve(FILE) + ": expected {\"type\": \"char\", \"chars\": [...]}");
        }
        int[] cps = new int[l.size()];
        for (int i = 0; i < cps.length; i++) {
            if (!(l.get(i) instanceof Long v) || v < 0 || v > Character.MAX_CODE_POINT) {
                throw new IOException(dir.resolve(FILE) + ": entry " + i + " is not a code point: " + l.get(i));
            }
            cps[i] = (int) (long) v;
        }
        return new CharTokenizer(cps);
    }
}
