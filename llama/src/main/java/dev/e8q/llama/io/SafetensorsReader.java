package dev.e8q.llama.io;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A memory-mapped safetensors file: u64 little-endian header length N, N bytes of JSON mapping tensor
 * names to {dtype, shape, data_offsets} (plus an optional string map {@code __metadata__}), then the raw
 * little-endian data. Every header field is validated up front so that a corrupt file fails here with a
 * {@link CheckpointFormatException} naming file, tensor and problem, never later with an index error
 * or an attempt to allocate a absurd array. Tensors are copied out on request only.
 */
public final class SafetensorsReader implements AutoCloseable {
    /** Headers beyond this are not plausible (a 1000-layer model's header is a few MB) and not worth parsing. */
    static final long MAX_HEADER_BYTES = 100L << 20;
    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    private static final ValueLayout.OfShort I16 = MappedFile.I16;
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final MappedFile file;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;

    private SafetensorsReader(MappedFile file, Map<String, TensorInfo> tensors, Map<String, String> metadata) {
        this.file = file;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    public static SafetensorsReader open(Path path) throws IOException {
        MappedFile f = MappedFile.open(path);
        try {
            return parse(f);
        } catch (IOException | RuntimeException e) {
            f.close();
            throw e;
        }
    }

    private static SafetensorsReader parse(MappedFile f) throws CheckpointFormatException {
        Path path = f.path();
        long size = f.size();
        if (size < 8) {
            throw new CheckpointFormatException(path, "safetensors file is " + size + " bytes, shorter than the 8-byte header length");
        }
        long n = f.int64(0);
        if (n < 2 || n > size - 8) {
            throw new CheckpointFormatException(path, "safetensors header length " + Long.toUnsignedString(n)
                    + " does not fit in the file (" + size + " bytes)");
        }
        if (n > MAX_HEADER_BYTES) {
            throw new CheckpointFormatException(path, "safetensors header length " + n + " exceeds the "
                    + MAX_HEADER_BYTES + "-byte limit");
        }
        byte[] headerBytes = new byte[(int) n];
        MemorySegment.copy(f.segment(), ValueLayout.JAVA_BYTE, 8, headerBytes, 0, (int) n);
        JsonNode root;
        try {
            root = JSON.readTree(headerBytes);
        } catch (JsonProcessingException e) {
            throw new CheckpointFormatException(path, "malformed safetensors JSON header: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new CheckpointFormatException(path, "unreadable safetensors JSON header: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw new CheckpointFormatException(path, "safetensors header is not a JSON object");
        }
        long dataStart = 8 + n;
        long dataSize = size - dataStart;
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("__metadata__")) {
                readMetadata(path, e.getValue(), metadata);
            } else {
                tensors.put(e.getKey(), readEntry(path, e.getKey(), e.getValue(), dataStart, dataSize));
            }
        }
        checkNoOverlap(path, tensors.values(), dataStart);
        return new SafetensorsReader(f, Collections.unmodifiableMap(tensors), Collections.unmodifiableMap(metadata));
    }

    private static void readMetadata(Path path, JsonNode node, Map<String, String> out) throws CheckpointFormatException {
        if (!node.isObject()) throw new CheckpointFormatException(path, "__metadata__ is not a JSON object");
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> m = it.next();
            if (!m.getValue().isTextual()) {
                throw new CheckpointFormatException(path, "__metadata__ value of '" + m.getKey() + "' is not a string");
            }
            out.put(m.getKey(), m.getValue().textValue());
        }
    }

    private static TensorInfo readEntry(Path path, String name, JsonNode node, long dataStart, long dataSize)
            throws CheckpointFormatException {
        String where = "tensor '" + name + "': ";
        if (!node.isObject()) throw new CheckpointFormatException(path, where + "header entry is not a JSON object");
        JsonNode dt = node.get("dtype"), sh = node.get("shape"), off = node.get("data_offsets");
        if (dt == null || !dt.isTextual()) throw new CheckpointFormatException(path, where + "missing or non-string dtype");
        DType dtype = DType.fromHeader(dt.textValue());
        if (dtype == null) throw new CheckpointFormatException(path, where + "unknown dtype '" + dt.textValue() + "'");
        if (sh == null || !sh.isArray()) throw new CheckpointFormatException(path, where + "missing or non-array shape");
        long[] shape = new long[sh.size()];
        long count = 1;
        boolean overflow = false;
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = sh.get(i);
            if (!d.isIntegralNumber() || !d.canConvertToLong() || d.longValue() < 0) {
                throw new CheckpointFormatException(path, where + "shape " + sh + " has a dimension that is not a non-negative integer");
            }
            shape[i] = d.longValue();
            try {
                count = Math.multiplyExact(count, shape[i]);
            } catch (ArithmeticException ex) {
                overflow = true;
            }
        }
        long bytes;
        try {
            bytes = overflow ? -1 : Math.multiplyExact(count, (long) dtype.bytes());
        } catch (ArithmeticException ex) {
            bytes = -1;
        }
        if (bytes < 0) throw new CheckpointFormatException(path, where + "shape " + sh + " overflows 64-bit size");
        if (off == null || !off.isArray() || off.size() != 2 || !isLong(off.get(0)) || !isLong(off.get(1))) {
            throw new CheckpointFormatException(path, where + "data_offsets must be [begin, end] integers, got " + off);
        }
        long begin = off.get(0).longValue(), end = off.get(1).longValue();
        if (begin < 0 || end < begin) {
            throw new CheckpointFormatException(path, where + "data_offsets [" + begin + ", " + end + "] are not an increasing pair");
        }
        if (end > dataSize) {
            throw new CheckpointFormatException(path, where + "data_offsets end " + end + " is past the end of the data ("
                    + dataSize + " bytes; file truncated?)");
        }
        if (end - begin != bytes) {
            throw new CheckpointFormatException(path, where + "data_offsets span " + (end - begin) + " bytes but shape "
                    + sh + " of " + dtype + " needs " + bytes);
        }
        return new TensorInfo(name, dtype, shape, dataStart + begin, end - begin);
    }

    private static boolean isLong(JsonNode n) {
        return n.isIntegralNumber() && n.canConvertToLong();
    }

    private static void checkNoOverlap(Path path, Iterable<TensorInfo> all, long dataStart) throws CheckpointFormatException {
        List<TensorInfo> sorted = new ArrayList<>();
        all.forEach(t -> {
            if (t.byteLength() > 0) sorted.add(t);
        });
        sorted.sort(Comparator.comparingLong(TensorInfo::offset));
        for (int i = 1; i < sorted.size(); i++) {
            TensorInfo a = sorted.get(i - 1), b = sorted.get(i);
            if (b.offset() < a.offset() + a.byteLength()) {
                throw new CheckpointFormatException(path, "tensors '" + a.name() + "' and '" + b.name()
                        + "' overlap (data_offsets [" + (a.offset() - dataStart) + ", " + (a.offset() - dataStart + a.byteLength())
                        + ") and [" + (b.offset() - dataStart) + ", ...))");
            }
        }
        // Gaps between tensors are tolerated: they do no harm to reading.
    }

    public Path path() {
        return file.path();
    }

    /** The header's {@code __metadata__} (empty when absent). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** Tensor names in header order. */
    public List<String> names() {
        return List.copyOf(tensors.keySet());
    }

    public boolean has(String name) {
        return tensors.containsKey(name);
    }

    public TensorInfo info(String name) {
        TensorInfo t = tensors.get(name);
        if (t == null) throw new IllegalArgumentException(file.path() + ": no tensor named '" + name + "'");
        return t;
    }

    public long[] shape(String name) {
        return info(name).shape();
    }

    public DType dtype(String name) {
        return info(name).dtype();
    }

    /** A read-only view of the tensor's bytes (no copy; valid until {@link #close()}). */
    public MemorySegment segment(String name) {
        TensorInfo t = info(name);
        return file.segment().asSlice(t.offset(), t.byteLength()).asReadOnly();
    }

    /** F32, F16, BF16 or F64 tensor converted to float, row-major. */
    public float[] readFloats(String name) throws CheckpointFormatException {
        TensorInfo t = info(name);
        int n = arrayLength(t);
        float[] out = new float[n];
        MemorySegment seg = file.segment();
        switch (t.dtype()) {
            case F32 -> MemorySegment.copy(seg, MappedFile.F32, t.offset(), out, 0, n);
            case F16 -> {
                short[] raw = new short[n];
                MemorySegment.copy(seg, I16, t.offset(), raw, 0, n);
                for (int i = 0; i < n; i++) out[i] = Float.float16ToFloat(raw[i]);
            }
            case BF16 -> {
                short[] raw = new short[n];
                MemorySegment.copy(seg, I16, t.offset(), raw, 0, n);
                for (int i = 0; i < n; i++) out[i] = Float.intBitsToFloat((raw[i] & 0xFFFF) << 16);
            }
            case F64 -> {
                for (int i = 0; i < n; i++) out[i] = (float) seg.get(F64, t.offset() + 8L * i);
            }
            default -> throw wrongType(t, "a floating type (F32, F16, BF16, F64)");
        }
        return out;
    }

    /** I64 tensor (e.g. QuIP# Qidxs, codebook_id). */
    public long[] readLongs(String name) throws CheckpointFormatException {
        TensorInfo t = expect(name, DType.I64);
        long[] out = new long[arrayLength(t)];
        MemorySegment.copy(file.segment(), MappedFile.I64, t.offset(), out, 0, out.length);
        return out;
    }

    /** I32 tensor. */
    public int[] readInts(String name) throws CheckpointFormatException {
        TensorInfo t = expect(name, DType.I32);
        int[] out = new int[arrayLength(t)];
        MemorySegment.copy(file.segment(), MappedFile.I32, t.offset(), out, 0, out.length);
        return out;
    }

    /** Raw 16-bit values of an I16, F16 or BF16 tensor (half-precision bits are not converted). */
    public short[] readShortsRaw(String name) throws CheckpointFormatException {
        TensorInfo t = info(name);
        if (t.dtype() != DType.I16 && t.dtype() != DType.F16 && t.dtype() != DType.BF16) {
            throw wrongType(t, "I16, F16 or BF16");
        }
        short[] out = new short[arrayLength(t)];
        MemorySegment.copy(file.segment(), I16, t.offset(), out, 0, out.length);
        return out;
    }

    /** Raw bytes of an I8, U8 or BOOL tensor. */
    public byte[] readBytes(String name) throws CheckpointFormatException {
        TensorInfo t = info(name);
        if (t.dtype() != DType.I8 && t.dtype() != DType.U8 && t.dtype() != DType.BOOL) throw wrongType(t, "I8, U8 or BOOL");
        byte[] out = new byte[arrayLength(t)];
        MemorySegment.copy(file.segment(), ValueLayout.JAVA_BYTE, t.offset(), out, 0, out.length);
        return out;
    }

    private TensorInfo expect(String name, DType dtype) throws CheckpointFormatException {
        TensorInfo t = info(name);
        if (t.dtype() != dtype) throw wrongType(t, dtype.name());
        return t;
    }

    private CheckpointFormatException wrongType(TensorInfo t, String wanted) {
        return new CheckpointFormatException(file.path(), "tensor '" + t.name() + "' has dtype " + t.dtype()
                + ", expected " + wanted);
    }

    private int arrayLength(TensorInfo t) throws CheckpointFormatException {
        long n = t.elementCount();
        if (n > Integer.MAX_VALUE - 8) {
            throw new CheckpointFormatException(file.path(), "tensor '" + t.name() + "' has " + n
                    + " elements, too many for one Java array; use segment()");
        }
        return (int) n;
    }

    @Override
    public void close() {
        file.close();
    }
}
