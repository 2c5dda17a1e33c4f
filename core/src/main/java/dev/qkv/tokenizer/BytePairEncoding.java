package dev.qkv.tokenizer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The merge loop of byte-pair encoding: start from single symbols, and repeatedly merge the
 * adjacent pair that was learned earliest (lowest rank) until no learned pair is left.
 */
final class BytePairEncoding {
    private final Map<String, Integer> ranks;          // "a b" -> merge rank
    private final Map<String, List<String>> cache = new ConcurrentHashMap<>();

    BytePairEncoding(List<String[]> merges) {
        ranks = new HashMap<>();
        for (int i = 0; i < merges.size(); i++) {
            ranks.putIfAbsent(merges.get(i)[0] + " " + merges.get(i)[1], i);
        }
    }

    int mergeCount() {
        return ranks.size();
    }

    /** The BPE pieces of one pre-tokenized word (already in byte-level characters). */
    List<String> apply(String word) {
        List<String> hit = cache.get(word);
        if (hit != null) {
            return hit;
        }
        List<String> symbols = new ArrayList<>();
        word.codePoints().forEach(cp -> symbols.add(new String(Character.toChars(cp))));
        while (symbols.size() > 1) {
            int bestRank = Integer.MAX_VALUE;
            int best = -1;
            for (int i = 0; i + 1 < symbols.size(); i++) {
                Integer r = ranks.get(symbols.get(i) + " " + symbols.get(i + 1));
                if (r != null && r < bestRank) {
                    bestRank = r;
                    best = i;
                }
            }
            if (best < 0) {
                break;
            }
            String a = symbols.get(best);
            String b = symbols.get(best + 1);
            // merge every occurrence of the pair (a, b), left to right
            List<String> merged = new ArrayList<>(symbols.size());
            for (int i = 0; i < symbols.size(); i++) {
                if (i + 1 < symbols.size() && symbols.get(i).equals(a) && symbols.get(i + 1).equals(b)) {
                    merged.add(a + b);
                    i++;
                } else {
                    merged.add(symbols.get(i));
                }
            }
            symbols.clear();
            symbols.addAll(merged);
        }
        List<String> result = List.copyOf(symbols);
        if (cache.size() < 100_000) {
            cache.put(word, result);
        }
        return result;
    }
}
