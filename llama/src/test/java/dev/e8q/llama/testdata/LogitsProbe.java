package dev.e8q.llama.testdata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.e8q.llama.model.DType;
import dev.e8q.llama.model.KvCache;
import dev.e8q.llama.model.LlamaModel;
import dev.e8q.llama.model.ModelLoader;
import dev.e8q.llama.model.ModelState;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The logits of a fixed run of a model (a prefill, then tokens one at a time through the cache), as float bits:
 * {@code main} prints them, one hex word per logit, so that a test can compare a run in another JVM (e.g. the
 * interpreter, {@code -Xint}) with its own bit for bit. In the test-jar, for the modules above (convert checks quantized
 * models with it).
 */
public final class LogitsProbe {
    private LogitsProbe() {}

    /** Prefill of the first half of tokens, then the rest one at a time; every step's logits, concatenated. */
    public static float[] run(LlamaModel m, int[] tokens, KvCache.Precision kv) {
        int V = m.config().vocabSize(), half = tokens.length / 2;
        float[] all = new float[tokens.length * V];
        ModelState s = m.newState(tokens.length, kv);
        float[] logits = s.prefill(java.util.Arrays.copyOf(tokens, half), 0);
        System.arraycopy(logits, 0, all, (half - 1) * V, V);
        for (int t = half; t < tokens.length; t++) System.arraycopy(s.forward(tokens[t], t), 0, all, t * V, V);
        return all;
    }

    /** Tokens 1, 7, 14, ... (below vocab) : a fixed, model-independent prompt. */
    public static int[] tokens(int vocab, int n) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = 1 + (i * 7 + i * i) % (vocab - 1);
        return t;
    }

    /** args: model path, storage (F32|BF16|F16), token count, cache precision (F32|F16). */
    public static void main(String[] a) throws IOException {
        LlamaModel m = ModelLoader.load(Path.of(a[0]), DType.valueOf(a[1]));
        float[] l = run(m, tokens(m.config().vocabSize(), Integer.parseInt(a[2])), KvCache.Precision.valueOf(a[3]));
        StringBuilder sb = new StringBuilder(l.length * 9);
        for (float v : l) sb.append(Integer.toHexString(Float.floatToRawIntBits(v))).append('\n');
        System.out.print(sb);
    }

    /** {@link #run} repeated until its hot methods are compiled by C2 (a few thousand calls each); the last run's logits. */
    public static float[] warm(LlamaModel m, int[] tokens, KvCache.Precision kv) {
        float[] l = null;
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        for (int i = 0; i < 200 && (i < 20 || System.nanoTime() < end); i++) l = run(m, tokens, kv);
        return l;
    }

    /** Fails unless the two runs' logits are equal bit for bit, naming how many differ and the first. */
    public static void assertBitsEqual(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what + ": logit count");
        int differ = 0, first = -1;
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
                if (first < 0) first = i;
                differ++;
            }
        }
        assertEquals(0, differ, what + ": " + differ + " of " + expected.length + " logits differ"
                + (first < 0 ? "" : ", first at " + first + ": " + expected[first] + " vs " + actual[first]));
    }

    /** {@link #main}'s logits from a child JVM that only interprets ({@code -Xint}), with this JVM's class path. */
    public static float[] interpreted(Path model, DType storage, int tokens, KvCache.Precision kv) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-Xint", "--add-modules", "jdk.incubator.vector",
                "-cp", System.getProperty("java.class.path"), LogitsProbe.class.getName(),
                model.toString(), storage.name(), Integer.toString(tokens), kv.name()));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "the -Xint run did not finish");
        assertEquals(0, p.exitValue(), "the -Xint run failed: " + String.join(" ", cmd));
        String[] lines = new String(out, StandardCharsets.US_ASCII).strip().split("\n");
        float[] l = new float[lines.length];
        for (int i = 0; i < lines.length; i++) l[i] = Float.intBitsToFloat(Integer.parseUnsignedInt(lines[i].strip(), 16));
        return l;
    }
}
