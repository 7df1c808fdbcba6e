package dev.e8q.compare;

import dev.e8q.llama.generate.Generator;
import dev.e8q.llama.generate.Sampler;
import dev.e8q.llama.model.LlamaModel;
import dev.e8q.llama.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Generation divergence: for each prompt, the number of greedy tokens a model generates before its first token that
 * differs from the reference (FP) model's greedy continuation, capped at {@code G}. A continuation includes the
 * EOS/BOS token that ended it, so two models that stop at the same place after the same tokens agree on all G.
 */
final class Divergence {
    private Divergence() {}

    /**
     * {@code n} prompts: the first {@code words} words of paragraphs of {@code text} (blank-line separated, CRLF
     * normalized, at least words + 4 words long; each distinct prompt once), spread evenly over the eligible paragraphs of
     * the text's first 256 KiB; each encoded as [BOS] + tokens.
     */
    static List<int[]> prompts(Tokenizer tok, String text, int n, int words) {
        List<String> p = promptTexts(text, n, words);
        List<int[]> out = new ArrayList<>(p.size());
        for (String s : p) out.add(tok.encode(s, true, false));
        return out;
    }

    static List<String> promptTexts(String text, int n, int words) {
        String t = text.replace("\r\n", "\n");
        if (t.length() > 1 << 18) t = t.substring(0, 1 << 18);
        java.util.LinkedHashSet<String> distinct = new java.util.LinkedHashSet<>();
        for (String para : t.split("\n\\s*\n")) {
            String[] w = para.strip().split("\\s+");
            if (w.length >= words + 4) distinct.add(String.join(" ", Arrays.copyOf(w, words)));
        }
        List<String> eligible = new ArrayList<>(distinct);
        if (eligible.size() < n)
            throw new IllegalArgumentException("the prompt text has only " + eligible.size() + " distinct prompts (paragraphs of at least " + (words + 4)
                    + " words) in its first 256 KiB, " + n + " prompts wanted");
        List<String> out = new ArrayList<>(n);
        for (int k = 0; k < n; k++) out.add(eligible.get((int) ((long) k * eligible.size() / n)));
        return out;
    }

    /** Greedy continuations of at most {@code g} tokens, each followed by its stop token when generation stopped. */
    static List<int[]> continuations(LlamaModel m, List<int[]> prompts, int g) {
        Generator gen = new Generator(m);
        List<int[]> out = new ArrayList<>(prompts.size());
        for (int[] p : prompts) {
            Generator.Result r = gen.generate(p, g, Sampler.greedy(), null);
            int[] s = r.generated();
            if (r.stoppedAt() >= 0 && s.length < g) {
                s = Arrays.copyOf(s, s.length + 1);
                s[s.length - 1] = r.stoppedAt();
            }
            out.add(s);
        }
        return out;
    }

    /** Index of the first token where {@code got} leaves {@code ref}, or {@code g} when they agree on their first g tokens. */
    static int firstDifference(int[] ref, int[] got, int g) {
        for (int i = 0; i < g; i++) {
            boolean re = i >= ref.length, ge = i >= got.length;
            if (re || ge) return re && ge ? g : i;
            if (ref[i] != got[i]) return i;
        }
        return g;
    }

    /** Per-prompt first differences of {@code m}'s continuations against {@code reference}. */
    static int[] against(LlamaModel m, List<int[]> prompts, List<int[]> reference, int g) {
        List<int[]> got = continuations(m, prompts, g);
        int[] d = new int[prompts.size()];
        for (int i = 0; i < d.length; i++) d[i] = firstDifference(reference.get(i), got.get(i), g);
        return d;
    }
}
