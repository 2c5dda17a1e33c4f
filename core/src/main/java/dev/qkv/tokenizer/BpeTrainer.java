package dev.qkv.tokenizer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Learns byte-level BPE merges from text: count the words, then repeatedly count adjacent symbol
 * pairs (weighted by word frequency) and merge the most frequent one everywhere.
 */
final class BpeTrainer {
    private BpeTrainer() {
    }

    static ByteLevelBpeTokenizer train(String text, int vocabSize, List<String> specialTokens) {
        int base = 256 + specialTokens.size();
        if (vocabSize < base) {
            throw new IllegalArgumentException("BPE training: vocabSize " + vocabSize + " is smaller than the 256 byte "
                    + "tokens plus " + specialTokens.size() + " special tokens");
        }
        // 1. distinct words (in byte-level characters) and how often each occurs
        Map<String, Integer> wordCounts = new HashMap<>();
        Matcher m = Pattern.compile(ByteLevelBpeTokenizer.GPT2_PATTERN, Pattern.UNICODE_CHARACTER_CLASS).matcher(text);
        while (m.find()) {
            wordCounts.merge(ByteLevel.encode(m.group()), 1, Integer::sum);
        }
        List<List<String>> words = new ArrayList<>();
        List<Integer> counts = new ArrayList<>();
        wordCounts.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
            List<String> symbols = new ArrayList<>();
            e.getKey().chars().forEach(c -> symbols.add(String.valueOf((char) c)));
            words.add(symbols);
            counts.add(e.getValue());
        });
        // 2. the vocabulary starts with the 256 bytes, in byte order
        Map<String, Integer> vocab = new LinkedHashMap<>();
        for (int b = 0; b < 256; b++) {
            vocab.put(String.valueOf(ByteLevel.BYTE_TO_CHAR[b]), b);
        }
        List<String[]> merges = new ArrayList<>();
        // 3. merge the most frequent pair until the vocabulary is full or no pair repeats
        while (vocab.size() + specialTokens.size() < vocabSize) {
            Map<String, long[]> pairCounts = new HashMap<>();
            for (int w = 0; w < words.size(); w++) {
                List<String> s = words.get(w);
                for (int i = 0; i + 1 < s.size(); i++) {
                    pairCounts.computeIfAbsent(s.get(i) + " " + s.get(i + 1), k -> new long[1])[0] += counts.get(w);
                }
            }
            String best = null;
            long bestCount = 1;                          // a pair must occur at least twice to be worth a token
            for (var e : pairCounts.entrySet()) {
                long c = e.getValue()[0];
                if (c > bestCount || (c == bestCount && best != null && e.getKey().compareTo(best) < 0)) {
                    best = e.getKey();
                    bestCount = c;
                }
            }
            if (best == null) {
                break;
            }
            String[] pair = best.split(" ");
            String joined = pair[0] + pair[1];
            merges.add(pair);
            vocab.putIfAbsent(joined, vocab.size());
            for (List<String> s : words) {
                for (int i = 0; i + 1 < s.size(); i++) {
                    if (s.get(i).equals(pair[0]) && s.get(i + 1).equals(pair[1])) {
                        s.set(i, joined);
                        s.remove(i + 1);
                    }
                }
            }
        }
        Map<String, Integer> special = new LinkedHashMap<>();
        for (String t : specialTokens) {
            special.put(t, vocab.size() + special.size());
        }
        return new ByteLevelBpeTokenizer(vocab, merges, special, ByteLevelBpeTokenizer.GPT2_PATTERN);
    }
}
