package dev.e8q.finetune;

import dev.e8q.codec.ProgressListener;
import dev.e8q.llama.model.DecoderBlock;
import dev.e8q.llama.model.LlamaModel;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Measurements on stories260K (not part of the normal suite): run with -De8q.ftbench=true.
 * Sequential QuIP#-style quantize-and-tune of one block with the stand-in quantizer.
 */
@EnabledIfSystemProperty(named = "e8q.ftbench", matches = "true")
class Stories260KBench {
    static int N = Integer.getInteger("e8q.ftbench.n", 240), T = Integer.getInteger("e8q.ftbench.t", 256);

    @Test
    void blockwise() throws Exception {
        LlamaModel lm = RealData.stories260K();
        List<int[]> seqs = RealData.storiesTokens(N, T);
        int layer = Integer.getInteger("e8q.ftbench.layer", 1);
        List<float[]> xs = new ArrayList<>(), ys = new ArrayList<>();
        for (int[] s : seqs) {
            float[] x = lm.embed(s);
            for (int l = 0; l < layer; l++) lm.block(l).forwardSequence(x, s.length, null);
            xs.add(x.clone());
            lm.block(layer).forwardSequence(x, s.length, null);
            ys.add(x);
        }
        DecoderBlock db = lm.block(layer);
        String lrs = System.getProperty("e8q.ftbench.lr", "5e-5,5e-4;1e-4,1e-3;3e-4,3e-3;1e-3,1e-3;1e-3,1e-2");
        for (String pair : lrs.split(";")) {
            String[] p = pair.split(",");
            BlockTuner.Options o = BlockTuner.Options.defaults().withLearningRates(Double.parseDouble(p[0]), Double.parseDouble(p[1]))
                    .withEpochs(Integer.getInteger("e8q.ftbench.epochs", 5), 3);
            run(db, xs, ys, o, true);
        }
        run(db, xs, ys, BlockTuner.Options.defaults(), false);
    }

    static void run(DecoderBlock db, List<float[]> xs, List<float[]> ys, BlockTuner.Options o, boolean tune) {
        Block b = FromLlama.denseBlock(db);
        BlockShape s = b.shape();
        int d = s.dim(), h = s.hiddenDim();
        long t0 = System.nanoTime();
        StringBuilder log = new StringBuilder(String.format("lr %.0e/%.0e tune=%s:", o.lr(), o.lrSign(), tune));
        // qkv
        QuantLinear qkv = SimQuant.quantize("qkv", new float[][] {w(b.qkv().get(0)), w(b.qkv().get(1)), w(b.qkv().get(2))},
                new int[] {s.qDim(), s.kvDim(), s.kvDim()}, d, 1);
        b = new Block(s, b.attnNorm().value(), b.ffnNorm().value(), List.of(qkv), b.o(), b.upGate(), b.down());
        b = step(b, xs, ys, o, tune, log, "qkv");
        QuantLinear oq = SimQuant.quantize("o", new float[][] {w(b.o())}, new int[] {d}, s.qDim(), 2);
        b = new Block(s, b.attnNorm().value(), b.ffnNorm().value(), b.qkv(), oq, b.upGate(), b.down());
        b = step(b, xs, ys, o, tune, log, "o");
        QuantLinear ug = SimQuant.quantize("upgate", new float[][] {w(b.upGate().get(0)), w(b.upGate().get(1))}, new int[] {h, h}, d, 3);
        b = new Block(s, b.attnNorm().value(), b.ffnNorm().value(), b.qkv(), b.o(), List.of(ug), b.down());
        b = step(b, xs, ys, o, tune, log, "upgate");
        QuantLinear dq = SimQuant.quantize("down", new float[][] {w(b.down())}, new int[] {d}, h, 4);
        b = new Block(s, b.attnNorm().value(), b.ffnNorm().value(), b.qkv(), b.o(), b.upGate(), dq);
        int nVal = (int) Math.round(xs.size() / 3.0);
        double fin = BlockTuner.mse(b, xs.subList(xs.size() - nVal, xs.size()), ys.subList(ys.size() - nVal, ys.size()));
        log.append(String.format(" | final val MSE %.5g, %.1f s", fin, (System.nanoTime() - t0) / 1e9));
        System.out.println(log);
    }

    static Block step(Block b, List<float[]> xs, List<float[]> ys, BlockTuner.Options o, boolean tune, StringBuilder log, String what) {
        if (!tune) return b;
        BlockTuner.Result r = BlockTuner.tune(b, xs, ys, o, ProgressListener.NONE);
        TuneResult h = r.history();
        log.append(String.format(" %s %.4g->%.4g (ep %d/%d, %.1fs)", what, h.initialValLoss(), h.finalValLoss(), h.bestEpoch(), h.epochsRun(), h.seconds()));
        return r.block();
    }

    static float[] w(LinearParam l) {
        return ((DenseLinear) l).weightAsFloat();
    }
}
