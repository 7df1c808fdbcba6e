package dev.e8q.llama.tokenizer;

import java.nio.charset.StandardCharsets;

/** Text ↔ token ids. Implementations are immutable and thread-safe. */
public interface Tokenizer {
    /**
     * Token ids of {@code text}, with the BOS id first and/or the EOS id last when asked. Asking for a token
     * the tokenizer does not define ({@link #bos()} or {@link #eos()} is -1, e.g. Qwen2 has no BOS) throws
     * {@link IllegalStateException}.
     */
    int[] encode(String text, boolean bos, boolean eos);

    /**
     * The text of a whole id sequence. Control tokens (BOS, EOS) produce no text; byte-fallback pieces are
     * joined before UTF-8 decoding, so characters split over several byte tokens come back whole.
     */
    String decode(int[] ids);

    /**
     * The raw bytes that token {@code id} contributes when it follows {@code prev} (-1 at the start).
     * Streaming callers should feed these to a {@link StreamingDecoder}, because one byte-fallback token can
     * hold an incomplete UTF-8 sequence.
     */
    byte[] decodeTokenBytes(int prev, int id);

    /** {@link #decodeTokenBytes} as a string; an incomplete UTF-8 sequence shows as U+FFFD. */
    default String decodeToken(int prev, int id) {
        return new String(decodeTokenBytes(prev, id), StandardCharsets.UTF_8);
    }

    int vocabSize();

    /** The beginning-of-sequence id, or -1 when the tokenizer has none. */
    int bos();

    /** The end-of-sequence id, or -1 when the tokenizer has none. */
    int eos();
}
