package dev.e8q.llama.model;

import dev.e8q.simd.Exp;
import dev.e8q.simd.Lanes;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Small row-wise operations of the forward pass. */
public final class Ops {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();

    private Ops() {}

    /** out[oOff..+n) = x[xOff..+n) / rms(x) * w, with rms = sqrt(mean(x²) + eps) (sum of squares in double). */
    public static void rmsnorm(float[] out, int oOff, float[] x, int xOff, float[] w, int n, float eps) {
        double ss = 0;
        for (int i = 0; i < n; i++) {
            float v = x[xOff + i];
            ss += (double) v * v;
        }
        float inv = (float) (1.0 / Math.sqrt(ss / n + eps));
        for (int i = 0; i < n; i++) out[oOff + i] = w[i] * (x[xOff + i] * inv);
    }

    /** Row-wise RMSNorm of T rows of width n. */
    public static void rmsnormRows(float[] out, float[] x, float[] w, int rows, int n, float eps) {
        for (int t = 0; t < rows; t++) rmsnorm(out, t * n, x, t * n, w, n, eps);
    }

    /** In-place softmax of a[off..off+n) (max subtracted; {@link Exp}, float sums, lanes added by {@link Lanes#pairwise}). */
    public static void softmax(float[] a, int off, int n) {
        int i = 0;
        FloatVector vmax = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        // The fresh vector is the receiver: its class is known from the species, where a loop-carried receiver's is
        // only known from a type profile, which this loop may not have yet when C2 compiles it (then every
        // iteration makes a virtual call and boxes; docs/runtime.md, "A slow mode of generation").
        for (; i + L <= n; i += L) vmax = FloatVector.fromArray(F, a, off + i).max(vmax);
        float max = vmax.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) max = Math.max(max, a[off + i]);
        FloatVector vsum = FloatVector.zero(F);
        i = 0;
        for (; i + L <= n; i += L) {
            FloatVector e = Exp.exp(FloatVector.fromArray(F, a, off + i).sub(max));
            e.intoArray(a, off + i);
            vsum = e.add(vsum);
        }
        float sum = Lanes.pairwise(vsum);
        for (; i < n; i++) {
            float e = Exp.exp(a[off + i] - max);
            a[off + i] = e;
            sum += e;
        }
        float inv = 1f / sum;
        i = 0;
        for (; i + L <= n; i += L) FloatVector.fromArray(F, a, off + i).mul(inv).intoArray(a, off + i);
        for (; i < n; i++) a[off + i] *= inv;
    }

    /** g[i] = silu(g[i]) * u[i] for i in [0, n). */
    public static void swiglu(float[] g, float[] u, int n) {
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector v = FloatVector.fromArray(F, g, i);
            FloatVector e = Exp.exp(v.neg()).add(1f);
            v.div(e).mul(FloatVector.fromArray(F, u, i)).intoArray(g, i);
        }
        for (; i < n; i++) {
            float v = g[i];
            g[i] = v / (1f + Exp.exp(-v)) * u[i];
        }
    }

    /** x[i] += d[i]. */
    public static void addInPlace(float[] x, float[] d, int n) {
        for (int i = 0; i < n; i++) x[i] += d[i];
    }

    /** log Σ exp(a) over a[off..off+n) in double. */
    public static double logSumExp(float[] a, int off, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, a[off + i]);
        double sum = 0;
        for (int i = 0; i < n; i++) sum += Math.exp((double) a[off + i] - max);
        return max + Math.log(sum);
    }

    public static int argmax(float[] a, int off, int n) {
        int best = 0;
        float bv = a[off];
        for (int i = 1; i < n; i++) {
            if (a[off + i] > bv) {
                bv = a[off + i];
                best = i;
            }
        }
        return best;
    }
}
