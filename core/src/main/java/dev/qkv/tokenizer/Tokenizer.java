package dev.qkv.tokenizer;

/** Text to token ids and back. */
public interface Tokenizer {

    /** The token ids of a text. */
    int[] encode(String text);

    /** The text of a sequence of token ids. */
    String decode(int[] ids);

    /** Number of distinct token ids (ids are 0 .. vocabSize−1). */
    int vocabSize();

    /** Checks that every id is a valid token id, naming the first bad one. */
    default void checkIds(int[] ids) {
        for (int id : ids) {
            if (id < 0 || id >= vocabSize()) {
                throw new IllegalArgumentException("token id " + id + " is out of range for a vocabulary of "
                        + vocabSize());
            }
        }
    }
}
