package dev.e8q.finetune;

import dev.e8q.codec.E8Codec;
import dev.e8q.codec.ProgressListener;
import dev.e8q.llama.LlamaConfig;
import dev.e8q.llama.model.LinearKind;
import dev.e8q.llama.model.LlamaModel;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import org.ejml.data.DMatrixRMaj;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Measurements on stories260K, not part of the normal suite: {@code -De8q.ftbench=true}. QuIP#-style
 * pipeline: Hessians E[xxᵀ] of the original block's linear inputs, E8P 2-bit BlockLDLQ, blockwise tuning
 * after qkv, o and upgate, then (e2e) end-to-end tuning against the original model.
 */
@EnabledIfSystemProperty(named = "e8q.ftbench", matches = "true")
class Stories260KBench {
    static final int N = Integer.getInteger("e8q.ftbench.n", 192), T = Integer.getInteger("e8q.ftbench.t", 128);
    static final int BITS = Integer.getInteger("e8q.ftbench.bits", 2);

    static double cpu() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime() / 1e9;
    }

    static final boolean BIG = "656k".equalsIgnoreCase(System.getProperty("e8q.ftbench.model", ""));

    static LlamaModel model() throws java.io.IOException {
        return BIG ? RealData.tinyStories656K() : RealData.stories260K();
    }

    static List<int[]> tokens() throws java.io.IOException {
        return BIG ? RealData.storiesTokens(RealData.tinyStories656KTokenizer(), N, T) : RealData.storiesTokens(N, T);
    }

    @Test
    void blockwise() throws Exception {
        LlamaModel lm = model();
        List<int[]> seqs = tokens();
        int layer = Integer.getInteger("e8q.ftbench.layer", 1);
        List<List<float[]>> xy = blockData(lm, seqs, layer);
        String lrs = System.getProperty("e8q.ftbench.lr", "5e-5,5e-4;1e-4,1e-3;3e-4,3e-3;1e-3,1e-3;1e-3,3e-3;3e-3,3e-3");
        BlockState orig = BlockState.of(lm.block(layer));
        double[][][] hess = hessians(orig.toBlock(), xy.get(0));
        int epochs = Integer.getInteger("e8q.ftbench.epochs", 5);
        pipeline(orig, hess, xy, null, "no tuning");
        for (String pair : lrs.split(";")) {
            String[] p = pair.split(",");
            BlockTuner.Options o = BlockTuner.Options.defaults().withLearningRates(Double.parseDouble(p[0]), Double.parseDouble(p[1]))
                    .withEpochs(epochs, 3);
            if (p.length > 2) o = o.withBatch(Integer.parseInt(p[2]), Integer.parseInt(p[3]));
            pipeline(orig, hess, xy, o, "lr " + pair);
        }
    }

    static List<List<float[]>> blockData(LlamaModel lm, List<int[]> seqs, int layer) {
        List<float[]> xs = new ArrayList<>(), ys = new ArrayList<>();
        for (int[] s : seqs) {
            float[] x = lm.embed(s);
            for (int l = 0; l < layer; l++) lm.block(l).forwardSequence(x, s.length, null);
            xs.add(x.clone());
            lm.block(layer).forwardSequence(x, s.length, null);
            ys.add(x);
        }
        return List.of(xs, ys);
    }

    /** E[xxᵀ] of the inputs of qkv, o, upgate, down of the original block, over the training part. */
    static double[][][] hessians(Block b, List<float[]> xs) {
        int d = b.shape().dim(), qd = b.shape().qDim(), hd = b.shape().hiddenDim();
        double[][] h = {new double[d * d], new double[qd * qd], new double[d * d], new double[hd * hd]};
        long count = 0;
        int nTrain = xs.size() - (int) Math.round(xs.size() / 3.0);
        for (float[] xf : xs.subList(0, nTrain)) {
            int t = xf.length / d;
            Block.Cache c = new Block.Cache();
            b.forward(FromLlama.toDouble(xf), t, c);
            acc(h[0], c.xn1, t, d);
            acc(h[1], c.att, t, qd);
            acc(h[2], c.xn2, t, d);
            acc(h[3], c.act, t, hd);
            count += t;
        }
        for (double[] a : h) for (int i = 0; i < a.length; i++) a[i] /= count;
        return new double[][][] {h};
    }

    static void acc(double[] h, double[] x, int T, int n) {
        for (int t = 0; t < T; t++) for (int i = 0; i < n; i++) {
            double xi = x[t * n + i];
            for (int j = 0; j < n; j++) h[i * n + j] += xi * x[t * n + j];
        }
    }

    static BlockState quantize(BlockState s, BlockState.Part p, double[] hess, long seed) {
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
        var enc = E8Codec.encoder().bits(BITS).seed(seed);
        if (hess != null) enc = enc.hessian(new DMatrixRMaj(cols, cols, true, hess));
        return s.withQuantized(p, enc.encode(w, rows, cols), fuse);
    }

    static final BlockState.Part[] ORDER = {BlockState.Part.QKV, BlockState.Part.O, BlockState.Part.UPGATE, BlockState.Part.DOWN};

    static BlockState pipeline(BlockState s, double[][][] hess, List<List<float[]>> xy, BlockTuner.Options o, String label) {
        double c0 = cpu();
        long w0 = System.nanoTime();
        StringBuilder log = new StringBuilder(label + ":");
        for (int i = 0; i < 4; i++) {
            s = quantize(s, ORDER[i], hess[0][i], 17 + i);
            if (o != null && i < 3) {
                BlockTuner.StateResult r = BlockTuner.tune(s, xy.get(0), xy.get(1), o, ProgressListener.NONE);
                TuneResult h = r.history();
                log.append(String.format(" %s %.4g->%.4g (ep %d/%d)", ORDER[i], h.initialValLoss(), h.finalValLoss(), h.bestEpoch(), h.epochsRun()));
                s = r.state();
            }
        }
        int n = xy.get(0).size(), nVal = (int) Math.round(n / 3.0);
        double fin = BlockTuner.mse(s.toBlock(), xy.get(0).subList(n - nVal, n), xy.get(1).subList(n - nVal, n));
        log.append(String.format(" | final val MSE %.5g | wall %.1f s, cpu %.1f s", fin, (System.nanoTime() - w0) / 1e9, cpu() - c0));
        System.out.println(log);
        return s;
    }

    /** Quantizes every block (blockwise tuning optional), then end-to-end tunes. */
    @Test
    void e2e() throws Exception {
        LlamaModel lm = model();
        List<int[]> seqs = tokens();
        boolean blockTune = Boolean.parseBoolean(System.getProperty("e8q.ftbench.blocktune", "true"));
        BlockTuner.Options bo = BlockTuner.Options.defaults();
        ModelState ms = ModelState.of(lm);
        for (int l = 0; l < lm.config().nLayers(); l++) {
            List<List<float[]>> xy = blockData(lm, seqs, l);
            BlockState orig = ms.block(l);
            ms = ms.withBlock(l, pipeline(orig, hessians(orig.toBlock(), xy.get(0)), xy, blockTune ? bo : null, "layer " + l));
        }
        int nVal = (int) Math.round(N / 3.0);
        List<int[]> val = seqs.subList(N - nVal, N);
        Model fp = ModelState.of(lm).toModel();
        System.out.printf("FP NLL on val %.5f%n", nll(fp, val));
        Teacher teacher = Teacher.of(lm, seqs);
        double entropy = E2eTuner.loss(fp, val, Teacher.of(lm, val));
        System.out.printf("teacher entropy on val %.5f%n", entropy);
        Model q = ms.toModel();
        System.out.printf("quantized (blocktune=%s): NLL %.5f, soft CE %.5f (KL %.5f)%n", blockTune, nll(q, val),
                E2eTuner.loss(q, val, Teacher.of(lm, val)), E2eTuner.loss(q, val, Teacher.of(lm, val)) - entropy);
        String lrs = System.getProperty("e8q.ftbench.e2elr", "1e-5,1e-4;5e-5,5e-4;1e-4,1e-3;3e-4,3e-3");
        for (String pair : lrs.split(";")) {
            String[] p = pair.split(",");
            E2eTuner.Options o = E2eTuner.Options.defaults().withLearningRates(Double.parseDouble(p[0]), Double.parseDouble(p[1]))
                    .withEpochs(Integer.getInteger("e8q.ftbench.epochs", 5), 2);
            double c0 = cpu();
            long w0 = System.nanoTime();
            E2eTuner.Result r = E2eTuner.tune(q, seqs, teacher, o, ProgressListener.NONE);
            System.out.printf("e2e lr %s: %s | val NLL %.5f, KL %.5f | wall %.1f s, cpu %.1f s%n", pair, r.history().summary(),
                    nll(r.model(), val), r.history().finalValLoss() - entropy, (System.nanoTime() - w0) / 1e9, cpu() - c0);
        }
    }

    /** Mean next-token NLL over positions 0..T-2. */
    static double nll(Model m, List<int[]> seqs) {
        double s = 0;
        long n = 0;
        for (int[] toks : seqs) {
            double[] lg = m.logits(toks);
            int V = m.vocab();
            for (int t = 0; t + 1 < toks.length; t++) {
                double max = Double.NEGATIVE_INFINITY;
                for (int v = 0; v < V; v++) max = Math.max(max, lg[t * V + v]);
                double sum = 0;
                for (int v = 0; v < V; v++) sum += Math.exp(lg[t * V + v] - max);
                s += max + Math.log(sum) - lg[t * V + toks[t + 1]];
                n++;
            }
        }
        return s / n;
    }
}
