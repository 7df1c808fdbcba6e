package dev.e8q.convert;

import dev.e8q.llama.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.List;

/**
 * Calibration windows from a text. The text is split into documents at {@code <|endoftext|>} markers (a text
 * without markers is one document, tokenized in paragraph pieces split at blank lines so that very long texts stay
 * cheap to tokenize). Documents are tokenized without BOS and joined into one token stream with the BOS id between
 * documents (as the llama2.c/TinyStories training data is laid out). Window w is [BOS] followed by the stream's
 * tokens [w·(L−1), (w+1)·(L−1)): consecutive, non-overlapping, every window exactly L tokens.
 *
 * <p>Too short a text is an error (no silent fallback to fewer windows): the message says how many tokens the
 * text has and how many were asked for.
 */
public final class Calibration {
    public static final String END_OF_TEXT = "<|endoftext|>";

    private Calibration() {}

    /** {@code count} windows of {@code length} tokens; tokenizes only as much of the text as needed. */
    public static List<int[]> windows(Tokenizer tok, String text, int count, int length) {
        return windows(tok, text, 0, count, length);
    }

    /** Windows {@code first .. first+count-1} of the same stream. */
    public static List<int[]> windows(Tokenizer tok, String text, int first, int count, int length) {
        if (length < 2) throw new IllegalArgumentException("context must be >= 2 tokens, got " + length);
        if (count < 1) throw new IllegalArgumentException("need at least 1 calibration window, got " + count);
        long need = (long) (first + count) * (length - 1);
        if (need > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("too many calibration tokens requested: " + need);
        int[] stream = new int[(int) need];
        int fill = 0;
        String t = text.replace("\r\n", "\n");
        boolean docs = t.contains(END_OF_TEXT);
        List<String> pieces = docs ? List.of(t.split(java.util.regex.Pattern.quote(END_OF_TEXT))) : paragraphs(t);
        boolean firstDoc = true;
        for (String piece : pieces) {
            if (fill == need) break;
            String s = docs ? piece.strip() : piece;
            if (s.isBlank()) continue;
            if (docs && !firstDoc) stream[fill++] = tok.bos();
            firstDoc = false;
            if (fill == need) break;
            int[] ids = tok.encode(s, false, false);
            int k = (int) Math.min(ids.length, need - fill);
            System.arraycopy(ids, 0, stream, fill, k);
            fill += k;
        }
        if (fill < need) {
            throw new IllegalArgumentException("calibration text yields only " + fill + " tokens, but " + (first + count) + " windows of "
                    + length + " tokens (BOS + " + (length - 1) + " text tokens each) need " + need
                    + "; give a longer text or lower --samples / --context");
        }
        List<int[]> out = new ArrayList<>(count);
        for (int w = first; w < first + count; w++) {
            int[] win = new int[length];
            win[0] = tok.bos();
            System.arraycopy(stream, w * (length - 1), win, 1, length - 1);
            out.add(win);
        }
        return out;
    }

    /** Blank-line separated pieces (each keeps its trailing blank line so no text is lost). */
    static List<String> paragraphs(String t) {
        List<String> out = new ArrayList<>();
        int start = 0;
        while (start < t.length()) {
            int end = t.indexOf("\n\n", start);
            if (end < 0 || end - start > 1 << 16) {
                // cap a piece at 64 KiB (cut at a newline when there is one) so tokenization never sees a huge word
                int cap = Math.min(t.length(), start + (1 << 16));
                if (end < 0 || end > cap) {
                    int nl = cap >= t.length() ? t.length() : t.lastIndexOf('\n', cap);
                    end = nl > start ? nl : cap;
                    out.add(t.substring(start, end));
                    start = end;
                    continue;
                }
            }
            out.add(t.substring(start, end + 2));
            start = end + 2;
        }
        return out;
    }
}
