package dev.e8q.cuda;

import static jcuda.driver.JCudaDriver.cuMemcpyDtoH;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoD;

import dev.e8q.codec.E8Matrix;
import dev.e8q.llama.Linear;
import jcuda.Pointer;
import jcuda.Sizeof;
import jcuda.driver.CUdeviceptr;

/**
 * A quantized linear on the GPU: y = (SV ⊙ M_m Ŵr M_nᵀ (SU ⊙ x₀))[0, out) (SPEC §4.1), with Ŵr decoded inside
 * the matvec kernel from QuIP#'s Qidxs words, never materialized. The codes, SU and SV are uploaded once; a
 * call copies x to the device, runs the input Hadamard passes, the fused decode-multiply kernel and the output
 * passes, and copies y back. forwardBatch runs the batched kernel (8 vectors per decode). Thread-safe
 * (calls are serialized per layer); close() frees the device memory.
 */
public final class CudaE8Linear implements Linear, AutoCloseable {
    /** Vectors per batched launch chunk; bounds the activation buffers. */
    static final int MAX_BATCH = 256;

    private final CudaContext ctx;
    private final QuantizedWeights w;
    private final QidxsLayout lay;
    private final CUdeviceptr dq, dsu, dsv;
    private final LayerLaunches launches;
    private CUdeviceptr bufA, bufB;
    private int bufBatch;
    private float[] hostIn, hostOut;
    private boolean closed;

    public CudaE8Linear(CudaContext ctx, QuantizedWeights w) {
        this.ctx = ctx;
        this.w = w;
        this.lay = w.layout();
        HadamardPlan inPlan = HadamardPlan.input(lay.cols()), outPlan = HadamardPlan.output(lay.rows());
        ctx.bind();
        ctx.requireMemory(w.deviceBytes() + 2L * Sizeof.FLOAT * Math.max(lay.rows(), lay.cols()),
                "a " + w.outFeatures() + "x" + w.inFeatures() + " " + lay.bits() + "-bit linear");
        dq = ctx.upload(w.qidxs());
        dsu = ctx.upload(w.su());
        dsv = ctx.upload(w.sv());
        launches = new LayerLaunches(lay, inPlan, outPlan, w.residScale(), dq, ctx.packedAbsTable(), ctx.e81bTable(),
                dsu, dsv, ctx.baseMatrix(inPlan.baseK()), ctx.baseMatrix(outPlan.baseK()));
        ensureBuffers(1);
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

    private synchronized void run(float[] x, int xOff, float[] y, int yOff, int batch) {
        if (closed) throw new IllegalStateException("CudaE8Linear is closed");
        int in = w.inFeatures(), out = w.outFeatures(), m = lay.rows(), n = lay.cols();
        if (xOff < 0 || xOff + (long) batch * in > x.length || yOff < 0 || yOff + (long) batch * out > y.length)
            throw new IllegalArgumentException("x needs " + batch * in + " values from " + xOff + " (has " + x.length
                    + "), y " + batch * out + " from " + yOff + " (has " + y.length + ")");
        ctx.bind();
        ensureBuffers(batch);
        // x → bufA, zero-padded to n per vector
        if (in == n) {
            cuMemcpyHtoD(bufA, Pointer.to(x).withByteOffset((long) xOff * Sizeof.FLOAT), (long) batch * n * Sizeof.FLOAT);
        } else {
            for (int v = 0; v < batch; v++) System.arraycopy(x, xOff + v * in, hostIn, v * n, in);
            cuMemcpyHtoD(bufA, Pointer.to(hostIn), (long) batch * n * Sizeof.FLOAT);
        }
        CUdeviceptr yDev = runOnDevice(batch);
        if (out == m) {
            cuMemcpyDtoH(Pointer.to(y).withByteOffset((long) yOff * Sizeof.FLOAT), yDev, (long) batch * m * Sizeof.FLOAT);
        } else {
            cuMemcpyDtoH(Pointer.to(hostOut), yDev, (long) batch * m * Sizeof.FLOAT);
            for (int v = 0; v < batch; v++) System.arraycopy(hostOut, v * m, y, yOff + v * out, out);
        }
    }

    /**
     * The device part of a call: input in bufA (batch × paddedCols), result pointer returned (batch × paddedRows).
     * Asynchronous with respect to the host.
     */
    CUdeviceptr runOnDevice(int batch) {
        return (CUdeviceptr) launches.run(ctx, bufA, bufB, batch);
    }

    /** Only the fused decode-multiply kernel: z = Ŵr u, both already on the device. */
    void matvec(CUdeviceptr u, CUdeviceptr z, int batch) {
        launches.matvec(ctx, u, z, batch);
    }

    /** Device buffers for {@code batch} vectors; the batched input buffer, for the benchmark. */
    CUdeviceptr inputBuffer(int batch) {
        ensureBuffers(batch);
        return bufA;
    }

    private void ensureBuffers(int batch) {
        if (batch <= bufBatch) return;
        int width = Math.max(lay.rows(), lay.cols());
        long bytes = 2L * batch * width * Sizeof.FLOAT;
        if (bufA != null) {
            CudaContext.free(bufA);
            CudaContext.free(bufB);
            bufA = bufB = null;
        }
        ctx.requireMemory(bytes, "activation buffers of " + batch + " vectors");
        bufA = ctx.alloc(bytes / 2);
        bufB = ctx.alloc(bytes / 2);
        bufBatch = batch;
        hostIn = new float[batch * lay.cols()];
        hostOut = new float[batch * lay.rows()];
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        ctx.bind();
        CudaContext.free(dq);
        CudaContext.free(dsu);
        CudaContext.free(dsv);
        CudaContext.free(bufA);
        CudaContext.free(bufB);
    }
}
