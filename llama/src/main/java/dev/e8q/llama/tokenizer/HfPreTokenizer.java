package dev.e8q.llama.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code pre_tokenizer} section of a tokenizer.json: splits normalized text into words that BPE
 * encodes independently. Supported: Sequence, Metaspace, ByteLevel, Split, Digits; none (whole text is
 * one word). Others are rejected by name.
 */
abstract class HfPreTokenizer {
    /** GPT-2's word regex, used by ByteLevel with use_regex=true. */
    static final String GPT2_PATTERN = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

    /** Splits each word further. {@code firstSegment}: this text starts the input (not after an added token). */
    abstract List<String> apply(List<String> words, boolean firstSegment);

    /** True when this pre-tokenizer produces byte-level characters (decoding must map them back). */
    boolean byteLevel() {
        return false;
    }

    static HfPreTokenizer parse(JsonNode n, boolean allowPrefix) throws HfTokenizerException {
        if (n == null || n.isNull()) return new Identity();
        String type = n.path("type").asText("");
        return switch (type) {
            case "Sequence" -> {
                List<HfPreTokenizer> steps = new ArrayList<>();
                for (JsonNode c : n.path("pretokenizers")) steps.add(parse(c, allowPrefix));
                yield new Sequence(steps);
            }
            case "Metaspace" -> {
                JsonNode r = n.path("replacement");
                // An empty replacement would split at every index forever; Jackson's asText() of an array or object is "".
                if (!r.isMissingNode() && !(r.isTextual() && !r.asText().isEmpty()))
                    throw new HfTokenizerException("Metaspace replacement must be a non-empty string, got " + r);
                String rep = r.asText("\u2581");
                String scheme = n.hasNonNull("prepend_scheme") ? n.get("prepend_scheme").asText()
                        : n.path("add_prefix_space").asBoolean(true) ? "always" : "never";
                yield new Metaspace(rep, allowPrefix ? scheme : "never", n.path("split").asBoolean(true));
            }
            case "ByteLevel" -> new ByteLevel(allowPrefix && n.path("add_prefix_space").asBoolean(false),
                    n.path("use_regex").asBoolean(true));
            case "Split" -> {
                String behavior = n.path("behavior").asText("Isolated");
                if (!List.of("Isolated", "Removed", "MergedWithPrevious", "MergedWithNext", "Contiguous").contains(behavior)) {
                    throw new HfTokenizerException("unsupported Split behavior '" + behavior + "'");
                }
                yield new Split(HfNormalizer.pattern(n.path("pattern")), behavior, n.path("invert").asBoolean(false), true);
            }
            case "Digits" -> new Split(Pattern.compile(n.path("individual_digits").asBoolean(false) ? "\\p{N}" : "\\p{N}+"),
                    "Isolated", false, false);
            default -> throw new HfTokenizerException("unsupported pre_tokenizer type '" + type + "'");
        };
    }

    private static final class Identity extends HfPreTokenizer {
        @Override
        List<String> apply(List<String> words, boolean firstSegment) {
            return words;
        }
    }

    private static final class Sequence extends HfPreTokenizer {
        private final List<HfPreTokenizer> steps;

        Sequence(List<HfPreTokenizer> steps) {
            this.steps = steps;
        }

        @Override
        List<String> apply(List<String> words, boolean firstSegment) {
            for (HfPreTokenizer p : steps) words = p.apply(words, firstSegment);
            return words;
        }

        @Override
        boolean byteLevel() {
            return steps.stream().anyMatch(HfPreTokenizer::byteLevel);
        }
    }

    /** SentencePiece style: spaces become ▁, optionally a leading ▁, words start at each ▁. */
    private static final class Metaspace extends HfPreTokenizer {
        private final String replacement;
        private final String scheme;
        private final boolean split;

        Metaspace(String replacement, String scheme, boolean split) {
            this.replacement = replacement;
            this.scheme = scheme;
            this.split = split;
        }

        @Override
        List<String> apply(List<String> words, boolean firstSegment) {
            List<String> out = new ArrayList<>();
            for (int w = 0; w < words.size(); w++) {
                String s = words.get(w).replace(" ", replacement);
                boolean prepend = scheme.equals("always") || (scheme.equals("first") && firstSegment && w == 0);
                if (prepend && !s.startsWith(replacement)) s = replacement + s;
                if (!split) {
                    out.add(s);
                    continue;
                }
                int start = 0;
                for (int i = s.indexOf(replacement, 1); i >= 0; i = s.indexOf(replacement, i + 1)) {
                    out.add(s.substring(start, i));
                    start = i;
                }
                if (start < s.length()) out.add(s.substring(start));
            }
            return out;
        }
    }

    private static final class ByteLevel extends HfPreTokenizer {
        private static final Pattern GPT2 = Pattern.compile(GPT2_PATTERN, Pattern.UNICODE_CHARACTER_CLASS);
        private final boolean addPrefixSpace;
        private final boolean useRegex;

        ByteLevel(boolean addPrefixSpace, boolean useRegex) {
            this.addPrefixSpace = addPrefixSpace;
            this.useRegex = useRegex;
        }

        @Override
        List<String> apply(List<String> words, boolean firstSegment) {
            List<String> out = new ArrayList<>();
            for (String w : words) {
                if (addPrefixSpace && !w.startsWith(" ")) w = " " + w;
                List<String> parts = useRegex ? Split.split(GPT2, w, "Isolated", false, false) : List.of(w);
                for (String p : parts) out.add(ByteLevelMap.encode(p));
            }
            return out;
        }

        @Override
        boolean byteLevel() {
            return true;
        }
    }

    private static final class Split extends HfPreTokenizer {
        private final Pattern pattern;
        private final String behavior;
        private final boolean invert, fromFile;

        /** fromFile: the pattern comes from tokenizer.json, so its matching runs on a step budget ({@link BoundedChars}). */
        Split(Pattern pattern, String behavior, boolean invert, boolean fromFile) {
            this.pattern = pattern;
            this.behavior = behavior;
            this.invert = invert;
            this.fromFile = fromFile;
        }

        @Override
        List<String> apply(List<String> words, boolean firstSegment) {
            List<String> out = new ArrayList<>();
            for (String w : words) out.addAll(split(pattern, w, behavior, invert, fromFile));
            return out;
        }

        /** The pieces of {@code s}: alternating gaps and matches, combined as {@code behavior} says. */
        static List<String> split(Pattern pattern, String s, String behavior, boolean invert, boolean bounded) {
            List<String> pieces = new ArrayList<>();
            List<Boolean> isMatch = new ArrayList<>();
            Matcher m = pattern.matcher(bounded ? BoundedChars.of(s, pattern) : s);
            int last = 0;
            while (m.find()) {
                if (m.end() == m.start()) continue; // empty matches split nothing
                if (m.start() > last) {
                    pieces.add(s.substring(last, m.start()));
                    isMatch.add(invert);
                }
                pieces.add(m.group());
                isMatch.add(!invert);
                last = m.end();
            }
            if (last < s.length()) {
                pieces.add(s.substring(last));
                isMatch.add(invert);
            }
            List<String> out = new ArrayList<>();
            switch (behavior) {
                case "Removed" -> {
                    for (int i = 0; i < pieces.size(); i++) if (!isMatch.get(i)) out.add(pieces.get(i));
                }
                case "MergedWithPrevious" -> {
                    for (int i = 0; i < pieces.size(); i++) {
                        if (isMatch.get(i) && !out.isEmpty()) out.set(out.size() - 1, out.getLast() + pieces.get(i));
                        else out.add(pieces.get(i));
                    }
                }
                case "MergedWithNext" -> {
                    String carry = "";
                    for (int i = 0; i < pieces.size(); i++) {
                        if (isMatch.get(i)) carry += pieces.get(i);
                        else {
                            out.add(carry + pieces.get(i));
                            carry = "";
                        }
                    }
                    if (!carry.isEmpty()) out.add(carry);
                }
                case "Contiguous" -> {
                    for (int i = 0; i < pieces.size(); i++) {
                        if (i > 0 && isMatch.get(i) && isMatch.get(i - 1)) out.set(out.size() - 1, out.getLast() + pieces.get(i));
                        else out.add(pieces.get(i));
                    }
                }
                default -> out.addAll(pieces); // Isolated
            }
            return out;
        }
    }
}
