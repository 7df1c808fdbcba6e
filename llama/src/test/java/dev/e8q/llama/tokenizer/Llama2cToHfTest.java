package dev.e8q.llama.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.quicktheories.QuickTheory.qt;

import dev.e8q.llama.testdata.TestData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tokenizer.json written for a llama2.c tokenizer must encode and decode exactly as the original. */
class Llama2cToHfTest {
    @TempDir
    Path tmp;

    /** Texts where the documented differences cannot arise. */
    private static boolean comparable(String s, boolean tiedSpaceRuns) {
        return !s.contains("<s>") && !s.contains("</s>") && !s.contains("<unk>") && !s.contains("\u2581")
                && !(tiedSpaceRuns && s.contains("  "));
    }

    private void check(String bin, boolean tiedSpaceRuns) throws IOException {
        Llama2cTokenizer orig = Llama2cTokenizer.load(TestData.file(bin));
        Path dir = tmp.resolve(Path.of(bin).getFileName().toString());
        Llama2cToHf.write(orig, dir);
        HfTokenizer hf = HfTokenizer.load(dir.resolve("tokenizer.json"));
        assertEquals(orig.vocabSize(), hf.vocabSize());
        assertEquals(orig.bos(), hf.bos());
        assertEquals(orig.eos(), hf.eos());
        qt().withExamples(300).forAll(Llama2cTokenizerTest.unicodeStrings())
                .assuming(s -> comparable(s, tiedSpaceRuns))
                .check(s -> {
                    int[] a = orig.encode(s, true, false);
                    return Arrays.equals(a, hf.encode(s, true, false)) && orig.decode(a).equals(hf.decode(a));
                });
        String[] stories = Files.readString(TestData.file("text/tinystories_train_2MiB.txt")).split("<\\|endoftext\\|>");
        int compared = 0;
        for (int i = 0; i < 60; i++) {
            String s = stories[i].strip();
            if (!comparable(s, tiedSpaceRuns)) continue;
            assertArrayEquals(orig.encode(s, true, true), hf.encode(s, true, true), "story " + i);
            compared++;
        }
        assertEquals(60, compared, "stories skipped");
    }

    @Test
    void tok512() throws IOException {
        check("stories260K/tok512.bin", false);
    }

    @Test
    void llama2Vocabulary() throws IOException {
        check("tokenizers/tokenizer_llama2_32000.bin", true);
    }
}
