package dev.e8q.codec;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Arrays;
import org.ejml.data.DMatrixRMaj;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class BadInputTest {
    static void throwsNaming(Class<? extends Throwable> type, String fragment, Executable ex) {
        Throwable t = assertThrows(type, ex);
        assertTrue(t.getMessage().contains(fragment), "message '" + t.getMessage() + "' should mention '" + fragment + "'");
    }

    @Test
    void weightsAndShapes() {
        throwsNaming(IllegalArgumentException.class, "16x64", () -> E8Codec.encode(new float[10], 16, 64, 2));
        throwsNaming(IllegalArgumentException.class, "0x64", () -> E8Codec.encode(new float[0], 0, 64, 2));
        float[] w = new float[16 * 64];
        w[70] = Float.NaN;
        throwsNaming(IllegalArgumentException.class, "(1, 6)", () -> E8Codec.encode(w, 16, 64, 2));
        w[70] = Float.POSITIVE_INFINITY;
        throwsNaming(IllegalArgumentException.class, "Infinity", () -> E8Codec.encode(w, 16, 64, 2));
        throwsNaming(IllegalArgumentException.class, "bits", () -> E8Codec.encode(new float[16 * 64], 16, 64, 5));
        throwsNaming(IllegalArgumentException.class, "bits", () -> E8Codec.encoder().bits(1));
    }

    @Test
    void hessians() {
        float[] w = E8CodecTest.gaussian(16 * 64, 1);
        throwsNaming(IllegalArgumentException.class, "64x64", () -> E8Codec.encoder().hessian(new DMatrixRMaj(63, 63)).encode(w, 16, 64));
        DMatrixRMaj h = E8CodecTest.ar1(64, 0.5);
        h.set(3, 4, Double.NaN);
        throwsNaming(IllegalArgumentException.class, "non-finite", () -> E8Codec.encoder().hessian(h).encode(w, 16, 64));
        throwsNaming(IllegalArgumentException.class, "diagonal", () -> E8Codec.encoder().hessian(new DMatrixRMaj(64, 64)).encode(w, 16, 64));
        DMatrixRMaj neg = new DMatrixRMaj(64, 64);
        for (int i = 0; i < 64; i++) neg.set(i, i, 1);
        neg.set(0, 1, 1000); // eigenvalue -999: no damping up to σ = 100 helps
        neg.set(1, 0, 1000);
        throwsNaming(IllegalArgumentException.class, "positive definite", () -> E8Codec.encoder().hessian(neg).encode(w, 16, 64));
    }

    @Test
    void slightlyIndefiniteHessianGetsMoreDampingInsteadOfNaN() {
        float[] w = E8CodecTest.gaussian(16 * 64, 2);
        // Rank-one Hessian with a small negative eigenvalue: σ = 0.01 is not enough, 0.1 is.
        DMatrixRMaj h = new DMatrixRMaj(64, 64);
        for (int i = 0; i < 64; i++)
            for (int j = 0; j < 64; j++) h.set(i, j, 1.0);
        h.set(5, 5, 1.0 - 3.0); // mean diag = 1 - 3/64
        EncodeResult r = E8Codec.encoder().hessian(h).encodeWithReport(w, 16, 64);
        assertTrue(r.dampingIncreased());
        assertTrue(r.damping() > 0.01);
        assertFalse(Double.isNaN(r.proxyLoss()));
        for (float v : r.matrix().decodeRowMajor()) assertTrue(Float.isFinite(v));
    }

    @Test
    void matrixAccessors() {
        E8Matrix q = E8Codec.encode(E8CodecTest.gaussian(16 * 64, 1), 16, 64, 2);
        throwsNaming(IllegalArgumentException.class, "x needs 64", () -> q.multiply(new float[10], new float[16]));
        throwsNaming(IllegalArgumentException.class, "SU/SV", () -> q.withSignVectors(new float[3], new float[16]));
        assertThrows(IndexOutOfBoundsException.class, () -> q.code(1, 0, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> q.code(0, 16, 0));
        throwsNaming(IllegalArgumentException.class, "Qidxs", () -> E8Matrix.fromQidxs(16, 64, 2, new long[5], q.su(), q.sv(), 0));
        float[] su = q.su();
        su[0] = 5f; // copies, not views
        assertNotEquals(5f, q.su()[0]);
    }

    @Test
    void cborFailures() {
        E8Matrix q = E8Codec.encode(E8CodecTest.gaussian(16 * 64, 1), 16, 64, 3);
        byte[] good = q.toCbor();
        for (int cut : new int[] {0, 1, 5, good.length / 2, good.length - 1}) {
            byte[] t = Arrays.copyOf(good, cut);
            assertThrows(E8FormatException.class, () -> E8Matrix.fromCbor(t), "truncated to " + cut);
        }
        // A newer schema: the first field is schema = 1, a small CBOR int right after the key.
        byte[] newer = good.clone();
        int at = indexOf(newer, "schema".getBytes()) + 6;
        assertEquals(0x01, newer[at]);
        newer[at] = 0x02;
        throwsNaming(E8FormatException.class, "written by a newer e8q: schema 2 > 1", () -> E8Matrix.fromCbor(newer));
        // Corrupt bytes anywhere give E8FormatException, never an index or buffer error.
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(7);
        for (int i = 0; i < 200; i++) {
            byte[] c = good.clone();
            c[rnd.nextInt(Math.min(c.length, 200))] ^= (byte) (1 + rnd.nextInt(255));
            try {
                E8Matrix.fromCbor(c);
            } catch (E8FormatException expected) {
                // fine
            }
        }
        throwsNaming(E8FormatException.class, "empty", () -> E8Matrix.fromCbor(new byte[0]));
    }

    static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
            return i;
        }
        return -1;
    }
}
