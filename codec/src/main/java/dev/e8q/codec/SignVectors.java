package dev.e8q.codec;

import java.util.SplittableRandom;

/**
 * Random ±1 sign vectors of the RHT. QuIP#'s come from PyTorch's CUDA RNG and cannot be reproduced (SPEC
 * §4.4), so e8q uses its own seeded generator: SU (length n) first, then SV (length m), as QuIP# does.
 */
final class SignVectors {
    private SignVectors() {}

    /** {su, sv}. */
    static float[][] draw(long seed, int n, int m) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] su = new float[n], sv = new float[m];
        for (int i = 0; i < n; i++) su[i] = rnd.nextBoolean() ? 1f : -1f;
        for (int i = 0; i < m; i++) sv[i] = rnd.nextBoolean() ? 1f : -1f;
        return new float[][] {su, sv};
    }
}
