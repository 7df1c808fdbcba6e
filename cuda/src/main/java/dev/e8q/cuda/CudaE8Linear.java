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
 *
 * <p>The decode-multiply runs on the tensor cores by default ({@code e8q_mma*}: activations rounded to fp16, fp32
 * sums; about 3e-4 of max |y| from the exact product). {@code -De8q.cuda.kernel=fp32} selects the fp32 kernel
 * everywhere. fp16 overflows past 65504: when a tensor-core call returns a non-finite value, the call is run
 * again on the fp32 kernel, so an activation too large for fp16 costs time, never a wrong result.
 */
public final class CudaE8Linear implements Linear, AutoCloseable {
    /** Vectors per batched launch chunk; bounds the activation buffers. */
    static final int MAX_BATCH = 256;

    private final Device dev;
    private final QuantizedWeights w;
    private final QidxsLayout lay;
    private final Object dq, dsu, dsv;
    private final LayerLaunches launches;
    private final boolean tensorCores;
    private float[] hostIn = new float[0], hostOut = new float[0]; // padding staging, only for padded shapes
    private boolean closed;
    private long fp32Reruns;

    /** Whether new layers use the tensor-core kernel: true unless {@code -De8q.cuda.kernel=fp32}. */
    static boolean defaultTensorCores() {
        String k = System.getProperty("e8q.cuda.kernel", "mma");
        return switch (k) {
            case "mma" -> true;
            case "fp32" -> false;
            default -> throw new IllegalArgumentException("e8q.cuda.kernel must be mma or fp32, got '" + k + "'");
        };
    }

    public CudaE8Linear(CudaContext ctx, QuantizedWeights w) {
        this((Device) ctx, w);
    }

    /** On any {@link Device}; the tests pass array-backed ones. */
    CudaE8Linear(Device ctx, QuantizedWeights w) {
        this(ctx, w, defaultTensorCores());
    }

    /** With the tensor-core kernel or the fp32 one. */
    CudaE8Linear(Device ctx, QuantizedWeights w, boolean tensorCores) {
        this.tensorCores = tensorCores;
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

    /** Whether this layer multiplies on the tensor cores (fp16 activations). */
    public boolean tensorCores() {
        return tensorCores;
    }

    /** Calls whose tensor-core result was not finite and that were run again on the fp32 kernel. */
    public long fp32Reruns() {
        synchronized (dev) {
            return fp32Reruns;
        }
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
        int in = w.inFeatures(), out = w.outFeatures();
        if (xOff < 0 || xOff + (long) batch * in > x.length || yOff < 0 || yOff + (long) batch * out > y.length)
            throw new IllegalArgumentException("x needs " + batch * in + " values from " + xOff + " (has " + x.length
                    + "), y " + batch * out + " from " + yOff + " (has " + y.length + ")");
        synchronized (dev) {
            if (closed) throw new IllegalStateException("CudaE8Linear is closed");
            runOnce(x, xOff, y, yOff, batch, tensorCores);
            if (tensorCores && !finite(y, yOff, batch * out)) {
                fp32Reruns++;
                runOnce(x, xOff, y, yOff, batch, false);
            }
        }
    }

    private static boolean finite(float[] y, int off, int count) {
        for (int i = off; i < off + count; i++)
            if (!Float.isFinite(y[i])) return false;
        return true;
    }

    /** One pass: x to the device, the layer's launches, y back; the caller holds the device's monitor. */
    private void runOnce(float[] x, int xOff, float[] y, int yOff, int batch, boolean tc) {
        int in = w.inFeatures(), out = w.outFeatures(), m = lay.rows(), n = lay.cols();
        dev.bind();
        Object[] buf = dev.scratch(scratchFloats(batch));
        if (in == n) {
            dev.copyToDevice(buf[0], x, xOff, batch * n);
        } else { // zero-pad each vector to n (the padding of hostIn stays zero)
            if (hostIn.length < batch * n) hostIn = new float[batch * n];
            for (int v = 0; v < batch; v++) System.arraycopy(x, xOff + v * in, hostIn, v * n, in);
            dev.copyToDevice(buf[0], hostIn, 0, batch * n);
        }
        Object yDev = launches.run(dev, buf[0], buf[1], batch, tc);
        if (out == m) {
            dev.copyToHost(y, yOff, yDev, batch * m);
        } else {
            if (hostOut.length < batch * m) hostOut = new float[batch * m];
            dev.copyToHost(hostOut, 0, yDev, batch * m);
            for (int v = 0; v < batch; v++) System.arraycopy(hostOut, v * m, y, yOff + v * out, out);
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
        return launches.run(dev, buf[0], buf[1], batch, tensorCores);
    }

    /** Only the fused decode-multiply kernel: z = Ŵr u, both already on the device. */
    void matvec(Object u, Object z, int batch) {
        launches.matvec(dev, u, z, batch, tensorCores);
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
