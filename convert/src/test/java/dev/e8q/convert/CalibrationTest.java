package dev.e8q.convert;

import static org.junit.jupiter.api.Assertions.*;

import dev.e8q.llama.tokenizer.Tokenizer;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.quicktheories.QuickTheory;
import org.quicktheories.generators.SourceDSL;

class CalibrationTest {
    /** One token per character (id = char + 10), BOS = 1: makes the stream layout visible. */
    static final Tokenizer CHARS = new Tokenizer() {
        public int[] encode(String text, boolean bos, boolean eos) {
            return text.chars().map(c -> c + 10).toArray();
        }

        public String decode(int[] ids) { throw new UnsupportedOperationException(); }

        public byte[] decodeTokenBytes(int prev, int id) { throw new UnsupportedOperationException(); }

        public int vocabSize() { return 1000; }

        public int bos() { return 1; }

        public int eos() { return 2; }
    };

    static int t(char c) { return c + 10; }

    @Test
    void documentsJoinWithBosAndWindowsStartWithBos() {
        List<int[]> w = Calibration.windows(CHARS, " ab <|endoftext|>\n cd\n<|endoftext|>efg", 3, 3);
        assertArrayEquals(new int[] {1, t('a'), t('b')}, w.get(0));
        assertArrayEquals(new int[] {1, 1, t('c')}, w.get(1));
        assertArrayEquals(new int[] {1, t('d'), 1}, w.get(2));
        assertArrayEquals(new int[] {1, t('e'), t('f')}, Calibration.windows(CHARS, "ab<|endoftext|>cd<|endoftext|>efg", 3, 1, 3).get(0));
    }

    @Test
    void tooShortTextIsAnErrorWithCounts() {
        var e = assertThrows(IllegalArgumentException.class, () -> Calibration.windows(CHARS, "abcde", 2, 4));
        assertTrue(e.getMessage().contains("only 5 tokens") && e.getMessage().contains("need 6"), e.getMessage());
    }

    @Test
    void paragraphPiecesCoverTheTextExactly() {
        QuickTheory.qt().withExamples(200).forAll(SourceDSL.strings().basicLatinAlphabet().ofLengthBetween(0, 400),
                SourceDSL.integers().between(0, 1 << 16)).checkAssert((s, seed) -> {
            // sprinkle blank lines
            StringBuilder b = new StringBuilder();
            java.util.Random r = new java.util.Random(seed);
            for (char ch : s.toCharArray()) {
                b.append(ch);
                if (r.nextInt(20) == 0) b.append("\n\n");
                else if (r.nextInt(30) == 0) b.append('\n');
            }
            String text = b.toString();
            assertEquals(text, String.join("", Calibration.paragraphs(text)));
        });
    }
}
