package dev.e8q.llama.tokenizer;

/** UTF-8 helpers for byte-level tokenizers. */
final class Utf8 {
    private Utf8() {}

    /**
     * Length of the longest prefix of {@code b} that does not end inside a multi-byte sequence: a trailing
     * lead byte whose continuation bytes have not all arrived yet is held back. Invalid bytes are not held
     * (they decode to U+FFFD either way).
     */
    static int completePrefix(byte[] b) {
        int n = b.length;
        // Look back at most 3 bytes for the lead byte of the last sequence.
        for (int back = 1; back <= Math.min(3, n); back++) {
            int c = b[n - back] & 0xFF;
            if ((c & 0xC0) == 0x80) continue; // continuation byte: keep looking for its lead
            int need = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 1;
            if (c >= 0xF5) need = 1;
            return need > back ? n - back : n;
        }
        return n;
    }

    /** Number of bytes of the UTF-8 sequence whose lead byte is {@code lead} (1 for invalid leads). */
    static int sequenceLength(int lead) {
        lead &= 0xFF;
        if (lead < 0x80) return 1;
        if (lead >= 0xC2 && lead < 0xE0) return 2;
        if (lead >= 0xE0 && lead < 0xF0) return 3;
        if (lead >= 0xF0 && lead <= 0xF4) return 4;
        return 1;
    }
}
