package dev.e8q.llama.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.floats;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Top-k, min-p and their combination with top-p; repetition, presence and frequency penalties. */
class SamplerTest {
    /** Distinct logits, so that "the k most likely" is one set. */
    static float[] logits(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] l = new float[n];
        for (int i = 0; i < n; i++) l[i] = (float) (r.nextGaussian() * 3) + i * 1e-4f;
        return l;
    }

    static double[] probs(float[] l, float temperature) {
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (float v : l) max = Math.max(max, v);
        double[] p = new double[l.length];
        for (int i = 0; i < l.length; i++) sum += p[i] = Math.exp((l[i] - max) / temperature);
        for (int i = 0; i < l.length; i++) p[i] /= sum;
        return p;
    }

    static Integer[] byProbability(double[] p) {
        Integer[] o = new Integer[p.length];
        for (int i = 0; i < o.length; i++) o[i] = i;
        Arrays.sort(o, (a, b) -> Double.compare(p[b], p[a]));
        return o;
    }

    @Test
    void everyDrawIsOneTheFiltersKeep() {
        qt().forAll(longs().all(), integers().between(2, 300), integers().between(0, 40), floats().between(0.05f, 1f))
                .checkAssert((seed, n, k, topP) -> {
                    float minP = (seed & 3) == 0 ? 0f : (float) ((seed >>> 2 & 1023) / 2048.0);
                    float temperature = 0.3f + (seed >>> 12 & 7) * 0.3f;
                    float[] l = logits(seed, n);
                    double[] p = probs(l, temperature);
                    Integer[] o = byProbability(p);
                    // The kept set, written out: top-k, then the nucleus of what it kept, then min-p.
                    int kept = k > 0 && k < n ? k : n;
                    double mass = 0, cum = 0;
                    for (int i = 0; i < kept; i++) mass += p[o[i]];
                    int last = kept - 1;
                    for (int i = 0; i < kept && topP < 1; i++) {
                        cum += p[o[i]];
                        if (cum >= topP * mass * (1 - 1e-12)) {
                            last = i;
                            break;
                        }
                    }
                    Sampler s = new Sampler(new Sampler.Settings(temperature, k, topP, minP), seed);
                    for (int draw = 0; draw < 20; draw++) {
                        int id = s.sample(l, n);
                        int rank = Arrays.asList(o).indexOf(id);
                        assertTrue(rank <= last + 1, "rank " + rank + " beyond the nucleus " + last); // one of slack for rounding at the edge
                        assertTrue(p[id] >= minP * p[o[0]] * (1 - 1e-9), "p " + p[id] + " below min-p of " + p[o[0]]);
                        if (k > 0) assertTrue(rank < k, "rank " + rank + " outside the top " + k);
                    }
                });
    }

    @Test
    void topPAloneDrawsAsLlama2csNucleusSampler() {
        qt().forAll(longs().all(), integers().between(2, 500), floats().between(0.05f, 0.99f)).checkAssert((seed, n, topP) -> {
            float[] l = logits(seed, n);
            Sampler s = new Sampler(1f, topP, seed);
            SplittableRandom r = new SplittableRandom(seed);
            for (int draw = 0; draw < 20; draw++) assertEquals(llama2cNucleus(l, n, 1f, topP, r.nextDouble()), s.sample(l, n));
        });
    }

    /**
     * llama2.c's top-p draw, written out: probabilities as the sampler computes them; candidates at or above
     * (1 - topP) / (n - 1) (the most likely always one), sorted by probability; the shortest prefix whose mass reaches
     * topP; r times that mass located in it.
     */
    private static int llama2cNucleus(float[] logits, int n, float temperature, float topP, double r) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, logits[i]);
        double[] p = new double[n];
        double sum = 0, pmax = 0;
        for (int i = 0; i < n; i++) sum += p[i] = Math.exp((logits[i] - max) / (double) temperature);
        for (int i = 0; i < n; i++) pmax = Math.max(pmax, p[i] /= sum);
        double cutoff = Math.min((1.0 - topP) / (n - 1), pmax);
        List<Integer> candidates = new ArrayList<>();
        for (int i = 0; i < n; i++) if (p[i] >= cutoff) candidates.add(i);
        candidates.sort((a, b) -> Double.compare(p[b], p[a]));
        double cum = 0;
        int last = candidates.size() - 1;
        for (int i = 0; i < candidates.size(); i++) {
            cum += p[candidates.get(i)];
            if (cum >= topP) {
                last = i;
                break;
            }
        }
        double target = r * cum, c = 0;
        for (int i = 0; i <= last; i++) {
            c += p[candidates.get(i)];
            if (target < c) return candidates.get(i);
        }
        return candidates.get(last);
    }

    @Test
    void aNegligibleMinPDrawsExactlyAsTopPAlone() {
        qt().forAll(longs().all(), integers().between(2, 500), floats().between(0.05f, 0.99f)).checkAssert((seed, n, topP) -> {
            float[] l = logits(seed, n);
            Sampler plain = new Sampler(1f, topP, seed), filtered = new Sampler(new Sampler.Settings(1f, 0, topP, 1e-30f), seed);
            for (int draw = 0; draw < 20; draw++) assertEquals(plain.sample(l, n), filtered.sample(l, n));
        });
    }

    @Test
    void drawsFollowTheRenormalizedProbabilities() {
        float[] l = {2f, 1f, 0.5f, -1f, -3f};
        double[] p = probs(l, 1f);
        // Top-3: the three most likely, renormalized; min-p 0.3: those at least 0.3 of the most likely.
        for (Sampler.Settings s : List.of(new Sampler.Settings(1f, 3, 1f, 0f), new Sampler.Settings(1f, 0, 1f, 0.3f))) {
            Sampler sampler = new Sampler(s, 11);
            int[] hits = new int[l.length];
            int draws = 40_000;
            for (int i = 0; i < draws; i++) hits[sampler.sample(l, l.length)]++;
            double keptMass = 0;
            boolean[] kept = new boolean[l.length];
            for (int i = 0; i < l.length; i++) {
                kept[i] = s.topK() > 0 ? i < s.topK() : p[i] >= s.minP() * p[0];
                if (kept[i]) keptMass += p[i];
            }
            for (int i = 0; i < l.length; i++) {
                double expected = kept[i] ? p[i] / keptMass : 0;
                assertEquals(expected, hits[i] / (double) draws, 0.01, s + " token " + i);
            }
        }
    }

    @Test
    void aNucleusBelowOneOverTheVocabularyIsTheMostLikelyToken() {
        // p = (0.6, 0.4): llama2.c's bar (1 - 0.05) / (2 - 1) = 0.95 is above both; the nucleus is still token 0.
        float[] l = {(float) Math.log(1.5), 0f};
        Sampler s = new Sampler(1f, 0.05f, 1), withMinP = new Sampler(new Sampler.Settings(1f, 0, 0.05f, 0.5f), 1);
        for (int i = 0; i < 50; i++) {
            assertEquals(0, s.sample(l, 2));
            assertEquals(0, withMinP.sample(l, 2));
        }
    }

    @Test
    void topKOfOneIsGreedyAndSettingsAreChecked() {
        float[] l = logits(5, 100);
        assertEquals(Sampler.greedy().sample(l, 100), new Sampler(new Sampler.Settings(1.5f, 1, 1f, 0f), 3).sample(l, 100));
        assertThrows(IllegalArgumentException.class, () -> new Sampler.Settings(1f, -1, 1f, 0f));
        assertThrows(IllegalArgumentException.class, () -> new Sampler.Settings(1f, 0, 1f, 1f));
        assertThrows(IllegalArgumentException.class, () -> new Sampler.Settings(1f, 0, 0f, 0f));
        assertThrows(IllegalArgumentException.class, () -> new Penalties(0f, 0, 0, 64));
        assertThrows(IllegalArgumentException.class, () -> new Penalties(1f, 2.5f, 0, 64));
        assertThrows(IllegalArgumentException.class, () -> new Penalties(1f, 0, 0, 0));
    }

    /** Returns a scripted sequence of ids and keeps the logits it was shown. */
    static final class Scripted implements TokenSampler {
        final int[] script;
        final List<float[]> seen = new ArrayList<>();

        Scripted(int[] script) {
            this.script = script;
        }

        @Override
        public int sample(float[] l, int n) {
            seen.add(Arrays.copyOf(l, n));
            return script[seen.size() - 1];
        }
    }

    @Test
    void penaltiesLowerExactlyTheTokensInTheWindowByTheirCounts() {
        qt().forAll(longs().all(), integers().between(1, 12)).checkAssert((seed, lastN) -> {
            SplittableRandom r = new SplittableRandom(seed);
            int n = 8;
            int[] script = r.ints(30, 0, n).toArray();
            Penalties pen = new Penalties(1 + (float) r.nextDouble(), (float) r.nextDouble() * 2 - 1, (float) r.nextDouble() * 2 - 1, lastN);
            float[] l = logits(seed, n);
            Scripted inner = new Scripted(script);
            TokenSampler s = pen.apply(inner);
            for (int step = 0; step < script.length; step++) assertEquals(script[step], s.sample(l, n));
            for (int step = 0; step < script.length; step++) {
                Map<Integer, Integer> counts = new HashMap<>();
                for (int j = Math.max(0, step - lastN); j < step; j++) counts.merge(script[j], 1, Integer::sum);
                for (int t = 0; t < n; t++) {
                    float expected = l[t];
                    Integer c = counts.get(t);
                    if (c != null) {
                        expected = expected > 0 ? expected / pen.repeat() : expected * pen.repeat();
                        expected = expected - pen.presence() - pen.frequency() * c;
                    }
                    assertEquals(expected, inner.seen.get(step)[t], 1e-6f, "step " + step + " token " + t);
                }
            }
        });
    }

    @Test
    void withoutPenaltiesTheSamplerIsUsedAsIs() {
        Sampler s = Sampler.greedy();
        assertTrue(Penalties.NONE.apply(s) == s);
    }
}
