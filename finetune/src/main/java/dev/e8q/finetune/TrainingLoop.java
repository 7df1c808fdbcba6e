package dev.e8q.finetune;

import dev.e8q.codec.ProgressListener;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.function.DoubleSupplier;
import java.util.function.IntToLongFunction;

/**
 * The epoch loop both tuners share: shuffled steps of batchSize × accumulation training sequences, one Adam update
 * per step, validation after every epoch, early stopping after {@code patience} epochs without improvement, and the
 * best epoch's parameters restored at the end (so the final validation loss is the minimum, never above the start).
 */
final class TrainingLoop {
    private TrainingLoop() {}

    /** Adds training sequence k's gradient of scale·loss into g and returns its summed (unscaled) loss. */
    interface Step {
        double run(int k, double scale, double[][] g);
    }

    /**
     * @param scaleNumerator a step's losses are scaled by scaleNumerator / (sum of the step's sequence weights)
     */
    record Settings(String task, int epochs, int patience, int batchSize, int accumulation, long seed, double lr,
                    double lrSign, double scaleNumerator) {}

    /**
     * @param nTrain   training sequences are 0 .. nTrain−1
     * @param weight   what a training sequence's loss is a sum over (elements, predicted tokens)
     * @param validate mean validation loss of the current parameters
     */
    static TuneResult run(ParamSet set, int nTrain, IntToLongFunction weight, int concurrency, Step step,
                          DoubleSupplier validate, Settings s, boolean memoryLimited, long t0, ProgressListener progress) {
        List<Double> val = new ArrayList<>(), train = new ArrayList<>();
        double best = validate.getAsDouble();
        val.add(best);
        double[][] bestState = set.snapshot();
        int bestEpoch = 0, bad = 0, epochsRun = 0;
        Adam adam = new Adam(set);
        Random rnd = new Random(s.seed());
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < nTrain; i++) order.add(i);
        int perStep = s.batchSize() * s.accumulation();
        int stepsPerEpoch = (nTrain + perStep - 1) / perStep;
        long totalSteps = (long) stepsPerEpoch * s.epochs();
        for (int epoch = 1; epoch <= s.epochs(); epoch++) {
            Collections.shuffle(order, rnd);
            double epochLoss = 0;
            long epochWeight = 0;
            for (int st = 0; st < stepsPerEpoch; st++) {
                int from = st * perStep, to = Math.min(nTrain, from + perStep);
                long w = 0;
                for (int i = from; i < to; i++) w += weight.applyAsLong(order.get(i));
                double scale = s.scaleNumerator() / w;
                double[][] acc = set.newGrads();
                int f0 = from;
                double loss = Batches.run(to - from, concurrency, set, acc, (i, g) -> step.run(order.get(f0 + i), scale, g));
                adam.step(acc, grp -> grp == Param.Group.SIGN ? s.lrSign() : s.lr());
                epochLoss += loss;
                epochWeight += w;
                progress.update(s.task(), (long) (epoch - 1) * stepsPerEpoch + st + 1, totalSteps);
            }
            epochsRun = epoch;
            train.add(epochLoss / epochWeight);
            double v = validate.getAsDouble();
            val.add(v);
            if (v < best) {
                best = v;
                bestState = set.snapshot();
                bestEpoch = epoch;
                bad = 0;
            } else if (++bad >= s.patience()) {
                break;
            }
        }
        set.restore(bestState);
        double fin = validate.getAsDouble();
        return new TuneResult(train.stream().mapToDouble(Double::doubleValue).toArray(),
                val.stream().mapToDouble(Double::doubleValue).toArray(), bestEpoch, fin, epochsRun,
                adam.steps(), memoryLimited, (System.nanoTime() - t0) / 1e9);
    }
}
