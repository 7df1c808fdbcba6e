package dev.e8q.finetune;

import dev.e8q.codec.Parallel;
import dev.e8q.codec.ProgressListener;
import dev.e8q.llama.model.LlamaModel;
import java.util.List;

/**
 * Stage 2 of SPEC §6: end-to-end tuning of the quantized model against the original model's next-token
 * distribution. Loss = cross-entropy against the teacher's softmax (soft targets; equal to KL plus the
 * teacher's entropy), averaged over positions 0 … T−2 of every sequence (the last position has no next
 * token in the reference's data and is excluded, as there).
 *
 * <p>Trainable: every quantized linear's SU/SV ({@link Options#lrSign}), every RMSNorm weight and the
 * lm_head ({@link Options#lr}). The token embedding is frozen; dense linear weights left in the blocks
 * are frozen unless {@link Options#tuneDenseLinears}. Early stopping and best-state restore as in
 * {@link BlockTuner}.
 */
public final class E2eTuner {
    private E2eTuner() {}

    /**
     * @param lr                  norms and lm_head (code default 1e-5; paper 5e-5 for 2-bit)
     * @param lrSign              SU/SV (code default 1e-4; paper 5e-4)
     * @param memoryBudgetBytes   activation memory cap (≤ 0: none). Full per-block caches are kept when
     *                            they fit for the sequences in flight; otherwise only block inputs are kept
     *                            and each block's activations are recomputed in the backward pass; if even
     *                            that does not fit, fewer sequences run in parallel.
     */
    public record Options(double lr, double lrSign, int epochs, int patience, int batchSize, int accumulation,
                          double validationFraction, long seed, long memoryBudgetBytes, boolean tuneLmHead,
                          boolean tuneDenseLinears) {
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
            return new Options(3e-4, 3e-3, 5, 2, 4, 2, 1.0 / 3, 1, 0, true, false);
        }

        /** The paper's 2-bit values (SPEC §6). */
        public static Options paper() {
            return new Options(5e-5, 5e-4, 8, 3, 1, 2, 1.0 / 3, 1, 0, true, false);
        }

        public Options withLearningRates(double lr, double lrSign) {
            return new Options(lr, lrSign, epochs, patience, batchSize, accumulation, validationFraction, seed, memoryBudgetBytes, tuneLmHead, tuneDenseLinears);
        }

        public Options withEpochs(int epochs, int patience) {
            return new Options(lr, lrSign, epochs, patience, batchSize, accumulation, validationFraction, seed, memoryBudgetBytes, tuneLmHead, tuneDenseLinears);
        }

        public Options withBatch(int batchSize, int accumulation) {
            return new Options(lr, lrSign, epochs, patience, batchSize, accumulation, validationFraction, seed, memoryBudgetBytes, tuneLmHead, tuneDenseLinears);
        }

        public Options withMemoryBudget(long bytes) {
            return new Options(lr, lrSign, epochs, patience, batchSize, accumulation, validationFraction, seed, bytes, tuneLmHead, tuneDenseLinears);
        }

        public Options withTuneLmHead(boolean b) {
            return new Options(lr, lrSign, epochs, patience, batchSize, accumulation, validationFraction, seed, memoryBudgetBytes, b, tuneDenseLinears);
        }
    }

    /** The tuned model (a copy sharing the frozen embedding and quantized matrices) and the loss history. */
    public record Result(Model model, TuneResult history) {}

    /** The tuned state (SU/SV of every quantized part, all norms, lm_head) and the loss history. */
    public record StateResult(ModelState state, TuneResult history) {}

    /**
     * Tunes a model given in the converter's form against the original model's distribution.
     *
     * @param original the full-precision model (teacher); only its forward pass is used
     */
    public static StateResult tune(ModelState student, LlamaModel original, List<int[]> sequences, Options o, ProgressListener progress) {
        Result r = tune(student.toModel(), sequences, Teacher.of(original, sequences), o, progress);
        return new StateResult(student.withTuned(r.model()), r.history());
    }

    /** Mean soft-target cross-entropy per predicted position over the given sequences. */
    public static double loss(Model model, List<int[]> sequences, Teacher teacher) {
        long count = 0;
        for (int[] s : sequences) count += Math.max(0, s.length - 1);
        ParamSet set = new ParamSet(model.params());
        return Batches.run(sequences.size(), Parallel.threads() * 4, set, null,
                (i, g) -> model.loss(sequences.get(i), teacher.targets(i))) / count;
    }

    /**
     * @param student   the quantized model (not modified)
     * @param sequences token sequences (each at least 2 tokens); the last round(n·validationFraction) validate
     * @param teacher   soft targets for the same sequences, in the same order
     */
    public static Result tune(Model student, List<int[]> sequences, Teacher teacher, Options o, ProgressListener progress) {
        long t0 = System.nanoTime();
        int n = sequences.size();
        if (teacher.size() != n) throw new IllegalArgumentException(n + " sequences but teacher has " + teacher.size());
        if (n < 2) throw new IllegalArgumentException("need at least 2 sequences (train + validation), got " + n);
        for (int i = 0; i < n; i++) {
            if (sequences.get(i).length < 2) throw new IllegalArgumentException("sequence " + i + " has fewer than 2 tokens");
        }
        int nVal = (int) Math.max(1, Math.min(n - 1, Math.round(n * o.validationFraction())));
        int nTrain = n - nVal;
        Model m = student.copy();
        for (Param p : m.params()) {
            switch (p.group()) {
                case SIGN, NORM -> p.trainable(true);
                case HEAD -> p.trainable(o.tuneLmHead());
                case DENSE -> p.trainable(o.tuneDenseLinears());
            }
        }
        ParamSet set = new ParamSet(m.params());
        int maxT = 0;
        for (int[] s : sequences) maxT = Math.max(maxT, s.length);
        int concurrency = Parallel.threads() * 4;
        long full = 8L * m.fullCacheDoubles(maxT), ckpt = 8L * m.checkpointCacheDoubles(maxT);
        long budget = o.memoryBudgetBytes();
        int inFlight = Parallel.threads(); // one sequence per thread at a time
        boolean recompute = budget > 0 && full * inFlight > budget;
        if (recompute && ckpt * inFlight > budget) {
            concurrency = (int) Math.max(1, budget / ckpt);
        }
        int conc = concurrency;
        boolean rec = recompute;

        long valCount = 0;
        for (int i = nTrain; i < n; i++) valCount += sequences.get(i).length - 1;
        long vc = valCount;
        java.util.function.DoubleSupplier validate = () -> Batches.run(nVal, conc, set, null,
                (i, g) -> m.loss(sequences.get(nTrain + i), teacher.targets(nTrain + i))) / vc;

        TuneResult h = TrainingLoop.run(set, nTrain, k -> sequences.get(k).length - 1, conc,
                (k, scale, g) -> m.lossAndGrad(sequences.get(k), teacher.targets(k), scale, g, rec), validate,
                new TrainingLoop.Settings("e2e tune", o.epochs(), o.patience(), o.batchSize(), o.accumulation(), o.seed(),
                        o.lr(), o.lrSign(), 1.0),
                rec, t0, progress);
        return new Result(m, h);
    }
}
