package dev.e8q.hadamard;

/**
 * Paley constructions of ±1 Hadamard matrices from the quadratic character of a prime field
 * (SPEC §4.3). Entry order and signs follow the SPEC exactly, because checkpoints depend on the
 * exact matrix, not just on some Hadamard matrix of the right size.
 */
final class Paley {
    private Paley() {}

    /** Paley I, size q+1 for a prime q ≡ 3 (mod 4): H = I + C with C skew. */
    static byte[][] typeOne(int q) {
        int[] chi = legendre(q);
        int k = q + 1;
        byte[][] h = new byte[k][k];
        for (int j = 1; j < k; j++) {
            h[0][j] = -1;
            h[j][0] = 1;
        }
        for (int i = 0; i < q; i++) {
            for (int j = 0; j < q; j++) {
                h[1 + i][1 + j] = (byte) chi[Math.floorMod(i - j, q)];
            }
        }
        for (int i = 0; i < k; i++) {
            h[i][i] += 1; // C has a zero diagonal, so the identity fills it with +1
        }
        return h;
    }

    /** Paley II, size 2(q+1) for a prime q ≡ 1 (mod 4): [[C+I, C−I], [C−I, −C−I]] with C symmetric. */
    static byte[][] typeTwo(int q) {
        int[] chi = legendre(q);
        int c = q + 1;
        int[][] core = new int[c][c];
        for (int j = 1; j < c; j++) {
            core[0][j] = 1;
            core[j][0] = 1;
        }
        for (int i = 0; i < q; i++) {
            for (int j = 0; j < q; j++) {
                core[1 + i][1 + j] = chi[Math.floorMod(i - j, q)];
            }
        }
        byte[][] h = new byte[2 * c][2 * c];
        for (int i = 0; i < c; i++) {
            for (int j = 0; j < c; j++) {
                int id = i == j ? 1 : 0;
                h[i][j] = (byte) (core[i][j] + id);
                h[i][c + j] = (byte) (core[i][j] - id);
                h[c + i][j] = (byte) (core[i][j] - id);
                h[c + i][c + j] = (byte) (-core[i][j] - id);
            }
        }
        return h;
    }

    /** χ(a) for a in [0, q): 0 at 0, +1 on nonzero squares, −1 otherwise. */
    static int[] legendre(int q) {
        int[] chi = new int[q];
        java.util.Arrays.fill(chi, -1);
        chi[0] = 0;
        for (long x = 1; x < q; x++) {
            chi[(int) (x * x % q)] = 1;
        }
        return chi;
    }
}
