package dev.e8q.llama.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.e8q.llama.io.CheckpointFormatException;
import dev.e8q.llama.testdata.TestData;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quicktheories.generators.SourceDSL;

/**
 * Expected ids in this class and in the *_golden.json resources were produced by Hugging Face
 * {@code tokenizers} 0.23.2 ({@code encode(text, add_special_tokens=False)}, {@code decode(ids)}).
 */
class HfTokenizerTest {
    @TempDir
    Path tmp;

    static Path resource(String name) {
        try {
            return Path.of(HfTokenizerTest.class.getResource(name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static HfTokenizer sentencePiece() throws IOException {
        return HfTokenizer.load(resource("sentencepiece/tokenizer.json"));
    }

    static HfTokenizer byteLevel() throws IOException {
        return HfTokenizer.load(resource("bytelevel/tokenizer.json"));
    }

    @Test
    void sentencePieceFlavour() throws IOException {
        HfTokenizer t = sentencePiece();
        assertEquals(1, t.bos()); // from the post-processor template
        assertEquals(-1, t.eos());
        assertArrayEquals(new int[] {22, 27}, t.encode("hello world", false, false));
        assertArrayEquals(new int[] {1, 22, 27}, t.encode("hello world", true, false));
        assertThrows(IllegalStateException.class, () -> t.encode("x", false, true));
        assertArrayEquals(new int[] {22, 3, 4, 5, 0}, t.encode("hello中x", false, false));
        assertArrayEquals(new int[] {10, 0}, t.encode("xq", false, false)); // unknowns fused
        assertArrayEquals(new int[] {10, 18, 0}, t.encode("  hi", false, false));
        assertArrayEquals(new int[] {22, 6, 7, 8, 9, 15, 23, 26}, t.encode("hello😀world", false, false));
        assertArrayEquals(new int[] {1, 22, 2}, t.encode("<s>hello</s>", false, false));
        assertEquals("hello world", t.decode(new int[] {1, 22, 27}));
        assertEquals("hello中", t.decode(new int[] {22, 3, 4, 5, 0}));
        assertEquals(" h", t.decode(new int[] {10, 18, 0}));
        assertEquals("hello😀world", t.decode(new int[] {22, 6, 7, 8, 9, 15, 23, 26}));
        // Streaming: the emoji's four byte tokens come out as one character.
        StreamingDecoder sd = new StreamingDecoder(t, 1);
        StringBuilder sb = new StringBuilder();
        for (int id : new int[] {22, 6, 7, 8}) sb.append(sd.next(id));
        assertEquals("hello", sb.toString());
        assertEquals("😀", sd.next(9));
    }

    @Test
    void sentencePieceOptions() throws IOException {
        HfTokenizer noPrefix = HfTokenizer.load(resource("sentencepiece/tokenizer.json"), new HfTokenizer.Options(false, null));
        assertArrayEquals(new int[] {11, 12, 21, 27}, noPrefix.encode("hello world", false, false));
        assertEquals("hello world", noPrefix.decode(new int[] {11, 12, 21, 27}));
        HfTokenizer unfused = HfTokenizer.load(resource("sentencepiece/tokenizer.json"), new HfTokenizer.Options(true, false));
        assertArrayEquals(new int[] {10, 0, 0}, unfused.encode("xq", false, false));
    }

    @Test
    void sentencePieceRoundTrip() throws IOException {
        HfTokenizer t = sentencePiece();
        // Text over the covered alphabet: single spaces between non-empty words, so the ▁ mapping is lossless.
        var word = SourceDSL.lists().of(SourceDSL.arbitrary().pick("h", "e", "l", "o", "w", "r", "d", "中", "😀"))
                .ofSizeBetween(1, 6).map(l -> String.join("", l));
        qt().withExamples(300).forAll(SourceDSL.lists().of(word).ofSizeBetween(0, 6).map(l -> String.join(" ", l)))
                .check(s -> s.equals(t.decode(t.encode(s, true, false))));
    }

    @Test
    void byteLevelFlavour() throws IOException {
        HfTokenizer t = byteLevel();
        assertEquals(266, t.bos()); // from tokenizer_config.json
        assertEquals(267, t.eos());
        assertArrayEquals(new int[] {266, 116, 257, 262, 265, 267}, t.encode("the cat sat", true, true));
        assertArrayEquals(new int[] {264, 52, 53}, t.encode("12345", false, false));
        assertArrayEquals(new int[] {258}, t.encode(" the", false, false));
        assertArrayEquals(new int[] {73, 39, 109}, t.encode("I'm", false, false));
        assertArrayEquals(new int[] {104, 195, 169, 108, 108, 111}, t.encode("héllo", false, false));
        assertArrayEquals(new int[] {266, 116, 257}, t.encode("<|begin_of_text|>the", false, false));
        assertArrayEquals(new int[] {104, 105, 32, 258, 114, 101, 10}, t.encode("hi  there\n", false, false));
        assertEquals("the cat sat", t.decode(new int[] {266, 116, 257, 262, 265, 267}));
        assertEquals("Ġthe", t.piece(258));
    }

    @Test
    void byteLevelRoundTripsArbitraryUnicode() throws IOException {
        HfTokenizer t = byteLevel();
        qt().withExamples(300).forAll(Llama2cTokenizerTest.unicodeStrings())
                .check(s -> s.equals(t.decode(t.encode(s, true, true))));
    }

    @Test
    void goldenEncodingsFromHuggingFace() throws IOException {
        checkGolden(HfTokenizer.load(TestData.file("tinystories656K/tokenizer.json")), "tinystories656K_golden.json");
        checkGolden(byteLevel(), "bytelevel_golden.json");
    }

    private static void checkGolden(HfTokenizer t, String resource) throws IOException {
        JsonNode all = new ObjectMapper().readTree(resource(resource).toFile());
        assertTrue(all.size() >= 100);
        int[] decoded = {0};
        for (JsonNode e : all) {
            String text = e.get("text").asText();
            int[] want = new int[e.get("ids").size()];
            for (int i = 0; i < want.length; i++) want[i] = e.get("ids").get(i).asInt();
            assertArrayEquals(want, t.encode(text, false, false), resource + ": " + text);
            // HF keeps special tokens whose added entry is "normalized" (TinyStories' <unk>) in its output even
            // with skip_special_tokens; we drop every special token, so compare only where there is none.
            if (java.util.Arrays.stream(want).noneMatch(t::isSpecial)) {
                assertEquals(e.get("decoded").asText(), t.decode(want), resource + " decode: " + text);
                decoded[0]++;
            }
        }
        assertTrue(decoded[0] >= 40, resource + ": only " + decoded[0] + " decodes compared");
    }

    @Test
    void tinyStoriesReference() throws IOException {
        Path json = TestData.file("tinystories656K/tokenizer.json");
        HfTokenizer t = HfTokenizer.load(json);
        assertEquals(2048, t.vocabSize());
        assertEquals(1, t.bos());
        assertEquals(2, t.eos());
        assertArrayEquals(new int[] {80, 147, 201, 282, 57}, t.encode("Once upon a time", false, false));
        HfTokenizer noPrefix = HfTokenizer.load(json, new HfTokenizer.Options(false, null));
        assertArrayEquals(new int[] {1, 147, 201, 282, 57}, noPrefix.encode("Once upon a time", true, false));
        int[] ref = {147, 201, 282, 215, 286, 598, 1662, 356, 499, 826, 1363, 1145, 1652, 615, 242, 1482, 951, 628, 499,
            826, 872, 921, 318, 385, 628, 499, 826, 617, 242, 198, 1047, 425, 1939, 122, 1924, 1171, 94, 303, 328};
        String text = "Once upon a time, there was a little girl named Lily. She had a toy car that she loved very much."
                + " One day, she went to the park to play with her toy car in the park. Lily was very happy with her toy"
                + " car because she had no one to play with.\nWhile playing, Lily saw a ";
        assertEquals(text, t.decode(ref));
        StreamingDecoder sd = new StreamingDecoder(t, 1);
        StringBuilder sb = new StringBuilder();
        for (int id : ref) sb.append(sd.next(id));
        assertEquals(text, sb.toString());
        assertEquals(text, Tokenizers.load(TestData.file("tinystories656K")).decode(ref));
    }

    /** The README's NLL token counts pin down encoding of 100 real stories for both tokenizers. */
    @Test
    void referenceTokenCountsOnFirst100Stories() throws IOException {
        String[] parts = Files.readString(TestData.file("text/tinystories_train_2MiB.txt")).split("<\\|endoftext\\|>", -1);
        Path json = TestData.file("tinystories656K/tokenizer.json");
        HfTokenizer noPrefix = HfTokenizer.load(json, new HfTokenizer.Options(false, false));
        HfTokenizer prefix = HfTokenizer.load(json, new HfTokenizer.Options(true, false));
        Tokenizer tok512 = Tokenizers.load(TestData.file("stories260K/tok512.bin"));
        long a = 0, b = 0, c = 0;
        int cut = 0;
        for (int i = 0; i < 100; i++) {
            String story = parts[i].strip();
            a += noPrefix.encode(story, false, false).length;
            b += prefix.encode(story, false, false).length;
            int n = tok512.encode(story, true, false).length;
            if (n > 512) cut++;
            c += Math.min(n, 512) - 1;
        }
        assertEquals(18_024, a);
        assertEquals(18_124, b);
        assertEquals(37_072, c);
        assertEquals(5, cut);
    }

    @Test
    void tokenizersLoadDispatches() throws IOException {
        assertTrue(Tokenizers.load(TestData.file("stories260K/tok512.bin")) instanceof Llama2cTokenizer);
        assertTrue(Tokenizers.load(resource("bytelevel")) instanceof HfTokenizer);
        Path model = tmp.resolve("tokenizer.model");
        Files.writeString(model, "x");
        var e = assertThrows(CheckpointFormatException.class, () -> Tokenizers.load(model));
        assertTrue(e.getMessage().contains("tokenizer.model"), e.getMessage());
        assertThrows(CheckpointFormatException.class, () -> Tokenizers.load(tmp));
    }

    @Test
    void unsupportedTokenizerJsonIsNamed() throws IOException {
        String base = Files.readString(resource("sentencepiece/tokenizer.json"));
        Path f = tmp.resolve("tokenizer.json");
        Files.writeString(f, base.replace("\"type\": \"BPE\"", "\"type\": \"Unigram\""));
        var e = assertThrows(CheckpointFormatException.class, () -> HfTokenizer.load(f));
        assertTrue(e.getMessage().contains("Unigram") && e.getMessage().startsWith(f.toString()), e.getMessage());
        Files.writeString(f, base.replace("\"type\": \"Metaspace\"", "\"type\": \"BertPreTokenizer\""));
        e = assertThrows(CheckpointFormatException.class, () -> HfTokenizer.load(f));
        assertTrue(e.getMessage().contains("BertPreTokenizer"), e.getMessage());
        Files.writeString(f, base.replace("\"l d\"", "\"l q\""));
        e = assertThrows(CheckpointFormatException.class, () -> HfTokenizer.load(f));
        assertTrue(e.getMessage().contains("l q"), e.getMessage());
        Files.writeString(f, base.substring(0, 100));
        e = assertThrows(CheckpointFormatException.class, () -> HfTokenizer.load(f));
        assertTrue(e.getMessage().contains("malformed"), e.getMessage());
    }

    /**
     * A catastrophically backtracking regex in a downloaded tokenizer.json must not hang encoding ((.*a){12}$ on 26 a's
     * and a '!' takes about 2.4 s in JDK 25's java.util.regex, and time grows as a power of the length; JDK 9+ memoizes
     * the textbook (a+)+$, this one it does not): the matcher runs on a step budget and fails with a message that
     * names the pattern. Ordinary text through an ordinary file pattern is unaffected (the golden tests above).
     */
    @Test
    @org.junit.jupiter.api.Timeout(30)
    void catastrophicRegexFromTheFileFailsFastInsteadOfHanging() throws IOException {
        String base = Files.readString(resource("bytelevel/tokenizer.json"));
        String llama3 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\\\r\\\\n\\\\p{L}\\\\p{N}]?\\\\p{L}+|\\\\p{N}{1,3}| ?[^\\\\s\\\\p{L}\\\\p{N}]+[\\\\r\\\\n]*|\\\\s*[\\\\r\\\\n]+|\\\\s+(?!\\\\S)|\\\\s+";
        assertTrue(base.contains(llama3), "test resource changed");
        Path f = tmp.resolve("tokenizer.json");
        Files.writeString(f, base.replace(llama3, "(.*a){12}$"));
        HfTokenizer t = HfTokenizer.load(f);
        String evil = "a".repeat(60) + "!";
        var e = assertThrows(IllegalArgumentException.class, () -> t.encode(evil, false, false));
        assertTrue(e.getMessage().contains("(.*a){12}$") && e.getMessage().contains("tokenizer.json"), e.getMessage());
        assertTrue(t.encode("a b", false, false).length > 0, "short text still encodes");
    }

    @Test
    void aBrokenTokenizerConfigBesideTheTokenizerIsNamedWithItsProblem() throws IOException {
        Path json = Files.copy(TestData.tinyStories656K().resolve("tokenizer.json"), tmp.resolve("tokenizer.json"));
        Path cfg = tmp.resolve("tokenizer_config.json");
        // Malformed JSON, bytes Jackson takes for UTF-32, and JSON that is not an object.
        for (byte[] bad : new byte[][] {"{\"bos_token\": ".getBytes(), {0, 0, 0, 0x7b, 0x41, 0x42}, "[1, 2]".getBytes()}) {
            Files.write(cfg, bad);
            CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> HfTokenizer.load(json));
            assertTrue(e.getMessage().contains(cfg.toString()), e.getMessage());
        }
    }
}
