package dev.e8q.llama.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes a safetensors file. Tensors are declared with dtype and shape and a {@link Data} callback that
 * produces their bytes only when the file is written, so a caller can stream (e.g. quantize layer i while
 * writing it) instead of holding every tensor in memory; the array-taking {@code add*} methods keep a
 * reference to the caller's array (no copy). The header is padded with spaces so the data starts at an
 * 8-byte boundary, and the file appears atomically: it is written under a temporary name in the target
 * directory and renamed.
 */
public final class SafetensorsWriter {
    /** Produces a tensor's bytes, in order, little-endian, through {@code out}. */
    @FunctionalInterface
    public interface Data {
        void writeTo(Sink out) throws IOException;
    }

    /** Where {@link Data} writes; buffers and checks the byte count against the declared shape. */
    public interface Sink {
        void putFloat(float v) throws IOException;

        void putShort(short v) throws IOException;

        void putInt(int v) throws IOException;

        void putLong(long v) throws IOException;

        void putByte(byte v) throws IOException;
    }

    private record Entry(String name, DType dtype, long[] shape, long bytes, Data data) {}

    private static final ObjectMapper JSON = new ObjectMapper();
    private final Map<String, String> metadata = new LinkedHashMap<>();
    private final List<Entry> entries = new ArrayList<>();
    private final Set<String> names = new LinkedHashSet<>();

    public SafetensorsWriter metadata(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    /** Declares a tensor whose bytes {@code data} will produce at write time. */
    public SafetensorsWriter add(String name, DType dtype, long[] shape, Data data) {
        if (name.equals("__metadata__")) throw new IllegalArgumentException("tensor name __metadata__ is reserved");
        if (!names.add(name)) throw new IllegalArgumentException("duplicate tensor name '" + name + "'");
        long n = 1;
        for (long d : shape) {
            if (d < 0) throw new IllegalArgumentException("tensor '" + name + "': negative dimension in shape " + java.util.Arrays.toString(shape));
            n = Math.multiplyExact(n, d);
        }
        entries.add(new Entry(name, dtype, shape.clone(), Math.multiplyExact(n, (long) dtype.bytes()), data));
        return this;
    }

    public SafetensorsWriter addF32(String name, long[] shape, float[] v) {
        checkLength(name, shape, v.length);
        return add(name, DType.F32, shape, s -> {
            for (float x : v) s.putFloat(x);
        });
    }

    /** Stored as IEEE half precision (round to nearest even). */
    public SafetensorsWriter addF16(String name, long[] shape, float[] v) {
        checkLength(name, shape, v.length);
        return add(name, DType.F16, shape, s -> {
            for (float x : v) s.putShort(Float.floatToFloat16(x));
        });
    }

    /** Stored as bfloat16 (round to nearest even; NaN stays NaN). */
    public SafetensorsWriter addBF16(String name, long[] shape, float[] v) {
        checkLength(name, shape, v.length);
        return add(name, DType.BF16, shape, s -> {
            for (float x : v) s.putShort(toBf16(x));
        });
    }

    /** Raw 16-bit values stored as {@code dtype} (F16, BF16 or I16). */
    public SafetensorsWriter addShortsRaw(String name, DType dtype, long[] shape, short[] v) {
        if (dtype.bytes() != 2) throw new IllegalArgumentException("tensor '" + name + "': " + dtype + " is not a 16-bit type");
        checkLength(name, shape, v.length);
        return add(name, dtype, shape, s -> {
            for (short x : v) s.putShort(x);
        });
    }

    public SafetensorsWriter addI64(String name, long[] shape, long[] v) {
        checkLength(name, shape, v.length);
        return add(name, DType.I64, shape, s -> {
            for (long x : v) s.putLong(x);
        });
    }

    public SafetensorsWriter addI32(String name, long[] shape, int[] v) {
        checkLength(name, shape, v.length);
        return add(name, DType.I32, shape, s -> {
            for (int x : v) s.putInt(x);
        });
    }

    /** I8, U8 or BOOL bytes. */
    public SafetensorsWriter addBytes(String name, DType dtype, long[] shape, byte[] v) {
        if (dtype.bytes() != 1) throw new IllegalArgumentException("tensor '" + name + "': " + dtype + " is not a 1-byte type");
        checkLength(name, shape, v.length);
        return add(name, dtype, shape, s -> {
            for (byte x : v) s.putByte(x);
        });
    }

    static short toBf16(float x) {
        int bits = Float.floatToRawIntBits(x);
        if (Float.isNaN(x)) return (short) ((bits >>> 16) | 0x40);
        int rounded = bits + 0x7FFF + ((bits >>> 16) & 1);
        return (short) (rounded >>> 16);
    }

    private static void checkLength(String name, long[] shape, int length) {
        long n = 1;
        for (long d : shape) n *= d;
        if (n != length) {
            throw new IllegalArgumentException("tensor '" + name + "': shape " + java.util.Arrays.toString(shape)
                    + " has " + n + " elements but " + length + " values were given");
        }
    }

    /** The JSON header, padded with spaces to a multiple of 8 bytes. */
    byte[] header() throws IOException {
        ObjectNode root = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode m = root.putObject("__metadata__");
            metadata.forEach(m::put);
        }
        long offset = 0;
        for (Entry e : entries) {
            ObjectNode t = root.putObject(e.name());
            t.put("dtype", e.dtype().name());
            ArrayNode sh = t.putArray("shape");
            for (long d : e.shape()) sh.add(d);
            t.putArray("data_offsets").add(offset).add(offset + e.bytes());
            offset += e.bytes();
        }
        byte[] json = JSON.writeValueAsBytes(root);
        int padded = (json.length + 7) / 8 * 8;
        byte[] out = new byte[padded];
        System.arraycopy(json, 0, out, 0, json.length);
        java.util.Arrays.fill(out, json.length, padded, (byte) ' ');
        return out;
    }

    /** Writes the file to {@code path} (temporary name, then rename). */
    public void write(Path path) throws IOException {
        Path abs = path.toAbsolutePath();
        Path dir = abs.getParent();
        Files.createDirectories(dir);
        // Not Files.createTempFile: that makes the file owner-only, and the renamed result should get the
        // usual permissions of a model file.
        Path tmp = dir.resolve("." + abs.getFileName() + "." + ProcessHandle.current().pid() + "." + System.nanoTime() + ".tmp");
        boolean done = false;
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW)) {
            byte[] header = header();
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).flip();
            writeFully(ch, len);
            writeFully(ch, ByteBuffer.wrap(header));
            for (Entry e : entries) {
                BufferedSink sink = new BufferedSink(ch);
                e.data().writeTo(sink);
                sink.flush();
                if (sink.written != e.bytes()) {
                    throw new IOException(path + ": tensor '" + e.name() + "' produced " + sink.written
                            + " bytes, its shape and dtype need " + e.bytes());
                }
            }
            ch.force(false);
            done = true;
        } catch (IOException e) {
            throw AtomicFiles.naming(path, e);
        } finally {
            if (!done) Files.deleteIfExists(tmp);
        }
        try {
            Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }

    /** Little-endian buffered writer that counts bytes. */
    private static final class BufferedSink implements Sink {
        private final FileChannel ch;
        private final ByteBuffer buf = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        long written;

        BufferedSink(FileChannel ch) {
            this.ch = ch;
        }

        private void room(int n) throws IOException {
            if (buf.remaining() < n) flush();
            written += n;
        }

        void flush() throws IOException {
            buf.flip();
            writeFully(ch, buf);
            buf.clear();
        }

        @Override
        public void putFloat(float v) throws IOException {
            room(4);
            buf.putFloat(v);
        }

        @Override
        public void putShort(short v) throws IOException {
            room(2);
            buf.putShort(v);
        }

        @Override
        public void putInt(int v) throws IOException {
            room(4);
            buf.putInt(v);
        }

        @Override
        public void putLong(long v) throws IOException {
            room(8);
            buf.putLong(v);
        }

        @Override
        public void putByte(byte v) throws IOException {
            room(1);
            buf.put(v);
        }
    }
}
