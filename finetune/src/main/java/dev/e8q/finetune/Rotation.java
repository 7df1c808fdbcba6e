package dev.e8q.finetune;

/**
 * An orthogonal n×n matrix M applied in place: {@link #apply} does x ← M x, {@link #applyTransposed}
 * does x ← Mᵀ x. Quantized linears use M_m (output side) and M_n (input side) of SPEC §4.1.
 */
public interface Rotation {
    int size();

    void apply(double[] x, int off);

    void applyTransposed(double[] x, int off);

    /** M_n of SPEC §4 (the QuIP# Hadamard transform); n must satisfy {@code Hadamard.supports(n)}. */
    static Rotation hadamard(int n) {
        if (!dev.e8q.hadamard.Hadamard.supports(n)) {
            throw new IllegalArgumentException("no Hadamard transform of size " + n);
        }
        return new Rotation() {
            public int size() { return n; }

            public void apply(double[] x, int off) { dev.e8q.hadamard.Hadamard.transform(x, off, n); }

            public void applyTransposed(double[] x, int off) { dev.e8q.hadamard.Hadamard.transformTransposed(x, off, n); }
        };
    }

    /** An explicit orthogonal matrix (row-major); for tests and odd sizes. Not checked for orthogonality. */
    static Rotation dense(int n, double[] m) {
        if (m.length != n * n) throw new IllegalArgumentException("matrix has " + m.length + " entries, want " + n + "²");
        return new Rotation() {
            public int size() { return n; }

            public void apply(double[] x, int off) {
                double[] t = new double[n];
                for (int i = 0; i < n; i++) {
                    double s = 0;
                    for (int j = 0; j < n; j++) s += m[i * n + j] * x[off + j];
                    t[i] = s;
                }
                System.arraycopy(t, 0, x, off, n);
            }

            public void applyTransposed(double[] x, int off) {
                double[] t = new double[n];
                for (int j = 0; j < n; j++) {
                    double xj = x[off + j];
                    for (int i = 0; i < n; i++) t[i] += m[j * n + i] * xj;
                }
                System.arraycopy(t, 0, x, off, n);
            }
        };
    }

    /** A random orthogonal matrix (Gram–Schmidt of a Gaussian matrix), reproducible from the seed. */
    static Rotation randomOrthogonal(int n, long seed) {
        java.util.Random r = new java.util.Random(seed);
        double[] m = new double[n * n];
        for (int i = 0; i < n; i++) {
            while (true) {
                for (int j = 0; j < n; j++) m[i * n + j] = r.nextGaussian();
                for (int k = 0; k < i; k++) {
                    double d = 0;
                    for (int j = 0; j < n; j++) d += m[i * n + j] * m[k * n + j];
                    for (int j = 0; j < n; j++) m[i * n + j] -= d * m[k * n + j];
                }
                double nn = 0;
                for (int j = 0; j < n; j++) nn += m[i * n + j] * m[i * n + j];
                if (nn < 1e-6) continue;
                double inv = 1 / Math.sqrt(nn);
                for (int j = 0; j < n; j++) m[i * n + j] *= inv;
                break;
            }
        }
        return dense(n, m);
    }
}
