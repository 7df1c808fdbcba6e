package dev.e8q.codec;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * CBOR form of an {@link E8Matrix}, schema 1: a map with schema, codebook, rows, cols, bits, paddedRows,
 * paddedCols, residScale, and byte strings su, sv (float32 little-endian) and qidxs (QuIP# int64 words,
 * little-endian) — or, for the scalar-grid ablation, codes (int32 little-endian). Readers reject a newer
 * schema and anything inconsistent with an {@link E8FormatException}.
 */
final class E8MatrixCbor {
    static final int SCHEMA = 1;
    private static final ObjectMapper MAPPER = new ObjectMapper(new CBORFactory())
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private E8MatrixCbor() {}

    static byte[] write(E8Matrix w) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("schema", SCHEMA);
        o.put("codebook", w.codebook());
        o.put("rows", w.rows());
        o.put("cols", w.cols());
        o.put("bits", w.bits());
        o.put("paddedRows", w.paddedRows());
        o.put("paddedCols", w.paddedCols());
        o.put("residScale", w.residualScale());
        o.put("su", floats(w.su()));
        o.put("sv", floats(w.sv()));
        if (w.isE8()) {
            long[] q = w.qidxs();
            ByteBuffer b = ByteBuffer.allocate(8 * q.length).order(ByteOrder.LITTLE_ENDIAN);
            b.asLongBuffer().put(q);
            o.put("qidxs", b.array());
        } else {
            int[] c = w.codesInternal()[0];
            ByteBuffer b = ByteBuffer.allocate(4 * c.length).order(ByteOrder.LITTLE_ENDIAN);
            b.asIntBuffer().put(c);
            o.put("codes", b.array());
        }
        try {
            return MAPPER.writeValueAsBytes(o);
        } catch (IOException e) {
            throw new IllegalStateException("CBOR encoding failed", e);
        }
    }

    static E8Matrix read(byte[] bytes) {
        if (bytes == null || bytes.length == 0) throw new E8FormatException("empty input: not an e8q CBOR matrix");
        JsonNode root;
        try {
            root = MAPPER.readTree(bytes);
        } catch (IOException | RuntimeException e) {
            throw new E8FormatException("not a readable e8q CBOR matrix (truncated or corrupt): " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) throw new E8FormatException("e8q CBOR matrix must be a map");
        int schema = intField(root, "schema");
        if (schema > SCHEMA) throw new E8FormatException("written by a newer e8q: schema " + schema + " > " + SCHEMA);
        if (schema < 1) throw new E8FormatException("invalid schema version " + schema);
        String codebook = root.path("codebook").asText("");
        int rows = intField(root, "rows"), cols = intField(root, "cols"), bits = intField(root, "bits");
        int m = intField(root, "paddedRows"), n = intField(root, "paddedCols");
        JsonNode rsNode = root.get("residScale");
        if (rsNode == null || !rsNode.isNumber()) throw new E8FormatException("missing or non-numeric field 'residScale'");
        double rs = rsNode.asDouble();
        if (bits < 2 || bits > 4) throw new E8FormatException("bits must be 2, 3 or 4, found " + bits);
        if (rows <= 0 || cols <= 0 || m < rows || n < cols || m % 16 != 0 || n % 64 != 0
                || (long) m * n > Integer.MAX_VALUE)
            throw new E8FormatException("inconsistent shape: " + rows + "x" + cols + " padded to " + m + "x" + n);
        float[] su = floats(root, "su", n), sv = floats(root, "sv", m);
        try {
            if (codebook.startsWith("HalfInt")) {
                byte[] c = bytesField(root, "codes", 4L * m * (n / 8));
                int[] codes = new int[m * (n / 8)];
                ByteBuffer.wrap(c).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(codes);
                return new E8Matrix(rows, cols, bits, false, rs, su, sv, new int[][] {codes});
            }
            if (!codebook.startsWith("E8P12")) throw new E8FormatException("unknown codebook '" + codebook + "'");
            long words = (long) m * (n / 32) * bits / 2;
            byte[] q = bytesField(root, "qidxs", 8 * words);
            long[] qidxs = new long[(int) words];
            ByteBuffer.wrap(q).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(qidxs);
            if (bits > 2 && !(rs > 0)) throw new E8FormatException("residScale must be > 0 for " + bits + " bits, found " + rs);
            return E8Matrix.fromQidxs(rows, cols, bits, qidxs, su, sv, rs);
        } catch (IllegalArgumentException e) {
            throw new E8FormatException("inconsistent e8q CBOR matrix: " + e.getMessage(), e);
        }
    }

    private static int intField(JsonNode root, String name) {
        JsonNode v = root.get(name);
        if (v == null || !v.canConvertToInt() || !v.isIntegralNumber())
            throw new E8FormatException("missing or non-integer field '" + name + "'");
        return v.intValue();
    }

    private static byte[] bytesField(JsonNode root, String name, long expect) {
        JsonNode v = root.get(name);
        if (v == null || !v.isBinary()) throw new E8FormatException("missing byte-string field '" + name + "'");
        byte[] b;
        try {
            b = v.binaryValue();
        } catch (IOException e) {
            throw new E8FormatException("unreadable field '" + name + "'", e);
        }
        if (b.length != expect) throw new E8FormatException("field '" + name + "' has " + b.length + " bytes, expected " + expect);
        return b;
    }

    private static float[] floats(JsonNode root, String name, int len) {
        byte[] b = bytesField(root, name, 4L * len);
        float[] f = new float[len];
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(f);
        for (float x : f) if (!Float.isFinite(x)) throw new E8FormatException("field '" + name + "' holds a non-finite value");
        return f;
    }

    private static byte[] floats(float[] f) {
        ByteBuffer b = ByteBuffer.allocate(4 * f.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(f);
        return b.array();
    }
}
