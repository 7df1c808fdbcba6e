package dev.e8q.llama.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.e8q.llama.io.CheckpointFormatException;
import dev.e8q.llama.io.HfConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Hugging Face {@code tokenizer.json} BPE tokenizer, in both flavours used by Llama-class models:
 * SentencePiece-style (Llama 1/2, Mistral, TinyStories: ▁ for spaces via a normalizer or a Metaspace
 * pre-tokenizer, {@code <0xNN>} byte fallback, {@code <unk>}) and byte-level (Llama 3, Qwen2: a regex
 * Split pre-tokenizer, then GPT-2's byte → character map). Added tokens found in the text are emitted
 * as their ids. BOS/EOS are added only when {@link #encode} is asked to, never from the post-processor,
 * so the caller controls them the same way for every tokenizer.
 */
public final class HfTokenizer implements Tokenizer {
    /**
     * @param addPrefixSpace false disables the tokenizer's dummy prefix (Prepend normalizer, Metaspace
     *                       prepend, ByteLevel add_prefix_space); true follows the file
     * @param fuseUnk        null follows the file; otherwise overrides {@code fuse_unk}
     */
    public record Options(boolean addPrefixSpace, Boolean fuseUnk) {
        public static final Options DEFAULT = new Options(true, null);
    }

    private static final int WORD_CACHE_MAX_LENGTH = 64;
    private static final int WORD_CACHE_MAX_ENTRIES = 200_000;

    private final BpeModel model;
    private final UnaryOperator<String> normalizer;
    private final HfPreTokenizer preTokenizer;
    private final Pattern addedPattern;
    private final Map<String, Integer> added;
    private final Set<Integer> special;
    private final Decoding decoding;
    private final int bos;
    private final int eos;
    private final int vocabSize;
    private final Map<String, int[]> wordCache = new ConcurrentHashMap<>();

    /** How ids become bytes, distilled from the {@code decoder} section. */
    private record Decoding(boolean byteLevel, boolean byteFallback, List<String[]> replacements, boolean stripLeadingSpace) {}

    private HfTokenizer(BpeModel model, UnaryOperator<String> normalizer, HfPreTokenizer preTokenizer,
            Map<String, Integer> added, Set<Integer> special, Decoding decoding, int bos, int eos) {
        this.model = model;
        this.normalizer = normalizer;
        this.preTokenizer = preTokenizer;
        this.added = added;
        this.special = special;
        this.decoding = decoding;
        this.bos = bos;
        this.eos = eos;
        this.vocabSize = model.pieces.length;
        List<String> contents = new ArrayList<>(added.keySet());
        contents.sort(Comparator.comparingInt(String::length).reversed()); // longest match first
        this.addedPattern = contents.isEmpty() ? null
                : Pattern.compile(String.join("|", contents.stream().map(Pattern::quote).toList()));
    }

    public static HfTokenizer load(Path tokenizerJson) throws IOException {
        return load(tokenizerJson, Options.DEFAULT);
    }

    public static HfTokenizer load(Path tokenizerJson, Options options) throws IOException {
        JsonNode root = HfConfig.readJson(tokenizerJson);
        if (!root.has("model")) {
            throw new CheckpointFormatException(tokenizerJson, "not a Hugging Face tokenizer.json (no 'model')");
        }
        try {
            Map<String, Integer> added = new LinkedHashMap<>();
            Map<Integer, String> addedById = new LinkedHashMap<>();
            Set<Integer> special = new HashSet<>();
            for (JsonNode t : root.path("added_tokens")) {
                JsonNode idNode = t.path("id");
                int id = idNode.isIntegralNumber() && idNode.canConvertToInt() ? idNode.intValue() : -1;
                String content = t.path("content").asText("");
                if (id < 0 || content.isEmpty()) throw new HfTokenizerException("added token " + t + " lacks id or content");
                added.put(content, id);
                addedById.put(id, content);
                if (t.path("special").asBoolean(false)) special.add(id);
            }
            BpeModel model = BpeModel.parse(root.get("model"), addedById, options.fuseUnk());
            var normalizer = HfNormalizer.parse(root.get("normalizer"), options.addPrefixSpace());
            var pre = HfPreTokenizer.parse(root.get("pre_tokenizer"), options.addPrefixSpace());
            Decoding decoding = decoding(root.get("decoder"), pre.byteLevel());
            int[] be = bosEos(tokenizerJson, root, added);
            return new HfTokenizer(model, normalizer, pre, added, special, decoding, be[0], be[1]);
        } catch (HfTokenizerException e) {
            throw new CheckpointFormatException(tokenizerJson, e.getMessage());
        }
    }

    private static Decoding decoding(JsonNode d, boolean preByteLevel) throws HfTokenizerException {
        boolean[] flags = {preByteLevel, false, false}; // byteLevel, byteFallback, strip
        List<String[]> repl = new ArrayList<>();
        collect(d, flags, repl);
        return new Decoding(flags[0], flags[1], repl, flags[2]);
    }

    private static void collect(JsonNode d, boolean[] flags, List<String[]> repl) throws HfTokenizerException {
        if (d == null || d.isNull()) return;
        String type = d.path("type").asText("");
        switch (type) {
            case "Sequence" -> {
                for (JsonNode c : d.path("decoders")) collect(c, flags, repl);
            }
            case "ByteLevel" -> flags[0] = true;
            case "ByteFallback" -> flags[1] = true;
            case "Fuse" -> { /* joining is what decoding does anyway */ }
            case "Replace" -> {
                JsonNode p = d.path("pattern");
                if (!p.has("String")) throw new HfTokenizerException("Replace decoder with a regex pattern is not supported");
                repl.add(new String[] {p.get("String").asText(), d.path("content").asText()});
            }
            case "Strip" -> {
                if (!d.path("content").asText().equals(" ") || d.path("stop").asInt(0) != 0 || d.path("start").asInt(0) > 1) {
                    throw new HfTokenizerException("Strip decoder other than one leading space is not supported: " + d);
                }
                flags[2] = d.path("start").asInt(0) == 1;
            }
            case "Metaspace" -> {
                repl.add(new String[] {d.path("replacement").asText("\u2581"), " "});
                String scheme = d.hasNonNull("prepend_scheme") ? d.get("prepend_scheme").asText()
                        : d.path("add_prefix_space").asBoolean(true) ? "always" : "never";
                flags[2] = !scheme.equals("never");
            }
            default -> throw new HfTokenizerException("unsupported decoder type '" + type + "'");
        }
    }

    /** BOS/EOS ids: tokenizer_config.json beside the file, else the post-processor template, else -1. */
    private static int[] bosEos(Path file, JsonNode root, Map<String, Integer> added) throws IOException {
        int bos = -1, eos = -1;
        Path cfg = file.resolveSibling("tokenizer_config.json");
        if (Files.exists(cfg)) {
            JsonNode c = HfConfig.readJson(cfg);
            bos = tokenId(c.get("bos_token"), added);
            eos = tokenId(c.get("eos_token"), added);
        }
        JsonNode single = root.path("post_processor").path("single");
        if (bos < 0 && single.isArray() && !single.isEmpty() && single.get(0).has("SpecialToken")) {
            bos = added.getOrDefault(single.get(0).get("SpecialToken").path("id").asText(), -1);
        }
        if (eos < 0 && single.isArray() && single.size() > 1 && single.get(single.size() - 1).has("SpecialToken")) {
            eos = added.getOrDefault(single.get(single.size() - 1).get("SpecialToken").path("id").asText(), -1);
        }
        return new int[] {bos, eos};
    }

    private static int tokenId(JsonNode n, Map<String, Integer> added) {
        if (n == null || n.isNull()) return -1;
        String s = n.isObject() ? n.path("content").asText() : n.asText();
        return added.getOrDefault(s, -1);
    }

    @Override
    public int[] encode(String text, boolean addBos, boolean addEos) {
        List<Integer> ids = new ArrayList<>();
        if (addBos) ids.add(requireId(bos, "BOS"));
        boolean first = true;
        int last = 0;
        if (addedPattern != null) {
            Matcher m = addedPattern.matcher(text);
            while (m.find()) {
                encodeSegment(text.substring(last, m.start()), first, ids);
                ids.add(added.get(m.group()));
                first = false;
                last = m.end();
            }
        }
        encodeSegment(text.substring(last), first, ids);
        if (addEos) ids.add(requireId(eos, "EOS"));
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    private static int requireId(int id, String what) {
        if (id < 0) throw new IllegalStateException("this tokenizer defines no " + what + " token");
        return id;
    }

    private void encodeSegment(String segment, boolean first, List<Integer> out) {
        if (segment.isEmpty()) return;
        for (String word : preTokenizer.apply(List.of(normalizer.apply(segment)), first)) {
            if (word.length() > WORD_CACHE_MAX_LENGTH) {
                model.encodeWord(word, out);
                continue;
            }
            int[] cached = wordCache.get(word);
            if (cached == null) {
                List<Integer> w = new ArrayList<>();
                model.encodeWord(word, w);
                cached = w.stream().mapToInt(Integer::intValue).toArray();
                if (wordCache.size() > WORD_CACHE_MAX_ENTRIES) wordCache.clear();
                wordCache.put(word, cached);
            }
            for (int id : cached) out.add(id);
        }
    }

    @Override
    public String decode(int[] ids) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        boolean atStart = true;
        for (int id : ids) {
            // The decoder's Strip acts once, on the start of the whole text (after skipped special tokens).
            out.writeBytes(tokenBytes(id, atStart));
            if (!special.contains(id)) atStart = false;
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** Strips the dummy-prefix space when {@code id} starts the text: at the start or after a special token. */
    @Override
    public byte[] decodeTokenBytes(int prev, int id) {
        return tokenBytes(id, prev < 0 || special.contains(prev));
    }

    private byte[] tokenBytes(int id, boolean atStart) {
        if (id < 0 || id >= vocabSize) {
            throw new IllegalArgumentException("token id " + id + " outside vocabulary 0.." + (vocabSize - 1));
        }
        if (special.contains(id)) return new byte[0];
        String piece = model.pieces[id];
        if (piece == null) return new byte[0];
        byte[] b;
        int byteVal = decoding.byteFallback() ? model.byteOf(id) : -1;
        if (byteVal >= 0) {
            b = new byte[] {(byte) byteVal};
        } else if (decoding.byteLevel() && !added.containsKey(piece)) {
            b = ByteLevelMap.decode(piece);
        } else {
            for (String[] r : decoding.replacements()) piece = piece.replace(r[0], r[1]);
            b = piece.getBytes(StandardCharsets.UTF_8);
        }
        if (decoding.stripLeadingSpace() && atStart && b.length > 0 && b[0] == ' ') {
            b = java.util.Arrays.copyOfRange(b, 1, b.length);
        }
        return b;
    }

    /** The vocabulary string of {@code id} (e.g. {@code "▁a"} or {@code "Ġthe"}). */
    public String piece(int id) {
        return model.pieces[id];
    }

    /** True for special added tokens (BOS, EOS, unk, chat markers): they decode to no text. */
    public boolean isSpecial(int id) {
        return special.contains(id);
    }

    /** The id of a vocabulary string or added token, or -1. */
    public int idOf(String piece) {
        Integer id = added.get(piece);
        if (id == null) id = model.vocab.get(piece);
        return id == null ? -1 : id;
    }

    @Override
    public int vocabSize() {
        return vocabSize;
    }

    @Override
    public int bos() {
        return bos;
    }

    @Override
    public int eos() {
        return eos;
    }
}
