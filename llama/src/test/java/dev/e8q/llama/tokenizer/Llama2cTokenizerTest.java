package dev.e8q.llama.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;

import dev.e8q.llama.io.CheckpointFormatException;
import dev.e8q.llama.testdata.TestData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.SourceDSL;

class Llama2cTokenizerTest {
    static Llama2cTokenizer tok512;
    static Llama2cTokenizer tok32k;

    @TempDir
    Path tmp;

    @BeforeAll
    static void load() throws IOException {
        tok512 = Llama2cTokenizer.load(TestData.file("stories260K/tok512.bin"));
        tok32k = Llama2cTokenizer.load(TestData.file("tokenizers/tokenizer_llama2_32000.bin"));
    }

    @Test
    void vocabularies() {
        assertEquals(512, tok512.vocabSize());
        assertEquals(32000, tok32k.vocabSize());
        assertEquals(1, tok512.bos());
        assertEquals(2, tok512.eos());
        assertEquals("<0x41>", new String(tok32k.piece(0x41 + 3)));
    }

    @Test
    void zooMatchesLlama2c() {
        assertArrayEquals(new int[] {1, 410, 469, 347}, tok512.encode("Zoo", true, false));
        assertArrayEquals(new int[] {410, 469, 347, 2}, tok512.encode("Zoo", false, true));
        assertArrayEquals(new int[0], tok512.encode("", false, false));
    }

    /** Meta's Llama 2 SentencePiece model encodes "Hello world" as ▁Hello ▁world = 15043, 3186. */
    @Test
    void llama2Vocabulary() {
        assertArrayEquals(new int[] {1, 15043, 3186}, tok32k.encode("Hello world", true, false));
        assertEquals("Hello world", tok32k.decode(new int[] {1, 15043, 3186, 2}));
    }

    static final int[] REFERENCE = {403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426, 338,
        401, 396, 267, 337, 410, 408, 419, 292, 411, 322, 265, 282, 295, 433, 426, 385, 328, 432, 358, 394, 261, 370,
        432, 352, 266, 268, 388, 426, 338, 391, 266};
    static final String REFERENCE_TEXT = "Once upon a time, there was a little girl named Lily. She loved to play outside"
            + " in the park. One day, she saw a big, red ball. She wanted";

    @Test
    void referenceContinuationDecodes() {
        assertEquals(REFERENCE_TEXT, tok512.decode(REFERENCE));
        int[] withBos = new int[REFERENCE.length + 1];
        withBos[0] = 1;
        System.arraycopy(REFERENCE, 0, withBos, 1, REFERENCE.length);
        assertEquals(REFERENCE_TEXT, tok512.decode(withBos));
        // Streaming after BOS, as in llama2.c generate().
        StringBuilder sb = new StringBuilder();
        StreamingDecoder sd = new StreamingDecoder(tok512, 1);
        for (int id : REFERENCE) sb.append(sd.next(id));
        sb.append(sd.flush());
        assertEquals(REFERENCE_TEXT, sb.toString());
        // And the text encodes back to the generated ids (greedy output of a SentencePiece model is canonical here).
        assertArrayEquals(REFERENCE, tok512.encode(REFERENCE_TEXT, false, false));
    }

    @Test
    void byteFallbackForUnknownCharacters() {
        // '中' (E4 B8 AD) is not a piece in tok512: three byte tokens → ids byte + 3 after the space piece.
        int[] ids = tok512.encode("中", false, false);
        assertArrayEquals(new int[] {410, 0xE4 + 3, 0xB8 + 3, 0xAD + 3}, ids);
        assertEquals("中", tok512.decode(ids));
        // 'é' is a piece of its own (id 485), so no fallback there.
        assertArrayEquals(new int[] {410, 485}, tok512.encode("é", false, false));
        // Streaming holds back the first byte until the character is complete.
        StreamingDecoder sd = new StreamingDecoder(tok512, -1);
        assertEquals("", sd.next(ids[0]) + sd.next(ids[1]) + sd.next(ids[2]));
        assertEquals("中", sd.next(ids[3]));
        assertEquals("", sd.flush());
    }

    /** Code points from all planes, excluding surrogates (not encodable on their own). */
    static Gen<String> unicodeStrings() {
        Gen<Integer> ascii = SourceDSL.integers().between(0x20, 0x7E);
        Gen<Integer> any = SourceDSL.integers().between(1, 0x10FFFF).assuming(cp -> cp < 0xD800 || cp > 0xDFFF);
        Gen<Integer> special = SourceDSL.arbitrary().pick(0x1F600, 0x4E2D, 0x6587, 0x0A, 0x20, 0x09, 0xE9, 0x1F468,
                0x200D);
        Gen<Integer> cp = SourceDSL.integers().between(0, 9).flatMap(k -> k < 5 ? ascii : k < 8 ? special : any);
        return SourceDSL.lists().of(cp).ofSizeBetween(0, 40).map(l -> {
            StringBuilder sb = new StringBuilder();
            l.forEach(sb::appendCodePoint);
            return sb.toString();
        });
    }

    @Test
    void roundTripArbitraryUnicode32k() {
        qt().withExamples(300).forAll(unicodeStrings())
                .check(s -> s.equals(tok32k.decode(tok32k.encode(s, true, true))));
    }

    @Test
    void roundTripArbitraryUnicode512() {
        qt().withExamples(300).forAll(unicodeStrings())
                .check(s -> s.equals(tok512.decode(tok512.encode(s, false, false))));
    }

    /** The heap-based merge must pick the same pairs as llama2.c's rescan loop. */
    @Test
    void mergesEqualLlama2cRescan() {
        qt().withExamples(200).forAll(unicodeStrings()).check(s -> {
            int[] fast = tok512.encode(s, false, false);
            return Arrays.equals(fast, Llama2cReference.encode(tok512, s));
        });
    }

    @Test
    void corruptTokenizerFiles() throws IOException {
        byte[] all = Files.readAllBytes(TestData.file("stories260K/tok512.bin"));
        Path f = tmp.resolve("t.bin");
        Files.write(f, Arrays.copyOf(all, all.length - 3));
        var e = assertThrows(CheckpointFormatException.class, () -> Llama2cTokenizer.load(f));
        assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
        byte[] bad = all.clone();
        bad[4 + 4] = (byte) 0xFF; // length of id 0 becomes huge
        Files.write(f, bad);
        e = assertThrows(CheckpointFormatException.class, () -> Llama2cTokenizer.load(f));
        assertTrue(e.getMessage().contains("id 0"), e.getMessage());
        Files.write(f, new byte[] {1});
        assertThrows(CheckpointFormatException.class, () -> Llama2cTokenizer.load(f));
    }
}
