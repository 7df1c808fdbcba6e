package dev.e8q.llama.tokenizer;

import java.util.regex.Pattern;

/**
 * The text a tokenizer.json regex runs on, with a budget on how many characters the regex engine may read. A regex from
 * a downloaded tokenizer.json can backtrack catastrophically ({@code (a+)+$} on a line of a's takes 2^n steps) and
 * java.util.regex has no time limit; every step reads a character, so counting reads bounds the time. The budget,
 * 100,000 + 1,000 reads per character of input, is far above what any linear-time pattern needs (a few reads per
 * character) and stops an exponential one within milliseconds.
 */
final class BoundedChars implements CharSequence {
    /** Thrown when a regex exceeds its budget: the tokenizer.json pattern, not the text, is at fault. */
    static final class RegexTooSlowException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        RegexTooSlowException(Pattern p, int length) {
            super("tokenizer.json regex " + quote(p.pattern()) + " backtracks catastrophically (more than "
                    + budgetFor(length) + " steps on a " + length + "-character piece of text); the tokenizer cannot be used");
        }

        private static String quote(String s) {
            return "'" + (s.length() > 80 ? s.substring(0, 80) + "…" : s) + "'";
        }
    }

    private final String s;
    private final int off, len;
    private final long[] left;
    private final Pattern pattern;
    private final int total;

    private BoundedChars(String s, int off, int len, long[] left, Pattern pattern, int total) {
        this.s = s;
        this.off = off;
        this.len = len;
        this.left = left;
        this.pattern = pattern;
        this.total = total;
    }

    static long budgetFor(int length) {
        return 100_000L + 1_000L * length;
    }

    /** {@code s} for {@code pattern}'s matcher, with a fresh budget. */
    static CharSequence of(String s, Pattern pattern) {
        return new BoundedChars(s, 0, s.length(), new long[] {budgetFor(s.length())}, pattern, s.length());
    }

    @Override
    public int length() {
        return len;
    }

    @Override
    public char charAt(int index) {
        if (--left[0] < 0) throw new RegexTooSlowException(pattern, total);
        return s.charAt(off + index);
    }

    @Override
    public CharSequence subSequence(int start, int end) {
        java.util.Objects.checkFromToIndex(start, end, len);
        return new BoundedChars(s, off + start, end - start, left, pattern, total);
    }

    @Override
    public String toString() {
        return s.substring(off, off + len);
    }
}
