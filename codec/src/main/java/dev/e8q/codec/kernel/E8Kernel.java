package dev.e8q.codec.kernel;

import dev.e8q.codec.Parallel;
import dev.e8q.lattice.E81B;
import dev.e8q.lattice.E8P;
import dev.e8q.simd.Lanes;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Fused decode-and-multiply kernel for E8P codes (2 bits), E8P + E81B (3 bits) and E8P + E8P (4 bits):
 * {@code z = Ŵr · u} straight from the codes, never materializing Ŵr.
 *
 * <h2>Layout (repacked once, at load)</h2>
 * Rows are grouped by 64. For every group and 8-column block the 64 rows' codes are stored as two 64-byte
 * runs: the absolute-pattern index ({@code code >>> 8}) and the raw sign byte ({@code code & 0xFF}); the
 * E81B stage stores its 8-bit code in the first run only. Storage stays at 16 (or 8) bits per code.
 *
 * <h2>Kernel (512-bit vectors, AVX-512 VBMI)</h2>
 * The 64 rows of a group live in the 64 byte lanes of one vector, so the table lookups and sign logic run
 * once per 64 weights:
 * <ol>
 * <li>per block: shift bit {@code p = popcount(signByte) & 1} and {@code s = signByte ^ p} (64 lanes);</li>
 * <li>per coordinate k: {@code 4·|A[absIdx][k]|} by a 256-entry byte-table lookup (two {@code vpermi2b}
 * and a blend; the table for k = 7 carries the odd-pattern sign flip), negated where bit σ(k) of s is set,
 * plus the shift ±1 (in units of ¼);</li>
 * <li>all 8 coordinates of the block are stored (512 bytes) before any is reloaded: a store followed at once
 * by its reload costs ~25 % more on Zen 4;</li>
 * <li>the int8 weights are widened to floats 16 at a time and accumulated with one FMA per 16 weights against
 * the broadcast u[8b + k].</li>
 * </ol>
 * All integer steps are exact; the float sums differ from decode-then-multiply only by rounding order.
 * Matrix-vector products use {@link E8KernelLut}'s pair tables instead (about 1.85× faster), for both stages;
 * this byte-lane form decodes the float tiles of batched products (from 4–8 columns on, below that the pair tables
 * run per column) and serves A/B runs with {@code -De8q.kernel.lut=false}.
 * With 256-bit vectors (or {@code -De8q.vector.bits=256}) a per-row kernel with the 512 KiB int8 grid
 * table is used instead; without vector support a scalar loop.
 */
public final class E8Kernel {
    /** Rows per group (byte lanes of a 512-bit vector). */
    public static final int GROUP = 64;
    private static final int[] SIGMA = {0, 4, 1, 5, 2, 6, 3, 7};

    private static final VectorSpecies<Byte> B64 = ByteVector.SPECIES_512;
    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Byte> B8 = ByteVector.SPECIES_64;
    private static final VectorSpecies<Float> F16 = FloatVector.SPECIES_512;
    private static final VectorSpecies<Float> F8 = FloatVector.SPECIES_256;

    /** E8P: TAB[k·256 + a] = 4·A_a[k], negated for k = 7 when odd(a). */
    static final byte[] TAB_E8P = new byte[8 * 256];
    /** E81B: TAB[k·256 + c] = 2·g_c[k]. */
    static final byte[] TAB_E81B = new byte[8 * 256];
    /** 8 × 64 bytes: lane-broadcast sign-bit selectors 1 << σ(k). */
    static final byte[] SIGN_BITS = new byte[8 * 64];
    /** The whole E8P codebook as int8 of 4·v (per-row 256-bit kernel). */
    private static final byte[] GRID4 = E8P.grid4();
    /** The E81B codebook as int8 of 2·g. */
    private static final byte[] GRID2 = E81B.grid2();

    /**
     * True when the 64-lane byte kernel is used: 512-bit species selected and byte permutes in hardware
     * (AVX-512 VBMI, read from /proc/cpuinfo where there is one). {@code -De8q.kernel.wide=false|true} overrides.
     */
    public static final boolean WIDE = Species.VECTOR && Species.bits() == 512
            && Boolean.parseBoolean(System.getProperty("e8q.kernel.wide", String.valueOf(hasVbmi())));

    /**
     * Pair-table kernels ({@link E8KernelLut}) for the E8P stages of matrix-vector products, exact and int8; the
     * byte-lane kernels below when off ({@code -De8q.kernel.lut=false}, for A/B runs; tests run both).
     */
    private static volatile boolean lut = Boolean.parseBoolean(System.getProperty("e8q.kernel.lut", "true"));

    static void lut(boolean on) { lut = on; }

    // the calling thread's pair tables, reused across products (1 MiB for 16384 columns; the workers only read
    // them, and the caller waits for the workers before it builds the next)
    private static final ThreadLocal<int[]> LUT_INTS = ThreadLocal.withInitial(() -> new int[0]);
    private static final ThreadLocal<short[]> LUT_SHORTS = ThreadLocal.withInitial(() -> new short[0]);
    private static final ThreadLocal<int[]> LUT_SHIFTS = ThreadLocal.withInitial(() -> new int[0]);
    private static final ThreadLocal<int[]> LUT_INTS_E81B = ThreadLocal.withInitial(() -> new int[0]);
    private static final ThreadLocal<short[]> LUT_SHORTS_E81B = ThreadLocal.withInitial(() -> new short[0]);

    private static int[] reused(ThreadLocal<int[]> cache, int n) {
        int[] t = cache.get();
        if (t.length < n) cache.set(t = new int[n]);
        return t;
    }

    private static short[] reusedShorts(ThreadLocal<short[]> cache, int n) {
        short[] t = cache.get();
        if (t.length < n) cache.set(t = new short[n]);
        return t;
    }

    static boolean lut() { return lut; }

    /** {@code -De8q.kernel.columnsBelow=n} fixes the batch size below which batched products run column by column. */
    private static final int COLUMNS_BELOW = Integer.getInteger("e8q.kernel.columnsBelow", -1);

    /**
     * Batches smaller than this run the matrix-vector kernel once per column, which with the pair tables beats
     * decoding tiles that few columns share. Measured crossovers (4096², 2 threads, 4-column tiles; docs/kernels.md,
     * "Batched products"): about 6 columns at 2 bits, 4 at 3 and 4 bits, 8 with int8 activations, whose
     * matrix-vector kernel is the faster one.
     */
    private int columnwiseBelow(boolean int8) {
        if (COLUMNS_BELOW >= 0) return Math.max(2, COLUMNS_BELOW);
        if (!WIDE || !lut) return 2;
        return int8 ? 8 : bits == 2 ? 6 : 4;
    }

    /** Which kernel family serves matrix-vector products in this process, for reports. */
    public static String kernelName() {
        return !WIDE ? "per-row grid" : lut ? "pair-table" : "64-row byte-lane";
    }

    private static boolean hasVbmi() {
        try {
            for (String l : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/cpuinfo")))
                if (l.startsWith("flags")) return l.contains(" avx512vbmi");
        } catch (java.io.IOException | RuntimeException e) {
            // not Linux: trust the 512-bit species
        }
        return true;
    }

    static {
        byte[] src = E8P.sourceTable();
        for (int a = 0; a < 256; a++) {
            for (int k = 0; k < 8; k++) {
                int v = 2 * src[a * 8 + k];
                if (k == 7 && E8P.odd(a)) v = -v;
                TAB_E8P[k * 256 + a] = (byte) v;
                TAB_E81B[k * 256 + a] = GRID2[a * 8 + k];
            }
        }
        for (int k = 0; k < 8; k++)
            for (int l = 0; l < 64; l++) SIGN_BITS[k * 64 + l] = (byte) (1 << SIGMA[k]);
    }

    private final int bits, rows, cols, nb, groups;
    /** Stage 0: E8P. Stage 1: E81B (3 bits) or E8P (4 bits). */
    private final byte[][] abs, sgn;
    /** Per-row layout for the 256-bit / scalar paths: codes[stage][r·nb + b]. */
    private final short[][] flat;
    private final float[] stageScale;
    /** Column panels of a wide matrix ({@link #panelBlocks}), each a kernel of its own; null for the others. */
    private final E8Kernel[] panels;

    private E8Kernel(int bits, int rows, int cols, byte[][] abs, byte[][] sgn, short[][] flat, float[] stageScale) {
        this(bits, rows, cols, abs, sgn, flat, stageScale, null);
    }

    private E8Kernel(int bits, int rows, int cols, byte[][] abs, byte[][] sgn, short[][] flat, float[] stageScale,
                     E8Kernel[] panels) {
        this.bits = bits;
        this.rows = rows;
        this.cols = cols;
        this.nb = cols / 8;
        this.groups = (rows + GROUP - 1) / GROUP;
        this.abs = abs;
        this.sgn = sgn;
        this.flat = flat;
        this.stageScale = stageScale;
        this.panels = panels;
    }

    /**
     * Widest panel, in blocks of 8 columns ({@code -De8q.kernel.panelBlocks}; 0 or less: no panels). The pair tables of
     * u take 512 bytes per block (320 with int8 activations) and every pair of row groups reads all of them, so at
     * 32768 columns they fill a 2 MiB L2 and the kernel runs about 10 % slower (4-bit 15.1 against 17.6 G weights/s
     * for 4096×32768 against 32768×4096 on the Intel host, docs/kernels.md). A matrix wider than this is cut into
     * equal column panels, each multiplied over all its rows before the next, and the panels' products are added.
     * Carrying the kernels' accumulators across column tiles instead (the same bits) made C2 compile
     * {@link E8KernelLut#pairE8P} into a 10× slower mode in most processes, so the kernels stay as they are.
     */
    private static volatile int panelBlocks = Integer.getInteger("e8q.kernel.panelBlocks", 2048);

    /** For tests: the widest panel of kernels repacked from now on. */
    static void panelBlocks(int blocks) { panelBlocks = blocks; }

    /** A panel starts where an int8 scale block starts, so that the panels round u as the whole matrix would. */
    private static final int PANEL_ALIGN = E8KernelA8.QBLOCK / 8;

    /** Width in blocks of the panels repack cuts nb blocks into (nb: no panels; the last panel may be narrower). */
    static int panelWidth(int nb, int maxBlocks) {
        int max = Math.max(PANEL_ALIGN, maxBlocks / PANEL_ALIGN * PANEL_ALIGN);
        if (maxBlocks <= 0 || nb <= max) return nb;
        int n = (nb + max - 1) / max;
        return ((nb + n - 1) / n + PANEL_ALIGN - 1) / PANEL_ALIGN * PANEL_ALIGN;
    }

    private static E8Kernel panelled(int bits, int rows, int cols, int[][] codes, double residScale, int width) {
        int nb = cols / 8, n = (nb + width - 1) / width, stages = bits == 2 ? 1 : 2;
        E8Kernel[] panels = new E8Kernel[n];
        for (int p = 0; p < n; p++) {
            int b0 = p * width, w = Math.min(width, nb - b0);
            int[][] part = new int[stages][Math.multiplyExact(rows, w)];
            for (int s = 0; s < stages; s++)
                for (int r = 0; r < rows; r++) System.arraycopy(codes[s], r * nb + b0, part[s], r * w, w);
            panels[p] = repackWhole(bits, rows, 8 * w, part, residScale);
        }
        return new E8Kernel(bits, rows, cols, null, null, null, panels[0].stageScale, panels);
    }

    /**
     * Repacks codes into the kernel layout.
     *
     * @param bits        2, 3 or 4
     * @param codes       codes[stage][r·(cols/8) + b]: stage 0 E8P (16 bits), stage 1 E81B (8 bits, 3-bit) or
     *                    E8P (4-bit)
     * @param residScale  residual scale of stage 1 (ignored for 2 bits)
     */
    public static E8Kernel repack(int bits, int rows, int cols, int[][] codes, double residScale) {
        if (bits < 2 || bits > 4) throw new IllegalArgumentException("bits must be 2, 3 or 4, got " + bits);
        if (cols % 8 != 0 || rows <= 0 || cols <= 0)
            throw new IllegalArgumentException("shape " + rows + "x" + cols + ": cols must be a positive multiple of 8");
        int stages = bits == 2 ? 1 : 2;
        if (codes.length < stages) throw new IllegalArgumentException(bits + "-bit needs " + stages + " code stages, got " + codes.length);
        int nb = cols / 8;
        long n = (long) rows * nb;
        for (int s = 0; s < stages; s++)
            if (codes[s].length < n) throw new IllegalArgumentException("stage " + s + " has " + codes[s].length + " codes, need " + n);
        int width = panelWidth(nb, panelBlocks);
        if (WIDE && width < nb) return panelled(bits, rows, cols, codes, residScale, width);
        return repackWhole(bits, rows, cols, codes, residScale);
    }

    /** {@link #repack} without panels, on validated arguments. */
    private static E8Kernel repackWhole(int bits, int rows, int cols, int[][] codes, double residScale) {
        int stages = bits == 2 ? 1 : 2, nb = cols / 8;
        long n = (long) rows * nb;
        float[] scale = new float[stages];
        scale[0] = 0.25f;
        if (bits == 3) scale[1] = (float) (0.5 / residScale);
        if (bits == 4) scale[1] = (float) (0.25 / residScale);
        int groups = (rows + GROUP - 1) / GROUP;
        if (WIDE) {
            byte[][] abs = new byte[stages][], sgn = new byte[stages][];
            for (int s = 0; s < stages; s++) {
                boolean e81b = s == 1 && bits == 3;
                byte[] a = new byte[Math.multiplyExact(groups * nb, GROUP)];
                byte[] g = e81b ? null : new byte[a.length];
                int[] c = codes[s];
                Parallel.forRange(groups, 1, (g0, g1) -> {
                    for (int gr = g0; gr < g1; gr++) {
                        for (int l = 0; l < GROUP; l++) {
                            int r = gr * GROUP + l;
                            if (r >= rows) break; // padding rows keep code 0; their sums are discarded
                            for (int b = 0; b < nb; b++) {
                                int code = c[r * nb + b];
                                int o = (gr * nb + b) * GROUP + l;
                                if (e81b) a[o] = (byte) code;
                                else {
                                    a[o] = (byte) (code >>> 8);
                                    g[o] = (byte) code;
                                }
                            }
                        }
                    }
                });
                abs[s] = a;
                sgn[s] = g;
            }
            return new E8Kernel(bits, rows, cols, abs, sgn, null, scale);
        }
        short[][] flat = new short[stages][];
        for (int s = 0; s < stages; s++) {
            short[] f = new short[Math.toIntExact(n)];
            for (int i = 0; i < f.length; i++) f[i] = (short) codes[s][i];
            flat[s] = f;
        }
        return new E8Kernel(bits, rows, cols, null, null, flat, scale);
    }

    public int bits() { return bits; }
    public int rows() { return rows; }
    public int cols() { return cols; }

    /** Bytes of code storage the kernel streams per product. */
    public long codeBytes() {
        if (panels != null) {
            long sum = 0;
            for (E8Kernel k : panels) sum += k.codeBytes();
            return sum;
        }
        long n = (long) rows * nb;
        return bits == 2 ? 2 * n : bits == 3 ? 3 * n : 4 * n;
    }

    /**
     * Process-wide switch: when on, {@link #multiply} (and so every quantized linear's matrix-vector product)
     * runs {@link #multiplyInt8}, and {@link #multiplyBatch} rounds its activations the same way. Off by default
     * ({@code -De8q.kernel.int8=true} turns it on at start), since it rounds the activations.
     */
    private static volatile boolean int8Activations = Boolean.getBoolean("e8q.kernel.int8");

    public static void int8Activations(boolean on) { int8Activations = on; }

    public static boolean int8Activations() { return int8Activations; }

    /**
     * z[zOff .. zOff+rows) = Ŵr · u[uOff .. uOff+cols). Rows are split over {@link Parallel}. With the int8 switch on
     * this is {@link #multiplyInt8}.
     */
    public void multiply(float[] u, int uOff, float[] z, int zOff) {
        if (int8Activations) multiplyInt8(u, uOff, z, zOff);
        else multiplyExact(u, uOff, z, zOff);
    }

    /** As {@link #multiply} with the activations as they are, whatever the int8 switch says. */
    private void multiplyExact(float[] u, int uOff, float[] z, int zOff) {
        checkBounds(u, uOff, z, zOff);
        if (panels != null) {
            multiplyPanels(u, uOff, cols, z, zOff, rows, 1, false);
            return;
        }
        if (WIDE && lut) {
            multiplyLut(u, uOff, z, zOff);
        } else if (WIDE) {
            // two groups (128 rows) per step share every table load
            Parallel.forRange((groups + 1) / 2, 1, (p0, p1) -> {
                float[] acc = new float[2 * GROUP];
                byte[] scratch = new byte[16 * GROUP];
                for (int p = p0; p < p1; p++) {
                    int g = 2 * p;
                    boolean pair = g + 1 < groups;
                    if (pair) pairE8P(abs[0], sgn[0], g, nb, u, uOff, acc, scratch, stageScale[0], false);
                    else groupE8P(abs[0], sgn[0], g, nb, u, uOff, acc, scratch, stageScale[0], false);
                    if (bits == 4) {
                        if (pair) pairE8P(abs[1], sgn[1], g, nb, u, uOff, acc, scratch, stageScale[1], true);
                        else groupE8P(abs[1], sgn[1], g, nb, u, uOff, acc, scratch, stageScale[1], true);
                    } else if (bits == 3) {
                        if (pair) pairE81B(abs[1], g, nb, u, uOff, acc, scratch, stageScale[1]);
                        else groupE81B(abs[1], g, nb, u, uOff, acc, 0, scratch, stageScale[1]);
                    }
                    int r0 = g * GROUP, n = Math.min(pair ? 2 * GROUP : GROUP, rows - r0);
                    System.arraycopy(acc, 0, z, zOff + r0, n);
                }
            });
        } else {
            Parallel.forRange(rows, 16, (r0, r1) -> {
                for (int r = r0; r < r1; r++) z[zOff + r] = rowDot(r, u, uOff);
            });
        }
    }

    /** {@link E8KernelLut}: pair tables of u, then two groups per step. */
    private void multiplyLut(float[] u, int uOff, float[] z, int zOff) {
        int[] tab = reused(LUT_INTS, E8KernelLut.tableInts(nb));
        int[] shiftTab = reused(LUT_SHIFTS, E8KernelLut.shiftTableInts(nb));
        float quarterU = 0.25f * E8KernelLut.tables(u, uOff, nb, tab, shiftTab);
        int[] tab81 = bits == 3 ? reused(LUT_INTS_E81B, E8KernelLut.tableInts(nb)) : null;
        if (bits == 3) E8KernelLut.tablesE81B(u, uOff, 0, nb, tab81);
        Parallel.forRange((groups + 1) / 2, 1, (p0, p1) -> {
            float[] acc = new float[2 * GROUP], tmp = new float[2 * GROUP];
            for (int p = p0; p < p1; p++) {
                int g = 2 * p, gB = g + 1 < groups ? g + 1 : g;
                E8KernelLut.pairE8P(abs[0], sgn[0], g, gB, nb, tab, shiftTab, quarterU, acc, tmp, 4 * stageScale[0], false);
                if (bits == 4) E8KernelLut.pairE8P(abs[1], sgn[1], g, gB, nb, tab, shiftTab, quarterU, acc, tmp, 4 * stageScale[1], true);
                else if (bits == 3) E8KernelLut.pairE81B(abs[1], g, gB, nb, tab81, acc, tmp, stageScale[1]);
                int r0 = g * GROUP, n = Math.min(gB > g ? 2 * GROUP : GROUP, rows - r0);
                System.arraycopy(acc, 0, z, zOff + r0, n);
            }
        });
    }

    /**
     * Column j of z = Σ over the panels, in order, of panel · its columns of u's column j; batch 1 is a matrix-vector
     * product (each panel's {@link #multiplyBatch} runs its matrix-vector kernel for so few columns).
     */
    private void multiplyPanels(float[] u, int uOff, int uStride, float[] z, int zOff, int zStride, int batch, boolean int8) {
        float[] part = new float[Math.multiplyExact(rows, batch)];
        for (int p = 0, c0 = 0; p < panels.length; c0 += panels[p].cols, p++) {
            if (p == 0) {
                panels[p].multiplyBatch(u, uOff + c0, uStride, z, zOff, zStride, batch, int8);
                continue;
            }
            panels[p].multiplyBatch(u, uOff + c0, uStride, part, 0, rows, batch, int8);
            for (int j = 0; j < batch; j++)
                for (int r = 0; r < rows; r++) z[zOff + j * zStride + r] += part[j * rows + r];
        }
    }

    private void checkBounds(float[] u, int uOff, float[] z, int zOff) {
        if (uOff < 0 || uOff + cols > u.length || zOff < 0 || zOff + rows > z.length)
            throw new IndexOutOfBoundsException("u[" + uOff + "+" + cols + "] of " + u.length + ", z[" + zOff + "+" + rows + "] of " + z.length);
    }

    /**
     * As {@link #multiply} with the activations rounded to int8, one scale per 32 columns (absmax, as ggml's Q8_0
     * activations), and the products summed in integers ({@link E8KernelA8}). The codes are decoded exactly; the
     * only error is the rounding of u, at most d_j/2 per activation (d_j = max|u| / 127 over its 32 columns), so
     * |z − Ŵr·u| ≤ Σ_k |Ŵr[r][k]|·d_{k/32}/2 plus float rounding.
     */
    public void multiplyInt8(float[] u, int uOff, float[] z, int zOff) {
        checkBounds(u, uOff, z, zOff);
        if (panels != null) {
            multiplyPanels(u, uOff, cols, z, zOff, rows, 1, true);
            return;
        }
        byte[] q = new byte[cols];
        float[] d = new float[(cols + E8KernelA8.QBLOCK - 1) / E8KernelA8.QBLOCK];
        E8KernelA8.quantize(u, uOff, cols, q, d);
        if (!WIDE) {
            Parallel.forRange(rows, 16, (r0, r1) -> {
                for (int r = r0; r < r1; r++) z[zOff + r] = rowDotInt8(r, q, d);
            });
            return;
        }
        if (lut) {
            short[] tab = reusedShorts(LUT_SHORTS, E8KernelLut.tableShorts(nb));
            E8KernelLut.tablesInt8(q, 0, nb, tab);
            short[] tab81 = bits == 3 ? reusedShorts(LUT_SHORTS_E81B, E8KernelLut.tableShortsE81B(nb)) : null;
            if (bits == 3) E8KernelLut.tablesE81BInt8(q, 0, nb, tab81);
            Parallel.forRange((groups + 1) / 2, 1, (p0, p1) -> {
                float[] acc = new float[2 * GROUP], tmp = new float[2 * GROUP];
                for (int p = p0; p < p1; p++) {
                    int g = 2 * p, gB = g + 1 < groups ? g + 1 : g;
                    E8KernelLut.pairE8PInt8(abs[0], sgn[0], g, gB, nb, tab, d, acc, tmp, stageScale[0], false);
                    if (bits == 4) E8KernelLut.pairE8PInt8(abs[1], sgn[1], g, gB, nb, tab, d, acc, tmp, stageScale[1], true);
                    else if (bits == 3) E8KernelLut.pairE81BInt8(abs[1], g, gB, nb, tab81, d, acc, tmp, stageScale[1]);
                    int r0 = g * GROUP, n = Math.min(gB > g ? 2 * GROUP : GROUP, rows - r0);
                    System.arraycopy(acc, 0, z, zOff + r0, n);
                }
            });
            return;
        }
        Parallel.forRange((groups + 1) / 2, 1, (p0, p1) -> {
            float[] acc = new float[2 * GROUP];
            byte[] scratch = new byte[16 * GROUP];
            for (int p = p0; p < p1; p++) {
                int g = 2 * p, gB = g + 1 < groups ? g + 1 : g; // a lone last group runs as its own pair
                E8KernelA8.pairE8P(abs[0], sgn[0], g, gB, nb, q, d, acc, scratch, stageScale[0], false);
                if (bits == 4) E8KernelA8.pairE8P(abs[1], sgn[1], g, gB, nb, q, d, acc, scratch, stageScale[1], true);
                else if (bits == 3) E8KernelA8.pairE81B(abs[1], g, gB, nb, q, d, acc, scratch, stageScale[1]);
                int r0 = g * GROUP, n = Math.min(gB > g ? 2 * GROUP : GROUP, rows - r0);
                System.arraycopy(acc, 0, z, zOff + r0, n);
            }
        });
    }

    /** The per-row form of the int8 product, in the same order of float operations as the vector kernel. */
    private float rowDotInt8(int r, byte[] q, float[] d) {
        float s = 0.25f * stageInt8(flat[0], GRID4, 0xFFFF, r, q, d);
        if (bits == 2) return s;
        float t = bits == 4 ? stageInt8(flat[1], GRID4, 0xFFFF, r, q, d) : stageInt8(flat[1], GRID2, 0xFF, r, q, d);
        return Math.fma(t, stageScale[1], s);
    }

    private float stageInt8(short[] c, byte[] grid, int mask, int r, byte[] q, float[] d) {
        float s = 0;
        for (int bp = 0; bp < nb; bp += E8KernelA8.SPAN) {
            int isum = 0;
            for (int b = bp; b < Math.min(bp + E8KernelA8.SPAN, nb); b++) {
                int o = (c[r * nb + b] & mask) * 8;
                for (int k = 0; k < 8; k++) isum += grid[o + k] * q[b * 8 + k];
            }
            s = Math.fma(isum, d[bp / E8KernelA8.SPAN], s);
        }
        return s;
    }

    /**
     * Batched product Z = Ŵr·U: column j of U is u[uOff + j·uStride ..], and row j of the result goes to
     * z[zOff + j·zStride ..]. Small batches run {@link #multiply} per column; larger ones decode the codes once per
     * 64-row group and block into float tiles, reused for every column (4 columns at a time).
     */
    public void multiplyBatch(float[] u, int uOff, int uStride, float[] z, int zOff, int zStride, int batch) {
        multiplyBatch(u, uOff, uStride, z, zOff, zStride, batch, int8Activations);
    }

    /** As {@link #multiplyBatch}, with int8 activations on or off for this call whatever the switch says. */
    public void multiplyBatch(float[] u, int uOff, int uStride, float[] z, int zOff, int zStride, int batch, boolean int8) {
        if (batch < 0) throw new IllegalArgumentException("batch must be >= 0, got " + batch);
        if (batch == 0) return;
        // every column lies between the first and the last
        checkBounds(u, uOff, z, zOff);
        checkBounds(u, uOff + (batch - 1) * uStride, z, zOff + (batch - 1) * zStride);
        if (panels != null) {
            multiplyPanels(u, uOff, uStride, z, zOff, zStride, batch, int8);
            return;
        }
        if (batch < columnwiseBelow(int8)) {
            // few columns: the pair-table product per column is faster than decoding tiles that few columns share
            for (int j = 0; j < batch; j++) {
                if (int8) multiplyInt8(u, uOff + j * uStride, z, zOff + j * zStride);
                else multiplyExact(u, uOff + j * uStride, z, zOff + j * zStride);
            }
            return;
        }
        if (int8) {
            // the activations rounded as multiplyInt8 rounds them, then the float tiles below: a batched forward
            // pass (prefill, perplexity) computes what token-by-token generation computes, up to float rounding,
            // at the speed of the exact batched product (int16 products gain nothing once a tile is decoded)
            multiplyBatchExact(E8KernelA8.round(u, uOff, uStride, cols, batch), 0, cols, z, zOff, zStride, batch);
        } else {
            multiplyBatchExact(u, uOff, uStride, z, zOff, zStride, batch);
        }
    }

    private void multiplyBatchExact(float[] u, int uOff, int uStride, float[] z, int zOff, int zStride, int batch) {
        if (!WIDE) {
            Parallel.forRange(rows, 16, (r0, r1) -> {
                for (int r = r0; r < r1; r++)
                    for (int j = 0; j < batch; j++) z[zOff + j * zStride + r] = rowDot(r, u, uOff + j * uStride);
            });
            return;
        }
        Parallel.forRange(groups, 1, (g0, g1) -> {
            float[] w = new float[TILE * 8 * GROUP];
            float[] acc = new float[batch * GROUP];
            byte[] scratch = new byte[8 * GROUP];
            for (int g = g0; g < g1; g++) {
                java.util.Arrays.fill(acc, 0f);
                for (int b0 = 0; b0 < nb; b0 += TILE) {
                    int tb = Math.min(TILE, nb - b0);
                    for (int s = 0; s < stageScale.length; s++) {
                        for (int t = 0; t < tb; t++) {
                            int off = (g * nb + b0 + t) * GROUP;
                            if (s == 1 && bits == 3) decodeE81B(abs[1], off, w, t * 8 * GROUP, scratch, stageScale[1], s == 1);
                            else decodeE8P(abs[s], sgn[s], off, w, t * 8 * GROUP, scratch, stageScale[s], s == 1);
                        }
                    }
                    int j = 0;
                    for (; j + 4 <= batch; j += 4) tileDot4(w, tb, u, uOff + j * uStride + b0 * 8, uStride, acc, j * GROUP);
                    for (; j < batch; j++) tileDot(w, tb, u, uOff + j * uStride + b0 * 8, acc, j * GROUP);
                }
                int r0 = g * GROUP, n = Math.min(GROUP, rows - r0);
                for (int j = 0; j < batch; j++) System.arraycopy(acc, j * GROUP, z, zOff + j * zStride + r0, n);
            }
        });
    }

    private static final int TILE = 4;

    // ------------------------------------------------------------------------------------------------
    // 512-bit group kernels

    /** Adds (or, when !add, stores) scale·Σ_b Σ_k v[r][b][k]·u[8b+k] for the 64 rows of group g into acc. */
    private static void groupE8P(byte[] ab, byte[] sg, int g, int nb, float[] u, int uOff, float[] acc,
                                 byte[] scratch, float scale, boolean add) {
        FloatVector a0 = FloatVector.zero(F16), a1 = FloatVector.zero(F16), a2 = FloatVector.zero(F16), a3 = FloatVector.zero(F16);
        ByteVector one = ByteVector.broadcast(B64, (byte) 1);
        int base = g * nb * GROUP;
        for (int b = 0; b < nb; b++) {
            int off = base + b * GROUP;
            ByteVector a = ByteVector.fromArray(B64, ab, off);
            ByteVector sb = ByteVector.fromArray(B64, sg, off);
            VectorMask<Byte> hi = a.lt((byte) 0);
            ByteVector par = sb.lanewise(VectorOperators.BIT_COUNT).and((byte) 1);
            ByteVector s = sb.lanewise(VectorOperators.XOR, par);
            ByteVector sh = one.sub(par.add(par));
            // phase 1: the 8 coordinates' int8 weights of the 64 rows into scratch (stores retire before the
            // loads of phase 2 need them; a store-then-reload per coordinate costs ~25 % more on Zen 4)
            for (int k = 0; k < 8; k++) {
                int tb = k * 256;
                ByteVector t = a.selectFrom(ByteVector.fromArray(B64, TAB_E8P, tb), ByteVector.fromArray(B64, TAB_E8P, tb + 64))
                        .blend(a.selectFrom(ByteVector.fromArray(B64, TAB_E8P, tb + 128), ByteVector.fromArray(B64, TAB_E8P, tb + 192)), hi);
                VectorMask<Byte> neg = s.and(ByteVector.fromArray(B64, SIGN_BITS, k * 64)).compare(VectorOperators.NE, (byte) 0);
                t.lanewise(VectorOperators.NEG, neg).add(sh).intoArray(scratch, k * GROUP);
            }
            // phase 2: widen to float, one FMA per 16 weights against the broadcast u[8b + k]
            int ub = uOff + b * 8;
            for (int k = 0; k < 8; k++) {
                FloatVector uk = FloatVector.broadcast(F16, u[ub + k]);
                int o = k * GROUP;
                a0 = ((FloatVector) ByteVector.fromArray(B16, scratch, o).convertShape(VectorOperators.B2F, F16, 0)).fma(uk, a0);
                a1 = ((FloatVector) ByteVector.fromArray(B16, scratch, o + 16).convertShape(VectorOperators.B2F, F16, 0)).fma(uk, a1);
                a2 = ((FloatVector) ByteVector.fromArray(B16, scratch, o + 32).convertShape(VectorOperators.B2F, F16, 0)).fma(uk, a2);
                a3 = ((FloatVector) ByteVector.fromArray(B16, scratch, o + 48).convertShape(VectorOperators.B2F, F16, 0)).fma(uk, a3);
            }
        }
        finish(acc, 0, a0, a1, a2, a3, scale, add);
    }

    private static void groupE81B(byte[] ab, int g, int nb, float[] u, int uOff, float[] acc, int accOff, byte[] scratch, float scale) {
        FloatVector a0 = FloatVector.zero(F16), a1 = FloatVector.zero(F16), a2 = FloatVector.zero(F16), a3 = FloatVector.zero(F16);
        int base = g * nb * GROUP;
        for (int b = 0; b < nb; b++) {
            ByteVector a = ByteVector.fromArray(B64, ab, base + b * GROUP);
            VectorMask<Byte> hi = a.lt((byte) 0);
            for (int k = 0; k < 8; k++) {
                int tb = k * 256;
                a.selectFrom(ByteVector.fromArray(B64, TAB_E81B, tb), ByteVector.fromArray(B64, TAB_E81B, tb + 64))
                        .blend(a.selectFrom(ByteVector.fromArray(B64, TAB_E81B, tb + 128), ByteVector.fromArray(B64, TAB_E81B, tb + 192)), hi)
                        .intoArray(scratch, k * GROUP);
            }
            int ub = uOff + b * 8;
            for (int k = 0; k < 8; k++) {
                FloatVector uk = FloatVector.broadcast(F16, u[ub + k]);
                int o = k * GROUP;
                a0 = ((FloatVector) ByteVector.fromArray(B16, scratch, o).convertShape(VectorOperators.B2F, F16, 0)).fma(uk, a0);
                a1 = ((FloatVector) ByteVector.fromArray(B16, scratch, o + 16).convertShape(VectorOperators.B2F, F16, 0)).fma(uk, a1);
                a2 = ((FloatVector) ByteVector.fromArray(B16, scratch, o + 32).convertShape(VectorOperators.B2F, F16, 0)).fma(uk, a2);
                a3 = ((FloatVector) ByteVector.fromArray(B16, scratch, o + 48).convertShape(VectorOperators.B2F, F16, 0)).fma(uk, a3);
            }
        }
        finish(acc, accOff, a0, a1, a2, a3, scale, true);
    }

    private static void finish(float[] acc, int o, FloatVector a0, FloatVector a1, FloatVector a2, FloatVector a3, float scale, boolean add) {
        FloatVector sc = FloatVector.broadcast(F16, scale);
        if (add) {
            a0.fma(sc, FloatVector.fromArray(F16, acc, o)).intoArray(acc, o);
            a1.fma(sc, FloatVector.fromArray(F16, acc, o + 16)).intoArray(acc, o + 16);
            a2.fma(sc, FloatVector.fromArray(F16, acc, o + 32)).intoArray(acc, o + 32);
            a3.fma(sc, FloatVector.fromArray(F16, acc, o + 48)).intoArray(acc, o + 48);
        } else {
            a0.mul(sc).intoArray(acc, o);
            a1.mul(sc).intoArray(acc, o + 16);
            a2.mul(sc).intoArray(acc, o + 32);
            a3.mul(sc).intoArray(acc, o + 48);
        }
    }

    /** As {@link #groupE8P} for groups g and g+1 at once (acc[0..128)): each table load serves 128 rows. */
    private static void pairE8P(byte[] ab, byte[] sg, int g, int nb, float[] u, int uOff, float[] acc,
                                byte[] scratch, float scale, boolean add) {
        FloatVector a0 = FloatVector.zero(F16), a1 = FloatVector.zero(F16), a2 = FloatVector.zero(F16), a3 = FloatVector.zero(F16);
        FloatVector b0 = FloatVector.zero(F16), b1 = FloatVector.zero(F16), b2 = FloatVector.zero(F16), b3 = FloatVector.zero(F16);
        ByteVector one = ByteVector.broadcast(B64, (byte) 1);
        int baseA = g * nb * GROUP, baseB = baseA + nb * GROUP;
        for (int b = 0; b < nb; b++) {
            int offA = baseA + b * GROUP, offB = baseB + b * GROUP;
            ByteVector a = ByteVector.fromArray(B64, ab, offA), c = ByteVector.fromArray(B64, ab, offB);
            ByteVector sa = ByteVector.fromArray(B64, sg, offA), sc = ByteVector.fromArray(B64, sg, offB);
            VectorMask<Byte> hiA = a.lt((byte) 0), hiC = c.lt((byte) 0);
            ByteVector pa = sa.lanewise(VectorOperators.BIT_COUNT).and((byte) 1), pc = sc.lanewise(VectorOperators.BIT_COUNT).and((byte) 1);
            ByteVector xa = sa.lanewise(VectorOperators.XOR, pa), xc = sc.lanewise(VectorOperators.XOR, pc);
            ByteVector shA = one.sub(pa.add(pa)), shC = one.sub(pc.add(pc));
            for (int k = 0; k < 8; k++) {
                int tb = k * 256;
                ByteVector t0 = ByteVector.fromArray(B64, TAB_E8P, tb), t1 = ByteVector.fromArray(B64, TAB_E8P, tb + 64);
                ByteVector t2 = ByteVector.fromArray(B64, TAB_E8P, tb + 128), t3 = ByteVector.fromArray(B64, TAB_E8P, tb + 192);
                ByteVector bit = ByteVector.fromArray(B64, SIGN_BITS, k * 64);
                ByteVector ta = a.selectFrom(t0, t1).blend(a.selectFrom(t2, t3), hiA);
                ByteVector tc = c.selectFrom(t0, t1).blend(c.selectFrom(t2, t3), hiC);
                ta.lanewise(VectorOperators.NEG, xa.and(bit).compare(VectorOperators.NE, (byte) 0)).add(shA).intoArray(scratch, k * 2 * GROUP);
                tc.lanewise(VectorOperators.NEG, xc.and(bit).compare(VectorOperators.NE, (byte) 0)).add(shC).intoArray(scratch, k * 2 * GROUP + GROUP);
            }
            int ub = uOff + b * 8;
            for (int k = 0; k < 8; k++) {
                FloatVector uk = FloatVector.broadcast(F16, u[ub + k]);
                int o = k * 2 * GROUP;
                a0 = ((FloatVector) ByteVector.fromArray(B16, scratch, o).convertShape(VectorOperators.B2F, F16, 0)).fma(uk, a0);
                a1 = ((FloatVector) ByteVector.fromArray(B16, scratch, o + 16).convertShape(VectorOperators.B2F, F16, 0)).fma(uk, a1);
                a2 = ((FloatVector) ByteVector.fromArray(B16, scratch, o + 32).convertShape(VectorOperators.B2F, F16, 0)).fma(uk, a2);
                a3 = ((FloatVector) ByteVector.fromArray(B16, scratch, o + 48).convertShape(VectorOperators.B2F, F16, 0)).fma(uk, a3);
                b0 = ((FloatVector) ByteVector.fromArray(B16, scratch, o + 64).convertShape(VectorOperators.B2F, F16, 0)).fma(uk, b0);
                b1 = ((FloatVector) ByteVector.fromArray(B16, scratch, o + 80).convertShape(VectorOperators.B2F, F16, 0)).fma(uk, b1);
                b2 = ((FloatVector) ByteVector.fromArray(B16, scratch, o + 96).convertShape(VectorOperators.B2F, F16, 0)).fma(uk, b2);
                b3 = ((FloatVector) ByteVector.fromArray(B16, scratch, o + 112).convertShape(VectorOperators.B2F, F16, 0)).fma(uk, b3);
            }
        }
        FloatVector sc = FloatVector.broadcast(F16, scale);
        if (add) {
            a0 = sc.fma(a0, FloatVector.fromArray(F16, acc, 0));
            a1 = sc.fma(a1, FloatVector.fromArray(F16, acc, 16));
            a2 = sc.fma(a2, FloatVector.fromArray(F16, acc, 32));
            a3 = sc.fma(a3, FloatVector.fromArray(F16, acc, 48));
            b0 = sc.fma(b0, FloatVector.fromArray(F16, acc, 64));
            b1 = sc.fma(b1, FloatVector.fromArray(F16, acc, 80));
            b2 = sc.fma(b2, FloatVector.fromArray(F16, acc, 96));
            b3 = sc.fma(b3, FloatVector.fromArray(F16, acc, 112));
        } else {
            a0 = sc.mul(a0); a1 = sc.mul(a1); a2 = sc.mul(a2); a3 = sc.mul(a3);
            b0 = sc.mul(b0); b1 = sc.mul(b1); b2 = sc.mul(b2); b3 = sc.mul(b3);
        }
        a0.intoArray(acc, 0); a1.intoArray(acc, 16); a2.intoArray(acc, 32); a3.intoArray(acc, 48);
        b0.intoArray(acc, 64); b1.intoArray(acc, 80); b2.intoArray(acc, 96); b3.intoArray(acc, 112);
    }

    /** As {@link #groupE81B} for groups g and g+1 at once, adding scale·sum into acc[0..128). */
    private static void pairE81B(byte[] ab, int g, int nb, float[] u, int uOff, float[] acc, byte[] scratch, float scale) {
        FloatVector a0 = FloatVector.zero(F16), a1 = FloatVector.zero(F16), a2 = FloatVector.zero(F16), a3 = FloatVector.zero(F16);
        FloatVector b0 = FloatVector.zero(F16), b1 = FloatVector.zero(F16), b2 = FloatVector.zero(F16), b3 = FloatVector.zero(F16);
        int baseA = g * nb * GROUP, baseB = baseA + nb * GROUP;
        for (int b = 0; b < nb; b++) {
            ByteVector a = ByteVector.fromArray(B64, ab, baseA + b * GROUP), c = ByteVector.fromArray(B64, ab, baseB + b * GROUP);
            VectorMask<Byte> hiA = a.lt((byte) 0), hiC = c.lt((byte) 0);
            for (int k = 0; k < 8; k++) {
                int tb = k * 256;
                ByteVector t0 = ByteVector.fromArray(B64, TAB_E81B, tb), t1 = ByteVector.fromArray(B64, TAB_E81B, tb + 64);
                ByteVector t2 = ByteVector.fromArray(B64, TAB_E81B, tb + 128), t3 = ByteVector.fromArray(B64, TAB_E81B, tb + 192);
                a.selectFrom(t0, t1).blend(a.selectFrom(t2, t3), hiA).intoArray(scratch, k * 2 * GROUP);
                c.selectFrom(t0, t1).blend(c.selectFrom(t2, t3), hiC).intoArray(scratch, k * 2 * GROUP + GROUP);
            }
            int ub = uOff + b * 8;
            for (int k = 0; k < 8; k++) {
                FloatVector uk = FloatVector.broadcast(F16, u[ub + k]);
                int o = k * 2 * GROUP;
                a0 = ((FloatVector) ByteVector.fromArray(B16, scratch, o).convertShape(VectorOperators.B2F, F16, 0)).fma(uk, a0);
                a1 = ((FloatVector) ByteVector.fromArray(B16, scratch, o + 16).convertShape(VectorOperators.B2F, F16, 0)).fma(uk, a1);
                a2 = ((FloatVector) ByteVector.fromArray(B16, scratch, o + 32).convertShape(VectorOperators.B2F, F16, 0)).fma(uk, a2);
                a3 = ((FloatVector) ByteVector.fromArray(B16, scratch, o + 48).convertShape(VectorOperators.B2F, F16, 0)).fma(uk, a3);
                b0 = ((FloatVector) ByteVector.fromArray(B16, scratch, o + 64).convertShape(VectorOperators.B2F, F16, 0)).fma(uk, b0);
                b1 = ((FloatVector) ByteVector.fromArray(B16, scratch, o + 80).convertShape(VectorOperators.B2F, F16, 0)).fma(uk, b1);
                b2 = ((FloatVector) ByteVector.fromArray(B16, scratch, o + 96).convertShape(VectorOperators.B2F, F16, 0)).fma(uk, b2);
                b3 = ((FloatVector) ByteVector.fromArray(B16, scratch, o + 112).convertShape(VectorOperators.B2F, F16, 0)).fma(uk, b3);
            }
        }
        FloatVector sc = FloatVector.broadcast(F16, scale);
        a0.fma(sc, FloatVector.fromArray(F16, acc, 0)).intoArray(acc, 0);
        a1.fma(sc, FloatVector.fromArray(F16, acc, 16)).intoArray(acc, 16);
        a2.fma(sc, FloatVector.fromArray(F16, acc, 32)).intoArray(acc, 32);
        a3.fma(sc, FloatVector.fromArray(F16, acc, 48)).intoArray(acc, 48);
        b0.fma(sc, FloatVector.fromArray(F16, acc, 64)).intoArray(acc, 64);
        b1.fma(sc, FloatVector.fromArray(F16, acc, 80)).intoArray(acc, 80);
        b2.fma(sc, FloatVector.fromArray(F16, acc, 96)).intoArray(acc, 96);
        b3.fma(sc, FloatVector.fromArray(F16, acc, 112)).intoArray(acc, 112);
    }

    /** Decodes one block of 64 rows into w[wOff + k·64 + lane] (floats, scaled), adding when add. */
    private static void decodeE8P(byte[] ab, byte[] sg, int off, float[] w, int wOff, byte[] scratch, float scale, boolean add) {
        ByteVector a = ByteVector.fromArray(B64, ab, off);
        ByteVector sb = ByteVector.fromArray(B64, sg, off);
        VectorMask<Byte> hi = a.lt((byte) 0);
        ByteVector par = sb.lanewise(VectorOperators.BIT_COUNT).and((byte) 1);
        ByteVector s = sb.lanewise(VectorOperators.XOR, par);
        ByteVector sh = ByteVector.broadcast(B64, (byte) 1).sub(par.add(par));
        for (int k = 0; k < 8; k++) {
            int tb = k * 256;
            ByteVector t = a.selectFrom(ByteVector.fromArray(B64, TAB_E8P, tb), ByteVector.fromArray(B64, TAB_E8P, tb + 64))
                    .blend(a.selectFrom(ByteVector.fromArray(B64, TAB_E8P, tb + 128), ByteVector.fromArray(B64, TAB_E8P, tb + 192)), hi);
            VectorMask<Byte> neg = s.and(ByteVector.fromArray(B64, SIGN_BITS, k * 64)).compare(VectorOperators.NE, (byte) 0);
            t.lanewise(VectorOperators.NEG, neg).add(sh).intoArray(scratch, k * GROUP);
        }
        for (int k = 0; k < 8; k++) store(scratch, k * GROUP, w, wOff + k * GROUP, scale, add);
    }

    private static void decodeE81B(byte[] ab, int off, float[] w, int wOff, byte[] scratch, float scale, boolean add) {
        ByteVector a = ByteVector.fromArray(B64, ab, off);
        VectorMask<Byte> hi = a.lt((byte) 0);
        for (int k = 0; k < 8; k++) {
            int tb = k * 256;
            a.selectFrom(ByteVector.fromArray(B64, TAB_E81B, tb), ByteVector.fromArray(B64, TAB_E81B, tb + 64))
                    .blend(a.selectFrom(ByteVector.fromArray(B64, TAB_E81B, tb + 128), ByteVector.fromArray(B64, TAB_E81B, tb + 192)), hi)
                    .intoArray(scratch, k * GROUP);
        }
        for (int k = 0; k < 8; k++) store(scratch, k * GROUP, w, wOff + k * GROUP, scale, add);
    }

    private static void store(byte[] scratch, int so, float[] w, int o, float scale, boolean add) {
        for (int p = 0; p < 4; p++) {
            // widened here, not in a helper: a FloatVector returned by a call C2 does not inline is boxed
            FloatVector f = (FloatVector) ByteVector.fromArray(B16, scratch, so + p * 16).convertShape(VectorOperators.B2F, F16, 0);
            if (add) f.fma(FloatVector.broadcast(F16, scale), FloatVector.fromArray(F16, w, o + p * 16)).intoArray(w, o + p * 16);
            else f.mul(scale).intoArray(w, o + p * 16);
        }
    }

    /** acc[accOff + lane] += Σ_t Σ_k w[t][k][lane] · u[uOff + 8t + k] over tb decoded blocks. */
    private static void tileDot(float[] w, int tb, float[] u, int uOff, float[] acc, int accOff) {
        FloatVector a0 = FloatVector.fromArray(F16, acc, accOff), a1 = FloatVector.fromArray(F16, acc, accOff + 16);
        FloatVector a2 = FloatVector.fromArray(F16, acc, accOff + 32), a3 = FloatVector.fromArray(F16, acc, accOff + 48);
        for (int i = 0; i < tb * 8; i++) {
            FloatVector uk = FloatVector.broadcast(F16, u[uOff + i]);
            int o = i * GROUP;
            a0 = FloatVector.fromArray(F16, w, o).fma(uk, a0);
            a1 = FloatVector.fromArray(F16, w, o + 16).fma(uk, a1);
            a2 = FloatVector.fromArray(F16, w, o + 32).fma(uk, a2);
            a3 = FloatVector.fromArray(F16, w, o + 48).fma(uk, a3);
        }
        a0.intoArray(acc, accOff);
        a1.intoArray(acc, accOff + 16);
        a2.intoArray(acc, accOff + 32);
        a3.intoArray(acc, accOff + 48);
    }

    /**
     * {@link #tileDot} for 4 columns at once (u at uOff + c·uStride, sums at accOff + c·GROUP): every weight vector
     * loaded feeds 4 FMAs, where one column at a time loads one per FMA. Each column's sums are the same FMAs in the
     * same order, so the results are identical.
     */
    private static void tileDot4(float[] w, int tb, float[] u, int uOff, int uStride, float[] acc, int accOff) {
        int o0 = accOff, o1 = accOff + GROUP, o2 = accOff + 2 * GROUP, o3 = accOff + 3 * GROUP;
        FloatVector a00 = FloatVector.fromArray(F16, acc, o0), a01 = FloatVector.fromArray(F16, acc, o0 + 16);
        FloatVector a02 = FloatVector.fromArray(F16, acc, o0 + 32), a03 = FloatVector.fromArray(F16, acc, o0 + 48);
        FloatVector a10 = FloatVector.fromArray(F16, acc, o1), a11 = FloatVector.fromArray(F16, acc, o1 + 16);
        FloatVector a12 = FloatVector.fromArray(F16, acc, o1 + 32), a13 = FloatVector.fromArray(F16, acc, o1 + 48);
        FloatVector a20 = FloatVector.fromArray(F16, acc, o2), a21 = FloatVector.fromArray(F16, acc, o2 + 16);
        FloatVector a22 = FloatVector.fromArray(F16, acc, o2 + 32), a23 = FloatVector.fromArray(F16, acc, o2 + 48);
        FloatVector a30 = FloatVector.fromArray(F16, acc, o3), a31 = FloatVector.fromArray(F16, acc, o3 + 16);
        FloatVector a32 = FloatVector.fromArray(F16, acc, o3 + 32), a33 = FloatVector.fromArray(F16, acc, o3 + 48);
        int u0 = uOff, u1 = uOff + uStride, u2 = uOff + 2 * uStride, u3 = uOff + 3 * uStride;
        for (int i = 0; i < tb * 8; i++) {
            int o = i * GROUP;
            FloatVector w0 = FloatVector.fromArray(F16, w, o), w1 = FloatVector.fromArray(F16, w, o + 16);
            FloatVector w2 = FloatVector.fromArray(F16, w, o + 32), w3 = FloatVector.fromArray(F16, w, o + 48);
            FloatVector x0 = FloatVector.broadcast(F16, u[u0 + i]), x1 = FloatVector.broadcast(F16, u[u1 + i]);
            FloatVector x2 = FloatVector.broadcast(F16, u[u2 + i]), x3 = FloatVector.broadcast(F16, u[u3 + i]);
            a00 = w0.fma(x0, a00); a01 = w1.fma(x0, a01); a02 = w2.fma(x0, a02); a03 = w3.fma(x0, a03);
            a10 = w0.fma(x1, a10); a11 = w1.fma(x1, a11); a12 = w2.fma(x1, a12); a13 = w3.fma(x1, a13);
            a20 = w0.fma(x2, a20); a21 = w1.fma(x2, a21); a22 = w2.fma(x2, a22); a23 = w3.fma(x2, a23);
            a30 = w0.fma(x3, a30); a31 = w1.fma(x3, a31); a32 = w2.fma(x3, a32); a33 = w3.fma(x3, a33);
        }
        a00.intoArray(acc, o0); a01.intoArray(acc, o0 + 16); a02.intoArray(acc, o0 + 32); a03.intoArray(acc, o0 + 48);
        a10.intoArray(acc, o1); a11.intoArray(acc, o1 + 16); a12.intoArray(acc, o1 + 32); a13.intoArray(acc, o1 + 48);
        a20.intoArray(acc, o2); a21.intoArray(acc, o2 + 16); a22.intoArray(acc, o2 + 32); a23.intoArray(acc, o2 + 48);
        a30.intoArray(acc, o3); a31.intoArray(acc, o3 + 16); a32.intoArray(acc, o3 + 32); a33.intoArray(acc, o3 + 48);
    }

    // ------------------------------------------------------------------------------------------------
    // per-row paths (256-bit vectors or scalar)

    private float rowDot(int r, float[] u, int uOff) {
        float s = Species.VECTOR ? rowE8P256(flat[0], r, u, uOff) : rowScalar(flat[0], GRID4, r, u, uOff);
        if (bits == 2) return s * 0.25f;
        float t = bits == 4
                ? (Species.VECTOR ? rowE8P256(flat[1], r, u, uOff) : rowScalar(flat[1], GRID4, r, u, uOff))
                : rowScalar81(flat[1], r, u, uOff);
        return s * 0.25f + t * stageScale[1];
    }

    private float rowE8P256(short[] c, int r, float[] u, int uOff) {
        FloatVector a0 = FloatVector.zero(F8), a1 = FloatVector.zero(F8);
        int base = r * nb, b = 0;
        for (; b + 2 <= nb; b += 2) {
            int c0 = c[base + b] & 0xFFFF, c1 = c[base + b + 1] & 0xFFFF;
            a0 = ((FloatVector) ByteVector.fromArray(B8, GRID4, c0 * 8).convertShape(VectorOperators.B2F, F8, 0))
                    .fma(FloatVector.fromArray(F8, u, uOff + b * 8), a0);
            a1 = ((FloatVector) ByteVector.fromArray(B8, GRID4, c1 * 8).convertShape(VectorOperators.B2F, F8, 0))
                    .fma(FloatVector.fromArray(F8, u, uOff + b * 8 + 8), a1);
        }
        float s = Lanes.pairwise(a0.add(a1));
        for (; b < nb; b++) {
            int o = (c[base + b] & 0xFFFF) * 8;
            for (int k = 0; k < 8; k++) s += GRID4[o + k] * u[uOff + b * 8 + k];
        }
        return s;
    }

    private float rowScalar(short[] c, byte[] grid, int r, float[] u, int uOff) {
        float s = 0;
        for (int b = 0; b < nb; b++) {
            int o = (c[r * nb + b] & 0xFFFF) * 8;
            for (int k = 0; k < 8; k++) s += grid[o + k] * u[uOff + b * 8 + k];
        }
        return s;
    }

    private float rowScalar81(short[] c, int r, float[] u, int uOff) {
        float s = 0;
        for (int b = 0; b < nb; b++) {
            int o = (c[r * nb + b] & 0xFF) * 8;
            for (int k = 0; k < 8; k++) s += GRID2[o + k] * u[uOff + b * 8 + k];
        }
        return s;
    }
}
