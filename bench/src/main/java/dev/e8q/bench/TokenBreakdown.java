package dev.e8q.bench;

import dev.e8q.codec.Parallel;
import dev.e8q.llama.LlamaConfig;
import dev.e8q.llama.model.DecoderBlock;
import dev.e8q.llama.model.LinearKind;
import dev.e8q.llama.model.LlamaModel;
import dev.e8q.llama.model.ModelState;

import java.util.Locale;

/**
 * Where one generated token's time goes on {@link E2eBench}'s synthetic models: a token-by-token forward pass, then
 * every decoder linear alone (in model order, per kind, each layer's own weights, so codes stream from memory as in
 * a forward pass) and the lm_head alone; "other" is the token minus both (norms, attention, RoPE, residuals). Averages,
 * not best calls, because a token is a sequence of cold calls.
 *
 * <pre>java -Xmx16g [-De8q.threads=1] --add-modules jdk.incubator.vector -cp bench/target-bench/benchmarks.jar
 *     dev.e8q.bench.TokenBreakdown [110M|1B] [F32|BF16|E8Q2|E8Q3|E8Q4] [rounds=5]</pre>
 */
public final class TokenBreakdown {
    private TokenBreakdown() {}

    public static void main(String[] a) {
        String size = a.length > 0 ? a[0] : "1B", storage = a.length > 1 ? a[1] : "E8Q2";
        int rounds = a.length > 2 ? Integer.parseInt(a[2]) : 5;
        LlamaConfig c = E2eBench.config(size);
        LlamaModel m = E2eBench.build(c, storage, 42);
        ModelState s = m.newState(256);
        float[] x = new float[Math.max(c.dim(), c.hiddenDim())], y = new float[Math.max(c.vocabSize(), c.hiddenDim())];
        for (int i = 0; i < x.length; i++) x[i] = (float) Math.sin(i);
        int positions = 32, passes = 4, headCalls = 8;
        for (int w = 0; w < 3; w++) for (int p = 0; p < 2 * positions; p++) m.forward(s, 1 + p, p);
        System.out.printf(Locale.ROOT, "%s %s, %d thread(s); ms per token (averages of %d tokens, %d passes over the linears, %d lm_head calls)%n",
                size, storage, Parallel.threads(), positions, passes, headCalls);
        StringBuilder head = new StringBuilder("| token | tokens/s | linears |");
        for (LinearKind k : LinearKind.values()) head.append(' ').append(k).append(" |");
        System.out.println(head.append(" lm_head | other |"));
        System.out.println("|---".repeat(LinearKind.values().length + 5) + "|");
        for (int r = 0; r < rounds; r++) {
            long t0 = System.nanoTime();
            for (int p = 0; p < positions; p++) m.forward(s, 1 + p, p);
            double token = (System.nanoTime() - t0) / 1e6 / positions;
            double[] kind = new double[LinearKind.values().length];
            for (int k = 0; k < passes; k++)
                for (DecoderBlock b : m.blocks())
                    for (LinearKind lk : LinearKind.values()) {
                        long q0 = System.nanoTime();
                        b.linear(lk).forward(x, 0, y, 0);
                        kind[lk.ordinal()] += (System.nanoTime() - q0) / 1e6 / passes;
                    }
            long h0 = System.nanoTime();
            for (int k = 0; k < headCalls; k++) m.lmHead().forward(x, 0, y, 0);
            double lmHead = (System.nanoTime() - h0) / 1e6 / headCalls, linears = 0;
            StringBuilder row = new StringBuilder();
            for (double v : kind) {
                linears += v;
                row.append(String.format(Locale.ROOT, " %.2f |", v));
            }
            System.out.printf(Locale.ROOT, "| %.2f | %.1f | %.2f |%s %.2f | %.2f |%n", token, 1e3 / token, linears, row, lmHead,
                    token - linears - lmHead);
        }
    }
}
