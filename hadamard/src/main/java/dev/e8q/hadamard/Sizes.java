package dev.e8q.hadamard;

/** Which dimensions have a transform (SPEC §4.2) and the padding fallback for those that do not. */
final class Sizes {
    private Sizes() {}

    /** K for n, or 0 when n is unsupported. K = 4·odd(n) is the only candidate with n/K a power of two. */
    static int baseOrZero(int n) {
        if (n < 1) {
            return 0;
        }
        if (Integer.bitCount(n) == 1) {
            return 1;
        }
        int twos = Integer.numberOfTrailingZeros(n);
        if (twos < 2) {
            return 0; // n/K would not be an integer
        }
        int k = 4 * (n >>> twos);
        return BaseMatrices.get(k) != null ? k : 0;
    }

    static int padded(int n, int multiple) {
        if (n < 1) {
            throw new IllegalArgumentException("dimension n must be >= 1, got n=" + n);
        }
        if (multiple < 1) {
            throw new IllegalArgumentException("multiple must be >= 1, got multiple=" + multiple);
        }
        // Every supported size is K·2^j, so scanning each K's powers of two finds the minimum
        // without walking the integers one by one.
        long best = Long.MAX_VALUE;
        best = Math.min(best, smallestFor(1, n, multiple));
        for (int k : BaseMatrices.SIZES) {
            best = Math.min(best, smallestFor(k, n, multiple));
        }
        if (best > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("no supported Hadamard size >= n=" + n
                    + " is a multiple of multiple=" + multiple + " within int range");
        }
        return (int) best;
    }

    private static long smallestFor(int k, int n, int multiple) {
        for (long size = k; size <= Integer.MAX_VALUE; size <<= 1) {
            if (size >= n && size % multiple == 0) {
                return size;
            }
        }
        return Long.MAX_VALUE;
    }
}
