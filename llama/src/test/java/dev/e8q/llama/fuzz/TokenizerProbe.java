package dev.e8q.llama.fuzz;

/** Texts a fuzzed tokenizer must encode, and the check on the ids it returns. */
final class TokenizerProbe {
    private TokenizerProbe() {}

    /** Short (a bad regex or merge table may be slow, but not on 40 characters), with ASCII, Unicode and whitespace. */
    static final String[] TEXTS = {"", "Once upon a time, Lily's cat.", " a  b\n\t12 345", "é€😀 <s></s> \u2581x"};

    static void inRange(int[] ids, int vocab, String text) {
        for (int id : ids) {
            if (id < 0 || id >= vocab) {
                throw new AssertionError("encode(\"" + text + "\") gave id " + id + " outside the vocabulary 0.." + (vocab - 1));
            }
        }
    }
}
