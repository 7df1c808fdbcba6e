package dev.e8q.finetune;

/**
 * Loss history of one tuning run. Index 0 of {@link #valLoss} is the validation loss before any update;
 * index e ≥ 1 is the one after epoch e. {@link #trainLoss}[e−1] is the mean training loss seen during
 * epoch e (measured before each step's update). The returned parameters are the best-validation state,
 * so {@link #finalValLoss} = min over {@link #valLoss} ≤ {@link #initialValLoss}.
 *
 * @param bestEpoch      0 when no epoch improved on the initial state (which is then what is returned)
 * @param memoryLimited  whether the memory budget changed the schedule (E2eTuner: activations recomputed per
 *                       block; both tuners: fewer sequences in flight)
 * @param seconds        wall time of the run
 */
public record TuneResult(double[] trainLoss, double[] valLoss, int bestEpoch, double finalValLoss,
                         int epochsRun, int steps, boolean memoryLimited, double seconds) {

    public double initialValLoss() { return valLoss[0]; }

    public String summary() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("val %.6g -> %.6g (best epoch %d of %d, %d steps, %.1f s%s)", initialValLoss(),
                finalValLoss, bestEpoch, epochsRun, steps, seconds, memoryLimited ? ", memory-limited schedule" : ""));
        return sb.toString();
    }
}
