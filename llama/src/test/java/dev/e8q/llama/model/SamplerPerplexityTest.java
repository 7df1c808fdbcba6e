package dev.e8q.llama.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.e8q.llama.eval.PerplexityEvaluator;
import dev.e8q.llama.generate.Sampler;
import java.util.List;
import org.junit.jupiter.api.Test;

class SamplerPerplexityTest {
    @Test
    void greedyIsArgmaxAndSeededSamplingIsReproducible() {
        float[] logits = {0.1f, 2f, -1f, 1.9f};
        assertEquals(1, Sampler.greedy().sample(logits, 4));
        Sampler a = new Sampler(1f, 1f, 42), b = new Sampler(1f, 1f, 42);
        int[] ca = new int[4];
        for (int i = 0; i < 4000; i++) {
            int ta = a.sample(logits, 4);
            assertEquals(ta, b.sample(logits, 4));
            ca[ta]++;
        }
        // softmax probabilities 0.0726, 0.4856, 0.0242, 0.4394 (4000 draws: several standard deviations of slack)
        assertTrue(Math.abs(ca[1] / 4000.0 - 0.4856) < 0.04, java.util.Arrays.toString(ca));
        assertTrue(Math.abs(ca[2] / 4000.0 - 0.0242) < 0.015, java.util.Arrays.toString(ca));
        // top-p 0.5 keeps only the two leading tokens (0.4856 < 0.5 <= 0.925)
        Sampler p = new Sampler(1f, 0.5f, 1);
        boolean saw3 = false;
        for (int i = 0; i < 500; i++) {
            int t = p.sample(logits, 4);
            assertTrue(t == 1 || t == 3, "top-p picked " + t);
            saw3 |= t == 3;
        }
        assertTrue(saw3);
        Sampler tiny = new Sampler(1f, 0.1f, 1);
        for (int i = 0; i < 100; i++) assertEquals(1, tiny.sample(logits, 4));
    }

    @Test
    void windowsCoverEveryTextTokenOnceAfterBos() {
        int[] text = new int[25];
        for (int i = 0; i < text.length; i++) text[i] = 100 + i;
        List<int[]> w = PerplexityEvaluator.windows(text, 1, 8, 0);
        assertEquals(4, w.size());
        assertArrayEquals(new int[] {1, 100, 101, 102, 103, 104, 105, 106}, w.get(0));
        assertArrayEquals(new int[] {1, 121, 122, 123, 124}, w.get(3));
        assertEquals(3, PerplexityEvaluator.windows(text, 1, 8, 20).size());
        assertEquals(List.of("a b", "c"), PerplexityEvaluator.stories(" a b \n<|endoftext|>\n\n<|endoftext|>c<|endoftext|> cut", 5));
    }
}
