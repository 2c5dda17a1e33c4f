package dev.qkv.tokenizer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * BERT's WordPiece tokenizer. First the basic tokenizer: drop control characters, split on
 * whitespace, optionally lower-case and strip accents, give every punctuation mark and every CJK
 * character its own token. Then each word is cut greedily into the longest pieces found in the
 * vocabulary, continuation pieces written with a "##" prefix ("playing" → "play", "##ing"); a word
 * that cannot be cut becomes [UNK].
 */
public final class WordPieceTokenizer implements Tokenizer {
    private static final int MAX_CHARS_PER_WORD = 100;

    private final Map<String, Integer> vocab = new HashMap<>();
    private final List<String> tokens;
    private final boolean lowerCase;
    private final int unk;

    /** @param tokens the vocabulary in id order (vocab.txt's lines); must contain [UNK] */
    public WordPieceTokenizer(List<String> tokens, boolean lowerCase) {
        this.tokens = List.copyOf(tokens);
        for (int i = 0; i < tokens.size(); i++) {
            vocab.putIfAbsent(tokens.get(i), i);
        }
        this.lowerCase = lowerCase;
        Integer u = vocab.get("[UNK]");
        if (u == null) {
            throw new IllegalArgumentException("WordPieceTokenizer: the vocabulary has no [UNK] token");
        }
        this.unk = u;
    }

    /** Reads vocab.txt: one token per line, the line number being its id. */
    public static WordPieceTokenizer fromVocabFile(Path vocabTxt, boolean lowerCase) throws IOException {
        List<String> lines = Files.readAllLines(vocabTxt, StandardCharsets.UTF_8);
        if (!lines.isEmpty() && lines.get(lines.size() - 1).isEmpty()) {
            lines.remove(lines.size() - 1);
        }
        return new WordPieceTokenizer(lines, lowerCase);
    }

    /** The id of a token such as "[CLS]", or -1. */
    public int tokenId(String token) {
        return vocab.getOrDefault(token, -1);
    }

    /** Token ids of a text, without [CLS]/[SEP]. */
    @Override
    public int[] encode(String text) {
        List<Integer> ids = new ArrayList<>();
        for (String word : basicTokens(text)) {
            wordPieces(word, ids);
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    /** [CLS] text [SEP], BERT's input for one sentence. */
    public int[] encodeForModel(String text) {
        int[] body = encode(text);
        int[] out = new int[body.length + 2];
        out[0] = requireToken("[CLS]");
        System.arraycopy(body, 0, out, 1, body.length);
        out[out.length - 1] = requireToken("[SEP]");
        return out;
    }

    private int requireToken(String t) {
        int id = tokenId(t);
        if (id < 0) {
            throw new IllegalStateException("WordPieceTokenizer: the vocabulary has no " + t + " token");
        }
        return id;
    }

    /** Words after cleaning, lower-casing, accent stripping and punctuation/CJK splitting. */
    List<String> basicTokens(String text) {
        StringBuilder clean = new StringBuilder();
        text.codePoints().forEach(cp -> {
            if (cp == 0 || cp == 0xFFFD || (isControl(cp) && !Character.isWhitespace(cp))) {
                return;                                        // dropped
            }
            if (isCjk(cp)) {
                clean.append(' ').appendCodePoint(cp).append(' ');
            } else {
                clean.appendCodePoint(Character.isWhitespace(cp) || Character.isSpaceChar(cp) ? ' ' : cp);
            }
        });
        List<String> out = new ArrayList<>();
        for (String w : clean.toString().trim().split(" +")) {
            if (w.isEmpty()) {
                continue;
            }
            if (lowerCase) {
                w = stripAccents(w.toLowerCase(java.util.Locale.ROOT));
            }
            splitPunctuation(w, out);
        }
        return out;
    }

    private static String stripAccents(String s) {
        String nfd = Normalizer.normalize(s, Normalizer.Form.NFD);
        StringBuilder sb = new StringBuilder();
        nfd.codePoints().filter(cp -> Character.getType(cp) != Character.NON_SPACING_MARK).forEach(sb::appendCodePoint);
        return sb.toString();
    }

    private static void splitPunctuation(String w, List<String> out) {
        StringBuilder cur = new StringBuilder();
        w.codePoints().forEach(cp -> {
            if (isPunctuation(cp)) {
                if (!cur.isEmpty()) {
                    out.add(cur.toString());
                    cur.setLength(0);
                }
                out.add(new String(Character.toChars(cp)));
            } else {
                cur.appendCodePoint(cp);
            }
        });
        if (!cur.isEmpty()) {
            out.add(cur.toString());
        }
    }

    /** Greedy longest-match-first cut of one word into vocabulary pieces. */
    private void wordPieces(String word, List<Integer> ids) {
        if (word.codePointCount(0, word.length()) > MAX_CHARS_PER_WORD) {
            ids.add(unk);
            return;
        }
        List<Integer> pieces = new ArrayList<>();
        int start = 0;
        while (start < word.length()) {
            int end = word.length();
            Integer found = null;
            while (start < end) {
                String sub = (start > 0 ? "##" : "") + word.substring(start, end);
                found = vocab.get(sub);
                if (found != null) {
                    break;
                }
                end = word.offsetByCodePoints(end, -1);
            }
            if (found == null) {
                ids.add(unk);                                     // the whole word is unknown
                return;
            }
            pieces.add(found);
            start = end;
        }
        ids.addAll(pieces);
    }

    /** Tokens joined with spaces, "##" pieces glued to the previous one. */
    @Override
    public String decode(int[] ids) {
        checkIds(ids);
        StringBuilder sb = new StringBuilder();
        for (int id : ids) {
            String t = tokens.get(id);
            if (t.startsWith("##")) {
                sb.append(t, 2, t.length());
            } else {
                if (!sb.isEmpty()) {
                    sb.append(' ');
                }
                sb.append(t);
            }
        }
        return sb.toString();
    }

    @Override
    public int vocabSize() {
        return tokens.size();
    }

    private static boolean isControl(int cp) {
        int t = Character.getType(cp);
        return t == Character.CONTROL || t == Character.FORMAT;
    }

    /** BERT treats all ASCII non-alphanumerics as punctuation, plus Unicode P* categories. */
    private static boolean isPunctuation(int cp) {
        if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126)) {
            return true;
        }
        int t = Character.getType(cp);
        return t == Character.CONNECTOR_PUNCTUATION || t == Character.DASH_PUNCTUATION
                || t == Character.START_PUNCTUATION || t == Character.END_PUNCTUATION
                || t == Character.INITIAL_QUOTE_PUNCTUATION || t == Character.FINAL_QUOTE_PUNCTUATION
                || t == Character.OTHER_PUNCTUATION;
    }

    /** The CJK Unified Ideographs blocks, as in BERT's tokenizer. */
    private static boolean isCjk(int cp) {
        return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF)
                || (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F)
                || (cp >= 0x2B820 && cp <= 0x2CEAF) || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
    }
}
