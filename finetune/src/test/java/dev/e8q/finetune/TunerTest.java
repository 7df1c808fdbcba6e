package dev.e8q.finetune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.e8q.codec.ProgressListener;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TunerTest {

    /** Targets from a teacher block; the student is the teacher with perturbed trainables. */
    private static List<List<float[]>> data(Random r, Block teacher, int n, int T) {
        List<float[]> xs = new ArrayList<>(), ys = new ArrayList<>();
        int d = teacher.shape().dim();
        for (int i = 0; i < n; i++) {
            int t = 1 + r.nextInt(T);
            double[] x = Fixtures.gauss(r, t * d, 1);
            xs.add(GradientCheckTest.toFloat(x));
            ys.add(GradientCheckTest.toFloat(teacher.forward(x, t, null)));
        }
        return List.of(xs, ys);
    }

    private static Block perturbed(Random r, Block b, double sd) {
        Block s = b.copy();
        for (Param p : s.params()) for (int i = 0; i < p.size(); i++) p.value()[i] *= 1 + sd * r.nextGaussian();
        return s;
    }

    @Test
    void blockTunerReportsTheBestValidationLossAndNeverWorsens() {
        qt().withFixedSeed(41L).withExamples(12)
                .forAll(integers().between(3, 12), integers().between(1, 4), integers().between(0, 127), longs().all())
                .checkAssert((n, epochs, mask, seed) -> {
                    Random r = new Random(seed);
                    BlockShape s = Fixtures.shape(r, 8, 6, 1 + r.nextInt(2), 1 << r.nextInt(2), 4, r.nextBoolean());
                    Block teacher = Fixtures.block(r, s, mask, r.nextBoolean(), r.nextBoolean());
                    Block student = perturbed(r, teacher, 0.2);
                    List<List<float[]>> xy = data(r, teacher, n, 6);
                    // a learning rate drawn over 4 decades: some runs improve, some diverge
                    double lr = Math.pow(10, -4 + 4 * r.nextDouble());
                    BlockTuner.Options o = BlockTuner.Options.defaults().withLearningRates(lr, lr)
                            .withEpochs(epochs, 1 + r.nextInt(2)).withBatch(1 + r.nextInt(3), 1 + r.nextInt(2)).withSeed(seed);
                    double[] before = new ParamSet(student.params()).snapshot()[2];
                    BlockTuner.Result res = BlockTuner.tune(student, xy.get(0), xy.get(1), o, ProgressListener.NONE);
                    double[] val = res.history().valLoss();
                    double min = Arrays.stream(val).min().getAsDouble();
                    assertEquals(min, res.history().finalValLoss(), 0, "final = best of " + Arrays.toString(val));
                    assertTrue(res.history().finalValLoss() <= res.history().initialValLoss());
                    assertEquals(val[res.history().bestEpoch()], min, 0);
                    assertTrue(res.history().epochsRun() <= epochs && val.length == res.history().epochsRun() + 1);
                    // the input block is untouched
                    assertArrayEquals(before, new ParamSet(student.params()).snapshot()[2], 0);
                    // the returned block really has that validation loss
                    int nVal = (int) Math.max(1, Math.min(n - 1, Math.round(n / 3.0)));
                    double again = BlockTuner.mse(res.block(), xy.get(0).subList(n - nVal, n), xy.get(1).subList(n - nVal, n));
                    assertEquals(res.history().finalValLoss(), again, 1e-12 * Math.max(1, again));
                });
    }

    @Test
    void blockTuningRecoversPerturbedSignsAndWeights() {
        Random r = new Random(3);
        BlockShape s = Fixtures.shape(r, 16, 24, 2, 2, 4, true);
        Block teacher = Fixtures.block(r, s, 0b0001001, true, false); // fused qkv and o quantized, rest dense
        Block student = perturbed(r, teacher, 0.1);
        List<List<float[]>> xy = data(r, teacher, 24, 12);
        BlockTuner.Options o = BlockTuner.Options.defaults().withLearningRates(3e-3, 3e-3).withEpochs(30, 3).withBatch(2, 1);
        BlockTuner.Result res = BlockTuner.tune(student, xy.get(0), xy.get(1), o, ProgressListener.NONE);
        TuneResult h = res.history();
        assertTrue(h.finalValLoss() < 0.1 * h.initialValLoss(), h.summary());
    }

    @Test
    void memoryBudgetChangesScheduleNotResults() {
        Random r = new Random(4);
        BlockShape s = Fixtures.shape(r, 8, 8, 1, 2, 4, false);
        Block teacher = Fixtures.block(r, s, 0b1111111, false, true);
        Block student = perturbed(r, teacher, 0.1);
        List<List<float[]>> xy = data(r, teacher, 9, 8);
        BlockTuner.Options o = BlockTuner.Options.defaults().withEpochs(2, 2);
        TuneResult a = BlockTuner.tune(student, xy.get(0), xy.get(1), o, ProgressListener.NONE).history();
        TuneResult b = BlockTuner.tune(student, xy.get(0), xy.get(1), o.withMemoryBudget(1), ProgressListener.NONE).history();
        assertTrue(b.memoryLimited() && !a.memoryLimited());
        assertArrayEquals(a.valLoss(), b.valLoss(), 1e-12);

        Model m = GradientCheckTest.randomModel(r, true, 3);
        List<int[]> seqs = tokens(r, m.vocab(), 8, 7);
        Model fp = perturbedModel(r, m, 0.1);
        Teacher t = Teacher.of(fp, seqs);
        E2eTuner.Options eo = E2eTuner.Options.defaults().withEpochs(2, 2);
        TuneResult c = E2eTuner.tune(m, seqs, t, eo, ProgressListener.NONE).history();
        TuneResult d = E2eTuner.tune(m, seqs, t, eo.withMemoryBudget(1), ProgressListener.NONE).history();
        assertTrue(d.memoryLimited() && !c.memoryLimited());
        assertArrayEquals(c.valLoss(), d.valLoss(), 1e-12);
    }

    static List<int[]> tokens(Random r, int vocab, int n, int T) {
        List<int[]> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int[] s = new int[2 + r.nextInt(T - 1)];
            for (int t = 0; t < s.length; t++) s[t] = r.nextInt(vocab);
            out.add(s);
        }
        return out;
    }

    static Model perturbedModel(Random r, Model m, double sd) {
        Model c = m.copy();
        for (Param p : c.params()) for (int i = 0; i < p.size(); i++) p.value()[i] *= 1 + sd * r.nextGaussian();
        return c;
    }

    @Test
    void e2eTunerReportsTheBestValidationLossAndFreezesWhatStage2Freezes() {
        qt().withFixedSeed(51L).withExamples(8)
                .forAll(integers().between(3, 9), integers().between(1, 3), longs().all())
                .checkAssert((n, epochs, seed) -> {
                    Random r = new Random(seed);
                    Model student = GradientCheckTest.randomModel(r, r.nextBoolean(), 2);
                    Model fp = perturbedModel(r, student, 0.2);
                    List<int[]> seqs = tokens(r, student.vocab(), n, 6);
                    double lr = Math.pow(10, -4 + 4 * r.nextDouble());
                    E2eTuner.Options o = E2eTuner.Options.defaults().withLearningRates(lr, lr).withEpochs(epochs, 1 + r.nextInt(2))
                            .withBatch(1 + r.nextInt(2), 1);
                    E2eTuner.Result res = E2eTuner.tune(student, seqs, Teacher.of(fp, seqs), o, ProgressListener.NONE);
                    double[] val = res.history().valLoss();
                    assertEquals(Arrays.stream(val).min().getAsDouble(), res.history().finalValLoss(), 0);
                    assertTrue(res.history().finalValLoss() <= res.history().initialValLoss());
                    // dense block weights and the embedding are frozen in stage 2
                    List<Param> before = student.params(), after = res.model().params();
                    for (int i = 0; i < before.size(); i++) {
                        if (before.get(i).group() == Param.Group.DENSE) {
                            assertArrayEquals(before.get(i).value(), after.get(i).value(), 0, before.get(i).name());
                        }
                    }
                    assertTrue(res.model().embedding() == student.embedding());
                });
    }

    @Test
    void e2eTuningReducesTheDistillationLoss() {
        Random r = new Random(6);
        Model fp = GradientCheckTest.randomModel(r, false, 2);
        Model student = perturbedModel(r, fp, 0.3);
        List<int[]> seqs = tokens(r, fp.vocab(), 24, 10);
        E2eTuner.Options o = E2eTuner.Options.defaults().withLearningRates(1e-2, 1e-2).withEpochs(15, 3);
        TuneResult h = E2eTuner.tune(student, seqs, Teacher.of(fp, seqs), o, ProgressListener.NONE).history();
        assertTrue(h.finalValLoss() < h.initialValLoss() - 0.01, h.summary());
    }

    @Test
    void adamFirstStepIsLearningRateTimesSignAndItMinimizesAQuadratic() {
        Param p = new Param("p", new double[] {3, -2, 0.5}, Param.Group.DENSE);
        Param q = new Param("q", new double[] {1}, Param.Group.SIGN);
        ParamSet set = new ParamSet(List.of(p, q));
        Adam adam = new Adam(set);
        double[][] g = set.newGrads();
        for (int i = 0; i < 3; i++) g[0][i] = 2 * p.value()[i];
        g[1][0] = 5;
        adam.step(g, grp -> grp == Param.Group.SIGN ? 0.1 : 0.01);
        assertArrayEquals(new double[] {2.99, -1.99, 0.49}, p.value(), 1e-6);
        assertEquals(0.9, q.value()[0], 1e-6);
        for (int it = 0; it < 3000; it++) {
            for (int i = 0; i < 3; i++) g[0][i] = 2 * p.value()[i];
            g[1][0] = 2 * (q.value()[0] - 4);
            adam.step(g, grp -> grp == Param.Group.SIGN ? 0.1 : 0.01);
        }
        assertArrayEquals(new double[] {0, 0, 0}, p.value(), 1e-2);
        assertEquals(4, q.value()[0], 1e-2);
    }
}
