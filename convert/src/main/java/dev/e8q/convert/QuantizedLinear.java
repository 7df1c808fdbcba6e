package dev.e8q.convert;

import dev.e8q.codec.E8Matrix;
import dev.e8q.llama.Linear;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A QuIP# quantized linear for inference: {@code y = scale ⊙ SV ⊙ M_m · Ŵr · M_nᵀ (SU ⊙ x)} computed from the
 * codes of an {@link E8Matrix}, never materializing Ŵ (SPEC §4.1).
 *
 * <p><b>Fused groups.</b> QuIP# stores q/k/v as one matrix [q; k; v] and up/gate as [up; gate], each piece with its
 * own {@code fuse_scales} factor, while the llama model runs one {@link Linear} per kind. The output Hadamard
 * transform mixes all rows, so a row slice cannot be computed alone. {@link #fused} therefore returns one view per
 * piece over a shared product: the first view asked for a given input computes the whole fused product once and
 * keeps it in a per-thread cache (one entry per thread, for all fused layers together); the other views of the same
 * matrix find it there when their input is equal, element for element, to the cached input (an O(n) comparison
 * against an O(m·n) product, and never stale: the key is the input's content, not the array's identity). So q, k
 * and v of one token cost one fused product, as in QuIP#.
 */
public final class QuantizedLinear implements Linear {
    private final Product product;
    private final int rowFrom, rowTo;

    private QuantizedLinear(Product product, int rowFrom, int rowTo) {
        this.product = product;
        this.rowFrom = rowFrom;
        this.rowTo = rowTo;
    }

    /** A plain (unfused) quantized linear: all of {@code m}'s rows, no extra scale. */
    public static QuantizedLinear of(E8Matrix m) {
        return new QuantizedLinear(new Product(m, null), 0, m.rows());
    }

    /**
     * Views of a fused matrix whose rows are the pieces stacked in order ({@code pieceRows[i]} rows each), piece i
     * multiplied by {@code fuseScales[i]}.
     */
    public static List<QuantizedLinear> fused(E8Matrix m, int[] pieceRows, float[] fuseScales) {
        if (pieceRows.length != fuseScales.length)
            throw new IllegalArgumentException(pieceRows.length + " pieces but " + fuseScales.length + " fuse scales");
        int total = 0;
        for (int r : pieceRows) total += r;
        if (total != m.rows())
            throw new IllegalArgumentException("pieces have " + total + " rows in all, the fused matrix " + m.rows());
        float[] rowScale = new float[total];
        int o = 0;
        for (int i = 0; i < pieceRows.length; i++) {
            Arrays.fill(rowScale, o, o + pieceRows[i], fuseScales[i]);
            o += pieceRows[i];
        }
        Product p = new Product(m, rowScale);
        List<QuantizedLinear> out = new ArrayList<>();
        o = 0;
        for (int r : pieceRows) {
            out.add(new QuantizedLinear(p, o, o + r));
            o += r;
        }
        return out;
    }

    /** The whole (for a fused view: the whole fused) quantized matrix. */
    public E8Matrix matrix() {
        return product.m;
    }

    /** First row of this view in the fused matrix (0 when unfused). */
    public int rowOffset() {
        return rowFrom;
    }

    /** The scale of this view's rows (its fuse_scales entry; 1 when unfused). */
    public float scale() {
        return product.rowScale == null ? 1f : product.rowScale[rowFrom];
    }

    public boolean isFusedView() {
        return product.rowScale != null;
    }

    /** Dense Ŵ of this view (rows × cols, fuse scale applied): for tests and the decoded-dense comparison. */
    public float[] decode() {
        E8Matrix m = product.m;
        float[] all = m.decodeRowMajor();
        int cols = m.cols();
        float[] out = Arrays.copyOfRange(all, rowFrom * cols, rowTo * cols);
        float s = scale();
        if (s != 1f) for (int i = 0; i < out.length; i++) out[i] *= s;
        return out;
    }

    /** Number of full fused products computed so far (all views of this matrix together); for tests. */
    long productsComputed() {
        return product.computed.get();
    }

    @Override
    public int inFeatures() {
        return product.m.cols();
    }

    @Override
    public int outFeatures() {
        return rowTo - rowFrom;
    }

    @Override
    public void forward(float[] x, int xOff, float[] y, int yOff) {
        float[] all = product.get(x, xOff, 1);
        System.arraycopy(all, rowFrom, y, yOff, rowTo - rowFrom);
    }

    @Override
    public void forwardBatch(float[] x, float[] y, int batch) {
        float[] all = product.get(x, 0, batch);
        int rows = product.m.rows(), out = rowTo - rowFrom;
        for (int b = 0; b < batch; b++) System.arraycopy(all, b * rows + rowFrom, y, b * out, out);
    }

    /** Code storage as QuIP# stores it (bits per padded weight), SU/SV as fp16, shared by the views of a fused matrix. */
    @Override
    public long weightBytes() {
        E8Matrix m = product.m;
        long whole = (long) m.paddedRows() * m.paddedCols() * m.bits() / 8 + 2L * (m.paddedRows() + m.paddedCols());
        return whole * (rowTo - rowFrom) / m.rows();
    }

    @Override
    public String toString() {
        return "QuantizedLinear[" + outFeatures() + "x" + inFeatures() + " of " + product.m + (isFusedView() ? ", rows " + rowFrom + ".." + rowTo : "") + "]";
    }

    /** The full product of one (possibly fused) matrix, with the per-thread cache described above. */
    static final class Product {
        private static final ThreadLocal<Cache> CACHE = ThreadLocal.withInitial(Cache::new);
        final E8Matrix m;
        final float[] rowScale;
        final AtomicLong computed = new AtomicLong();

        Product(E8Matrix m, float[] rowScale) {
            this.m = m;
            this.rowScale = rowScale;
        }

        /** batch × rows outputs for batch × cols inputs at x[xOff..]; the returned array is only valid until the next call. */
        float[] get(float[] x, int xOff, int batch) {
            int cols = m.cols(), rows = m.rows(), len = batch * cols;
            if (xOff < 0 || xOff + len > x.length)
                throw new IllegalArgumentException("input needs " + len + " values from " + xOff + ", has " + x.length);
            if (rowScale == null) return compute(x, xOff, batch, new float[batch * rows]);
            Cache c = CACHE.get();
            if (c.owner == this && c.len == len && Arrays.equals(c.x, 0, len, x, xOff, xOff + len)) return c.y;
            if (c.x.length < len) c.x = new float[len];
            if (c.y.length < batch * rows) c.y = new float[batch * rows];
            c.owner = null;
            compute(x, xOff, batch, c.y);
            System.arraycopy(x, xOff, c.x, 0, len);
            c.len = len;
            c.owner = this;
            return c.y;
        }

        private float[] compute(float[] x, int xOff, int batch, float[] y) {
            computed.incrementAndGet();
            m.multiplyBatch(x, xOff, y, 0, batch);
            if (rowScale != null) {
                int rows = m.rows();
                for (int b = 0; b < batch; b++)
                    for (int i = 0, o = b * rows; i < rows; i++) y[o + i] *= rowScale[i];
            }
            return y;
        }
    }

    private static final class Cache {
        Product owner;
        int len;
        float[] x = new float[0], y = new float[0];
    }
}
