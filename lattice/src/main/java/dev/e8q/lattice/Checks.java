package dev.e8q.lattice;

/** Argument checks shared by the codebooks; messages name the offending values. */
final class Checks {
    private Checks() {
    }

    /** Checks that {@code a[off..off+8)} exists. */
    static void range8(float[] a, int off, String name) {
        if (a == null) {
            throw new IllegalArgumentException(name + " is null");
        }
        if (off < 0 || off > a.length - 8) {
            throw new IllegalArgumentException(name + "[" + off + ".." + (off + 8) + ") is outside an array of length "
                    + a.length);
        }
    }

    /** Checks that {@code x[off..off+8)} exists and holds finite values only: a nearest codeword of NaN or ±inf
     *  has no meaning, and silently returning some code would hide the upstream bug. */
    static void finite8(float[] x, int off) {
        range8(x, off, "x");
        for (int k = 0; k < 8; k++) {
            float v = x[off + k];
            if (!Float.isFinite(v)) {
                throw new IllegalArgumentException("x[" + (off + k) + "] = " + v + " is not finite");
            }
        }
    }

    static void code(int code, int codes, String book) {
        if (code < 0 || code >= codes) {
            throw new IllegalArgumentException(book + " code " + code + " is outside [0, " + codes + ")");
        }
    }
}
