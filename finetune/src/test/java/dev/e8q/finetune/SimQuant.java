package dev.e8q.finetune;

import dev.e8q.hadamard.Hadamard;
import java.util.Random;

/**
 * A stand-in 2-bit quantizer for tests that must not depend on the codec: RHT with random signs, then
 * round-to-nearest on the half-integer grid {±½, ±3/2} (the "no E8" ablation without LDLQ). Pieces of a
 * fused matrix are RMS-normalized first and their RMS become the fixed per-row output scales.
 */
final class SimQuant {
    private SimQuant() {}

    static QuantLinear quantize(String name, float[][] pieces, int[] pieceRows, int cols, long seed) {
        int rows = 0;
        for (int r : pieceRows) rows += r;
        int pr = Hadamard.paddedSize(rows, 16), pc = Hadamard.paddedSize(cols, 64);
        double[] w = new double[rows * cols];
        double[] os = new double[rows];
        int r0 = 0;
        for (int p = 0; p < pieces.length; p++) {
            double ss = 0;
            for (float v : pieces[p]) ss += v * v;
            double rms = Math.sqrt(ss / pieces[p].length);
            for (int i = 0; i < pieceRows[p] * cols; i++) w[r0 * cols + i] = pieces[p][i] / rms;
            for (int i = 0; i < pieceRows[p]; i++) os[r0 + i] = pieces.length == 1 ? 1 : rms;
            r0 += pieceRows[p];
        }
        Random r = new Random(seed);
        double[] su = new double[pc], sv = new double[pr];
        for (int i = 0; i < pc; i++) su[i] = r.nextBoolean() ? 1 : -1;
        for (int i = 0; i < pr; i++) sv[i] = r.nextBoolean() ? 1 : -1;
        // Wr = M_mᵀ diag(sv) W diag(su) M_n on the padded grid
        double[] wr = new double[pr * pc];
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) wr[i * pc + j] = sv[i] * w[i * cols + j] * su[j];
        double[] row = new double[pc];
        for (int i = 0; i < pr; i++) {
            System.arraycopy(wr, i * pc, row, 0, pc);
            Hadamard.transformTransposed(row, 0, pc); // (row · M_n) = (M_nᵀ rowᵀ)ᵀ
            System.arraycopy(row, 0, wr, i * pc, pc);
        }
        double[] col = new double[pr];
        for (int j = 0; j < pc; j++) {
            for (int i = 0; i < pr; i++) col[i] = wr[i * pc + j];
            Hadamard.transformTransposed(col, 0, pr);
            for (int i = 0; i < pr; i++) wr[i * pc + j] = col[i];
        }
        double ss = 0;
        for (double v : wr) ss += v * v;
        double scale = Math.sqrt(ss / wr.length) / 0.9;
        for (int i = 0; i < wr.length; i++) {
            double q = Math.floor(wr[i] / scale) + 0.5;
            wr[i] = Math.max(-1.5, Math.min(1.5, q));
        }
        for (int i = 0; i < pr; i++) sv[i] *= scale;
        double[] osRows = pieces.length == 1 ? null : os;
        if (pieces.length == 1) for (int i = 0; i < rows; i++) sv[i] *= rowsRms(pieces[0]);
        return new QuantLinear(name, rows, cols, wr, Rotation.hadamard(pr), Rotation.hadamard(pc), su, sv, osRows);
    }

    private static double rowsRms(float[] a) {
        double ss = 0;
        for (float v : a) ss += v * v;
        return Math.sqrt(ss / a.length);
    }
}
