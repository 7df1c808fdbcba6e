package dev.e8q.llama.chat;

import java.util.Map;

/**
 * Python's {@code json.dumps(x, ensure_ascii=False)} as {@code transformers}' {@code tojson} filter calls it: ", " and
 * ": " between items without an indent, "," and ": " with one. Jinjava's own filter writes compact JSON, which would
 * put different text into a prompt than the model was trained on.
 */
final class PythonJson {
    private PythonJson() {}

    static String dumps(Object value, int indent) {
        StringBuilder b = new StringBuilder();
        write(b, value, indent, 0);
        return b.toString();
    }

    private static void write(StringBuilder b, Object v, int indent, int depth) {
        if (v == null) {
            b.append("null");
        } else if (v instanceof Boolean x) {
            b.append(x ? "true" : "false");
        } else if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            b.append(Double.isNaN(d) ? "NaN" : Double.isInfinite(d) ? (d > 0 ? "Infinity" : "-Infinity") : Double.toString(d));
        } else if (v instanceof Number n) {
            b.append(n);
        } else if (v instanceof Map<?, ?> m) {
            b.append('{');
            int i = 0;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                separate(b, i++, indent, depth + 1);
                string(b, String.valueOf(e.getKey()));
                b.append(": ");
                write(b, e.getValue(), indent, depth + 1);
            }
            close(b, m.isEmpty(), indent, depth, '}');
        } else if (v instanceof Iterable<?> it) {
            b.append('[');
            int i = 0;
            for (Object o : it) {
                separate(b, i++, indent, depth + 1);
                write(b, o, indent, depth + 1);
            }
            close(b, i == 0, indent, depth, ']');
        } else if (v instanceof Object[] a) {
            write(b, java.util.Arrays.asList(a), indent, depth);
        } else {
            string(b, v.toString());
        }
    }

    private static void separate(StringBuilder b, int i, int indent, int depth) {
        if (indent < 0) {
            if (i > 0) b.append(", ");
        } else {
            if (i > 0) b.append(',');
            b.append('\n').append(" ".repeat(indent * depth));
        }
    }

    private static void close(StringBuilder b, boolean empty, int indent, int depth, char c) {
        if (indent >= 0 && !empty) b.append('\n').append(" ".repeat(indent * depth));
        b.append(c);
    }

    private static void string(StringBuilder b, String s) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '\b' -> b.append("\\b");
                case '\f' -> b.append("\\f");
                default -> {
                    if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
                }
            }
        }
        b.append('"');
    }
}
