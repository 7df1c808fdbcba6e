package dev.e8q.cuda;

import dev.e8q.codec.E8Matrix;
import dev.e8q.llama.Linear;

/**
 * A quantized linear on the GPU: y = (SV ⊙ M_m Ŵr M_nᵀ (SU ⊙ x₀))[0, out) (SPEC §4.1), with Ŵr decoded inside
 * the matvec kernel from QuIP#'s Qidxs words, never materialized. The codes, SU and SV are uploaded once; a
 * call copies x to the device, runs the input Hadamard passes, the fused decode-multiply kernel and the output
 * passes, and copies y back. forwardBatch runs the batched kernel (8 vectors per decode). Activations live in
 * the device's shared scratch buffers, so calls on one device are serialized (they share one stream anyway);
 * thread-safe. close() frees the layer's device memory.
 */
public final class CudaE8Linear implements Linear, AutoCloseable {
    /** Vectors per batched launch chunk; bounds the activation buffers. */
    static final int MAX_BATCH = 256;

    private final Device dev;
    private final QuantizedWeights w;
    private final QidxsLayout lay;
    private final Object dq, dsu, dsv;
    private final LayerLaunches launches;
    private float[] hostIn = new float[0], hostOut = new float[0]; // padding staging, only for padded shapes
    private boolean closed;

    public CudaE8Linear(CudaContext ctx, QuantizedWeights w) {
        this((Device) ctx, w);
    }

    /** On any {@link Device}; the tests pass array-backed ones. */
    CudaE8Linear(Device ctx, QuantizedWeights w) {
        this.dev = ctx;
        this.w = w;
        this.lay = w.layout();
        HadamardPlan inPlan = HadamardPlan.input(lay.cols()), outPlan = HadamardPlan.output(lay.rows());
        ctx.bind();
        ctx.requireMemory(w.deviceBytes(),
                "a " + w.outFeatures() + "x" + w.inFeatures() + " " + lay.bits() + "-bit linear");
        dq = ctx.upload(w.qidxs());
        dsu = ctx.upload(w.su());
        dsv = ctx.upload(w.sv());
        launches = new LayerLaunches(lay, inPlan, outPlan, w.residScale(), dq, ctx.packedAbsTable(), ctx.e81bTable(),
                dsu, dsv, ctx.baseMatrix(inPlan.baseK()), ctx.baseMatrix(outPlan.baseK()));
    }

    /** Uploads a codec matrix. */
    public static CudaE8Linear of(CudaContext ctx, E8Matrix m) {
        return new CudaE8Linear(ctx, QuantizedWeights.of(m));
    }

    @Override
    public int inFeatures() {
        return w.inFeatures();
    }

    @Override
    public int outFeatures() {
        return w.outFeatures();
    }

    @Override
    public long weightBytes() {
        return w.deviceBytes();
    }

    public QuantizedWeights weights() {
        return w;
    }

    @Override
    public void forward(float[] x, int xOff, float[] y, int yOff) {
        run(x, xOff, y, yOff, 1);
    }

    @Override
    public void forwardBatch(float[] x, float[] y, int batch) {
        int in = w.inFeatures(), out = w.outFeatures();
        for (int b0 = 0; b0 < batch; b0 += MAX_BATCH) run(x, b0 * in, y, b0 * out, Math.min(MAX_BATCH, batch - b0));
    }

    private void run(float[] x, int xOff, float[] y, int yOff, int batch) {
        int in = w.inFeatures(), out = w.outFeatures(), m = lay.rows(), n = lay.cols();
        if (xOff < 0 || xOff + (long) batch * in > x.length || yOff < 0 || yOff + (long) batch * out > y.length)
            throw new IllegalArgumentException("x needs " + batch * in + " values from " + xOff + " (has " + x.length
                    + "), y " + batch * out + " from " + yOff + " (has " + y.length + ")");
        synchronized (dev) {
            if (closed) throw new IllegalStateException("CudaE8Linear is closed");
            dev.bind();
            Object[] buf = dev.scratch(scratchFloats(batch));
            if (in == n) {
                dev.copyToDevice(buf[0], x, xOff, batch * n);
            } else { // zero-pad each vector to n (the padding of hostIn stays zero)
                if (hostIn.length < batch * n) hostIn = new float[batch * n];
                for (int v = 0; v < batch; v++) System.arraycopy(x, xOff + v * in, hostIn, v * n, in);
                dev.copyToDevice(buf[0], hostIn, 0, batch * n);
            }
            Object yDev = runOnDevice(buf, batch);
            if (out == m) {
                dev.copyToHost(y, yOff, yDev, batch * m);
            } else {
                if (hostOut.length < batch * m) hostOut = new float[batch * m];
                dev.copyToHost(hostOut, 0, yDev, batch * m);
                for (int v = 0; v < batch; v++) System.arraycopy(hostOut, v * m, y, yOff + v * out, out);
            }
        }
    }

    /** Floats per scratch buffer for {@code batch} vectors. */
    long scratchFloats(int batch) {
        return (long) batch * Math.max(lay.rows(), lay.cols());
    }

    /**
     * The device part of a call: input in buf[0] (batch × paddedCols), result buffer returned (batch × paddedRows,
     * buf[0] or buf[1]). Asynchronous with respect to the host; the caller holds the device's monitor.
     */
    Object runOnDevice(Object[] buf, int batch) {
        return launches.run(dev, buf[0], buf[1], batch);
    }

    /** Only the fused decode-multiply kernel: z = Ŵr u, both already on the device. */
    void matvec(Object u, Object z, int batch) {
        launches.matvec(dev, u, z, batch);
    }

    @Override
    public void close() {
        synchronized (dev) {
            if (closed) return;
            closed = true;
            dev.bind();
            dev.release(dq);
            dev.release(dsu);
            dev.release(dsv);
        }
    }
}
