package dev.e8q.codec;

import static org.junit.jupiter.api.Assertions.*;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.*;

import dev.e8q.hadamard.Hadamard;
import java.util.SplittableRandom;
import org.ejml.data.DMatrixRMaj;
import org.junit.jupiter.api.Test;

/**
 * The Hessian preparation without dense copies (the regularized view, the in-place transpose and rotation, the in-place
 * block LDL) gives the bits of the copying code it replaced, kept here as the reference.
 */
class InPlaceHessianTest {
    /** An asymmetric, unnormalized "Hessian" with some exact zeros: the view must symmetrize and normalize it. */
    private static DMatrixRMaj rawHessian(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] spd = BlockLdlTest.randomSpd(n, seed);
        DMatrixRMaj h = new DMatrixRMaj(n, n);
        for (int i = 0; i < n * n; i++) h.data[i] = i % (n + 1) != 0 && r.nextInt(7) == 0 ? 0 : spd[i] * 3.7 * (1 + 1e-9 * r.nextGaussian());
        return h;
    }

    private static float[] signs(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] s = new float[n];
        for (int i = 0; i < n; i++) s[i] = r.nextBoolean() ? 1f : -1f;
        return s;
    }

    // ---- the reference: the copies the encoder used to make

    private static double[] normalizedCopy(DMatrixRMaj h, int n) {
        double tr = 0;
        for (int i = 0; i < n; i++) tr += h.data[i * n + i];
        double inv = 1 / (tr / n);
        double[] out = new double[n * n];
        for (int r = 0; r < n; r++)
            for (int c = 0; c < n; c++) out[r * n + c] = 0.5 * (h.data[r * n + c] + h.data[c * n + r]) * inv;
        return out;
    }

    private static double[] dampedPaddedCopy(double[] normalized, int n, int np, double sigma) {
        double[] out = new double[np * np];
        for (int r = 0; r < n; r++) System.arraycopy(normalized, r * n, out, r * np, n);
        for (int i = 0; i < np; i++) out[i * np + i] += sigma;
        return out;
    }

    private static double[] rotateHessianCopy(double[] h, float[] su) {
        int n = su.length;
        double[] a = new double[n * n];
        for (int r = 0; r < n; r++) {
            for (int c = 0; c < n; c++) a[r * n + c] = h[r * n + c] * su[c] * su[r];
            Hadamard.transformTransposed(a, r * n, n);
        }
        double[] t = new double[n * n];
        for (int r = 0; r < n; r++)
            for (int c = 0; c < n; c++) t[c * n + r] = a[r * n + c];
        for (int r = 0; r < n; r++) Hadamard.transformTransposed(t, r * n, n);
        for (int r = 0; r < n; r++)
            for (int c = 0; c < r; c++) {
                double v = 0.5 * (t[r * n + c] + t[c * n + r]);
                t[r * n + c] = v;
                t[c * n + r] = v;
            }
        return t;
    }

    private static void assertBits(double[] want, double[] got, String what) {
        assertEquals(want.length, got.length, what);
        for (int i = 0; i < want.length; i++)
            assertEquals(Double.doubleToRawLongBits(want[i]), Double.doubleToRawLongBits(got[i]), what + " entry " + i + ": " + want[i] + " vs " + got[i]);
    }

    @Test
    void transposeInPlaceIsTheTranspose() {
        qt().withExamples(30).forAll(integers().between(1, 100), longs().all()).checkAssert((n, seed) -> {
            SplittableRandom r = new SplittableRandom(seed);
            double[] a = new double[n * n];
            for (int i = 0; i < a.length; i++) a[i] = r.nextGaussian();
            double[] t = a.clone();
            Rotation.transposeInPlace(t, n);
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) assertEquals(a[i * n + j], t[j * n + i], 0.0, "(" + i + "," + j + ")");
        });
    }

    @Test
    void viewEqualsTheDenseCopies() {
        // Sizes that need no padding and sizes that do (cols 40 → 64, 72 → 128, 100 → 128).
        qt().withExamples(20).forAll(integers().between(1, 128), doubles().between(0, 0.1), longs().all()).checkAssert((cols, sigma, seed) -> {
            int n = Hadamard.paddedSize(cols, 64);
            DMatrixRMaj h = rawHessian(cols, seed);
            double[] norm = normalizedCopy(h, cols);
            RegularizedHessian v = RegularizedHessian.of(h, cols);
            double[] diag = new double[cols];
            for (int i = 0; i < cols; i++) diag[i] = norm[i * cols + i];
            assertBits(diag, v.diagonal(), "diagonal");
            assertBits(dampedPaddedCopy(norm, cols, cols, sigma), v.damped(sigma).dense(cols), "damped");
            assertBits(dampedPaddedCopy(norm, cols, n, sigma), v.damped(sigma).dense(n), "damped and padded");
            float[] su = signs(n, seed ^ 1);
            assertBits(rotateHessianCopy(dampedPaddedCopy(norm, cols, n, sigma), su), Rotation.rotateHessian(v.damped(sigma), su), "rotated");
            assertBits(h.data, rawHessian(cols, seed).data, "the caller's matrix is unchanged");
        });
    }

    @Test
    void factorInPlaceEqualsTheCopyingFactor() {
        qt().withExamples(15).forAll(integers().between(1, 12), longs().all()).checkAssert((blocks, seed) -> {
            int n = 8 * blocks;
            double[] h = BlockLdlTest.randomSpd(n, seed);
            double[] lc = h.clone();
            assertTrue(Cholesky.factor(lc, n));
            double[] refL = referenceL(lc, n);
            double[] hr = h.clone();
            float[] hf = BlockLdlq.floats(hr);
            double[] hkk = BlockLdlq.diagonalBlocks(hr, n);
            BlockLdl.Factors f = BlockLdl.factorInPlace(hr, n);
            assertSame(hr, f.l());
            assertBits(refL, f.l(), "L");
            assertBits(BlockLdl.factor(h, n).d(), f.d(), "D");
            BlockLdlq.Operands a = BlockLdlq.operands(h, BlockLdl.factor(h, n)), b = BlockLdlq.operands(hf, hkk, f);
            assertArrayEquals(a.lT(), b.lT());
            assertArrayEquals(a.hr(), b.hr());
            assertArrayEquals(a.d(), b.d());
            assertArrayEquals(a.hkkInv(), b.hkkInv());
        });
    }

    /** L = Lc · blockdiag(Δ_k⁻¹) into a fresh array, as BlockLdl.factor used to compute it. */
    private static double[] referenceL(double[] lc, int n) {
        double[] l = new double[n * n], inv = new double[64];
        for (int b = 0; b < n; b += 8) {
            java.util.Arrays.fill(inv, 0);
            for (int c = 0; c < 8; c++)
                for (int i = c; i < 8; i++) {
                    double s = i == c ? 1 : 0;
                    for (int t = c; t < i; t++) s -= lc[(b + i) * n + b + t] * inv[t * 8 + c];
                    inv[i * 8 + c] = s / lc[(b + i) * n + b + i];
                }
            for (int r = b; r < n; r++)
                for (int j = 0; j < 8; j++) {
                    double s = 0;
                    for (int t = j; t < 8; t++) s += lc[r * n + b + t] * inv[t * 8 + j];
                    l[r * n + b + j] = s;
                }
        }
        return l;
    }

    @Test
    void encodingLeavesTheCallersHessianAlone() {
        int rows = 16, cols = 72;
        DMatrixRMaj h = rawHessian(cols, 9);
        double[] before = h.data.clone();
        float[] w = E8CodecTest.gaussian(rows * cols, 3);
        E8Codec.encoder().bits(2).hessian(h).columnScaleExponent(0.5).rhoSearch(1, 0.75).encodeWithReport(w, rows, cols);
        assertBits(before, h.data, "H after encoding");
    }
}
