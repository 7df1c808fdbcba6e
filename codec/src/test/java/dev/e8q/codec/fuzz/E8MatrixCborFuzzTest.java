package dev.e8q.codec.fuzz;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.e8q.codec.E8FormatException;
import dev.e8q.codec.E8Matrix;
import java.lang.management.ManagementFactory;
import java.util.Arrays;

/**
 * {@link E8Matrix#fromCbor}: the CBOR matrix (schema, codebook, shape, padding, residual scale, SU/SV,
 * Qidxs or scalar codes). The invariant (docs/robustness.md): the bytes either give a matrix or an
 * {@link E8FormatException} with a message, never another exception; a matrix that loads decodes to finite
 * values, multiplies, and survives a CBOR round trip unchanged; each input stays within 1 s of CPU and a heap
 * allowance proportional to its size.
 */
class E8MatrixCborFuzzTest {
    private static final long CPU_LIMIT_NS = Long.getLong("e8q.fuzz.cpuMs", 1000) * 1_000_000L;
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    @FuzzTest(maxDuration = "10m")
    @DictionaryEntries({"schema", "codebook", "rows", "cols", "bits", "paddedRows", "paddedCols", "residScale", "su", "sv",
            "qidxs", "codes", "E8P12", "E8P12RVQ3B", "E8P12RVQ4B", "HalfInt2", "HalfInt4"})
    void fuzz(byte[] data) {
        String overBudget = attempt(data);
        // One-time costs (class initialization, JIT, kernel tables) can push a first run over budget: an input
        // fails only when a second, warm run is over budget too.
        if (overBudget != null && attempt(data) != null) throw new AssertionError(overBudget);
    }

    /** One run: fails on undocumented exceptions and inconsistent matrices; returns a message when over budget. */
    private static String attempt(byte[] data) {
        long cpu0 = THREADS.getCurrentThreadCpuTime(), alloc0 = THREADS.getCurrentThreadAllocatedBytes();
        try {
            E8Matrix q = E8Matrix.fromCbor(data);
            checkConsistent(q);
        } catch (E8FormatException rejected) {
            if (rejected.getMessage() == null || rejected.getMessage().isEmpty()) throw new AssertionError("rejection without a message", rejected);
        } catch (Throwable t) {
            throw new AssertionError("undocumented failure " + t.getClass().getName() + " on a " + data.length + "-byte input: "
                    + t.getMessage(), t);
        }
        long cpu = THREADS.getCurrentThreadCpuTime() - cpu0, alloc = THREADS.getCurrentThreadAllocatedBytes() - alloc0;
        if (cpu > CPU_LIMIT_NS) return data.length + "-byte input took " + cpu / 1_000_000 + " ms of CPU";
        long allowance = (64L << 20) + 256L * data.length;
        if (alloc > allowance) return data.length + "-byte input allocated " + alloc + " bytes (allowance " + allowance + ")";
        return null;
    }

    static void checkConsistent(E8Matrix q) {
        int m = q.paddedRows(), n = q.paddedCols();
        if (q.rows() <= 0 || q.cols() <= 0 || m < q.rows() || n < q.cols()) throw new AssertionError("bad shape " + q);
        for (float v : q.decodeRotated()) if (!Float.isFinite(v)) throw new AssertionError("non-finite decoded weight in " + q);
        float[] x = new float[q.cols()], y = new float[q.rows()];
        Arrays.fill(x, 1f);
        q.multiply(x, y);
        E8Matrix back = E8Matrix.fromCbor(q.toCbor());
        if (back.rows() != q.rows() || back.cols() != q.cols() || back.bits() != q.bits() || !back.codebook().equals(q.codebook())
                || !Arrays.equals(back.su(), q.su()) || !Arrays.equals(back.sv(), q.sv())
                || Double.compare(back.residualScale(), q.residualScale()) != 0) {
            throw new AssertionError("CBOR round trip changed " + q + " into " + back);
        }
        for (int s = 0; s < q.stages(); s++)
            for (int r = 0; r < m; r++)
                for (int b = 0; b < n / 8; b++)
                    if (back.code(s, r, b) != q.code(s, r, b)) throw new AssertionError("round trip changed code " + s + "," + r + "," + b);
    }
}
