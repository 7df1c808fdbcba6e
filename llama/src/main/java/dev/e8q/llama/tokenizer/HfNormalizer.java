package dev.e8q.llama.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code normalizer} section of a Hugging Face tokenizer.json as a string function. Supported: Sequence,
 * Prepend, Replace (String or Regex pattern), NFC/NFD/NFKC/NFKD, Lowercase; others are rejected by name.
 */
final class HfNormalizer {
    private HfNormalizer() {}

    /**
     * @param keepPrepend false drops Prepend steps (the SentencePiece dummy prefix), see
     *                    {@link HfTokenizer.Options#addPrefixSpace()}
     */
    static UnaryOperator<String> parse(JsonNode n, boolean keepPrepend) throws HfTokenizerException {
        if (n == null || n.isNull()) return s -> s;
        String type = n.path("type").asText("");
        switch (type) {
            case "Sequence" -> {
                List<UnaryOperator<String>> steps = new ArrayList<>();
                for (JsonNode c : n.path("normalizers")) steps.add(parse(c, keepPrepend));
                return s -> {
                    long cap = maxLength(s.length());
                    for (UnaryOperator<String> f : steps) {
                        s = f.apply(s);
                        // Each Replace can multiply the length; a chain of them grows it exponentially.
                        if (s.length() > cap)
                            throw new IllegalArgumentException("tokenizer.json normalizers expand the text more than "
                                    + GROWTH + "-fold (to " + s.length() + " characters); the tokenizer cannot be used");
                    }
                    return s;
                };
            }
            case "Prepend" -> {
                String p = n.path("prepend").asText();
                return keepPrepend ? s -> s.isEmpty() ? s : p + s : s -> s;
            }
            case "Replace" -> {
                Pattern pat = pattern(n.path("pattern"));
                if (pat.matcher("").find())
                    throw new HfTokenizerException("Replace pattern " + n.path("pattern") + " matches the empty string "
                            + "(it would insert its content between every two characters)");
                String content = Matcher.quoteReplacement(n.path("content").asText());
                return s -> pat.matcher(BoundedChars.of(s, pat)).replaceAll(content);
            }
            case "NFC" -> {
                return s -> Normalizer.normalize(s, Normalizer.Form.NFC);
            }
            case "NFD" -> {
                return s -> Normalizer.normalize(s, Normalizer.Form.NFD);
            }
            case "NFKC" -> {
                return s -> Normalizer.normalize(s, Normalizer.Form.NFKC);
            }
            case "NFKD" -> {
                return s -> Normalizer.normalize(s, Normalizer.Form.NFKD);
            }
            case "Lowercase" -> {
                return s -> s.toLowerCase(java.util.Locale.ROOT);
            }
            default -> throw new HfTokenizerException("unsupported normalizer type '" + type + "'");
        }
    }

    /** How much a normalizer sequence may lengthen a text: far beyond any real one (NFKD of ligatures is ≤ 18×). */
    static final int GROWTH = 64;

    static long maxLength(int length) {
        return (long) GROWTH * length + 4096;
    }

    /** A tokenizer.json pattern: {"String": literal} or {"Regex": regex}. */
    static Pattern pattern(JsonNode p) throws HfTokenizerException {
        if (p.has("String")) return Pattern.compile(Pattern.quote(p.get("String").asText()));
        if (p.has("Regex")) {
            try {
                // Oniguruma/Rust classes are Unicode-aware; Java's \s, \d, \w are ASCII unless told otherwise.
                return Pattern.compile(p.get("Regex").asText(), Pattern.UNICODE_CHARACTER_CLASS);
            } catch (java.util.regex.PatternSyntaxException e) {
                throw new HfTokenizerException("regex not supported by java.util.regex: " + e.getMessage());
            }
        }
        throw new HfTokenizerException("pattern must have 'String' or 'Regex', got " + p);
    }
}
