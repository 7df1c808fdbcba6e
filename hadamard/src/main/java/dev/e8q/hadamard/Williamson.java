package dev.e8q.hadamard;

/**
 * Williamson construction of a 4t×4t Hadamard matrix from four symmetric t×t circulants
 * (SPEC §4.3): [[A,B,C,D],[−B,A,−D,C],[−C,D,A,−B],[−D,−C,B,A]].
 */
final class Williamson {
    private Williamson() {}

    /**
     * Each argument is a circulant's first row written with '+' and '-'. Row i of a circulant X
     * is its first row rotated right by i: X[i][j] = x[(j − i) mod t].
     */
    static byte[][] build(String a, String b, String c, String d) {
        int t = a.length();
        if (b.length() != t || c.length() != t || d.length() != t) {
            throw new IllegalArgumentException("Williamson first rows differ in length: "
                    + a.length() + ", " + b.length() + ", " + c.length() + ", " + d.length());
        }
        int[][] rows = {signs(a), signs(b), signs(c), signs(d)};
        // Block layout: which circulant (0..3 = A..D) and sign sits at block (r, s).
        int[][] which = {{0, 1, 2, 3}, {1, 0, 3, 2}, {2, 3, 0, 1}, {3, 2, 1, 0}};
        int[][] sign = {{1, 1, 1, 1}, {-1, 1, -1, 1}, {-1, 1, 1, -1}, {-1, -1, 1, 1}};
        byte[][] h = new byte[4 * t][4 * t];
        for (int r = 0; r < 4; r++) {
            for (int s = 0; s < 4; s++) {
                int[] first = rows[which[r][s]];
                for (int i = 0; i < t; i++) {
                    for (int j = 0; j < t; j++) {
                        h[r * t + i][s * t + j] = (byte) (sign[r][s] * first[Math.floorMod(j - i, t)]);
                    }
                }
            }
        }
        return h;
    }

    private static int[] signs(String row) {
        int[] v = new int[row.length()];
        for (int i = 0; i < v.length; i++) {
            v[i] = switch (row.charAt(i)) {
                case '+' -> 1;
                case '-' -> -1;
                default -> throw new IllegalArgumentException(
                        "Williamson row has '" + row.charAt(i) + "' at " + i + ": " + row);
            };
        }
        return v;
    }
}
