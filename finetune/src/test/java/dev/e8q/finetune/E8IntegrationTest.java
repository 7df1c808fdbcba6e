package dev.e8q.finetune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.e8q.codec.E8Codec;
import dev.e8q.codec.E8Matrix;
import dev.e8q.codec.ProgressListener;
import dev.e8q.llama.LlamaConfig;
import dev.e8q.llama.model.LinearKind;
import dev.e8q.llama.model.LlamaModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The fine-tuning view of real E8P matrices, and quantize-then-tune on a real stories260K block. */
class E8IntegrationTest {

    @Test
    void quantLinearOfAnE8MatrixComputesWhatTheMatrixComputes() {
        qt().withFixedSeed(61L).withExamples(6)
                .forAll(integers().between(1, 70), integers().between(1, 140), integers().between(2, 4), longs().all())
                .checkAssert((rows, cols, bits, seed) -> {
                    Random r = new Random(seed);
                    float[] w = GradientCheckTest.toFloat(Fixtures.gauss(r, rows * cols, 1));
                    E8Matrix m = E8Codec.encode(w, rows, cols, bits);
                    // real-valued sign vectors as after tuning
                    float[] su = m.su(), sv = m.sv();
                    for (int i = 0; i < su.length; i++) su[i] *= (float) (0.5 + r.nextDouble());
                    for (int i = 0; i < sv.length; i++) sv[i] *= (float) (0.5 + r.nextDouble());
                    m = m.withSignVectors(su, sv);
                    QuantLinear q = QuantLinear.of("w", m, null, null);
                    float[] x = GradientCheckTest.toFloat(Fixtures.gauss(r, cols, 1));
                    float[] want = new float[rows];
                    m.multiply(x, want);
                    double[] got = new double[rows];
                    q.forward(FromLlama.toDouble(x), 1, got, rows, 0);
                    double scale = 0;
                    for (float v : want) scale = Math.max(scale, Math.abs(v));
                    for (int i = 0; i < rows; i++) assertEquals(want[i], got[i], 1e-4 * Math.max(1, scale), "row " + i);
                    // and writing the (unchanged) values back gives the same matrix values
                    E8Matrix back = q.applyTo(m);
                    assertEquals(java.util.Arrays.toString(m.sv()), java.util.Arrays.toString(back.sv()));
                });
    }

    @Test
    void quantizeAndTuneAStories260KBlock() throws Exception {
        LlamaModel lm = RealData.stories260K();
        LlamaConfig c = lm.config();
        int layer = 1;
        List<int[]> seqs = RealData.storiesTokens(36, 64);
        List<float[]> xs = new ArrayList<>(), ys = new ArrayList<>();
        for (int[] s : seqs) {
            float[] x = lm.embed(s);
            for (int l = 0; l < layer; l++) lm.block(l).forwardSequence(x, s.length, null);
            xs.add(x.clone());
            lm.block(layer).forwardSequence(x, s.length, null);
            ys.add(x);
        }
        BlockState original = BlockState.of(lm.block(layer));
        BlockTuner.Options o = BlockTuner.Options.defaults().withEpochs(3, 2);
        int nVal = 12;
        List<float[]> vx = xs.subList(36 - nVal, 36), vy = ys.subList(36 - nVal, 36);

        BlockState tuned = original, plain = original;
        for (BlockState.Part p : new BlockState.Part[] {BlockState.Part.QKV, BlockState.Part.O, BlockState.Part.UPGATE, BlockState.Part.DOWN}) {
            tuned = quantize(tuned, p);
            plain = quantize(plain, p);
            if (p == BlockState.Part.DOWN) break; // nothing is tuned after down (SPEC §6)
            BlockTuner.StateResult r = BlockTuner.tune(tuned, xs, ys, o, ProgressListener.NONE);
            TuneResult h = r.history();
            System.out.println("after " + p + ": " + h.summary());
            assertTrue(h.finalValLoss() < h.initialValLoss(), p + ": " + h.summary());
            tuned = r.state();
        }
        double mseTuned = BlockTuner.mse(tuned.toBlock(), vx, vy), msePlain = BlockTuner.mse(plain.toBlock(), vx, vy);
        System.out.printf("stories260K layer %d, 2-bit, no Hessian: block output val MSE %.5g without tuning, %.5g with%n", layer, msePlain, mseTuned);
        assertTrue(mseTuned < 0.9 * msePlain, "tuned " + mseTuned + " vs untuned " + msePlain);
        // everything quantized: the tuned state's matrices carry the tuned SU/SV
        for (LinearKind k : LinearKind.values()) assertTrue(tuned.isQuantized(k));
        assertTrue(tuned.quantized(BlockState.Part.QKV).fuseScales().length == 3);
    }

    @Test
    void endToEndTuningOfAModelState() throws Exception {
        LlamaModel lm = RealData.stories260K();
        List<int[]> seqs = RealData.storiesTokens(12, 32);
        ModelState ms = ModelState.of(lm);
        for (int l = 0; l < lm.config().nLayers(); l++) {
            BlockState b = ms.block(l);
            for (BlockState.Part p : new BlockState.Part[] {BlockState.Part.QKV, BlockState.Part.O, BlockState.Part.UPGATE, BlockState.Part.DOWN}) {
                b = quantize(b, p);
            }
            ms = ms.withBlock(l, b);
        }
        E2eTuner.StateResult r = E2eTuner.tune(ms, lm, seqs, E2eTuner.Options.defaults().withEpochs(2, 2), ProgressListener.NONE);
        TuneResult h = r.history();
        System.out.println("e2e: " + h.summary());
        assertTrue(h.finalValLoss() < h.initialValLoss(), h.summary());
        ModelState t = r.state();
        assertTrue(t.embedding() == ms.embedding(), "embedding is frozen and shared");
        assertTrue(!java.util.Arrays.equals(t.lmHead(), ms.lmHead()), "lm_head tuned");
        assertTrue(!java.util.Arrays.equals(t.finalNorm(), ms.finalNorm()), "final norm tuned");
        E8Matrix before = ms.block(2).quantized(BlockState.Part.DOWN).matrix(), after = t.block(2).quantized(BlockState.Part.DOWN).matrix();
        assertTrue(!java.util.Arrays.equals(before.sv(), after.sv()) && !java.util.Arrays.equals(before.su(), after.su()), "SU/SV tuned");
        assertEquals(before.code(0, 3, 1), after.code(0, 3, 1));
        // the tuned state, rebuilt, has the reported validation loss
        List<int[]> val = seqs.subList(8, 12);
        assertEquals(h.finalValLoss(), E2eTuner.loss(t.toModel(), val, Teacher.of(lm, val)), 1e-4);
    }

    /** Quantizes a part from the state's current dense weights: pieces RMS-normalized, RMS kept as fuse scales. */
    static BlockState quantize(BlockState s, BlockState.Part p) {
        LlamaConfig c = s.config();
        List<LinearKind> kinds = p.kinds();
        int rows = 0, cols = BlockState.shape(c, kinds.get(0))[1];
        for (LinearKind k : kinds) rows += BlockState.shape(c, k)[0];
        float[] w = new float[rows * cols];
        float[] fuse = kinds.size() > 1 ? new float[kinds.size()] : null;
        int off = 0;
        for (int i = 0; i < kinds.size(); i++) {
            float[] piece = s.dense(kinds.get(i));
            double ss = 0;
            for (float v : piece) ss += v * v;
            float rms = fuse == null ? 1 : (float) Math.sqrt(ss / piece.length);
            if (fuse != null) fuse[i] = rms;
            for (int j = 0; j < piece.length; j++) w[off + j] = piece[j] / rms;
            off += piece.length;
        }
        return s.withQuantized(p, E8Codec.encode(w, rows, cols, 2), fuse);
    }
}
