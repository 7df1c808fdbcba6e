package dev.e8q.llama.chat;

import java.time.ZonedDateTime;
import java.time.format.TextStyle;
import java.util.Locale;

/** The functions {@code transformers} gives chat templates, as static methods Jinjava can call. */
public final class TemplateFunctions {
    private TemplateFunctions() {}

    /** A template's own error (e.g. roles that do not alternate): fails the render with its message. */
    public static String raiseException(String message) {
        throw new ChatTemplateException(message);
    }

    /** Today's date and time in Python's strftime format (Llama 3.1 and later put "Today Date: 26 Jul 2024" in the prompt). */
    public static String strftimeNow(String format) {
        return strftime(ZonedDateTime.now(), format);
    }

    static String strftime(ZonedDateTime t, String format) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c != '%' || i + 1 == format.length()) {
                b.append(c);
                continue;
            }
            char f = format.charAt(++i);
            switch (f) {
                case 'd' -> b.append(String.format(Locale.ROOT, "%02d", t.getDayOfMonth()));
                case 'm' -> b.append(String.format(Locale.ROOT, "%02d", t.getMonthValue()));
                case 'Y' -> b.append(t.getYear());
                case 'y' -> b.append(String.format(Locale.ROOT, "%02d", t.getYear() % 100));
                case 'H' -> b.append(String.format(Locale.ROOT, "%02d", t.getHour()));
                case 'M' -> b.append(String.format(Locale.ROOT, "%02d", t.getMinute()));
                case 'S' -> b.append(String.format(Locale.ROOT, "%02d", t.getSecond()));
                case 'b' -> b.append(t.getMonth().getDisplayName(TextStyle.SHORT, Locale.US));
                case 'B' -> b.append(t.getMonth().getDisplayName(TextStyle.FULL, Locale.US));
                case 'a' -> b.append(t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.US));
                case 'A' -> b.append(t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.US));
                case 'j' -> b.append(String.format(Locale.ROOT, "%03d", t.getDayOfYear()));
                case '%' -> b.append('%');
                default -> throw new ChatTemplateException("strftime_now: unsupported format code %" + f);
            }
        }
        return b.toString();
    }
}
