package dev.e8q.llama.tokenizer;

/**
 * GPT-2's reversible byte ↔ printable-character map used by byte-level BPE (GPT-2, Llama 3, Qwen2): the
 * printable Latin-1 bytes ('!'..'~', '¡'..'¬', '®'..'ÿ') stand for themselves, the other 68 bytes map to
 * U+0100 upwards in byte order, so every byte string becomes a string of visible characters.
 */
final class ByteLevelMap {
    private static final char[] BYTE_TO_CHAR = new char[256];
    private static final int[] CHAR_TO_BYTE = new int[512];

    static {
        java.util.Arrays.fill(CHAR_TO_BYTE, -1);
        int extra = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) (256 + extra++);
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = b;
        }
    }

    private ByteLevelMap() {}

    /** The UTF-8 bytes of {@code s} as byte-level characters. */
    static String encode(String s) {
        byte[] b = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        char[] out = new char[b.length];
        for (int i = 0; i < b.length; i++) out[i] = BYTE_TO_CHAR[b[i] & 0xFF];
        return new String(out);
    }

    /** Bytes of a byte-level token; characters outside the map (e.g. in added tokens) keep their UTF-8. */
    static byte[] decode(String token) {
        var out = new java.io.ByteArrayOutputStream(token.length());
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            int b = c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
            if (b >= 0) {
                out.write(b);
            } else {
                int cp = token.codePointAt(i);
                out.writeBytes(new String(Character.toChars(cp)).getBytes(java.nio.charset.StandardCharsets.UTF_8));
                i += Character.charCount(cp) - 1;
            }
        }
        return out.toByteArray();
    }
}
