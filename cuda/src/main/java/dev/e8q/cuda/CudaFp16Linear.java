package dev.e8q.cuda;

import static jcuda.driver.JCudaDriver.cuMemcpyDtoH;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoD;
import static jcuda.driver.JCudaDriver.cuMemsetD16;

import dev.e8q.llama.Linear;
import jcuda.CudaException;
import jcuda.Pointer;
import jcuda.Sizeof;
import jcuda.cudaDataType;
import jcuda.driver.CUdeviceptr;
import jcuda.jcublas.JCublas2;
import jcuda.jcublas.cublasComputeType;
import jcuda.jcublas.cublasGemmAlgo;
import jcuda.jcublas.cublasHandle;
import jcuda.jcublas.cublasOperation;

/**
 * The FP16 baseline: W stored as fp16 on the device, y = W x through cuBLAS {@code cublasGemmEx} (fp16 inputs,
 * fp32 accumulate and output). x is converted to fp16 on the device by {@code e8q_f32_to_f16}. Used by
 * {@link CudaBench} to put the quantized kernels beside what a dense fp16 model costs, and usable as a
 * {@link Linear} for unquantized layers (e.g. lm_head). Needs cuBLAS 12 ({@code libcublas.so.12}) besides the
 * driver.
 */
public final class CudaFp16Linear implements Linear, AutoCloseable {
    static final String TO_HALF_KERNEL = "e8q_f32_to_f16";

    private final CudaContext ctx;
    private final int rows, cols;
    private final cublasHandle handle = new cublasHandle();
    private final CUdeviceptr dw;
    private CUdeviceptr dx32, dx16, dy;
    private int bufBatch;
    private boolean closed;

    private CudaFp16Linear(CudaContext ctx, int rows, int cols) {
        this.ctx = ctx;
        this.rows = rows;
        this.cols = cols;
        ctx.bind();
        try {
            JCublas2.setExceptionsEnabled(true);
            JCublas2.cublasCreate(handle);
        } catch (LinkageError e) {
            throw new CudaUnavailableException("cuBLAS could not be loaded (" + e.getMessage() + "); the FP16 baseline"
                    + " needs libcublas.so.12 and libcublasLt.so.12 on LD_LIBRARY_PATH (CUDA 12 toolkit, or"
                    + " pip install nvidia-cublas-cu12)", e);
        } catch (CudaException e) {
            throw new CudaUnavailableException("cublasCreate failed: " + e.getMessage(), e);
        }
        long bytes = 2L * rows * cols;
        ctx.requireMemory(bytes, "a " + rows + "x" + cols + " fp16 matrix");
        dw = ctx.alloc(bytes);
        ensureBuffers(1);
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
        run(x, 0, y, 0, batch);
    }

    private synchronized void run(float[] x, int xOff, float[] y, int yOff, int batch) {
        if (closed) throw new IllegalStateException("CudaFp16Linear is closed");
        ctx.bind();
        ensureBuffers(batch);
        cuMemcpyHtoD(dx32, Pointer.to(x).withByteOffset((long) xOff * Sizeof.FLOAT), (long) batch * cols * Sizeof.FLOAT);
        runOnDevice(batch);
        cuMemcpyDtoH(Pointer.to(y).withByteOffset((long) yOff * Sizeof.FLOAT), dy, (long) batch * rows * Sizeof.FLOAT);
    }

    /** Converts the fp32 input buffer to fp16 and runs the GEMM; asynchronous. */
    void runOnDevice(int batch) {
        int count = batch * cols;
        ctx.launch(TO_HALF_KERNEL, (count + 255) / 256, 1, 256, dx32, dx16, count);
        gemm(batch);
    }

    /** Only the cuBLAS call (x already fp16 on the device). */
    void gemm(int batch) {
        // Row-major W (rows x cols) is column-major Wᵀ with ld = cols: Y(rows x batch, col-major) = op_T(Wᵀ)·X.
        JCublas2.cublasGemmEx(handle, cublasOperation.CUBLAS_OP_T, cublasOperation.CUBLAS_OP_N, rows, batch, cols,
                Pointer.to(new float[] {1f}), dw, cudaDataType.CUDA_R_16F, cols, dx16, cudaDataType.CUDA_R_16F, cols,
                Pointer.to(new float[] {0f}), dy, cudaDataType.CUDA_R_32F, rows, cublasComputeType.CUBLAS_COMPUTE_32F,
                cublasGemmAlgo.CUBLAS_GEMM_DEFAULT);
    }

    private void ensureBuffers(int batch) {
        if (batch <= bufBatch) return;
        CudaContext.free(dx32);
        CudaContext.free(dx16);
        CudaContext.free(dy);
        dx32 = ctx.alloc((long) batch * cols * Sizeof.FLOAT);
        dx16 = ctx.alloc((long) batch * cols * 2);
        dy = ctx.alloc((long) batch * rows * Sizeof.FLOAT);
        bufBatch = batch;
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        ctx.bind();
        CudaContext.free(dw);
        CudaContext.free(dx32);
        CudaContext.free(dx16);
        CudaContext.free(dy);
        JCublas2.cublasDestroy(handle);
    }
}
