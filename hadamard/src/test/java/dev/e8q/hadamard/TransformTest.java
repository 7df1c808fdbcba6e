package dev.e8q.hadamard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.quicktheories.core.Gen;

/**
 * Properties of the fast transform against the SPEC §4.1 definition. Random inputs come from a
 * seed that QuickTheories generates, so a failure report (size, seed) reproduces the vector.
 */
class TransformTest {
    private static final int[] KS = {12, 20, 28, 36, 52, 60, 108, 116, 124, 140, 156, 172};

    /**
     * Every K with row lengths that reach every kernel path (scalar rows, one/two-vector rows,
     * four-vector tiles, both radix-2 and radix-4 endings, rows longer than one cache block), plus
     * powers of two up to 2^15.
     */
    private static final int[] SIZES = sizes();

    private static int[] sizes() {
        List<Integer> out = new ArrayList<>();
        for (int j = 0; j <= 15; j++) {
            out.add(1 << j);
        }
        for (int k : KS) {
            for (int j : new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8}) {
                out.add(k << j);
            }
        }
        out.add(11008);
        out.add(13824);
        out.add(12 << 13); // rows longer than the FWHT's L1 block, for a K > 1
        out.add(20 << 12);
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    private static Gen<Integer> size() {
        return integers().between(0, SIZES.length - 1).map(i -> SIZES[i]);
    }

    @Test
    void floatMatchesReferenceBothWays() {
        qt().withExamples(200).forAll(size(), longs().all(), integers().between(0, 3))
                .checkAssert((n, seed, off) -> {
                    double[] x = gaussian(n, seed);
                    for (boolean transposed : new boolean[] {false, true}) {
                        double[] want = Reference.apply(x, Hadamard.baseSize(n),
                                Hadamard.baseMatrix(Hadamard.baseSize(n)), transposed);
                        float[] got = new float[off + n + 2];
                        for (int i = 0; i < n; i++) {
                            got[off + i] = (float) x[i];
                        }
                        got[off + n] = 7f; // guards: must not be touched
                        if (off > 0) {
                            got[off - 1] = 9f;
                        }
                        if (transposed) {
                            Hadamard.transformTransposed(got, off, n);
                        } else {
                            Hadamard.transform(got, off, n);
                        }
                        for (int i = 0; i < n; i++) {
                            assertEquals(want[i], got[off + i], 1e-4 * (1 + Math.abs(want[i])),
                                    "n=" + n + " transposed=" + transposed + " index " + i);
                        }
                        assertEquals(7f, got[off + n], "element after the range was written");
                        if (off > 0) {
                            assertEquals(9f, got[off - 1], "element before the range was written");
                        }
                    }
                });
    }

    /** Every base size with rows of one and two vectors (the four-rows-per-step base multiply), both ways, float and double. */
    @Test
    void oneAndTwoVectorRowsMatchReferenceForEveryBase() {
        for (int k : KS) {
            for (int p : new int[] {FloatFwht.L, 2 * FloatFwht.L}) {
                int n = k * p;
                double[] x = gaussian(n, 31L * k + p);
                for (boolean transposed : new boolean[] {false, true}) {
                    double[] want = Reference.apply(x, k, Hadamard.baseMatrix(k), transposed);
                    float[] got = new float[n];
                    for (int i = 0; i < n; i++) got[i] = (float) x[i];
                    if (transposed) Hadamard.transformTransposed(got, 0, n);
                    else Hadamard.transform(got, 0, n);
                    for (int i = 0; i < n; i++) {
                        assertEquals(want[i], got[i], 1e-4 * (1 + Math.abs(want[i])), "n=" + n + " transposed=" + transposed + " index " + i);
                    }
                }
            }
            for (int p : new int[] {DoubleFwht.L, 2 * DoubleFwht.L}) {
                int n = k * p;
                double[] x = gaussian(n, 37L * k + p);
                for (boolean transposed : new boolean[] {false, true}) {
                    double[] want = Reference.apply(x, k, Hadamard.baseMatrix(k), transposed);
                    double[] got = x.clone();
                    if (transposed) Hadamard.transformTransposed(got, 0, n);
                    else Hadamard.transform(got, 0, n);
                    for (int i = 0; i < n; i++) {
                        assertEquals(want[i], got[i], 1e-12 * (1 + Math.abs(want[i])), "double n=" + n + " transposed=" + transposed + " index " + i);
                    }
                }
            }
        }
    }

    @Test
    void doubleMatchesReferenceBothWays() {
        qt().withExamples(200).forAll(size(), longs().all())
                .checkAssert((n, seed) -> {
                    double[] x = gaussian(n, seed);
                    int k = Hadamard.baseSize(n);
                    for (boolean transposed : new boolean[] {false, true}) {
                        double[] want = Reference.apply(x, k, Hadamard.baseMatrix(k), transposed);
                        double[] got = x.clone();
                        if (transposed) {
                            Hadamard.transformTransposed(got, 0, n);
                        } else {
                            Hadamard.transform(got, 0, n);
                        }
                        for (int i = 0; i < n; i++) {
                            assertEquals(want[i], got[i], 1e-12 * (1 + Math.abs(want[i])),
                                    "n=" + n + " transposed=" + transposed + " index " + i);
                        }
                    }
                });
    }

    @Test
    void transposedUndoesTransformAndNormIsKept() {
        qt().withExamples(200).forAll(size(), longs().all(), integers().between(0, 1))
                .checkAssert((n, seed, order) -> {
                    double[] x = gaussian(n, seed);
                    float[] f = toFloat(x);
                    double[] d = x.clone();
                    if (order == 0) {
                        Hadamard.transform(f, 0, n);
                        Hadamard.transform(d, 0, n);
                    } else {
                        Hadamard.transformTransposed(f, 0, n);
                        Hadamard.transformTransposed(d, 0, n);
                    }
                    double norm = norm(x);
                    assertEquals(norm, norm(toDouble(f)), 1e-5 * norm, "float norm, n=" + n);
                    assertEquals(norm, norm(d), 1e-12 * norm, "double norm, n=" + n);
                    if (order == 0) {
                        Hadamard.transformTransposed(f, 0, n);
                        Hadamard.transformTransposed(d, 0, n);
                    } else {
                        Hadamard.transform(f, 0, n);
                        Hadamard.transform(d, 0, n);
                    }
                    for (int i = 0; i < n; i++) {
                        assertEquals(x[i], f[i], 1e-5 * (1 + Math.abs(x[i])), "float round trip, n=" + n + " index " + i);
                        assertEquals(x[i], d[i], 1e-12 * (1 + Math.abs(x[i])), "double round trip, n=" + n + " index " + i);
                    }
                });
    }

    /**
     * Builds M_n column by column from unit vectors and checks it against the Kronecker formula
     * (which pins the exact entry order, not just orthogonality) and that M·Mᵀ = I.
     */
    @ParameterizedTest(name = "K={0}")
    @ValueSource(ints = {1, 12, 20, 28, 36, 52, 60, 108, 116, 124, 140, 156, 172})
    void denseMatrixIsTheKroneckerFormulaAndOrthogonal(int k) {
        for (int n : k == 1 ? new int[] {1, 2, 4, 8, 16, 32, 64, 128} : new int[] {k, 2 * k, 4 * k}) {
            double[][] want = Reference.dense(n, k, Hadamard.baseMatrix(k));
            double[][] m = new double[n][n];
            double[][] mt = new double[n][n];
            for (int j = 0; j < n; j++) {
                double[] e = new double[n];
                e[j] = 1;
                Hadamard.transform(e, 0, n);
                double[] et = new double[n];
                et[j] = 1;
                Hadamard.transformTransposed(et, 0, n);
                float[] ef = new float[n];
                ef[j] = 1;
                Hadamard.transform(ef, 0, n);
                for (int i = 0; i < n; i++) {
                    m[i][j] = e[i];
                    mt[i][j] = et[i];
                    assertEquals(want[i][j], m[i][j], 1e-12, "M[" + i + "][" + j + "], n=" + n);
                    assertEquals(want[j][i], mt[i][j], 1e-12, "Mᵀ[" + i + "][" + j + "], n=" + n);
                    assertEquals(want[i][j], ef[i], 1e-6, "float M[" + i + "][" + j + "], n=" + n);
                }
            }
            if (n > 2 * k && k > 1) {
                continue; // the O(n³) product adds nothing once the Kronecker form is pinned
            }
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    double dot = 0;
                    for (int c = 0; c < n; c++) {
                        dot += m[i][c] * m[j][c];
                    }
                    assertEquals(i == j ? 1 : 0, dot, 1e-12, "(M Mᵀ)[" + i + "][" + j + "], n=" + n);
                }
            }
        }
    }

    static double[] gaussian(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = r.nextGaussian();
        }
        return x;
    }

    private static float[] toFloat(double[] x) {
        float[] f = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            f[i] = (float) x[i];
        }
        return f;
    }

    private static double[] toDouble(float[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            d[i] = x[i];
        }
        return d;
    }

    private static double norm(double[] x) {
        double s = 0;
        for (double v : x) {
            s += v * v;
        }
        return Math.sqrt(s);
    }
}
