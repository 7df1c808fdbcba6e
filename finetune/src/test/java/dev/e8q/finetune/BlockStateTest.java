package dev.e8q.finetune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.e8q.codec.E8Codec;
import dev.e8q.codec.E8Matrix;
import dev.e8q.llama.LlamaConfig;
import dev.e8q.llama.model.LinearKind;
import java.util.EnumMap;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BlockStateTest {
    static LlamaConfig config(int dim, int hidden, int heads, int kv, boolean interleaved) {
        return new LlamaConfig("test", dim, hidden, 1, heads, kv, dim / heads, 11, 64, 1e-5f, 10000f, null,
                interleaved, true, false, 1, 2);
    }

    static BlockState randomDense(Random r, LlamaConfig c) {
        EnumMap<LinearKind, float[]> w = new EnumMap<>(LinearKind.class);
        for (LinearKind k : LinearKind.values()) {
            int[] s = BlockState.shape(c, k);
            w.put(k, GradientCheckTest.toFloat(Fixtures.gauss(r, s[0] * s[1], 1 / Math.sqrt(s[1]))));
        }
        float[] n1 = new float[c.dim()], n2 = new float[c.dim()];
        for (int i = 0; i < c.dim(); i++) {
            n1[i] = (float) (0.5 + r.nextDouble());
            n2[i] = (float) (0.5 + r.nextDouble());
        }
        return BlockState.dense(c, 0, n1, n2, w);
    }

    /** Quantized parts of the block compute, row for row, the decoded matrix times its fuse scale. */
    @Test
    void toBlockLaysOutPartsAndWithTunedRoundTrips() {
        qt().withFixedSeed(71L).withExamples(6)
                .forAll(integers().between(0, 3), integers().between(0, 1), longs().all())
                .checkAssert((layout, ratio, seed) -> {
                    Random r = new Random(seed);
                    LlamaConfig c = config(16, 24, 4, ratio == 0 ? 4 : 2, r.nextBoolean());
                    BlockState s = randomDense(r, c);
                    List<BlockState.Part> parts = switch (layout) {
                        case 0 -> List.of(BlockState.Part.QKV, BlockState.Part.UPGATE);
                        case 1 -> List.of(BlockState.Part.K, BlockState.Part.O, BlockState.Part.GATE);
                        case 2 -> List.of(BlockState.Part.QKV, BlockState.Part.O, BlockState.Part.UPGATE, BlockState.Part.DOWN);
                        default -> List.of();
                    };
                    for (BlockState.Part p : parts) {
                        int rows = 0, cols = BlockState.shape(c, p.kinds().get(0))[1];
                        for (LinearKind k : p.kinds()) rows += BlockState.shape(c, k)[0];
                        float[] w = GradientCheckTest.toFloat(Fixtures.gauss(r, rows * cols, 1));
                        float[] fuse = p.kinds().size() > 1 ? new float[p.kinds().size()] : null;
                        if (fuse != null) for (int i = 0; i < fuse.length; i++) fuse[i] = (float) (0.5 + r.nextDouble());
                        s = s.withQuantized(p, E8Codec.encode(w, rows, cols, 2), fuse);
                    }
                    Block b = s.toBlock();
                    List<LinearParam> lin = b.linears();
                    for (LinearParam l : lin) {
                        BlockState.Part p = partOf(l.name());
                        double[] eff = l.effectiveWeight();
                        if (s.quantized(p) == null) {
                            assertArrayEquals(FromLlama.toDouble(s.dense(p.kinds().get(0))), eff, 0, l.name());
                            continue;
                        }
                        E8Matrix m = s.quantized(p).matrix();
                        float[] dec = m.decodeRowMajor();
                        float[] fuse = s.quantized(p).fuseScales();
                        int row = 0;
                        for (int i = 0; i < p.kinds().size(); i++) {
                            int n = BlockState.shape(c, p.kinds().get(i))[0];
                            double f = fuse == null ? 1 : fuse[i];
                            for (int j = row * m.cols(); j < (row + n) * m.cols(); j++) {
                                assertEquals(dec[j] * f, eff[j], 1e-4 * Math.max(1, Math.abs(eff[j])), l.name() + "[" + j + "]");
                            }
                            row += n;
                        }
                    }
                    // nothing tuned: reading the block back gives the same numbers
                    BlockState back = s.withTuned(b);
                    for (LinearKind k : LinearKind.values()) {
                        if (!s.isQuantized(k)) assertArrayEquals(s.dense(k), back.dense(k), 0);
                    }
                    for (BlockState.Part p : parts) {
                        assertArrayEquals(s.quantized(p).matrix().su(), back.quantized(p).matrix().su(), 0);
                        assertArrayEquals(s.quantized(p).matrix().sv(), back.quantized(p).matrix().sv(), 0);
                    }
                    assertArrayEquals(s.attnNorm(), back.attnNorm(), 0);
                });
    }

    private static BlockState.Part partOf(String name) {
        String n = name.substring(name.lastIndexOf('.') + 1);
        return switch (n) {
            case "qkv_proj" -> BlockState.Part.QKV;
            case "upgate_proj" -> BlockState.Part.UPGATE;
            default -> BlockState.Part.valueOf(n.replace("_proj", "").toUpperCase());
        };
    }

    @Test
    void rejectsDoubleQuantizationAndWrongShapes() {
        Random r = new Random(1);
        LlamaConfig c = config(16, 24, 4, 2, true);
        BlockState s = randomDense(r, c);
        E8Matrix qkv = E8Codec.encode(new float[32 * 16], 32, 16, 2);
        BlockState q = s.withQuantized(BlockState.Part.QKV, qkv, null);
        assertThrows(IllegalStateException.class, () -> q.withQuantized(BlockState.Part.K, E8Codec.encode(new float[8 * 16], 8, 16, 2), null));
        assertThrows(IllegalArgumentException.class, () -> s.withQuantized(BlockState.Part.O, qkv, null));
        assertThrows(IllegalArgumentException.class, () -> s.withQuantized(BlockState.Part.QKV, qkv, new float[2]));
        assertThrows(IllegalStateException.class, () -> q.withDense(LinearKind.V, new float[8 * 16]));
    }
}
