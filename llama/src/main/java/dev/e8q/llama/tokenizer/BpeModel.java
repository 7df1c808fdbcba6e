package dev.e8q.llama.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The {@code model} section of a tokenizer.json of type BPE: vocabulary, merges ranked by position, unknown
 * token, byte fallback ({@code <0xNN>} pieces for characters outside the vocabulary) and unknown fusing.
 * Encodes one pre-tokenized word.
 */
final class BpeModel {
    final Map<String, Integer> vocab;
    final String[] pieces;
    /** (left id, right id) packed in a long → {@link BpeMerger#pack}(rank, merged id). */
    private final Map<Long, Long> merges;
    private final int unkId;
    private final boolean byteFallback;
    private final boolean fuseUnk;
    private final boolean ignoreMerges;
    private final int[] byteIds = new int[256];

    private BpeModel(Map<String, Integer> vocab, String[] pieces, Map<Long, Long> merges, int unkId, boolean byteFallback,
            boolean fuseUnk, boolean ignoreMerges) {
        this.vocab = vocab;
        this.pieces = pieces;
        this.merges = merges;
        this.unkId = unkId;
        this.byteFallback = byteFallback;
        this.fuseUnk = fuseUnk;
        this.ignoreMerges = ignoreMerges;
        for (int b = 0; b < 256; b++) byteIds[b] = vocab.getOrDefault(String.format("<0x%02X>", b), -1);
    }

    /**
     * @param extraTokens added tokens (id → content) that may lie outside the model vocabulary
     * @param fuseUnkOverride null to follow the file
     */
    static BpeModel parse(JsonNode m, Map<Integer, String> extraTokens, Boolean fuseUnkOverride) throws HfTokenizerException {
        String type = m.path("type").asText("BPE");
        if (!type.equals("BPE")) throw new HfTokenizerException("unsupported model type '" + type + "' (only BPE)");
        if (m.hasNonNull("continuing_subword_prefix") || m.hasNonNull("end_of_word_suffix")) {
            throw new HfTokenizerException("BPE continuing_subword_prefix / end_of_word_suffix are not supported");
        }
        JsonNode v = m.get("vocab");
        if (v == null || !v.isObject()) throw new HfTokenizerException("model.vocab is missing");
        Map<String, Integer> vocab = new HashMap<>();
        int maxId = -1;
        for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode idNode = e.getValue();
            int id = idNode.isIntegralNumber() && idNode.canConvertToInt() ? idNode.intValue() : -1;
            if (id < 0) throw new HfTokenizerException("vocab entry '" + e.getKey() + "' has invalid id " + e.getValue());
            vocab.put(e.getKey(), id);
            maxId = Math.max(maxId, id);
        }
        for (int id : extraTokens.keySet()) maxId = Math.max(maxId, id);
        // Ids index one array of maxId + 1 pieces: far sparser than any real vocabulary means a corrupt file
        // (and, unchecked, an allocation of gigabytes or a negative array size for id 2^31 - 1).
        long tokens = (long) vocab.size() + extraTokens.size();
        if (maxId >= 16 * tokens + 1024) {
            throw new HfTokenizerException("token id " + maxId + " is implausibly large for " + tokens + " tokens");
        }
        String[] pieces = new String[maxId + 1];
        vocab.forEach((s, id) -> pieces[id] = s);
        extraTokens.forEach((id, s) -> {
            if (pieces[id] == null) pieces[id] = s;
        });
        Map<Long, Long> merges = new HashMap<>();
        int rank = 0;
        for (JsonNode mg : m.path("merges")) {
            String a, b;
            if (mg.isArray() && mg.size() == 2) {
                a = mg.get(0).asText();
                b = mg.get(1).asText();
            } else {
                String[] parts = mg.asText().split(" ", -1);
                if (parts.length != 2) throw new HfTokenizerException("merge " + rank + " '" + mg.asText() + "' is not two tokens");
                a = parts[0];
                b = parts[1];
            }
            Integer ia = vocab.get(a), ib = vocab.get(b), iab = vocab.get(a + b);
            if (ia == null || ib == null || iab == null) {
                throw new HfTokenizerException("merge " + rank + " '" + a + " " + b + "' uses or produces a token outside the vocabulary");
            }
            merges.putIfAbsent(key(ia, ib), BpeMerger.pack(rank, iab));
            rank++;
        }
        String unk = m.hasNonNull("unk_token") ? m.get("unk_token").asText() : null;
        Integer unkId = unk == null ? null : vocab.get(unk);
        if (unk != null && unkId == null) throw new HfTokenizerException("unk_token '" + unk + "' is not in the vocabulary");
        boolean fuse = fuseUnkOverride != null ? fuseUnkOverride : m.path("fuse_unk").asBoolean(false);
        return new BpeModel(vocab, pieces, merges, unkId == null ? -1 : unkId, m.path("byte_fallback").asBoolean(false), fuse,
                m.path("ignore_merges").asBoolean(false));
    }

    private static long key(int a, int b) {
        return ((long) a << 32) | (b & 0xFFFFFFFFL);
    }

    /** The ids of one word, appended to {@code out}. */
    void encodeWord(String word, List<Integer> out) {
        if (word.isEmpty()) return;
        if (ignoreMerges) {
            Integer whole = vocab.get(word);
            if (whole != null) {
                out.add(whole);
                return;
            }
        }
        List<Integer> symbols = new ArrayList<>(word.length());
        boolean lastUnk = false;
        for (int i = 0; i < word.length(); ) {
            int cp = word.codePointAt(i);
            String ch = word.substring(i, i + Character.charCount(cp));
            i += ch.length();
            Integer id = vocab.get(ch);
            if (id == null && byteFallback) {
                byte[] bytes = ch.getBytes(StandardCharsets.UTF_8);
                boolean all = true;
                for (byte b : bytes) all &= byteIds[b & 0xFF] >= 0;
                if (all) {
                    for (byte b : bytes) symbols.add(byteIds[b & 0xFF]);
                    lastUnk = false;
                    continue;
                }
            }
            if (id == null) {
                if (unkId < 0) {
                    throw new IllegalArgumentException("character U+" + Integer.toHexString(cp).toUpperCase()
                            + " is not in the vocabulary and the tokenizer has no unk_token");
                }
                if (!(fuseUnk && lastUnk)) symbols.add(unkId);
                lastUnk = true;
            } else {
                symbols.add(id);
                lastUnk = false;
            }
        }
        int[] ids = symbols.stream().mapToInt(Integer::intValue).toArray();
        for (int id : BpeMerger.merge(ids, this::mergeOf)) out.add(id);
    }

    private long mergeOf(int left, int right) {
        Long m = merges.get(key(left, right));
        return m == null ? BpeMerger.NONE : m;
    }

    /** The byte of a {@code <0xNN>} piece when byte fallback is on, else -1. */
    int byteOf(int id) {
        if (!byteFallback) return -1;
        String p = pieces[id];
        if (p == null || p.length() != 6 || !p.startsWith("<0x") || p.charAt(5) != '>') return -1;
        try {
            return Integer.parseInt(p.substring(3, 5), 16);
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
