package dev.e8q.cuda;

import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDeviceGetAttribute;
import static jcuda.driver.JCudaDriver.cuDeviceGetCount;
import static jcuda.driver.JCudaDriver.cuDeviceGetName;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRelease;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRetain;
import static jcuda.driver.JCudaDriver.cuDeviceTotalMem;
import static jcuda.driver.JCudaDriver.cuDriverGetVersion;
import static jcuda.driver.JCudaDriver.cuInit;
import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoH;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemGetInfo;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoD;
import static jcuda.driver.JCudaDriver.cuMemsetD32;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;
import static jcuda.driver.JCudaDriver.cuModuleUnload;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import jcuda.CudaException;
import jcuda.Pointer;
import jcuda.Sizeof;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.JCudaDriver;
import jcuda.jcublas.JCublas2;
import jcuda.jcublas.cublasHandle;

/**
 * One CUDA device, its primary context, and the e8q kernel module loaded from the committed PTX
 * ({@code dev/e8q/cuda/e8q_kernels.ptx}). Opening fails with a {@link CudaUnavailableException} that names the
 * cause (native libraries, driver, device, compute capability, PTX version); it never lets an
 * {@link UnsatisfiedLinkError} escape.
 *
 * <p>Device selection: {@link #open()} uses the ordinal in system property {@code e8q.cuda.device}, else the
 * environment variable {@code E8Q_CUDA_DEVICE}, else 0. CUDA contexts are per thread; every method that touches
 * the device first makes this context current on the calling thread, so layers may be called from any thread.
 * The shared tables (packed-abs, E81B, Hadamard base matrices) are uploaded once per context.
 */
public final class CudaContext implements Device, AutoCloseable {
    /** The PTX resource, relative to this class. */
    static final String PTX_RESOURCE = "e8q_kernels.ptx";
    /** Kernels are compiled for compute_80; older GPUs cannot JIT them. */
    static final int MIN_COMPUTE_CAPABILITY = 80;

    private static String loadFailure; // why the native library could not be loaded, once known
    private static boolean loaded;

    private final int ordinal;
    private final CUdevice device = new CUdevice();
    private final CUcontext context = new CUcontext();
    private final CUmodule module = new CUmodule();
    private final Map<String, CUfunction> functions = new ConcurrentHashMap<>();
    private final Map<Integer, CUdeviceptr> baseMatrices = new HashMap<>();
    private final String name;
    private final int computeCapability;
    private final long totalBytes;
    private CUdeviceptr packedAbs, e81bGrid;
    private CUdeviceptr scratchA, scratchB;
    private cublasHandle cublas;
    private static String cublasFailure;
    private long scratchFloats;
    private boolean closed;

    private CudaContext(int ordinal) {
        this.ordinal = ordinal;
        try {
            cuDeviceGet(device, ordinal);
            byte[] nameBytes = new byte[256];
            cuDeviceGetName(nameBytes, nameBytes.length, device);
            int len = 0;
            while (len < nameBytes.length && nameBytes[len] != 0) len++;
            name = new String(nameBytes, 0, len, StandardCharsets.UTF_8);
            computeCapability = 10 * attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR)
                    + attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
            long[] total = new long[1];
            cuDeviceTotalMem(total, device);
            totalBytes = total[0];
        } catch (CudaException e) {
            throw new CudaUnavailableException("CUDA device " + ordinal + " could not be queried: " + e.getMessage(), e);
        }
        if (computeCapability < MIN_COMPUTE_CAPABILITY)
            throw new CudaUnavailableException("CUDA device " + ordinal + " (" + name + ") has compute capability "
                    + computeCapability / 10 + "." + computeCapability % 10 + "; e8q's kernels need 8.0 or newer (Ampere+)");
        byte[] image = ptx(); // read before the context is taken, so a missing file leaks nothing
        try {
            cuDevicePrimaryCtxRetain(context, device);
            cuCtxSetCurrent(context);
        } catch (CudaException e) {
            throw new CudaUnavailableException("could not create a CUDA context on device " + ordinal + " (" + name
                    + "): " + e.getMessage(), e);
        }
        try {
            cuModuleLoadData(module, image);
        } catch (CudaException e) {
            cuDevicePrimaryCtxRelease(device);
            throw new CudaUnavailableException("the CUDA driver (" + driverVersionString() + ") rejected e8q's PTX ("
                    + e.getMessage() + "); the PTX needs a driver for CUDA 12.0 or newer", e);
        }
    }

    /** Opens the device named by {@code e8q.cuda.device} / {@code E8Q_CUDA_DEVICE}, default 0. */
    public static CudaContext open() {
        String s = System.getProperty("e8q.cuda.device", System.getenv("E8Q_CUDA_DEVICE"));
        int ordinal;
        try {
            ordinal = s == null || s.isBlank() ? 0 : Integer.parseInt(s.trim());
        } catch (NumberFormatException e) {
            throw new CudaUnavailableException("CUDA device ordinal '" + s + "' (e8q.cuda.device / E8Q_CUDA_DEVICE) is not a number");
        }
        return open(ordinal);
    }

    /** Opens device {@code ordinal} (0-based). */
    public static CudaContext open(int ordinal) {
        int count = deviceCount();
        if (ordinal < 0 || ordinal >= count)
            throw new CudaUnavailableException("CUDA device " + ordinal + " does not exist; this machine has " + count
                    + (count == 1 ? " device (ordinal 0)" : " devices (ordinals 0.." + (count - 1) + ")"));
        return new CudaContext(ordinal);
    }

    /** Number of CUDA devices; throws {@link CudaUnavailableException} when there is no driver or none. */
    public static int deviceCount() {
        initDriver();
        int[] count = new int[1];
        try {
            cuDeviceGetCount(count);
        } catch (CudaException e) {
            throw new CudaUnavailableException("CUDA driver error while counting devices: " + e.getMessage(), e);
        }
        if (count[0] == 0) throw new CudaUnavailableException("the CUDA driver found no CUDA device on this machine");
        return count[0];
    }

    /** Null when a device can be opened, else the reason (for skipping GPU tests and for CLI messages). */
    public static String unavailableReason() {
        try {
            open().close();
            return null;
        } catch (CudaUnavailableException e) {
            return e.getMessage();
        }
    }

    /** Loads JCuda's driver binding and runs cuInit, mapping every failure to a clear message. */
    static synchronized void initDriver() {
        if (loadFailure != null) throw new CudaUnavailableException(loadFailure);
        if (loaded) return;
        try {
            JCudaDriver.setExceptionsEnabled(true);
        } catch (LinkageError e) { // UnsatisfiedLinkError, NoClassDefFoundError, ExceptionInInitializerError
            loadFailure = "JCuda's native driver binding could not be loaded (" + linkFailure(e) + "). The CUDA path"
                    + " needs Linux x86_64 with an NVIDIA driver installed (libcuda.so.1 on the library path,"
                    + " CUDA 12.0 or newer); use the CPU path (--device cpu) otherwise";
            throw new CudaUnavailableException(loadFailure, e);
        }
        try {
            cuInit(0);
        } catch (CudaException e) {
            String msg = e.getMessage() == null ? "" : e.getMessage();
            loadFailure = msg.contains("NO_DEVICE")
                    ? "the NVIDIA driver is installed but reports no CUDA device (" + msg + ")"
                    : msg.contains("INSUFFICIENT_DRIVER") || msg.contains("COMPAT")
                    ? "the NVIDIA driver is too old for JCuda 12.6 (" + msg + "); install a driver for CUDA 12.0 or newer"
                    : "the CUDA driver could not be initialized (" + msg + ")";
            throw new CudaUnavailableException(loadFailure, e);
        }
        loaded = true;
    }

    private static final java.util.regex.Pattern MISSING_LIB =
            java.util.regex.Pattern.compile("(lib[\\w.+-]+?\\.so[.\\d]*): cannot open shared object file");

    /** One line out of JCuda's multi-page UnsatisfiedLinkError text, naming the missing library if there is one. */
    static String linkFailure(Throwable e) {
        StringBuilder all = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) all.append(t.getMessage()).append('\n');
        if (all.indexOf("libcuda.so") >= 0) return "libcuda.so.1, the NVIDIA driver library, was not found";
        java.util.regex.Matcher m = MISSING_LIB.matcher(all);
        if (m.find()) return m.group(1) + " was not found";
        String first = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
        return e.getClass().getSimpleName() + ": " + first;
    }

    private static String driverVersionString() {
        int[] v = new int[1];
        try {
            cuDriverGetVersion(v);
            return "CUDA " + v[0] / 1000 + "." + (v[0] % 1000) / 10;
        } catch (CudaException e) {
            return "version unknown";
        }
    }

    /**
     * The committed PTX, NUL-terminated for cuModuleLoadData; or the file named by {@code -De8q.cuda.ptx=FILE}
     * (or {@code E8Q_CUDA_PTX}), so a kernel variant built with {@code nvcc -ptx} on a GPU machine can be tested
     * and benchmarked without rebuilding the jar. It must define the same entry points.
     */
    static byte[] ptx() {
        String override = System.getProperty("e8q.cuda.ptx", System.getenv("E8Q_CUDA_PTX"));
        if (override != null && !override.isEmpty()) {
            try {
                byte[] text = java.nio.file.Files.readAllBytes(java.nio.file.Path.of(override));
                return java.util.Arrays.copyOf(text, text.length + 1);
            } catch (IOException e) {
                throw new CudaUnavailableException("could not read the PTX file " + override + " (e8q.cuda.ptx): " + e, e);
            }
        }
        try (InputStream in = CudaContext.class.getResourceAsStream(PTX_RESOURCE)) {
            if (in == null)
                throw new CudaUnavailableException("the PTX resource dev/e8q/cuda/" + PTX_RESOURCE + " is missing from the classpath");
            byte[] text = in.readAllBytes();
            byte[] z = new byte[text.length + 1];
            System.arraycopy(text, 0, z, 0, text.length);
            return z;
        } catch (IOException e) {
            throw new CudaUnavailableException("could not read the PTX resource " + PTX_RESOURCE, e);
        }
    }

    private int attribute(int attr) {
        int[] v = new int[1];
        cuDeviceGetAttribute(v, attr, device);
        return v[0];
    }

    /** Makes this context current on the calling thread. */
    @Override
    public void bind() {
        if (closed) throw new IllegalStateException("CUDA context for device " + ordinal + " is closed");
        cuCtxSetCurrent(context);
    }

    public int ordinal() {
        return ordinal;
    }

    public String deviceName() {
        return name;
    }

    /** 10·major + minor, e.g. 90 for an H100. */
    public int computeCapability() {
        return computeCapability;
    }

    public long totalMemory() {
        return totalBytes;
    }

    /** Free device memory now, in bytes. */
    public long freeMemory() {
        bind();
        long[] free = new long[1], total = new long[1];
        cuMemGetInfo(free, total);
        return free[0];
    }

    /**
     * Theoretical peak DRAM bandwidth in bytes/s from the memory clock and bus width, or 0 when the driver does
     * not report them (the clock attribute is deprecated in recent drivers).
     */
    public double peakBandwidth() {
        bind();
        try {
            long clockKHz = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE);
            long busBits = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH);
            return 2.0 * clockKHz * 1000.0 * busBits / 8.0; // double data rate
        } catch (CudaException e) {
            return 0;
        }
    }

    /** Throws a {@link CudaUnavailableException} when fewer than {@code bytes} (+64 MiB headroom) are free. */
    @Override
    public void requireMemory(long bytes, String what) {
        long free = freeMemory(), headroom = 64L << 20;
        if (bytes + headroom > free)
            throw new CudaUnavailableException("too little GPU memory for " + what + ": needs " + mib(bytes)
                    + " MiB (+64 MiB headroom), " + mib(free) + " MiB free of " + mib(totalBytes) + " MiB on device "
                    + ordinal + " (" + name + ")");
    }

    static long mib(long bytes) {
        return (bytes + (1 << 20) - 1) >> 20;
    }

    CUfunction function(String fn) {
        return functions.computeIfAbsent(fn, k -> {
            CUfunction f = new CUfunction();
            try {
                cuModuleGetFunction(f, module, k);
            } catch (CudaException e) { // only a -De8q.cuda.ptx file can lack one; name it
                String file = System.getProperty("e8q.cuda.ptx", System.getenv("E8Q_CUDA_PTX"));
                throw new IllegalStateException("the loaded PTX (" + (file == null ? "resource " + PTX_RESOURCE : file)
                        + ") has no kernel " + k + ": " + e.getMessage(), e);
            }
            return f;
        });
    }

    /**
     * Launches kernel {@code fn} on the default stream. Arguments: {@link CUdeviceptr} (null = a null device
     * pointer), Integer, Float.
     */
    @Override
    public void launch(String fn, int gridX, int gridY, int blockX, Object... args) {
        Pointer[] ps = new Pointer[args.length];
        for (int i = 0; i < args.length; i++) {
            Object a = args[i];
            ps[i] = switch (a) {
                case null -> Pointer.to(new CUdeviceptr());
                case CUdeviceptr p -> Pointer.to(p);
                case Integer v -> Pointer.to(new int[] {v});
                case Float v -> Pointer.to(new float[] {v});
                default -> throw new IllegalArgumentException("unsupported kernel argument " + a.getClass());
            };
        }
        cuLaunchKernel(function(fn), gridX, gridY, 1, blockX, 1, 1, 0, null, Pointer.to(ps), null);
    }

    CUdeviceptr alloc(long bytes) {
        bind();
        CUdeviceptr p = new CUdeviceptr();
        try {
            cuMemAlloc(p, Math.max(bytes, 4));
        } catch (CudaException e) {
            if (String.valueOf(e.getMessage()).contains("OUT_OF_MEMORY"))
                throw new CudaUnavailableException("too little GPU memory: allocating " + mib(bytes) + " MiB failed on"
                        + " device " + ordinal + " (" + name + ", " + mib(totalBytes) + " MiB)", e);
            throw e;
        }
        return p;
    }

    @Override
    public CUdeviceptr upload(long[] data) {
        CUdeviceptr p = alloc((long) data.length * Sizeof.LONG);
        cuMemcpyHtoD(p, Pointer.to(data), (long) data.length * Sizeof.LONG);
        return p;
    }

    @Override
    public CUdeviceptr upload(float[] data) {
        CUdeviceptr p = alloc((long) data.length * Sizeof.FLOAT);
        cuMemcpyHtoD(p, Pointer.to(data), (long) data.length * Sizeof.FLOAT);
        return p;
    }

    CUdeviceptr upload(int[] data) {
        CUdeviceptr p = alloc((long) data.length * Sizeof.INT);
        cuMemcpyHtoD(p, Pointer.to(data), (long) data.length * Sizeof.INT);
        return p;
    }

    CUdeviceptr upload(byte[] data) {
        CUdeviceptr p = alloc(data.length);
        cuMemcpyHtoD(p, Pointer.to(data), data.length);
        return p;
    }

    static void free(CUdeviceptr p) {
        if (p != null) cuMemFree(p);
    }

    @Override
    public CUdeviceptr allocFloats(long count) {
        return alloc(count * Sizeof.FLOAT);
    }

    @Override
    public void copyToDevice(Object dst, float[] src, int srcOff, int count) {
        cuMemcpyHtoD((CUdeviceptr) dst, Pointer.to(src).withByteOffset((long) srcOff * Sizeof.FLOAT),
                (long) count * Sizeof.FLOAT);
    }

    @Override
    public void copyToHost(float[] dst, int dstOff, Object src, int count) {
        cuMemcpyDtoH(Pointer.to(dst).withByteOffset((long) dstOff * Sizeof.FLOAT), (CUdeviceptr) src,
                (long) count * Sizeof.FLOAT);
    }

    @Override
    public void release(Object buffer) {
        free((CUdeviceptr) buffer);
    }

    /** The context's cuBLAS handle, created on first use (only the FP16 baseline needs cuBLAS). */
    synchronized cublasHandle cublas() {
        if (cublasFailure != null) throw new CudaUnavailableException(cublasFailure);
        if (cublas == null) {
            bind();
            cublasHandle h = new cublasHandle();
            try {
                JCublas2.setExceptionsEnabled(true);
                JCublas2.cublasCreate(h);
            } catch (LinkageError e) { // remembered: a second attempt would only say NoClassDefFoundError
                cublasFailure = "cuBLAS could not be loaded (" + linkFailure(e) + "); the FP16 baseline needs"
                        + " libcublas.so.12 and libcublasLt.so.12 on LD_LIBRARY_PATH (CUDA 12 toolkit, or"
                        + " pip install nvidia-cublas-cu12), or CUDA 13's cuBLAS with cuda/retarget-jcublas.py"
                        + " (docs/cuda.md)";
                throw new CudaUnavailableException(cublasFailure, e);
            } catch (CudaException e) {
                throw new CudaUnavailableException("cublasCreate failed: " + e.getMessage(), e);
            }
            String wrong = knownAnswer(h);
            if (wrong != null) {
                JCublas2.cublasDestroy(h);
                cublasFailure = wrong;
                throw new CudaUnavailableException(cublasFailure);
            }
            cublas = h;
        }
        return cublas;
    }

    /**
     * Null when cuBLAS computes a known fp16 product correctly, else why not. A library that loads but does not
     * compute (an ABI mismatch, e.g. a retargeted JCublas on an incompatible cuBLAS) must not give silent garbage.
     */
    private String knownAnswer(cublasHandle h) {
        int rows = 4, cols = 8;
        short[] w = new short[rows * cols], x = new short[cols];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) w[r * cols + c] = Float.floatToFloat16(r + 1);
        for (int c = 0; c < cols; c++) x[c] = Float.floatToFloat16(c + 1);
        float[] want = {36, 72, 108, 144}, got = new float[rows];
        CUdeviceptr dw = alloc(2L * w.length), dx = alloc(2L * x.length), dy = alloc(4L * rows);
        try {
            cuMemcpyHtoD(dw, Pointer.to(w), 2L * w.length);
            cuMemcpyHtoD(dx, Pointer.to(x), 2L * x.length);
            cuMemsetD32(dy, 0, rows);
            CudaFp16Linear.gemm(h, rows, cols, dw, dx, dy, 1);
            cuMemcpyDtoH(Pointer.to(got), dy, 4L * rows);
        } catch (RuntimeException e) {
            return "cuBLAS loaded but cannot run e8q's fp16 product (" + e.getMessage() + ")";
        } finally {
            free(dw);
            free(dx);
            free(dy);
        }
        if (!java.util.Arrays.equals(want, got))
            return "cuBLAS loaded but computed a known fp16 product wrongly (" + java.util.Arrays.toString(got)
                    + " instead of " + java.util.Arrays.toString(want) + "); is libcublas the version JCublas expects?";
        return null;
    }

    @Override
    public synchronized Object[] scratch(long floats) {
        if (floats > scratchFloats) {
            long want = Math.max(floats, 2 * scratchFloats); // grow geometrically
            bind();
            free(scratchA);
            free(scratchB);
            scratchA = scratchB = null;
            scratchFloats = 0;
            requireMemory(2 * want * Sizeof.FLOAT, "activation buffers of " + want + " floats");
            scratchA = allocFloats(want);
            scratchB = allocFloats(want);
            scratchFloats = want;
        }
        return new Object[] {scratchA, scratchB};
    }

    /** The §1.4 packed-abs table on the device (uploaded once). */
    @Override
    public synchronized CUdeviceptr packedAbsTable() {
        if (packedAbs == null) packedAbs = upload(GpuTables.packedAbs());
        return packedAbs;
    }

    /** The E81B table (256×8 int8 of 2g) on the device (uploaded once). */
    @Override
    public synchronized CUdeviceptr e81bTable() {
        if (e81bGrid == null) e81bGrid = upload(GpuTables.e81bGrid2());
        return e81bGrid;
    }

    /** hadK as K×K float on the device (uploaded once per K); null for K = 1. */
    @Override
    public synchronized CUdeviceptr baseMatrix(int k) {
        if (k == 1) return null;
        return baseMatrices.computeIfAbsent(k, kk -> upload(GpuTables.hadamardBase(kk)));
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        bind();
        free(packedAbs);
        free(e81bGrid);
        free(scratchA);
        free(scratchB);
        if (cublas != null) JCublas2.cublasDestroy(cublas);
        baseMatrices.values().forEach(CudaContext::free);
        baseMatrices.clear();
        cuModuleUnload(module);
        closed = true;
        cuDevicePrimaryCtxRelease(device);
    }

    @Override
    public String toString() {
        return "CUDA device " + ordinal + " (" + name + ", sm_" + computeCapability + ", " + mib(totalBytes) + " MiB)";
    }
}
