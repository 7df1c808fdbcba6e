package dev.e8q.finetune;

import dev.e8q.codec.Parallel;
import dev.e8q.codec.ProgressListener;
import java.util.List;

/**
 * Stage 1 of SPEC §6: tune one decoder block so that block(X) matches the original block's outputs Y
 * (mean squared error over all elements). Every trainable {@link Param} of the block is updated with Adam:
 * quantized linears' SU/SV at {@link Options#lrSign}, dense linear weights and the two RMSNorm weights at
 * {@link Options#lr}. Parameters marked {@code trainable(false)} stay fixed.
 *
 * <p>The last {@code round(n·validationFraction)} sequences are held out for validation (the reference
 * uses 256 train / 128 validation). Validation runs before training and after every epoch; training stops
 * after {@code patience} epochs without improvement and the best state is restored.
 */
public final class BlockTuner {
    private BlockTuner() {}

    /**
     * @param lr                  dense weights and norms (SPEC: 5e-5)
     * @param lrSign              SU/SV (SPEC: 5e-4)
     * @param epochs              maximum number of epochs (SPEC: 5)
     * @param patience            stop after this many epochs without a new best validation loss (SPEC: 3)
     * @param batchSize           sequences per gradient evaluation (micro-batch; SPEC: 4)
     * @param accumulation        micro-batches per Adam step (SPEC: 2, so 8 sequences per step)
     * @param validationFraction  share of sequences held out (SPEC: 1/3)
     * @param seed                shuffling seed
     * @param memoryBudgetBytes   cap on activation memory in flight (≤ 0: no cap); when one block's cache
     *                            per sequence times the parallel sequences exceeds it, fewer sequences run
     *                            at once
     */
    public record Options(double lr, double lrSign, int epochs, int patience, int batchSize, int accumulation,
                          double validationFraction, long seed, long memoryBudgetBytes) {
        public Options {
            if (epochs < 0 || patience < 1 || batchSize < 1 || accumulation < 1) {
                throw new IllegalArgumentException("need epochs >= 0, patience >= 1, batchSize >= 1, accumulation >= 1");
            }
            if (!(validationFraction > 0 && validationFraction < 1)) {
                throw new IllegalArgumentException("validationFraction must be in (0, 1), got " + validationFraction);
            }
        }

        /** Defaults tuned for the tiny models (see docs/finetune.md). */
        public static Options defaults() {
            return new Options(3e-3, 3e-3, 5, 3, 4, 2, 1.0 / 3, 1, 0);
        }

        /** The reference's values (SPEC §6). */
        public static Options paper() {
            return new Options(5e-5, 5e-4, 5, 3, 4, 2, 1.0 / 3, 1, 0);
        }

        public Options withLearningRates(double lr, double lrSign) {
            return new Options(lr, lrSign, epochs, patience, batchSize, accumulation, validationFraction, seed, memoryBudgetBytes);
        }

        public Options withEpochs(int epochs, int patience) {
            return new Options(lr, lrSign, epochs, patience, batchSize, accumulation, validationFraction, seed, memoryBudgetBytes);
        }

        public Options withBatch(int batchSize, int accumulation) {
            return new Options(lr, lrSign, epochs, patience, batchSize, accumulation, validationFraction, seed, memoryBudgetBytes);
        }

        public Options withMemoryBudget(long bytes) {
            return new Options(lr, lrSign, epochs, patience, batchSize, accumulation, validationFraction, seed, bytes);
        }

        public Options withSeed(long seed) {
            return new Options(lr, lrSign, epochs, patience, batchSize, accumulation, validationFraction, seed, memoryBudgetBytes);
        }
    }

    /** The tuned block (a copy; the input block is not modified) and the loss history. */
    public record Result(Block block, TuneResult history) {}

    /** The tuned state (dense weights, norms, SU/SV) and the loss history. */
    public record StateResult(BlockState state, TuneResult history) {}

    /**
     * Tunes a block given in the converter's form: quantized parts train SU/SV, dense linears and norms
     * train their weights. Returns a new state; {@code state} is unchanged.
     */
    public static StateResult tune(BlockState state, List<float[]> inputs, List<float[]> targets, Options o, ProgressListener progress) {
        Result r = tune(state.toBlock(), inputs, targets, o, progress);
        return new StateResult(state.withTuned(r.block()), r.history());
    }

    /**
     * @param inputs  original block inputs, one T_i × dim float array per sequence
     * @param targets original block outputs, same shapes
     */
    public static Result tune(Block block, List<float[]> inputs, List<float[]> targets, Options o, ProgressListener progress) {
        long t0 = System.nanoTime();
        int n = inputs.size(), d = block.shape().dim();
        if (targets.size() != n) throw new IllegalArgumentException(n + " input sequences but " + targets.size() + " targets");
        if (n < 2) throw new IllegalArgumentException("need at least 2 sequences (train + validation), got " + n);
        for (int i = 0; i < n; i++) {
            if (inputs.get(i).length % d != 0 || inputs.get(i).length == 0 || inputs.get(i).length != targets.get(i).length) {
                throw new IllegalArgumentException("sequence " + i + ": input length " + inputs.get(i).length
                        + " and target length " + targets.get(i).length + " must be equal, positive multiples of dim " + d);
            }
        }
        int nVal = (int) Math.max(1, Math.min(n - 1, Math.round(n * o.validationFraction())));
        int nTrain = n - nVal;
        Block b = block.copy();
        ParamSet set = new ParamSet(b.params());
        int maxT = 0;
        for (float[] x : inputs) maxT = Math.max(maxT, x.length / d);
        long perSeq = 8L * (b.cacheDoubles(maxT) + 6L * maxT * d);
        int concurrency = Parallel.threads() * 4;
        boolean limited = false;
        // sequences actually in flight at once: one per thread
        if (o.memoryBudgetBytes() > 0 && perSeq * Parallel.threads() > o.memoryBudgetBytes()) {
            concurrency = (int) Math.max(1, o.memoryBudgetBytes() / perSeq);
            limited = true;
        }
        int conc = concurrency;

        Batches.SequenceGrad valFn = (i, g) -> sse(b, inputs.get(nTrain + i), targets.get(nTrain + i), 0, null);
        long valElems = 0;
        for (int i = nTrain; i < n; i++) valElems += inputs.get(i).length;
        long vE = valElems;
        java.util.function.DoubleSupplier validate = () -> Batches.run(nVal, conc, set, null, valFn) / vE;

        TuneResult h = TrainingLoop.run(set, nTrain, k -> inputs.get(k).length, conc,
                (k, scale, g) -> sse(b, inputs.get(k), targets.get(k), scale, g), validate,
                new TrainingLoop.Settings("block tune", o.epochs(), o.patience(), o.batchSize(), o.accumulation(), o.seed(),
                        o.lr(), o.lrSign(), 2.0),
                limited, t0, progress);
        return new Result(b, h);
    }

    /** Mean squared error of the block on the given sequences (no training). */
    public static double mse(Block block, List<float[]> inputs, List<float[]> targets) {
        ParamSet set = new ParamSet(block.params());
        long elems = 0;
        for (float[] x : inputs) elems += x.length;
        return Batches.run(inputs.size(), Parallel.threads() * 4, set, null,
                (i, g) -> sse(block, inputs.get(i), targets.get(i), 0, null)) / elems;
    }

    /** Sum of squared errors of one sequence; with g non-null also adds the gradient of (scale/2)·sse into g. */
    static double sse(Block b, float[] xf, float[] yf, double scale, double[][] g) {
        int d = b.shape().dim(), T = xf.length / d;
        double[] x = new double[xf.length];
        for (int i = 0; i < x.length; i++) x[i] = xf[i];
        Block.Cache c = g == null ? null : new Block.Cache();
        double[] out = b.forward(x, T, c);
        double s = 0;
        double[] dOut = g == null ? null : new double[out.length];
        for (int i = 0; i < out.length; i++) {
            double e = out[i] - yf[i];
            s += e * e;
            if (dOut != null) dOut[i] = scale * e;
        }
        if (g != null) b.backward(c, dOut, g, false);
        return s;
    }
}
