package dev.e8q.hadamard;

/**
 * The twelve non-power-of-two base matrices hadK of SPEC §4.3, built once from their formulas and
 * cached in the forms the transform needs (float and double, plain and transposed, row-major).
 */
final class BaseMatrices {
    private BaseMatrices() {}

    /** Supported K in increasing order (K = 1, the pure power-of-two case, is not listed). */
    static final int[] SIZES = {12, 20, 28, 36, 52, 60, 108, 116, 124, 140, 156, 172};

    static final int MAX_SIZE = 172;

    /** One base matrix in every form the kernels use; all arrays are row-major K×K. */
    record Base(int k, byte[] signs, float[] f, float[] fT, double[] d, double[] dT) {}

    private static final Base[] BY_SIZE = new Base[MAX_SIZE + 1];

    static {
        for (int k : SIZES) {
            BY_SIZE[k] = cache(k, construct(k));
        }
        BY_SIZE[1] = cache(1, new byte[][] {{1}});
    }

    /** The cached base for K, or null when K is not 1 or one of {@link #SIZES}. */
    static Base get(int k) {
        return k >= 0 && k <= MAX_SIZE ? BY_SIZE[k] : null;
    }

    private static byte[][] construct(int k) {
        return switch (k) {
            case 12 -> Paley.typeOne(11);
            case 20 -> Paley.typeOne(19);
            case 60 -> Paley.typeOne(59);
            case 108 -> Paley.typeOne(107);
            case 140 -> Paley.typeOne(139);
            case 28 -> Paley.typeTwo(13);
            case 36 -> Paley.typeTwo(17);
            case 52 -> Williamson.build(
                    "+-+--++++--+-",
                    "+---++++++---",
                    "++-+--++--+-+",
                    "+----+--+----");
            case 116 -> Williamson.build(
                    "++--+--+-+++-++++-+++-+--+--+",
                    "++++-++-+---++++++---+-++-+++",
                    "+-+---++--+-++++++-+--++---+-",
                    "+++---++--+-+----+-+--++---++");
            case 124 -> Williamson.build(
                    "+--+++-+--+----++----+--+-+++--",
                    "+--+++-+--+----++----+--+-+++--", // A = B for this size (SPEC §4.3)
                    "+-----+++-+-+--++--+-+-+++-----",
                    "++++++---+-+-++--++-+-+---+++++");
            case 156 -> Williamson.build(
                    "+++--+-+-----+--++----++--+-----+-+--++",
                    "++++---+--++----+-+--+-+----++--+---+++",
                    "+++--++-+---+-+--+----+--+-+---+-++--++",
                    "+---++-+-+-----+++-++-+++-----+-+-++---");
            case 172 -> Williamson.build(
                    "+---++--++++-+-+++-++--++-+++-+-++++--++---",
                    "++-++++++----+-+--++-++-++--+-+----++++++-+",
                    "+++-+-++--+-+-++++-+----+-++++-+-+--++-+-++",
                    "++---++++-+--+--++--------++--+--+-++++---+");
            default -> throw new IllegalArgumentException("no base Hadamard matrix of size K=" + k);
        };
    }

    private static Base cache(int k, byte[][] h) {
        if (h.length != k) {
            throw new IllegalStateException("base matrix for K=" + k + " came out " + h.length + " rows");
        }
        byte[] signs = new byte[k * k];
        float[] f = new float[k * k];
        float[] fT = new float[k * k];
        double[] d = new double[k * k];
        double[] dT = new double[k * k];
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < k; j++) {
                byte v = h[i][j];
                signs[i * k + j] = v;
                f[i * k + j] = v;
                fT[j * k + i] = v;
                d[i * k + j] = v;
                dT[j * k + i] = v;
            }
        }
        return new Base(k, signs, f, fT, d, dT);
    }
}
