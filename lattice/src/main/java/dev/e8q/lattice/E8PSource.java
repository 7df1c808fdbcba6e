package dev.e8q.lattice;

/**
 * Builds the 256-entry table S of absolute-value patterns behind E8P (SPEC §1.1), stored as int8 of 2·a.
 *
 * <p>Every pattern in {½, 3/2, 5/2}^8 with ‖a‖² ≤ 10 is the absolute value of some point of D̂8 (flipping one
 * sign changes the coordinate sum by an odd integer, so an even sum is always reachable), and no coordinate of
 * such a point can be ±7/2. So step A of the SPEC is exactly "all such patterns"; walking the digits {1,3,5}
 * as an odometer with coordinate 0 slowest yields them already in ascending lexicographic order.
 */
final class E8PSource {
    static final int ROWS = 256;
    static final int SORTED_ROWS = 227;

    /** Step B: the 29 hard-coded padding rows (norm² 12), as digits of 2·a, coordinate 0 first. */
    private static final String[] PADDING = {
        "31113333", "13113333", "11313333", "11133333", "33313311", "33313131",
        "33311331", "33313113", "33311313", "33311133", "33133311", "33133131",
        "33131331", "33133113", "33131313", "33131133", "31333311", "31333131",
        "31331331", "31333113", "31331313", "13331133", "13333311", "13333131",
        "13331331", "13333113", "13331313", "11331333", "33113331",
    };

    private E8PSource() {
    }

    /** Returns a fresh 256×8 row-major table of 2·|a|. */
    static byte[] build() {
        byte[] table = new byte[ROWS * 8];
        int row = 0;
        int[] digit = new int[8];
        for (int n = 0; n < 6561; n++) { // 3^8 odometer states
            int rest = n;
            int norm4 = 0; // Σ (2a)² = 4‖a‖²
            for (int k = 7; k >= 0; k--) {
                digit[k] = 1 + 2 * (rest % 3);
                rest /= 3;
                norm4 += digit[k] * digit[k];
            }
            if (norm4 <= 40) {
                for (int k = 0; k < 8; k++) {
                    table[row * 8 + k] = (byte) digit[k];
                }
                row++;
            }
        }
        if (row != SORTED_ROWS) {
            throw new IllegalStateException("expected 227 sorted patterns, enumerated " + row);
        }
        for (String pad : PADDING) {
            for (int k = 0; k < 8; k++) {
                table[row * 8 + k] = (byte) (pad.charAt(k) - '0');
            }
            row++;
        }
        return table;
    }
}
