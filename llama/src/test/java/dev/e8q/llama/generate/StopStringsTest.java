package dev.e8q.llama.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.strings;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;

class StopStringsTest {
    /** Text over three letters, so that stop strings and their partial matches turn up often. */
    private static Gen<String> text(int min, int max) {
        return strings().betweenCodePoints('a', 'c').ofLengthBetween(min, max);
    }

    /** The text cut into pieces at the given (sorted, clamped) positions. */
    private static List<String> split(String text, List<Integer> cuts) {
        List<String> pieces = new ArrayList<>();
        int from = 0;
        for (int c : cuts.stream().map(c -> Math.min(c, text.length())).sorted().toList()) {
            pieces.add(text.substring(from, Math.max(from, c)));
            from = Math.max(from, c);
        }
        pieces.add(text.substring(from));
        return pieces;
    }

    @Test
    void streamedOutputIsTheTextUpToTheFirstStopStringHoweverItIsCut() {
        qt().forAll(text(0, 40), lists().of(text(1, 4)).ofSizeBetween(0, 3), lists().of(integers().between(0, 40)).ofSizeBetween(0, 12))
                .checkAssert((text, stops, cuts) -> {
                    StopStrings s = new StopStrings(stops);
                    StringBuilder out = new StringBuilder();
                    for (String piece : split(text, cuts)) {
                        out.append(s.add(piece));
                        // Whatever was released so far holds no stop string, not even one that ends in held-back text.
                        for (String stop : stops) assertTrue(out.indexOf(stop) < 0);
                    }
                    // Character by character: the first end at which a stop string completes, and its earliest start there.
                    int cut = -1;
                    for (int e = 1; e <= text.length() && cut < 0; e++) {
                        for (String stop : stops) {
                            int b = e - stop.length();
                            if (b >= 0 && text.startsWith(stop, b) && (cut < 0 || b < cut)) cut = b;
                        }
                    }
                    if (!s.stopped()) out.append(s.flush());
                    assertEquals(cut >= 0, s.stopped());
                    assertEquals(cut >= 0 ? text.substring(0, cut) : text, out.toString(), "text " + text + ", stops " + stops + ", cuts " + cuts);
                });
    }

    @Test
    void releasesEverythingAtOnceWhenNoStopCouldBegin() {
        StopStrings s = new StopStrings(List.of("</s>", "User:"));
        assertEquals("Hello", s.add("Hello"));
        assertEquals(" there", s.add(" there<"));
        assertEquals("<b>", s.add("b>"));
        assertEquals(" ", s.add(" Us"));
        assertEquals("", s.add("er:"));
        assertTrue(s.stopped());
        assertEquals("", s.add("more"));
        // "ab" is complete before "aaba" is, so it wins, though "aaba" starts earlier; in one piece or in two.
        StopStrings one = new StopStrings(List.of("aaba", "ab")), two = new StopStrings(List.of("aaba", "ab"));
        assertEquals("a", one.add("aaba"));
        assertEquals("a", two.add("aa") + two.add("ba"));
        assertThrows(IllegalArgumentException.class, () -> new StopStrings(List.of("")));
    }
}
