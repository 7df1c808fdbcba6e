package dev.e8q.llama.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.e8q.llama.model.DType;
import dev.e8q.llama.model.KvCache;
import dev.e8q.llama.model.LlamaModel;
import dev.e8q.llama.model.ModelLoader;
import dev.e8q.llama.testdata.TestData;
import dev.e8q.llama.tokenizer.Tokenizer;
import java.io.IOException;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The KV cache kept between prompts on TinyStories-656K: what it claims to hold is what it holds. */
class PromptCacheTest {
    static LlamaModel model;
    static Tokenizer tokenizer;

    @BeforeAll
    static void load() throws IOException {
        model = ModelLoader.load(TestData.tinyStories656K(), DType.F32);
        tokenizer = ModelLoader.tokenizer(TestData.tinyStories656K(), null);
    }

    private static int[] concat(int[] a, int[] b) {
        int[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    @Test
    void aCallbackThatSaysStopEndsTheReplyAndTheCacheHoldsWhatRan() {
        PromptCache cache = new PromptCache(model, 256, KvCache.Precision.F32);
        int[] prompt = tokenizer.encode("Once upon a time, there was a little girl named", true, false);
        int[] stops = StopTokens.of(model.config());
        int[] seen = {0};
        PromptCache.Run cut = cache.run(prompt, Sampler.greedy(), 50, stops, (prev, id) -> ++seen[0] < 5);
        assertEquals(5, cut.reply().length);
        assertEquals(-1, cut.stoppedAt());
        // The fifth id was sampled but not run: the cache holds the prompt and the first four.
        assertArrayEquals(concat(prompt, Arrays.copyOf(cut.reply(), 4)), cache.cachedTokens());

        // Going on from the whole text reuses all of it but the last id, and continues as one uninterrupted run would.
        int[] longer = concat(prompt, cut.reply());
        PromptCache.Run more = cache.run(longer, Sampler.greedy(), 10, stops, null);
        assertEquals(longer.length - 1, more.reusedTokens());
        Generator.Result whole = new Generator(model, KvCache.Precision.F32, stops).generate(prompt, 15, Sampler.greedy(), null);
        assertArrayEquals(whole.generated(), concat(cut.reply(), more.reply()));
    }

    @Test
    void aPromptThatFillsTheContextIsRefusedAndChangesNothing() {
        PromptCache cache = new PromptCache(model, 16, KvCache.Precision.F32);
        int[] prompt = tokenizer.encode("Tom had a ball.", true, false);
        cache.run(prompt, Sampler.greedy(), 3, StopTokens.of(model.config()), null);
        int[] before = cache.cachedTokens();
        int[] tooLong = tokenizer.encode("The big dog ran and ran in the park with the red ball, and then he ran home.", true, false);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> cache.run(tooLong, Sampler.greedy(), 3, StopTokens.of(model.config()), null));
        assertEquals("the prompt is " + tooLong.length + " tokens, and the context holds 16", e.getMessage());
        assertArrayEquals(before, cache.cachedTokens());
    }
}
