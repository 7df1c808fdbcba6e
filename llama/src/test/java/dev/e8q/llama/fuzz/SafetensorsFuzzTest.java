package dev.e8q.llama.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.e8q.llama.io.CheckpointFormatException;
import dev.e8q.llama.io.SafetensorsReader;
import dev.e8q.llama.io.TensorInfo;
import java.nio.file.Path;

/**
 * {@link SafetensorsReader}: header length, JSON header (dtype, shape, data_offsets, __metadata__) and the
 * data. A file that opens must describe tensors that lie inside it, whose byte length matches shape ×
 * dtype, and every tensor must then read back with exactly that many elements.
 */
class SafetensorsFuzzTest {
    private static final FuzzSupport.Scratch SCRATCH = new FuzzSupport.Scratch("safetensors");

    @FuzzTest(maxDuration = "10m")
    void fuzz(byte[] data) {
        Path file = FuzzSupport.Scratch.write(SCRATCH.fresh(), "model.safetensors", data);
        FuzzSupport.run(data.length, () -> load(file, data.length), file.toString(), CheckpointFormatException.class);
    }

    static void load(Path file, long size) throws Exception {
        try (SafetensorsReader r = SafetensorsReader.open(file)) {
            readAll(r, size);
        }
    }

    /** Reads every tensor by its dtype and checks it against its header entry. */
    static void readAll(SafetensorsReader r, long fileSize) throws CheckpointFormatException {
        for (String name : r.names()) {
            TensorInfo t = r.info(name);
            long count = 1;
            for (long d : t.shape()) {
                check(d >= 0, name, "negative dimension");
                count = Math.multiplyExact(count, d);
            }
            check(t.offset() >= 8 && t.byteLength() >= 0 && t.offset() + t.byteLength() <= fileSize, name, "outside the file");
            check(count * t.dtype().bytes() == t.byteLength(), name, "length disagrees with shape");
            check(r.segment(name).byteSize() == t.byteLength(), name, "segment length");
            long n = switch (t.dtype()) {
                case F64, F32, F16, BF16 -> r.readFloats(name).length;
                case I64 -> r.readLongs(name).length;
                case I32 -> r.readInts(name).length;
                case I16 -> r.readShortsRaw(name).length;
                case I8, U8, BOOL -> r.readBytes(name).length;
            };
            check(n == count, name, "read " + n + " elements, shape says " + count);
        }
        r.metadata().forEach((k, v) -> check(k != null && v != null, k, "null metadata"));
    }

    static void check(boolean ok, String tensor, String what) {
        if (!ok) throw new AssertionError("tensor '" + tensor + "': " + what);
    }
}
