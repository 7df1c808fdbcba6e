package dev.e8q.llama.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;

import dev.e8q.llama.testdata.TestData;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quicktheories.generators.SourceDSL;

class SafetensorsRoundTripTest {
    @TempDir
    Path tmp;

    @Test
    void readsTinyStoriesFile() throws IOException {
        Path f = TestData.file("tinystories656K/model.safetensors");
        ByteBuffer raw = ByteBuffer.wrap(Files.readAllBytes(f)).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(2160, raw.getLong(0));
        try (SafetensorsReader r = SafetensorsReader.open(f)) {
            assertEquals(Map.of("format", "pt", "model.embed_tokens.weight", "lm_head.weight"), r.metadata());
            assertEquals(2 * 9 + 2, r.names().size());
            TensorInfo head = r.info("lm_head.weight");
            assertEquals(DType.F32, head.dtype());
            assertArrayEquals(new long[] {2048, 128}, head.shape());
            float[] v = r.readFloats("model.layers.1.mlp.down_proj.weight");
            TensorInfo t = r.info("model.layers.1.mlp.down_proj.weight");
            assertEquals(128 * 384, v.length);
            for (int i = 0; i < v.length; i += 97) assertEquals(raw.getFloat((int) (t.offset() + 4L * i)), v[i]);
            // README: every value is a bf16 widened to f32.
            for (float x : r.readFloats("lm_head.weight")) assertEquals(0, Float.floatToRawIntBits(x) & 0xFFFF);
            assertEquals(128, r.segment("model.norm.weight").byteSize() / 4);
        }
    }

    @Test
    void roundTripsEveryDtype() {
        qt().withExamples(40).forAll(SourceDSL.longs().all()).checkAssert(seed -> {
            try {
                roundTrip(seed);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    private void roundTrip(long seed) throws IOException {
        Random rnd = new Random(seed);
        int dims = rnd.nextInt(4);
        long[] shape = new long[dims];
        int n = 1;
        for (int i = 0; i < dims; i++) n *= (int) (shape[i] = rnd.nextInt(5));
        float[] f = new float[n];
        long[] l = new long[n];
        int[] ints = new int[n];
        short[] s = new short[n];
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            f[i] = (float) rnd.nextGaussian() * (float) Math.pow(10, rnd.nextInt(9) - 4);
            l[i] = rnd.nextLong();
            ints[i] = rnd.nextInt();
            s[i] = (short) rnd.nextInt();
            b[i] = (byte) rnd.nextInt();
        }
        Path p = tmp.resolve("rt" + seed + ".safetensors");
        new SafetensorsWriter().metadata("seed", Long.toString(seed)).metadata("ünï", "cödé")
                .addF32("f32", shape, f).addF16("f16", shape, f).addBF16("bf16", shape, f)
                .addI64("i64", shape, l).addI32("i32", shape, ints).addShortsRaw("i16", DType.I16, shape, s)
                .addShortsRaw("f16raw", DType.F16, shape, s).addBytes("u8", DType.U8, shape, b)
                .addBytes("i8", DType.I8, shape, b).write(p);
        try (SafetensorsReader r = SafetensorsReader.open(p)) {
            assertEquals(Long.toString(seed), r.metadata().get("seed"));
            assertEquals("cödé", r.metadata().get("ünï"));
            assertEquals(List.of("f32", "f16", "bf16", "i64", "i32", "i16", "f16raw", "u8", "i8"), r.names());
            assertArrayEquals(shape, r.shape("f32"));
            assertArrayEquals(f, r.readFloats("f32"));
            float[] half = r.readFloats("f16"), bf = r.readFloats("bf16");
            for (int i = 0; i < n; i++) {
                assertEquals(Float.float16ToFloat(Float.floatToFloat16(f[i])), half[i], "f16 element " + i);
                // bf16 keeps 8 significant bits: round-to-nearest relative error at most 2^-8.
                assertEquals(f[i], bf[i], Math.abs(f[i]) * 0x1p-8f, "bf16 element " + i);
                assertEquals(0, Float.floatToRawIntBits(bf[i]) & 0xFFFF);
            }
            assertArrayEquals(l, r.readLongs("i64"));
            assertArrayEquals(ints, r.readInts("i32"));
            assertArrayEquals(s, r.readShortsRaw("i16"));
            assertArrayEquals(s, r.readShortsRaw("f16raw"));
            assertArrayEquals(b, r.readBytes("u8"));
            assertArrayEquals(b, r.readBytes("i8"));
        }
        // The data starts 8-byte aligned; the padding is spaces.
        ByteBuffer raw = ByteBuffer.wrap(Files.readAllBytes(p)).order(ByteOrder.LITTLE_ENDIAN);
        long hlen = raw.getLong(0);
        assertEquals(0, hlen % 8);
        byte last = raw.get((int) (8 + hlen - 1));
        assertTrue(last == '}' || last == ' ');
    }

    @Test
    void bf16RoundsToNearestEven() {
        assertEquals((short) 0x3F80, SafetensorsWriter.toBf16(1.0f));
        // 1 + 2^-8 is exactly halfway between bf16 1.0 and 1.0078125: ties to even (1.0).
        assertEquals((short) 0x3F80, SafetensorsWriter.toBf16(1.0f + 0x1p-8f));
        assertEquals((short) 0x3F81, SafetensorsWriter.toBf16(1.0f + 0x1p-8f + 0x1p-20f));
        assertTrue(Float.isNaN(Float.intBitsToFloat(SafetensorsWriter.toBf16(Float.NaN) << 16)));
    }

    @Test
    void wrongDtypeAccessIsNamed() throws IOException {
        Path p = tmp.resolve("w.safetensors");
        new SafetensorsWriter().addI64("codes", new long[] {2}, new long[] {1, 2}).write(p);
        try (SafetensorsReader r = SafetensorsReader.open(p)) {
            var e = assertThrows(CheckpointFormatException.class, () -> r.readFloats("codes"));
            assertTrue(e.getMessage().contains("codes") && e.getMessage().contains("I64"), e.getMessage());
            var e2 = assertThrows(IllegalArgumentException.class, () -> r.readLongs("nope"));
            assertTrue(e2.getMessage().contains("nope"));
        }
    }

    @Test
    void writerRejectsMismatchAndLeavesNoTempFiles() throws IOException {
        assertThrows(IllegalArgumentException.class,
                () -> new SafetensorsWriter().addF32("x", new long[] {3}, new float[2]));
        assertThrows(IllegalArgumentException.class,
                () -> new SafetensorsWriter().addF32("x", new long[] {1}, new float[1]).addF32("x", new long[] {1}, new float[1]));
        Path p = tmp.resolve("bad.safetensors");
        var w = new SafetensorsWriter().add("x", DType.F32, new long[] {4}, sink -> sink.putFloat(1f));
        var e = assertThrows(IOException.class, () -> w.write(p));
        assertTrue(e.getMessage().contains("'x'"), e.getMessage());
        try (var files = Files.list(tmp)) {
            assertEquals(List.of(), files.toList());
        }
    }

    @Test
    void overwritesExistingFileAtomically() throws IOException {
        Path p = tmp.resolve("a.safetensors");
        new SafetensorsWriter().addF32("x", new long[] {1}, new float[] {1}).write(p);
        new SafetensorsWriter().addF32("y", new long[] {2}, new float[] {2, 3}).write(p);
        try (SafetensorsReader r = SafetensorsReader.open(p)) {
            assertEquals(List.of("y"), r.names());
            assertEquals(Arrays.toString(new float[] {2, 3}), Arrays.toString(r.readFloats("y")));
        }
    }
}
