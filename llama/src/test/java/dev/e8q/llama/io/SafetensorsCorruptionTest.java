package dev.e8q.llama.io;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quicktheories.generators.SourceDSL;

/** Every malformed header must fail as CheckpointFormatException naming the file (and tensor). */
class SafetensorsCorruptionTest {
    @TempDir
    Path tmp;

    private int counter;

    /** A file with the given JSON header and {@code dataBytes} zero bytes of data. */
    private Path file(String json, int dataBytes) throws IOException {
        byte[] h = json.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        Path p = tmp.resolve("c" + (counter++) + ".safetensors");
        Files.write(p, b.array());
        return p;
    }

    private void rejects(Path p, String... fragments) {
        var e = assertThrows(CheckpointFormatException.class, () -> SafetensorsReader.open(p).close());
        assertTrue(e.getMessage().startsWith(p.toString()), e.getMessage());
        for (String f : fragments) assertTrue(e.getMessage().contains(f), "'" + f + "' not in: " + e.getMessage());
    }

    private static String t(String name, String dtype, String shape, String offsets) {
        return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":" + offsets + "}";
    }

    @Test
    void validFileOpens() throws IOException {
        SafetensorsReader.open(file("{" + t("a", "F32", "[2]", "[0,8]") + "," + t("b", "F16", "[2,1]", "[8,12]") + "}", 12)).close();
    }

    @Test
    void headerLength() throws IOException {
        Path tiny = tmp.resolve("tiny");
        Files.write(tiny, new byte[5]);
        rejects(tiny, "8-byte");
        Path big = tmp.resolve("big");
        Files.write(big, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1000).array());
        rejects(big, "header length 1000", "16 bytes");
        Path neg = tmp.resolve("neg");
        Files.write(neg, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(-5).array());
        rejects(neg, "header length 18446744073709551611");
    }

    @Test
    void headerOverSizeLimitInLargeSparseFile() throws IOException {
        Path p = tmp.resolve("sparse.safetensors");
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(SafetensorsReader.MAX_HEADER_BYTES + 64);
            byte[] len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(SafetensorsReader.MAX_HEADER_BYTES + 1).array();
            f.write(len);
        }
        rejects(p, "limit");
    }

    @Test
    void malformedJson() throws IOException {
        rejects(file("{\"a\":{\"dtype\":", 0), "malformed");
        rejects(file("[1,2,3]", 0), "not a JSON object");
        rejects(file("{" + t("a", "F32", "[1]", "[0,4]") + "," + t("a", "F32", "[1]", "[4,8]") + "}", 8), "malformed");
        rejects(file("{\"a\":5}", 0), "'a'", "not a JSON object");
    }

    @Test
    void entryFields() throws IOException {
        rejects(file("{" + t("w", "F8_E4M3", "[1]", "[0,1]") + "}", 1), "'w'", "unknown dtype 'F8_E4M3'");
        rejects(file("{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "'w'", "dtype");
        rejects(file("{" + t("w", "F32", "[-1]", "[0,4]") + "}", 4), "'w'", "non-negative");
        rejects(file("{" + t("w", "F32", "[1.5]", "[0,4]") + "}", 4), "'w'", "non-negative");
        rejects(file("{" + t("w", "F32", "5", "[0,4]") + "}", 4), "'w'", "shape");
        rejects(file("{" + t("w", "F32", "[4294967296,4294967296,16]", "[0,4]") + "}", 4), "'w'", "overflow");
        rejects(file("{" + t("w", "I64", "[1152921504606846976]", "[0,8]") + "}", 8), "'w'", "overflow");
        rejects(file("{" + t("w", "F32", "[1]", "[0]") + "}", 4), "'w'", "data_offsets");
        rejects(file("{" + t("w", "F32", "[1]", "[\"0\",4]") + "}", 4), "'w'", "data_offsets");
        rejects(file("{" + t("w", "F32", "[1]", "[4,0]") + "}", 4), "'w'", "increasing");
        rejects(file("{" + t("w", "F32", "[1]", "[-4,0]") + "}", 4), "'w'", "increasing");
        rejects(file("{\"__metadata__\":{\"k\":1}}", 0), "__metadata__", "'k'");
        rejects(file("{\"__metadata__\":[]}", 0), "__metadata__");
    }

    @Test
    void offsetsAgainstDataAndEachOther() throws IOException {
        rejects(file("{" + t("w", "F32", "[2]", "[0,8]") + "}", 4), "'w'", "past the end");
        rejects(file("{" + t("w", "F32", "[2]", "[0,12]") + "}", 12), "'w'", "12 bytes", "needs 8");
        rejects(file("{" + t("a", "F32", "[2]", "[0,8]") + "," + t("b", "F32", "[2]", "[4,12]") + "}", 12), "'a'", "'b'", "overlap");
        rejects(file("{" + t("a", "F32", "[2]", "[4,12]") + "," + t("b", "F32", "[2]", "[0,8]") + "}", 12), "overlap");
    }

    /** Random byte damage anywhere in the header or length, or truncation: a clean error or a valid file, nothing else. */
    @Test
    void randomDamageNeverEscapesAsOtherExceptions() throws IOException {
        Path good = tmp.resolve("good.safetensors");
        new SafetensorsWriter().metadata("format", "pt").addF32("a.weight", new long[] {3, 2}, new float[6])
                .addI64("b", new long[] {2}, new long[2]).addF16("c", new long[] {1}, new float[1]).write(good);
        byte[] orig = Files.readAllBytes(good);
        qt().withExamples(300).forAll(SourceDSL.longs().all()).checkAssert(seed -> {
            Random rnd = new Random(seed);
            byte[] bad = orig.clone();
            int headerEnd = 8 + (int) ByteBuffer.wrap(orig).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
            int flips = 1 + rnd.nextInt(4);
            for (int i = 0; i < flips; i++) {
                int at = rnd.nextInt(headerEnd);
                bad[at] = rnd.nextBoolean() ? (byte) rnd.nextInt() : (byte) "0123456789[]{},:\"-".charAt(rnd.nextInt(18));
            }
            if (rnd.nextInt(4) == 0) bad = Arrays.copyOf(bad, rnd.nextInt(bad.length));
            try {
                Path p = tmp.resolve("fuzz.safetensors");
                Files.write(p, bad);
                try (SafetensorsReader r = SafetensorsReader.open(p)) {
                    for (String n : r.names()) {
                        try {
                            if (r.dtype(n).isFloating()) r.readFloats(n);
                            else if (r.dtype(n) == DType.I64) r.readLongs(n);
                        } catch (CheckpointFormatException ok) {
                            // a damaged dtype can make the type check fail; that is a clean error
                        }
                    }
                } catch (CheckpointFormatException expected) {
                    // the point of the test: corruption is reported cleanly
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }
}
