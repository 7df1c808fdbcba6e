package dev.e8q.finetune;

import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Every analytic gradient against central finite differences, in double, on small random models. */
class GradientCheckTest {
    private static final double TOL = 2e-6;

    /** L = Σ c ⊙ y for a fixed random c, so dL/dy = c. */
    private static double weighted(double[] y, double[] c) {
        double s = 0;
        for (int i = 0; i < y.length; i++) s += y[i] * c[i];
        return s;
    }

    @Test
    void quantizedLinearGradients() {
        qt().withFixedSeed(11L).withExamples(40)
                .forAll(integers().between(1, 9), integers().between(1, 9), integers().between(1, 3), longs().all())
                .checkAssert((rows, cols, T, seed) -> {
                    Random r = new Random(seed);
                    double[] os = r.nextBoolean() ? Fixtures.gauss(r, rows, 1) : null;
                    QuantLinear q = (QuantLinear) Fixtures.linear(r, "q", rows, cols, true, os);
                    ParamSet set = new ParamSet(q.params());
                    double[] x = Fixtures.gauss(r, T * cols, 1), c = Fixtures.gauss(r, T * rows, 1);
                    double[] y = new double[T * rows];
                    Object cache = q.forward(x, T, y, rows, 0);
                    double[][] g = set.newGrads();
                    double[] dx = new double[x.length];
                    q.backward(x, T, c, rows, 0, cache, dx, g);
                    java.util.function.DoubleSupplier loss = () -> {
                        double[] yy = new double[T * rows];
                        q.forward(x, T, yy, rows, 0);
                        return weighted(yy, c);
                    };
                    Fixtures.checkParams(r, set, g, loss, 1000, TOL);
                    for (int i = 0; i < x.length; i++) {
                        Fixtures.assertClose(dx[i], Fixtures.centralDiff(x, i, 1e-5, loss), TOL, "dx[" + i + "]");
                    }
                });
    }

    @Test
    void quantizedLinearMatchesItsEffectiveDenseWeight() {
        qt().withFixedSeed(12L).withExamples(30)
                .forAll(integers().between(1, 9), integers().between(1, 9), longs().all())
                .checkAssert((rows, cols, seed) -> {
                    Random r = new Random(seed);
                    QuantLinear q = (QuantLinear) Fixtures.linear(r, "q", rows, cols, true, null);
                    // effective W = crop(diag(sv) M_m Wr M_nᵀ diag(su)) built explicitly from the rotation matrices
                    int pr = q.paddedRows(), pc = q.paddedCols();
                    double[] w = new double[rows * cols];
                    for (int j = 0; j < cols; j++) {
                        double[] e = new double[pc];
                        e[j] = q.su().value()[j];
                        q.colRotation().applyTransposed(e, 0);
                        double[] z = new double[pr];
                        for (int i = 0; i < pr; i++) for (int k = 0; k < pc; k++) z[i] += q.wr()[i * pc + k] * e[k];
                        q.rowRotation().apply(z, 0);
                        for (int i = 0; i < rows; i++) w[i * cols + j] = q.sv().value()[i] * z[i];
                    }
                    double[] x = Fixtures.gauss(r, cols, 1), y = new double[rows];
                    q.forward(x, 1, y, rows, 0);
                    for (int i = 0; i < rows; i++) {
                        double want = 0;
                        for (int j = 0; j < cols; j++) want += w[i * cols + j] * x[j];
                        Fixtures.assertClose(y[i], want, 1e-10, "y[" + i + "]");
                    }
                });
    }

    @Test
    void blockGradients() {
        // shapes: kv heads 1-2, GQA ratio 1/2/4, head dim 2 or 4, T 1..5, both RoPE layouts,
        // a random dense/quantized choice per linear and optional fused qkv / upgate.
        qt().withFixedSeed(21L).withExamples(24)
                .forAll(integers().between(0, 2), integers().between(1, 5), booleans().all(), longs().all())
                .checkAssert((ratioExp, T, interleaved, seed) -> {
                    Random r = new Random(seed);
                    int ratio = 1 << ratioExp, nKv = 1 + r.nextInt(2), hdim = r.nextBoolean() ? 2 : 4;
                    int dim = 4 + r.nextInt(5), hidden = 3 + r.nextInt(6);
                    BlockShape s = Fixtures.shape(r, dim, hidden, nKv, ratio, hdim, interleaved);
                    Block b = Fixtures.block(r, s, r.nextInt(128), r.nextInt(3) == 0, r.nextInt(3) == 0);
                    checkBlock(r, b, T, dim);
                });
    }

    @Test
    void blockGradientsWithAttentionProbabilitiesRecomputed() {
        long old = Block.maxCachedProbs;
        Block.maxCachedProbs = 0;
        try {
            qt().withFixedSeed(22L).withExamples(8)
                    .forAll(integers().between(0, 2), integers().between(2, 5), booleans().all(), longs().all())
                    .checkAssert((ratioExp, T, interleaved, seed) -> {
                        Random r = new Random(seed);
                        BlockShape s = Fixtures.shape(r, 6, 5, 1 + r.nextInt(2), 1 << ratioExp, 2, interleaved);
                        Block b = Fixtures.block(r, s, r.nextInt(128), r.nextBoolean(), r.nextBoolean());
                        Block.Cache c = new Block.Cache();
                        b.forward(Fixtures.gauss(new Random(1), T * 6, 1), T, c);
                        org.junit.jupiter.api.Assertions.assertNull(c.probs);
                        checkBlock(r, b, T, 6);
                    });
        } finally {
            Block.maxCachedProbs = old;
        }
    }

    /** With a q/k/v bias (Qwen2), which is a parameter too: its gradient, the others' and dx against finite differences. */
    @Test
    void blockGradientsWithAQkvBias() {
        qt().withFixedSeed(24L).withExamples(12)
                .forAll(integers().between(0, 2), integers().between(1, 5), booleans().all(), longs().all())
                .checkAssert((ratioExp, T, interleaved, seed) -> {
                    Random r = new Random(seed);
                    BlockShape s = Fixtures.shape(r, 6, 5, 1 + r.nextInt(2), 1 << ratioExp, r.nextBoolean() ? 2 : 4, interleaved);
                    Block plain = Fixtures.block(r, s, r.nextInt(128), r.nextBoolean(), r.nextBoolean());
                    Block b = new Block(s, plain.attnNorm().value(), plain.ffnNorm().value(), Fixtures.gauss(r, s.qkvDim(), 0.5),
                            plain.qkv(), plain.o(), plain.upGate(), plain.down());
                    org.junit.jupiter.api.Assertions.assertSame(b.qkvBias(), b.params().get(b.params().size() - 1));
                    checkBlock(r, b, T, 6);
                });
    }

    /** With a sliding window of 1–3 positions over 3–6 tokens, so that early keys drop out; probabilities cached or not. */
    @Test
    void blockGradientsWithASlidingWindow() {
        long old = Block.maxCachedProbs;
        try {
            qt().withFixedSeed(23L).withExamples(12)
                    .forAll(integers().between(0, 2), integers().between(3, 6), integers().between(1, 3), longs().all())
                    .checkAssert((ratioExp, T, window, seed) -> {
                        Random r = new Random(seed);
                        Block.maxCachedProbs = r.nextBoolean() ? old : 0;
                        int hdim = r.nextBoolean() ? 2 : 4;
                        BlockShape s = Fixtures.shape(r, 6, 5, 1 + r.nextInt(2), 1 << ratioExp, hdim, r.nextBoolean())
                                .withSlidingWindow(window);
                        Block b = Fixtures.block(r, s, r.nextInt(128), r.nextBoolean(), r.nextBoolean());
                        checkBlock(r, b, T, 6);
                    });
        } finally {
            Block.maxCachedProbs = old;
        }
    }

    private static void checkBlock(Random r, Block b, int T, int dim) {
        ParamSet set = new ParamSet(b.params());
        double[] x = Fixtures.gauss(r, T * dim, 1), c = Fixtures.gauss(r, T * dim, 1);
        Block.Cache cache = new Block.Cache();
        b.forward(x, T, cache);
        double[][] g = set.newGrads();
        double[] dx = b.backward(cache, c, g, true);
        java.util.function.DoubleSupplier loss = () -> weighted(b.forward(x, T, null), c);
        Fixtures.checkParams(r, set, g, loss, 12, TOL);
        for (int i = 0; i < x.length; i++) {
            Fixtures.assertClose(dx[i], Fixtures.centralDiff(x, i, 1e-5, loss), TOL, "dx[" + i + "]");
        }
    }

    @Test
    void blockGradientsWithFrozenParametersAreUnchangedForTheRest() {
        Random r = new Random(5);
        BlockShape s = Fixtures.shape(r, 8, 6, 2, 2, 2, false);
        Block b = Fixtures.block(r, s, 0b0001001, true, false);
        double[] x = Fixtures.gauss(r, 4 * 8, 1), c = Fixtures.gauss(r, 4 * 8, 1);
        ParamSet all = new ParamSet(b.params());
        Block.Cache cache = new Block.Cache();
        b.forward(x, 4, cache);
        double[][] gAll = all.newGrads();
        double[] dxAll = b.backward(cache, c, gAll, true);
        b.params().get(0).trainable(false); // attn norm
        b.linears().get(1).params().get(0).trainable(false); // o weight
        double[][] gSome = all.newGrads();
        double[] dxSome = b.backward(cache, c, gSome, true);
        for (int i = 0; i < gAll.length; i++) {
            if (gSome[i] == null) continue;
            org.junit.jupiter.api.Assertions.assertArrayEquals(gAll[i], gSome[i], 1e-12, all.params().get(i).name());
        }
        org.junit.jupiter.api.Assertions.assertArrayEquals(dxAll, dxSome, 1e-12);
    }

    @Test
    void modelGradients() {
        qt().withFixedSeed(31L).withExamples(10)
                .forAll(integers().between(2, 5), booleans().all(), booleans().all(), longs().all())
                .checkAssert((T, interleaved, recompute, seed) -> {
                    Random r = new Random(seed);
                    Model m = randomModel(r, interleaved, 2);
                    int vocab = m.vocab();
                    int[] tokens = new int[T];
                    for (int t = 0; t < T; t++) tokens[t] = r.nextInt(vocab);
                    double[] probs = new double[T * vocab];
                    for (int t = 0; t < T; t++) {
                        double sum = 0;
                        for (int v = 0; v < vocab; v++) sum += probs[t * vocab + v] = Math.exp(r.nextGaussian());
                        for (int v = 0; v < vocab; v++) probs[t * vocab + v] /= sum;
                    }
                    SoftTargets st = SoftTargets.of(probs, vocab);
                    ParamSet set = new ParamSet(m.params());
                    double[][] g = set.newGrads();
                    double scale = 1.0 / (T - 1);
                    double l = m.lossAndGrad(tokens, st, scale, g, recompute);
                    Fixtures.assertClose(l, m.loss(tokens, st), 1e-12, "loss");
                    Fixtures.checkParams(r, set, g, () -> m.loss(tokens, st) * scale, 6, TOL);
                });
    }

    @Test
    void recomputationGivesTheSameGradients() {
        Random r = new Random(8);
        Model m = randomModel(r, false, 3);
        int[] tokens = {1, 4, 2, 0, 3, 3, 5};
        SoftTargets st = SoftTargets.fromHidden(toFloat(m.normedHidden(tokens)), toFloat(Fixtures.gauss(r, m.vocab() * m.shape().dim(), 1)), m.vocab(), m.shape().dim());
        ParamSet set = new ParamSet(m.params());
        double[][] g1 = set.newGrads(), g2 = set.newGrads();
        double l1 = m.lossAndGrad(tokens, st, 1, g1, false);
        double l2 = m.lossAndGrad(tokens, st, 1, g2, true);
        org.junit.jupiter.api.Assertions.assertEquals(l1, l2, 0);
        for (int i = 0; i < g1.length; i++) org.junit.jupiter.api.Assertions.assertArrayEquals(g1[i], g2[i], 0);
    }

    static float[] toFloat(double[] a) {
        float[] f = new float[a.length];
        for (int i = 0; i < f.length; i++) f[i] = (float) a[i];
        return f;
    }

    static Model randomModel(Random r, boolean interleaved, int layers) {
        int nKv = 1 + r.nextInt(2), ratio = 1 << r.nextInt(3), hdim = 2 * (1 + r.nextInt(2));
        int dim = 4 + r.nextInt(4), hidden = 3 + r.nextInt(5), vocab = 6 + r.nextInt(5);
        BlockShape s = Fixtures.shape(r, dim, hidden, nKv, ratio, hdim, interleaved);
        List<Block> blocks = new ArrayList<>();
        for (int l = 0; l < layers; l++) blocks.add(Fixtures.block(r, s, r.nextInt(128), r.nextBoolean(), r.nextBoolean()));
        float[] emb = toFloat(Fixtures.gauss(r, vocab * dim, 1));
        double[] fn = new double[dim];
        for (int i = 0; i < dim; i++) fn[i] = 0.5 + r.nextDouble();
        return new Model(s, vocab, emb, blocks, fn, Fixtures.gauss(r, vocab * dim, 1 / Math.sqrt(dim)));
    }
}
