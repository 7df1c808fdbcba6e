package dev.e8q.hadamard;

import java.util.Objects;

/**
 * The orthogonal Hadamard transform M_n of QuIP# (SPEC §4): M_n = (hadK ⊗ H_{n/K}) / √n, where
 * H_{n/K} is the Sylvester (natural-order Walsh–Hadamard) matrix, hadK is one of the twelve fixed
 * base matrices of SPEC §4.3 (K = 1 for powers of two), and vector index = a·(n/K) + j.
 * {@link #transform} computes x ← M_n x (the reference's "hadU"), {@link #transformTransposed}
 * x ← M_nᵀ x ("hadUt"). hadK is not symmetric in general, so the two differ when K &gt; 1.
 *
 * <p>Cost: n·log₂(n/K) for the fast factor (Vector API butterflies) plus K·n for the base multiply.
 *
 * <p><b>Unsupported dimensions.</b> Only n = 2^j and n = K·2^j with K in
 * {12, 20, 28, 36, 52, 60, 108, 116, 124, 140, 156, 172} have a transform ({@link #supports}).
 * This class does not pad: a caller with another dimension (e.g. 10920, issue #12 of the reference)
 * zero-pads its vectors to {@link #paddedSize(int, int) paddedSize(n, multiple)}, which also lets
 * it honour the codec's block multiple (8 for E8P).
 *
 * <p>All methods are static, thread-safe and allocation-free after the first call on a thread.
 */
public final class Hadamard {
    private Hadamard() {}

    /** True when n is a power of two (n ≥ 1) or K·2^j for one of the twelve base sizes K. */
    public static boolean supports(int n) {
        return Sizes.baseOrZero(n) != 0;
    }

    /** K for n: 1 for powers of two, otherwise 4·(odd part of n). */
    public static int baseSize(int n) {
        int k = Sizes.baseOrZero(n);
        if (k == 0) {
            throw unsupported(n);
        }
        return k;
    }

    /**
     * The smallest n' ≥ n with {@code supports(n')} and n' a multiple of {@code multiple}: the size
     * to zero-pad an unsupported (or badly aligned) dimension to.
     *
     * @throws IllegalArgumentException if n &lt; 1, multiple &lt; 1, or no such n' fits in an int
     *     (e.g. multiple = 11, whose factor 11 no supported size has)
     */
    public static int paddedSize(int n, int multiple) {
        return Sizes.padded(n, multiple);
    }

    /** In place, x[off, off+n) ← M_n x[off, off+n). */
    public static void transform(float[] x, int off, int n) {
        apply(x, off, n, false);
    }

    /** In place, x[off, off+n) ← M_nᵀ x[off, off+n). Inverse of {@link #transform(float[], int, int)}. */
    public static void transformTransposed(float[] x, int off, int n) {
        apply(x, off, n, true);
    }

    /** Double-precision {@link #transform(float[], int, int)}. */
    public static void transform(double[] x, int off, int n) {
        apply(x, off, n, false);
    }

    /** Double-precision {@link #transformTransposed(float[], int, int)}. */
    public static void transformTransposed(double[] x, int off, int n) {
        apply(x, off, n, true);
    }

    /**
     * A copy of the K×K ±1 base matrix, int8 row-major, exactly as SPEC §4.3 defines it
     * ({1} for k = 1).
     */
    public static byte[] baseMatrix(int k) {
        BaseMatrices.Base base = BaseMatrices.get(k);
        if (base == null) {
            throw new IllegalArgumentException("no base Hadamard matrix of size k=" + k
                    + "; supported: 1, 12, 20, 28, 36, 52, 60, 108, 116, 124, 140, 156, 172");
        }
        return base.signs().clone();
    }

    private static void apply(float[] x, int off, int n, boolean transposed) {
        Objects.requireNonNull(x, "x");
        BaseMatrices.Base base = checked(x.length, off, n);
        int k = base.k();
        int p = n / k;
        float scale = (float) (1.0 / Math.sqrt(n));
        if (k == 1) {
            FloatFwht.transform(x, off, n, scale);
            return;
        }
        for (int a = 0; a < k; a++) {
            FloatFwht.transform(x, off + a * p, p, 1f);
        }
        // H_p is symmetric, so Mᵀ = (hadKᵀ ⊗ H_p)/√n: only the base matrix is transposed.
        FloatBaseMultiply.apply(x, off, k, p, transposed ? base.fT() : base.f(), scale);
    }

    private static void apply(double[] x, int off, int n, boolean transposed) {
        Objects.requireNonNull(x, "x");
        BaseMatrices.Base base = checked(x.length, off, n);
        int k = base.k();
        int p = n / k;
        double scale = 1.0 / Math.sqrt(n);
        if (k == 1) {
            DoubleFwht.transform(x, off, n, scale);
            return;
        }
        for (int a = 0; a < k; a++) {
            DoubleFwht.transform(x, off + a * p, p, 1.0);
        }
        DoubleBaseMultiply.apply(x, off, k, p, transposed ? base.dT() : base.d(), scale);
    }

    private static BaseMatrices.Base checked(int length, int off, int n) {
        int k = Sizes.baseOrZero(n);
        if (k == 0) {
            throw unsupported(n);
        }
        if (off < 0 || (long) off + n > length) {
            throw new IllegalArgumentException("range off=" + off + ", n=" + n
                    + " does not fit in an array of length " + length);
        }
        return BaseMatrices.get(k);
    }

    private static IllegalArgumentException unsupported(int n) {
        return new IllegalArgumentException("no Hadamard transform for n=" + n
                + ": n must be a power of two or K*2^j with K in {12, 20, 28, 36, 52, 60, 108, 116, 124,"
                + " 140, 156, 172}; zero-pad to Hadamard.paddedSize(n, multiple)");
    }
}
