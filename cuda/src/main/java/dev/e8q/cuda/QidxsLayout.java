package dev.e8q.cuda;

/**
 * The index arithmetic the CUDA kernels use to read QuIP#'s {@code Qidxs} tensor (SPEC §1.5, §3), in Java, so
 * that it can be unit-tested without a GPU. Every formula here has a line-for-line twin in
 * {@code cuda/src/main/cuda/e8q_kernels.cu} ({@code e8q_matvec_body}); change both together.
 *
 * <p>Shapes are the padded ones: {@code rows} (m) a multiple of 16, {@code cols} (n) a multiple of 64, both
 * below 65536. The tensor has {@code W = n/32} E8P words per tensor row and {@link #stride()} words per row in
 * all. Flat word {@code f} of E8P stream {@code s} (0 = first stage, 1 = second stage of 4-bit) lives at
 * {@code (f / W)·stride + s·W + f mod W}. 3-bit rows end in {@code n/64} E81B words.
 */
public record QidxsLayout(int rows, int cols, int bits) {
    /** Rows per kernel block (one 16-row group) and columns per tile (one warp-load of 32 words). */
    public static final int GROUP_ROWS = 16, TILE_COLS = 64, WORDS_PER_TILE = 32;

    /** Whether the kernels can run a padded rows × cols matrix. */
    public static boolean supports(int rows, int cols) {
        return rows > 0 && cols > 0 && rows % 16 == 0 && cols % 64 == 0 && rows < 65536 && cols < 65536;
    }

    public QidxsLayout {
        if (bits < 2 || bits > 4) throw new IllegalArgumentException("bits must be 2, 3 or 4, got " + bits);
        if (!supports(rows, cols))
            throw new IllegalArgumentException("the CUDA kernels need 0 < rows < 65536 with rows % 16 == 0 and "
                    + "0 < cols < 65536 with cols % 64 == 0, got " + rows + "x" + cols);
    }

    /** E8P words per tensor row: n/32. */
    public int e8Words() {
        return cols / 32;
    }

    /** Words per tensor row: n/32 · bits/2. */
    public int stride() {
        int w = e8Words();
        return switch (bits) {
            case 2 -> w;
            case 3 -> w + w / 2;
            default -> 2 * w;
        };
    }

    /** Length of the whole {@code long[]} tensor. */
    public int totalWords() {
        return rows * stride();
    }

    /** 64-column tiles per 16-row group: n/64. */
    public int tiles() {
        return cols / TILE_COLS;
    }

    /** The §1.5 flat index of the word that holds code (row, block) of an E8P stream. */
    public int flatIndex(int row, int block) {
        checkRowBlock(row, block);
        int p = row >> 1, q = block >> 1;
        return (((p >> 3) * tiles() + (q >> 2)) * 8 + (p & 7)) * 4 + (q & 3);
    }

    /** The slot (0..3) of code (row, block) inside its word: (row & 1) | (block & 1) << 1. */
    public static int slot(int row, int block) {
        return (row & 1) | ((block & 1) << 1);
    }

    /** Where flat word {@code flat} of E8P stream {@code stage} sits in the tensor. */
    public int memoryIndex(int stage, int flat) {
        if (stage != 0 && !(stage == 1 && bits == 4))
            throw new IllegalArgumentException("E8P stream " + stage + " does not exist at " + bits + " bits");
        int w = e8Words();
        return (flat / w) * stride() + stage * w + flat % w;
    }

    /** Where the E81B word holding (row, block) sits (3-bit only); the code is byte {@code block % 8}. */
    public int e81bIndex(int row, int block) {
        if (bits != 3) throw new IllegalArgumentException("E81B codes exist only at 3 bits, not " + bits);
        checkRowBlock(row, block);
        return row * stride() + e8Words() + block / 8;
    }

    /**
     * The logical code of (row, block) read the way the kernel reads it: a 16-bit E8P code
     * ({@code absIdx << 8 | signByte}) for E8P streams, the E81B byte for stage 1 at 3 bits.
     */
    public int code(long[] qidxs, int stage, int row, int block) {
        if (bits == 3 && stage == 1) return (int) (qidxs[e81bIndex(row, block)] >>> (8 * (block & 7))) & 0xFF;
        long word = qidxs[memoryIndex(stage, flatIndex(row, block))];
        int s = slot(row, block);
        int abs = (int) (word >>> (8 * s)) & 0xFF;
        int sign32 = (int) (word >>> 32);
        int signByte = 0;
        for (int j = 0; j < 8; j++) signByte |= ((sign32 >>> (4 * j + s)) & 1) << j;
        return abs << 8 | signByte;
    }

    // ---- the kernel's thread mapping: block P (16-row group), tile Q (64 columns), lane 0..31, slot 0..3 ----

    /** The flat word lane {@code lane} loads for tile (P, Q): (P·n/64 + Q)·32 + lane. */
    public int laneFlat(int groupP, int tileQ, int lane) {
        return (groupP * tiles() + tileQ) * WORDS_PER_TILE + lane;
    }

    /** The row of slot {@code slot} of the word lane {@code lane} holds: 16P + 2·(lane/4) + (slot & 1). */
    public static int laneRow(int groupP, int lane, int slot) {
        return groupP * GROUP_ROWS + 2 * (lane >> 2) + (slot & 1);
    }

    /** The 8-column block of that slot: 8Q + 2·(lane % 4) + (slot >> 1). */
    public static int laneBlock(int tileQ, int lane, int slot) {
        return tileQ * 8 + 2 * (lane & 3) + (slot >> 1);
    }

    private void checkRowBlock(int row, int block) {
        if (row < 0 || row >= rows || block < 0 || block >= cols / 8)
            throw new IndexOutOfBoundsException("(row " + row + ", block " + block + ") outside " + rows + "x" + cols);
    }
}
