package dev.e8q.llama.generate;

import java.util.List;

/**
 * Ends streamed text at the first stop string to appear (the {@code stop} of an OpenAI-style request): the one that
 * ends first, and of those ending at the same place the longest, as a model producing one character at a time would
 * be stopped. How the text is cut into pieces does not matter. Text that could still become the start of a stop
 * string is held back until the next piece settles it, so no part of a stop string is ever released.
 */
public final class StopStrings {
    private final List<String> stops;
    private final StringBuilder held = new StringBuilder();
    private boolean stopped;

    /** @param stops non-empty strings; none at all lets every piece through */
    public StopStrings(List<String> stops) {
        for (String s : stops) if (s == null || s.isEmpty()) throw new IllegalArgumentException("empty stop string");
        this.stops = List.copyOf(stops);
    }

    /** Whether a stop string has appeared; after that every piece is dropped. */
    public boolean stopped() {
        return stopped;
    }

    /** Takes the next piece of text and returns what can be released now: all of it, part of it, or nothing. */
    public String add(String piece) {
        if (stopped) return "";
        held.append(piece);
        // Each stop string's first occurrence is also its first to end; none ended in text already let through.
        int at = -1, end = Integer.MAX_VALUE;
        for (String s : stops) {
            int i = held.indexOf(s), e = i + s.length();
            if (i >= 0 && (e < end || e == end && i < at)) {
                at = i;
                end = e;
            }
        }
        if (at >= 0) {
            stopped = true;
            String out = held.substring(0, at);
            held.setLength(0);
            return out;
        }
        int keep = longestSuffixThatStartsAStop();
        String out = held.substring(0, held.length() - keep);
        held.delete(0, held.length() - keep);
        return out;
    }

    /** Releases what is held back: the text has ended without completing a stop string. */
    public String flush() {
        String out = held.toString();
        held.setLength(0);
        return out;
    }

    /**
     * The longest suffix of the held text that is a proper prefix of a stop string. Any occurrence of a stop string that
     * has begun must begin within it, since a longer suffix that began one would be a longer such prefix.
     */
    private int longestSuffixThatStartsAStop() {
        int best = 0, n = held.length();
        for (String s : stops) {
            for (int len = Math.min(n, s.length() - 1); len > best; len--) {
                if (CharSequence.compare(held.subSequence(n - len, n), s.subSequence(0, len)) == 0) {
                    best = len;
                    break;
                }
            }
        }
        return best;
    }
}
