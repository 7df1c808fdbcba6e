package dev.e8q.codec;

import dev.e8q.hadamard.Hadamard;
import dev.e8q.lattice.Rvq;
import org.ejml.data.FMatrixRMaj;

/**
 * A quantized matrix: codes of the rotated weights Ŵr (codebook units, paddedRows × paddedCols) plus the two
 * sign/scale vectors, so that Ŵ = crop(diag(SV)·M_m·Ŵr·M_nᵀ·diag(SU)) (SPEC §4.1). Immutable.
 *
 * <p>SU (length paddedCols) is the input side and SV (length paddedRows) the output side, as in QuIP#'s
 * code (the paper swaps the names). SV carries sign·Wscale·s; after fine-tuning both may be any real numbers.
 * When the shape needed padding (rows not a multiple of 16 / cols not a multiple of 64, or a size the
 * Hadamard transform does not support), the padded rows are cropped on output and padded input columns see
 * x = 0.
 */
public final class E8Matrix {
    private final int rows, cols, bits, m, n;
    private final boolean e8;
    private final double residScale;
    private final float[] su, sv;
    private final int[][] codes; // [stage][r * n/8 + b]
    private final KernelSlot kernel; // shared by every copy with these codes (withSignVectors)
    /** Range of the residual scale of 3 and 4 bits (decoded values stay finite and far from overflow). */
    public static final double MIN_RESID_SCALE = 1e-6, MAX_RESID_SCALE = 1e6;

    E8Matrix(int rows, int cols, int bits, boolean e8, double residScale, float[] su, float[] sv, int[][] codes) {
        this(rows, cols, bits, e8, residScale, su, sv, codes, new KernelSlot());
    }

    private E8Matrix(int rows, int cols, int bits, boolean e8, double residScale, float[] su, float[] sv, int[][] codes,
            KernelSlot kernel) {
        this.kernel = kernel;
        if (bits < 2 || bits > 4) throw new IllegalArgumentException("bits must be 2, 3 or 4, got " + bits);
        this.rows = rows;
        this.cols = cols;
        this.bits = bits;
        this.e8 = e8;
        this.residScale = residScale;
        this.su = su;
        this.sv = sv;
        this.m = sv.length;
        this.n = su.length;
        this.codes = codes;
        checkDims(rows, cols, m, n);
        int expectStages = e8 && bits > 2 ? 2 : 1;
        if (codes.length != expectStages) throw new IllegalArgumentException("expected " + expectStages + " code stages, got " + codes.length);
        for (int[] c : codes)
            if (c.length != m * (n / 8)) throw new IllegalArgumentException("expected " + m * (n / 8) + " codes per stage, got " + c.length);
        long limit = e8 ? (1L << 16) : 1L << (8 * bits);
        for (int s = 0; s < codes.length; s++) {
            long lim = e8 && s == 1 && bits == 3 ? 256 : limit;
            for (int c : codes[s])
                if ((c & 0xFFFFFFFFL) >= lim) throw new IllegalArgumentException("stage " + s + " code " + (c & 0xFFFFFFFFL) + " out of range [0, " + lim + ")");
        }
        // The second stage decodes to code / residScale: a scale near 0 (say 1e-120 from a corrupt file) would
        // make every weight infinite. QuIP#'s are 2.04 and 3.45; tuned ones stay within a few units of them.
        if (e8 && bits > 2 && !(residScale >= MIN_RESID_SCALE && residScale <= MAX_RESID_SCALE))
            throw new IllegalArgumentException("residual scale must be in [" + MIN_RESID_SCALE + ", " + MAX_RESID_SCALE
                    + "], got " + residScale);
    }

    static void checkDims(int rows, int cols, int m, int n) {
        if (rows <= 0 || cols <= 0) throw new IllegalArgumentException("shape must be positive, got " + rows + "x" + cols);
        if (m < rows || m % 16 != 0 || !Hadamard.supports(m))
            throw new IllegalArgumentException("padded rows (SV length) " + m + " must be >= rows " + rows
                    + ", a multiple of 16 and a supported Hadamard size");
        if (n < cols || n % 64 != 0 || !Hadamard.supports(n))
            throw new IllegalArgumentException("padded cols (SU length) " + n + " must be >= cols " + cols
                    + ", a multiple of 64 and a supported Hadamard size");
    }

    public int rows() { return rows; }

    public int cols() { return cols; }

    public int bits() { return bits; }

    public int paddedRows() { return m; }

    public int paddedCols() { return n; }

    /** The residual scale of the second stage (0 for 2 bits and for the scalar grid). */
    public double residualScale() { return residScale; }

    /** True for the E8P family; false for the "no E8" scalar half-integer grid ablation. */
    public boolean isE8() { return e8; }

    /** QuIP#'s codebook name ("E8P12", "E8P12RVQ3B", "E8P12RVQ4B"), or "HalfInt{bits}" for the ablation. */
    public String codebook() {
        if (!e8) return "HalfInt" + bits;
        return switch (bits) {
            case 2 -> "E8P12";
            case 3 -> "E8P12RVQ3B";
            default -> "E8P12RVQ4B";
        };
    }

    public float[] su() { return su.clone(); }

    public float[] sv() { return sv.clone(); }

    /** Same codes, new SU/SV (e.g. fine-tuned real values or fused scales). */
    public E8Matrix withSignVectors(float[] newSu, float[] newSv) {
        if (newSu.length != n || newSv.length != m)
            throw new IllegalArgumentException("SU/SV must have lengths " + n + "/" + m + ", got " + newSu.length + "/" + newSv.length);
        for (float v : newSu) if (!Float.isFinite(v)) throw new IllegalArgumentException("SU has a non-finite value " + v);
        for (float v : newSv) if (!Float.isFinite(v)) throw new IllegalArgumentException("SV has a non-finite value " + v);
        return new E8Matrix(rows, cols, bits, e8, residScale, newSu.clone(), newSv.clone(), codes, kernel);
    }

    public int stages() { return codes.length; }

    /** Logical code of (stage, row, 8-column block) on the padded grid (SPEC §1.5 code[r][b]). */
    public int code(int stage, int row, int block) {
        if (stage < 0 || stage >= codes.length || row < 0 || row >= m || block < 0 || block >= n / 8)
            throw new IndexOutOfBoundsException("code(" + stage + ", " + row + ", " + block + ") outside "
                    + codes.length + " stages × " + m + " rows × " + n / 8 + " blocks");
        return codes[stage][row * (n / 8) + block];
    }

    int[][] codesInternal() { return codes; }

    /** The repacked fused kernel of these codes, built on first use (see {@link E8MatVec#kernel}). */
    static final class KernelSlot {
        volatile dev.e8q.codec.kernel.E8Kernel kernel;
    }

    KernelSlot kernelSlot() { return kernel; }

    BlockCodebook codebookImpl() {
        return e8 ? new E8pCodebook(bits, bits == 2 ? 0 : residScale) : new HalfIntegerGrid(bits);
    }

    /** Ŵr in codebook units, paddedRows × paddedCols row-major (no SU/SV). */
    public float[] decodeRotated() {
        int nb = n / 8;
        float[] out = new float[m * n];
        BlockCodebook cb = codebookImpl();
        Parallel.forRange(m, 16, (r0, r1) -> {
            int[] sc = new int[codes.length];
            for (int r = r0; r < r1; r++)
                for (int b = 0; b < nb; b++) {
                    for (int s = 0; s < sc.length; s++) sc[s] = codes[s][r * nb + b];
                    cb.decode(cb.combine(sc), out, r * n + 8 * b);
                }
        });
        return out;
    }

    /** Ŵ, rows × cols row-major. */
    public float[] decodeRowMajor() {
        return Rotation.unrotate(decodeRotated(), su, sv, rows, cols);
    }

    public FMatrixRMaj decode() {
        return FMatrixRMaj.wrap(rows, cols, decodeRowMajor());
    }

    public void multiply(float[] x, float[] y) {
        multiply(x, 0, y, 0);
    }

    /** y[yOff, yOff+rows) = Ŵ·x[xOff, xOff+cols), without building Ŵ. */
    public void multiply(float[] x, int xOff, float[] y, int yOff) {
        if (xOff < 0 || xOff + cols > x.length) throw new IllegalArgumentException("x needs " + cols + " values from " + xOff + ", has " + x.length);
        if (yOff < 0 || yOff + rows > y.length) throw new IllegalArgumentException("y needs " + rows + " values from " + yOff + ", has " + y.length);
        product(x, xOff, y, yOff, 1);
    }

    /**
     * Batched {@link #multiply}: input j is x[xOff + j·cols ..], output j goes to y[yOff + j·rows ..]. Inputs are
     * rotated in parallel, then one batched Ŵr·U decodes every code once for all columns (prefill, calibration).
     */
    public void multiplyBatch(float[] x, int xOff, float[] y, int yOff, int batch) {
        if (batch < 0 || xOff < 0 || xOff + (long) batch * cols > x.length)
            throw new IllegalArgumentException("x needs " + batch + "x" + cols + " values from " + xOff + ", has " + x.length);
        if (yOff < 0 || yOff + (long) batch * rows > y.length)
            throw new IllegalArgumentException("y needs " + batch + "x" + rows + " values from " + yOff + ", has " + y.length);
        product(x, xOff, y, yOff, batch);
    }

    private void product(float[] x, int xOff, float[] y, int yOff, int batch) {
        if (batch == 1) {
            float[] u = new float[n];
            for (int i = 0; i < cols; i++) u[i] = su[i] * x[xOff + i];
            Hadamard.transformTransposed(u, 0, n);
            float[] z = new float[m];
            E8MatVec.multiply(this, u, 0, z, 0);
            Hadamard.transform(z, 0, m);
            for (int i = 0; i < rows; i++) y[yOff + i] = sv[i] * z[i];
            return;
        }
        float[] u = new float[batch * n], z = new float[batch * m];
        Parallel.forRange(batch, 1, (b0, b1) -> {
            for (int b = b0; b < b1; b++) {
                int xo = xOff + b * cols, uo = b * n;
                for (int i = 0; i < cols; i++) u[uo + i] = su[i] * x[xo + i];
                Hadamard.transformTransposed(u, uo, n);
            }
        });
        if (batch > 0) E8MatVec.multiplyBatch(this, u, 0, z, 0, batch);
        Parallel.forRange(batch, 1, (b0, b1) -> {
            for (int b = b0; b < b1; b++) {
                int zo = b * m, yo = yOff + b * rows;
                Hadamard.transform(z, zo, m);
                for (int i = 0; i < rows; i++) y[yo + i] = sv[i] * z[zo + i];
            }
        });
    }

    /** z[zOff, zOff+paddedRows) = Ŵr·u[uOff, uOff+paddedCols), codebook units. */
    public void multiplyRotated(float[] u, int uOff, float[] z, int zOff) {
        if (uOff < 0 || uOff + n > u.length) throw new IllegalArgumentException("u needs " + n + " values from " + uOff + ", has " + u.length);
        if (zOff < 0 || zOff + m > z.length) throw new IllegalArgumentException("z needs " + m + " values from " + zOff + ", has " + z.length);
        E8MatVec.multiply(this, u, uOff, z, zOff);
    }

    /**
     * Batched {@link #multiplyRotated}: column j of U is u[uOff + j·paddedCols ..], column j of Z goes to
     * z[zOff + j·paddedRows ..]; the fused kernel decodes every code once for all columns.
     */
    public void multiplyRotatedBatch(float[] u, int uOff, float[] z, int zOff, int batch) {
        if (batch < 0 || uOff < 0 || uOff + (long) batch * n > u.length) throw new IllegalArgumentException("u needs " + batch + "x" + n + " values from " + uOff + ", has " + u.length);
        if (zOff < 0 || zOff + (long) batch * m > z.length) throw new IllegalArgumentException("z needs " + batch + "x" + m + " values from " + zOff + ", has " + z.length);
        if (batch > 0) E8MatVec.multiplyBatch(this, u, uOff, z, zOff, batch);
    }

    /** Storage as written: codes (bits per padded weight) plus SU and SV as float32. Scales live in SV. */
    public long sizeInBytes() {
        return (long) m * n * bits / 8 + 4L * (m + n);
    }

    /** QuIP# Qidxs (SPEC §1.5, §3), shape (paddedRows, paddedCols/32·bits/2) flattened row-major. */
    public long[] qidxs() {
        if (!e8) throw new UnsupportedOperationException("the scalar-grid ablation has no QuIP# Qidxs layout");
        return QidxsPacking.pack(m, n, bits, codes[0], codes.length > 1 ? codes[1] : null);
    }

    /**
     * Rebuilds a matrix from QuIP# tensors. The padded shape is taken from su.length (cols) and sv.length
     * (rows); for a QuIP# checkpoint they equal cols and rows. residScale is ignored for 2 bits; pass a value
     * ≤ 0 to use the default (2.04 / 3.45).
     */
    public static E8Matrix fromQidxs(int rows, int cols, int bits, long[] qidxs, float[] su, float[] sv, double residScale) {
        if (bits < 2 || bits > 4) throw new IllegalArgumentException("bits must be 2, 3 or 4, got " + bits);
        checkDims(rows, cols, sv.length, su.length);
        double rs = bits == 2 ? 0 : residScale > 0 ? residScale : Rvq.defaultResidualScale(bits);
        int[][] c = QidxsPacking.unpack(sv.length, su.length, bits, qidxs);
        return new E8Matrix(rows, cols, bits, true, rs, su.clone(), sv.clone(), c);
    }

    public byte[] toCbor() {
        return E8MatrixCbor.write(this);
    }

    public static E8Matrix fromCbor(byte[] bytes) {
        return E8MatrixCbor.read(bytes);
    }

    @Override
    public String toString() {
        return "E8Matrix[" + rows + "x" + cols + ", " + codebook() + ", padded " + m + "x" + n + "]";
    }
}
