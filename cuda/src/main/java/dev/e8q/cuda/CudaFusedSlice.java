package dev.e8q.cuda;

import dev.e8q.llama.Linear;
import java.util.Arrays;

/**
 * One piece of a fused QuIP# matrix ([q; k; v] or [up; gate]) on the GPU: rows [from, from + rows) of the fused
 * product, times the piece's fuse scale. The output Hadamard transform mixes all rows, so the pieces share one
 * {@link Product}: the first piece asked for an input runs the whole fused layer once, the others find the result
 * when their input is equal element for element (O(n) against an O(m·n) product; never stale, the key is the
 * input's content). So q, k and v of one token cost one GPU product, as in QuIP#.
 */
final class CudaFusedSlice implements Linear {
    /** The shared fused product and its one-entry cache (guarded by this). */
    static final class Product {
        final CudaE8Linear full;
        private float[] lastX = new float[0], lastY = new float[0];
        private int lastLen = -1;
        long computed; // for tests

        Product(CudaE8Linear full) {
            this.full = full;
        }

        /** The whole fused output (batch × full.outFeatures()); valid until the next call, read under the lock. */
        synchronized void get(float[] x, int xOff, int batch, Slicer slicer) {
            int len = batch * full.inFeatures();
            if (len != lastLen || !Arrays.equals(lastX, 0, len, x, xOff, xOff + len)) {
                if (lastX.length < len) lastX = new float[len];
                if (lastY.length < batch * full.outFeatures()) lastY = new float[batch * full.outFeatures()];
                lastLen = -1;
                if (batch == 1) full.forward(x, xOff, lastY, 0);
                else full.forwardBatch(x, lastY, batch); // Linear.forwardBatch has no offset: xOff is 0 here
                System.arraycopy(x, xOff, lastX, 0, len);
                lastLen = len;
                computed++;
            }
            slicer.take(lastY);
        }
    }

    @FunctionalInterface
    interface Slicer {
        void take(float[] all);
    }

    private final Product product;
    private final int from, rows;
    private final float scale;

    CudaFusedSlice(Product product, int from, int rows, float scale) {
        if (from < 0 || rows <= 0 || from + rows > product.full.outFeatures())
            throw new IllegalArgumentException("rows [" + from + ", " + (from + rows) + ") outside the fused matrix's "
                    + product.full.outFeatures());
        this.product = product;
        this.from = from;
        this.rows = rows;
        this.scale = scale;
    }

    @Override
    public int inFeatures() {
        return product.full.inFeatures();
    }

    @Override
    public int outFeatures() {
        return rows;
    }

    @Override
    public void forward(float[] x, int xOff, float[] y, int yOff) {
        product.get(x, xOff, 1, all -> {
            for (int i = 0; i < rows; i++) y[yOff + i] = scale * all[from + i];
        });
    }

    @Override
    public void forwardBatch(float[] x, float[] y, int batch) {
        int total = product.full.outFeatures();
        product.get(x, 0, batch, all -> {
            for (int b = 0; b < batch; b++)
                for (int i = 0; i < rows; i++) y[b * rows + i] = scale * all[b * total + from + i];
        });
    }

    /** This piece's share of the fused matrix's device bytes. */
    @Override
    public long weightBytes() {
        return product.full.weightBytes() * rows / product.full.outFeatures();
    }
}
