package dev.e8q.cuda;

import static jcuda.driver.JCudaDriver.cuMemcpyHtoD;
import static jcuda.driver.JCudaDriver.cuMemsetD16;

import dev.e8q.llama.Linear;
import jcuda.Pointer;
import jcuda.cudaDataType;
import jcuda.driver.CUdeviceptr;
import jcuda.jcublas.JCublas2;
import jcuda.jcublas.cublasComputeType;
import jcuda.jcublas.cublasGemmAlgo;
import jcuda.jcublas.cublasHandle;
import jcuda.jcublas.cublasOperation;
import jcuda.jcublas.cublasStatus;

/**
 * The FP16 baseline: W stored as fp16 on the device, y = W x through cuBLAS {@code cublasGemmEx} (fp16 inputs,
 * fp32 accumulate and output). x is converted to fp16 on the device by {@code e8q_f32_to_f16}; activations use
 * the context's shared scratch buffers, so calls on one device are serialized. Used by
 * {@link CudaBench} to put the quantized kernels beside what a dense fp16 model costs, and usable as a
 * {@link Linear} for unquantized layers (e.g. lm_head). Needs cuBLAS 12 ({@code libcublas.so.12}) besides the
 * driver.
 */
public final class CudaFp16Linear implements Linear, AutoCloseable {
    static final String TO_HALF_KERNEL = "e8q_f32_to_f16";

    private final CudaContext ctx;
    private final int rows, cols;
    private final cublasHandle handle;
    private final CUdeviceptr dw;
    private boolean closed;

    private CudaFp16Linear(CudaContext ctx, int rows, int cols) {
        this.ctx = ctx;
        this.rows = rows;
        this.cols = cols;
        this.handle = ctx.cublas();
        long bytes = 2L * rows * cols;
        ctx.requireMemory(bytes, "a " + rows + "x" + cols + " fp16 matrix");
        dw = ctx.alloc(bytes);
    }

    /** Uploads W (rows × cols, row-major float) as fp16. */
    public static CudaFp16Linear of(CudaContext ctx, float[] w, int rows, int cols) {
        if ((long) rows * cols != w.length)
            throw new IllegalArgumentException("W has " + w.length + " values, not " + rows + "x" + cols);
        CudaFp16Linear l = new CudaFp16Linear(ctx, rows, cols);
        short[] h = new short[w.length];
        for (int i = 0; i < h.length; i++) h[i] = Float.floatToFloat16(w[i]);
        cuMemcpyHtoD(l.dw, Pointer.to(h), 2L * h.length);
        return l;
    }

    /** A matrix whose every weight is the fp16 value {@code halfBits}: for timing, without a host copy of W. */
    public static CudaFp16Linear constant(CudaContext ctx, int rows, int cols, short halfBits) {
        CudaFp16Linear l = new CudaFp16Linear(ctx, rows, cols);
        cuMemsetD16(l.dw, halfBits, (long) rows * cols);
        return l;
    }

    @Override
    public int inFeatures() {
        return cols;
    }

    @Override
    public int outFeatures() {
        return rows;
    }

    @Override
    public long weightBytes() {
        return 2L * rows * cols;
    }

    @Override
    public void forward(float[] x, int xOff, float[] y, int yOff) {
        run(x, xOff, y, yOff, 1);
    }

    @Override
    public void forwardBatch(float[] x, float[] y, int batch) {
        for (int b0 = 0; b0 < batch; b0 += CudaE8Linear.MAX_BATCH)
            run(x, b0 * cols, y, b0 * rows, Math.min(CudaE8Linear.MAX_BATCH, batch - b0));
    }

    private void run(float[] x, int xOff, float[] y, int yOff, int batch) {
        if (xOff < 0 || xOff + (long) batch * cols > x.length || yOff < 0 || yOff + (long) batch * rows > y.length)
            throw new IllegalArgumentException("x needs " + batch * cols + " values from " + xOff + " (has " + x.length
                    + "), y " + batch * rows + " from " + yOff + " (has " + y.length + ")");
        synchronized (ctx) {
            if (closed) throw new IllegalStateException("CudaFp16Linear is closed");
            ctx.bind();
            Object[] buf = ctx.scratch(scratchFloats(batch));
            ctx.copyToDevice(buf[0], x, xOff, batch * cols);
            runOnDevice(buf, batch);
            ctx.copyToHost(y, yOff, buf[0], batch * rows);
        }
    }

    /** Floats per scratch buffer for {@code batch} vectors. */
    long scratchFloats(int batch) {
        return (long) batch * Math.max(rows, cols);
    }

    /**
     * x (fp32, buf[0]) → fp16 in buf[1] → y = W x (fp32) into buf[0]; asynchronous; the caller holds the
     * context's monitor.
     */
    void runOnDevice(Object[] buf, int batch) {
        int count = batch * cols;
        ctx.launch(TO_HALF_KERNEL, (count + 255) / 256, 1, 256, buf[0], buf[1], count);
        gemm(buf, batch);
    }

    /** Only the cuBLAS call: fp16 x in buf[1], fp32 y into buf[0]. */
    void gemm(Object[] buf, int batch) {
        gemm(handle, rows, cols, dw, (CUdeviceptr) buf[1], (CUdeviceptr) buf[0], batch);
    }

    /**
     * y (fp32, rows × batch) = W x for row-major fp16 W (rows × cols) and fp16 x (cols × batch). Calls
     * {@code cublasGemmEx_new}: JCublas's {@code cublasGemmEx} still takes the pre-CUDA-11 compute type (a
     * {@code cudaDataType}) and, given a {@code cublasComputeType}, returns NOT_SUPPORTED without raising its
     * exception and without writing y. The status is checked here for the same reason.
     */
    static void gemm(cublasHandle handle, int rows, int cols, CUdeviceptr w, CUdeviceptr x, CUdeviceptr y, int batch) {
        // Row-major W (rows x cols) is column-major Wᵀ with ld = cols: Y(rows x batch, col-major) = op_T(Wᵀ)·X.
        int status = JCublas2.cublasGemmEx_new(handle, cublasOperation.CUBLAS_OP_T, cublasOperation.CUBLAS_OP_N, rows,
                batch, cols, Pointer.to(new float[] {1f}), w, cudaDataType.CUDA_R_16F, cols, x, cudaDataType.CUDA_R_16F,
                cols, Pointer.to(new float[] {0f}), y, cudaDataType.CUDA_R_32F, rows,
                cublasComputeType.CUBLAS_COMPUTE_32F, cublasGemmAlgo.CUBLAS_GEMM_DEFAULT);
        if (status != cublasStatus.CUBLAS_STATUS_SUCCESS)
            throw new IllegalStateException("cublasGemmEx (" + rows + "x" + cols + ", batch " + batch + ") failed: "
                    + cublasStatus.stringFor(status));
    }

    @Override
    public void close() {
        synchronized (ctx) {
            if (closed) return;
            closed = true;
            ctx.bind();
            CudaContext.free(dw);
        }
    }
}
