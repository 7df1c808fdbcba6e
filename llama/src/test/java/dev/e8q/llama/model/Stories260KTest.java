package dev.e8q.llama.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.e8q.llama.WeightSource;
import dev.e8q.llama.eval.PerplexityEvaluator;
import dev.e8q.llama.generate.Generator;
import dev.e8q.llama.generate.Sampler;
import dev.e8q.llama.io.Checkpoints;
import dev.e8q.llama.testdata.TestData;
import dev.e8q.llama.tokenizer.Llama2cTokenizer;
import dev.e8q.llama.tokenizer.Tokenizer;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Reference behaviour of Karpathy's stories260K from shared/data/README.md. */
class Stories260KTest {
    static LlamaModel model;
    static Tokenizer tok;

    @BeforeAll
    static void load() throws Exception {
        try (WeightSource ws = Checkpoints.open(TestData.file("stories260K/stories260K.bin"))) {
            model = LlamaModel.load(ws, DType.F32);
        }
        tok = Llama2cTokenizer.load(TestData.file("stories260K/tok512.bin"));
    }

    static final int[] FROM_BOS = {403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426, 338, 401, 396,
            267, 337, 410, 408, 419, 292, 411, 322, 265, 282, 295, 433, 426, 385, 328, 432, 358, 394, 261, 370, 432, 352, 266,
            268, 388, 426, 338, 391, 266};

    @Test
    void greedyFromBosGivesTheReferenceIds() {
        Generator.Result r = new Generator(model).generate(new int[] {1}, FROM_BOS.length, Sampler.greedy(), null);
        assertArrayEquals(FROM_BOS, r.generated());
        assertEquals("Once upon a time, there was a little girl named Lily. She loved to play outside in the park. "
                + "One day, she saw a big, red ball. She wanted", tok.decode(r.generated()));
    }

    @Test
    void greedyFromZooGivesTheReferenceContinuation() {
        int[] prompt = tok.encode("Zoo", true, false);
        assertArrayEquals(new int[] {1, 410, 469, 347}, prompt);
        StringBuilder streamed = new StringBuilder();
        Generator.Result r = new Generator(model).generate(prompt, 60, Sampler.greedy(),
                (prev, id) -> streamed.append(tok.decodeToken(prev, id)));
        String expected = "Zoo was a little girl named Lily. She loved to play outside in the park. One day, she saw a big, "
                + "red ball. She wanted to play with it, but she didn't want to play";
        String text = tok.decode(r.all());
        assertTrue(text.startsWith(expected), text);
        assertTrue(("Zoo" + streamed).startsWith(expected), streamed.toString());
    }

    @Test
    void storyModeMeanNllMatchesReference() throws Exception {
        String text = Files.readString(TestData.file("text/tinystories_train_2MiB.txt"));
        List<String> stories = PerplexityEvaluator.stories(text, 100);
        assertEquals(100, stories.size());
        PerplexityEvaluator.Result r = new PerplexityEvaluator(model).evaluateStories(tok, stories, 512, null);
        assertEquals(37072, r.tokens());
        assertEquals(1.40762, r.meanNll(), 1e-4, r.toString());
        assertEquals(4.086, r.perplexity(), 1e-3);
    }

    @Test
    void batchedPrefillAndSequenceLogitsEqualTokenByToken() {
        int[] tokens = tok.encode("Once upon a time, there was a big dog. The dog liked to run.", true, false);
        int V = model.config().vocabSize();
        float[] seq = model.forwardSequence(tokens);
        ModelState s = model.newState(tokens.length);
        for (int t = 0; t < tokens.length; t++) {
            float[] l = s.forward(tokens[t], t);
            for (int i = 0; i < V; i++) assertEquals(l[i], seq[t * V + i], 2e-4f, "pos " + t + " id " + i);
        }
        // prefill half, then continue token by token: same logits at the end
        ModelState s2 = model.newState(tokens.length);
        int half = tokens.length / 2;
        s2.prefill(java.util.Arrays.copyOf(tokens, half), 0);
        float[] rest = s2.prefill(java.util.Arrays.copyOfRange(tokens, half, tokens.length - 1), half);
        float[] last = s2.forward(tokens[tokens.length - 1], tokens.length - 1);
        for (int i = 0; i < V; i++) assertEquals(seq[(tokens.length - 1) * V + i], last[i], 2e-4f);
        assertEquals(V, rest.length);
    }
}
