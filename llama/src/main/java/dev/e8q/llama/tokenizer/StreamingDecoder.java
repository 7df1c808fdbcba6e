package dev.e8q.llama.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Turns generated ids into text one token at a time, holding back the bytes of a UTF-8 character until
 * it is complete (byte-fallback tokens deliver multi-byte characters one byte per token). Not thread-safe;
 * one per generation stream.
 */
public final class StreamingDecoder {
    private final Tokenizer tokenizer;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
    private int prev;

    /** @param prev the id before the first one to be decoded (e.g. the BOS of the prompt), or -1 */
    public StreamingDecoder(Tokenizer tokenizer, int prev) {
        this.tokenizer = tokenizer;
        this.prev = prev;
    }

    /** Text that became complete with {@code id}; possibly empty. */
    public String next(int id) {
        pending.writeBytes(tokenizer.decodeTokenBytes(prev, id));
        prev = id;
        byte[] b = pending.toByteArray();
        int complete = Utf8.completePrefix(b);
        pending.reset();
        pending.write(b, complete, b.length - complete);
        return new String(b, 0, complete, StandardCharsets.UTF_8);
    }

    /** Whatever is still held back (an incomplete character shows as U+FFFD). */
    public String flush() {
        String s = pending.toString(StandardCharsets.UTF_8);
        pending.reset();
        return s;
    }
}
