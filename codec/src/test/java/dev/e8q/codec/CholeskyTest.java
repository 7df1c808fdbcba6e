package dev.e8q.codec;

import static org.junit.jupiter.api.Assertions.*;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.*;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.junit.jupiter.api.Test;

class CholeskyTest {
    @Test
    void equalsEjmlOnRandomSpdMatrices() {
        // Sizes around the 64 block and the 4-wide kernel edges.
        qt().withExamples(12).forAll(integers().between(1, 200), longs().all()).checkAssert((n, seed) -> {
            double[] h = BlockLdlTest.randomSpd(n, seed);
            double[] mine = h.clone();
            assertTrue(Cholesky.factor(mine, n));
            var chol = DecompositionFactory_DDRM.chol(n, true);
            assertTrue(chol.decompose(DMatrixRMaj.wrap(n, n, h.clone())));
            double[] ref = chol.getT(null).data;
            for (int i = 0; i < n * n; i++) assertEquals(ref[i], mine[i], 1e-9 * (1 + Math.abs(ref[i])), "n=" + n + " entry " + i);
        });
    }

    @Test
    void rejectsIndefiniteAndNaN() {
        int n = 130;
        double[] h = BlockLdlTest.randomSpd(n, 3);
        h[100 * n + 100] = -5;
        assertFalse(Cholesky.factor(h.clone(), n));
        double[] g = BlockLdlTest.randomSpd(n, 4);
        g[70 * n + 3] = Double.NaN;
        g[3 * n + 70] = Double.NaN;
        assertFalse(Cholesky.factor(g, n));
    }
}
