package dev.e8q.llama.chat;

import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

/**
 * Python's {@code str} methods on strings, which chat templates call ({@code content.startswith('<tool_response>')},
 * {@code text.split('</think>')[-1].lstrip('\n')}). Jinjava would otherwise look them up on {@link String}, which has
 * none of them, or has them with Java meanings ({@code split} takes a regular expression).
 */
final class PythonStringMethods extends ELResolver {
    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] types, Object[] params) {
        if (!(base instanceof String s) || method == null) return null;
        Object[] p = params == null ? new Object[0] : params;
        Object r = call(s, method.toString(), p);
        if (r == NONE) return null;
        context.setPropertyResolved(true);
        return r;
    }

    private static final Object NONE = new Object();

    private static Object call(String s, String name, Object[] p) {
        return switch (name) {
            case "strip" -> p.length == 0 || p[0] == null ? s.strip() : rstrip(lstrip(s, str(p[0])), str(p[0]));
            case "lstrip" -> p.length == 0 || p[0] == null ? s.stripLeading() : lstrip(s, str(p[0]));
            case "rstrip" -> p.length == 0 || p[0] == null ? s.stripTrailing() : rstrip(s, str(p[0]));
            case "startswith" -> p.length == 1 ? anyOf(p[0], s::startsWith) : NONE;
            case "endswith" -> p.length == 1 ? anyOf(p[0], s::endsWith) : NONE;
            case "upper" -> p.length == 0 ? s.toUpperCase(Locale.ROOT) : NONE;
            case "lower" -> p.length == 0 ? s.toLowerCase(Locale.ROOT) : NONE;
            case "capitalize" -> p.length == 0 ? capitalize(s) : NONE;
            case "title" -> p.length == 0 ? title(s) : NONE;
            case "split" -> split(s, p.length > 0 ? p[0] : null, p.length > 1 ? ((Number) p[1]).intValue() : -1);
            case "replace" -> p.length == 2 ? s.replace(str(p[0]), str(p[1])) : NONE;
            case "find" -> p.length == 1 ? (long) s.indexOf(str(p[0])) : NONE;
            case "count" -> p.length == 1 ? count(s, str(p[0])) : NONE;
            case "join" -> p.length == 1 && p[0] instanceof Iterable<?> it ? join(s, it) : NONE;
            default -> NONE;
        };
    }

    private static String str(Object o) {
        return String.valueOf(o);
    }

    private static boolean anyOf(Object prefixes, java.util.function.Predicate<String> test) {
        if (prefixes instanceof Iterable<?> it) {
            for (Object o : it) if (test.test(str(o))) return true;
            return false;
        }
        return test.test(str(prefixes));
    }

    private static String lstrip(String s, String chars) {
        int i = 0;
        while (i < s.length() && chars.indexOf(s.charAt(i)) >= 0) i++;
        return s.substring(i);
    }

    private static String rstrip(String s, String chars) {
        int j = s.length();
        while (j > 0 && chars.indexOf(s.charAt(j - 1)) >= 0) j--;
        return s.substring(0, j);
    }

    private static String capitalize(String s) {
        return s.isEmpty() ? s : s.substring(0, 1).toUpperCase(Locale.ROOT) + s.substring(1).toLowerCase(Locale.ROOT);
    }

    private static String title(String s) {
        StringBuilder b = new StringBuilder(s.length());
        boolean start = true;
        for (char c : s.toCharArray()) {
            b.append(start ? Character.toUpperCase(c) : Character.toLowerCase(c));
            start = !Character.isLetter(c);
        }
        return b.toString();
    }

    /** Python's split: on runs of whitespace without a separator, else on the literal separator; maxsplit < 0 = all. */
    private static List<String> split(String s, Object sep, int maxsplit) {
        List<String> out = new ArrayList<>();
        if (sep == null) {
            String rest = s.stripLeading();
            while (!rest.isEmpty()) {
                if (maxsplit >= 0 && out.size() == maxsplit) {
                    out.add(rest);
                    return out;
                }
                int i = 0;
                while (i < rest.length() && !Character.isWhitespace(rest.charAt(i))) i++;
                out.add(rest.substring(0, i));
                rest = rest.substring(i).stripLeading();
            }
            return out;
        }
        String d = str(sep);
        if (d.isEmpty()) throw new ChatTemplateException("empty separator in split()");
        int from = 0;
        for (int at; (maxsplit < 0 || out.size() < maxsplit) && (at = s.indexOf(d, from)) >= 0; from = at + d.length()) {
            out.add(s.substring(from, at));
        }
        out.add(s.substring(from));
        return out;
    }

    private static long count(String s, String sub) {
        if (sub.isEmpty()) return s.length() + 1;
        long n = 0;
        for (int i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + sub.length())) n++;
        return n;
    }

    private static String join(String sep, Iterable<?> items) {
        StringBuilder b = new StringBuilder();
        boolean first = true;
        for (Object o : items) {
            if (!first) b.append(sep);
            b.append(str(o));
            first = false;
        }
        return b.toString();
    }

    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {}

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        return true;
    }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return Collections.emptyIterator();
    }

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return null;
    }
}
