package dev.e8q.llama.tokenizer;

import dev.e8q.llama.io.CheckpointFormatException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The llama2.c tokenizer ({@code tokenizer.bin}, {@code tok512.bin}): int32 max_token_length, then per
 * id a float32 score, an int32 byte length and the piece's bytes. Encoding follows llama2.c
 * {@code encode()}: a dummy-prefix space piece, one piece per UTF-8 character (or byte-fallback pieces
 * {@code <0xNN>}), then greedy merges of the adjacent pair whose concatenation has the highest score.
 * BOS = 1, EOS = 2 as in llama2.c.
 */
public final class Llama2cTokenizer implements Tokenizer {
    private static final int BOS = 1, EOS = 2;
    /** Pieces up to this many bytes are in {@link #pairs}; Llama 2's longest is 27 (tok512's 7). */
    private static final int PAIR_TABLE_MAX_LENGTH = 128;

    private final byte[][] pieces;
    private final float[] scores;
    /** Bytes each id decodes to: the piece itself, or the single byte of a {@code <0xNN>} piece. */
    private final byte[][] text;
    /** Piece bytes (as ISO-8859-1 string, one char per byte) → id; the first id wins for duplicates. */
    private final Map<String, Integer> index;
    /** {@link #key} of each piece, precomputed for the merge loop. */
    private final String[] keys;
    /**
     * Merge rank of each id: 0 for the highest score. Equal scores share a rank so that, as in llama2.c's
     * strict {@code >} comparison, the leftmost of equally scored pairs merges first.
     */
    private final int[] scoreRank;
    /** (left id, right id) → {@link BpeMerger#pack}(rank, merged id); see {@link #buildPairs()}. */
    private final Map<Long, Long> pairs;
    private final int[] byteIds = new int[256];

    private Llama2cTokenizer(byte[][] pieces, float[] scores) {
        this.pieces = pieces;
        this.scores = scores;
        this.text = new byte[pieces.length][];
        this.index = HashMap.newHashMap(pieces.length);
        this.keys = new String[pieces.length];
        for (int i = 0; i < pieces.length; i++) {
            keys[i] = key(pieces[i]);
            index.putIfAbsent(keys[i], i);
            int b = bytePiece(pieces[i]);
            text[i] = b >= 0 ? new byte[] {(byte) b} : pieces[i];
        }
        this.scoreRank = ranks(scores);
        this.pairs = buildPairs();
        for (int b = 0; b < 256; b++) {
            // llama2.c hard-codes id = byte + 3; look the piece up so other layouts work too.
            Integer id = index.get(String.format("<0x%02X>", b));
            byteIds[b] = id != null ? id : b + 3 < pieces.length ? b + 3 : 0;
        }
    }

    public static Llama2cTokenizer load(Path path) throws IOException {
        byte[] all = Files.readAllBytes(path);
        ByteBuffer in = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        if (in.remaining() < 4) {
            throw new CheckpointFormatException(path, "llama2.c tokenizer is " + all.length + " bytes, too short for its header");
        }
        int maxLen = in.getInt();
        if (maxLen <= 0 || maxLen > 1 << 16) {
            throw new CheckpointFormatException(path, "implausible max_token_length " + maxLen + " (not a llama2.c tokenizer?)");
        }
        List<byte[]> pieces = new ArrayList<>();
        List<Float> scores = new ArrayList<>();
        while (in.hasRemaining()) {
            int id = pieces.size();
            if (in.remaining() < 8) {
                throw new CheckpointFormatException(path, "truncated entry for id " + id + " at byte " + in.position());
            }
            float score = in.getFloat();
            int len = in.getInt();
            if (len < 0 || len > maxLen || len > in.remaining()) {
                throw new CheckpointFormatException(path, "id " + id + " at byte " + (in.position() - 4)
                        + " has piece length " + len + " (max_token_length " + maxLen + ", " + in.remaining()
                        + " bytes left)");
            }
            byte[] p = new byte[len];
            in.get(p);
            pieces.add(p);
            scores.add(score);
        }
        if (pieces.size() <= EOS) {
            throw new CheckpointFormatException(path, "only " + pieces.size() + " pieces; BOS/EOS ids 1/2 missing");
        }
        float[] s = new float[scores.size()];
        for (int i = 0; i < s.length; i++) s[i] = scores.get(i);
        return new Llama2cTokenizer(pieces.toArray(byte[][]::new), s);
    }

    @Override
    public int[] encode(String text, boolean bos, boolean eos) {
        List<Integer> ids = new ArrayList<>();
        if (!text.isEmpty()) {
            // SentencePiece's dummy prefix: the text is encoded as if preceded by a space.
            appendPiece(ids, " ".getBytes(StandardCharsets.UTF_8));
            text.codePoints().forEach(cp -> appendPiece(ids, new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8)));
        }
        int[] merged = BpeMerger.merge(ids.stream().mapToInt(Integer::intValue).toArray(), this::mergeOf);
        int[] out = new int[merged.length + (bos ? 1 : 0) + (eos ? 1 : 0)];
        int k = 0;
        if (bos) out[k++] = BOS;
        System.arraycopy(merged, 0, out, k, merged.length);
        if (eos) out[out.length - 1] = EOS;
        return out;
    }

    private void appendPiece(List<Integer> ids, byte[] utf8) {
        Integer id = index.get(key(utf8));
        if (id != null) {
            ids.add(id);
        } else {
            for (byte b : utf8) ids.add(byteIds[b & 0xFF]);
        }
    }

    private long mergeOf(int left, int right) {
        Long m = pairs.get(((long) left << 32) | right);
        if (m != null) return m;
        if (keys[left].length() + keys[right].length() <= PAIR_TABLE_MAX_LENGTH) return BpeMerger.NONE;
        // Longer than any piece in the pair table: look the concatenation up directly (llama2.c's str_lookup).
        Integer id = index.get(keys[left] + keys[right]);
        return id == null ? BpeMerger.NONE : BpeMerger.pack(scoreRank[id], id);
    }

    /**
     * Every (left, right) whose byte concatenation is a piece, as llama2.c's {@code str_lookup} of the
     * concatenation would find it: each piece split at each byte, both halves in the vocabulary. Looking
     * pairs up by two ints is several times faster than building and hashing the concatenated string.
     */
    private Map<Long, Long> buildPairs() {
        Map<Long, Long> m = new HashMap<>();
        for (int id = 0; id < pieces.length; id++) {
            if (index.get(keys[id]) != id) continue; // a duplicate piece: lookups resolve to the first id
            String k = keys[id];
            // Splitting costs O(length²); longer pieces (none in real vocabularies, but a file may declare
            // 64 KiB ones) are found by mergeOf's direct lookup instead.
            if (k.length() > PAIR_TABLE_MAX_LENGTH) continue;
            for (int cut = 1; cut < k.length(); cut++) {
                Integer l = index.get(k.substring(0, cut)), r = index.get(k.substring(cut));
                if (l != null && r != null) m.putIfAbsent(((long) l << 32) | r, BpeMerger.pack(scoreRank[id], id));
            }
        }
        return m;
    }

    @Override
    public String decode(int[] ids) {
        var out = new java.io.ByteArrayOutputStream();
        int prev = -1;
        for (int id : ids) {
            out.writeBytes(decodeTokenBytes(prev, id));
            prev = id;
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /**
     * As llama2.c {@code decode()}: the leading space of a piece is dropped after BOS (and, so that
     * {@code decode(encode(s)) == s}, at the start of a sequence, where it is the dummy prefix).
     * BOS and EOS produce no text.
     */
    @Override
    public byte[] decodeTokenBytes(int prev, int id) {
        checkId(id);
        if (id == BOS || id == EOS) return new byte[0];
        byte[] t = text[id];
        if ((prev == BOS || prev < 0) && t.length > 0 && t[0] == ' ') {
            return java.util.Arrays.copyOfRange(t, 1, t.length);
        }
        return t.clone();
    }

    /** The raw piece bytes of {@code id} (e.g. {@code " Once"}, {@code "<0x0A>"}). */
    public byte[] piece(int id) {
        checkId(id);
        return pieces[id].clone();
    }

    public float score(int id) {
        checkId(id);
        return scores[id];
    }

    private void checkId(int id) {
        if (id < 0 || id >= pieces.length) {
            throw new IllegalArgumentException("token id " + id + " outside vocabulary 0.." + (pieces.length - 1));
        }
    }

    @Override
    public int vocabSize() {
        return pieces.length;
    }

    @Override
    public int bos() {
        return BOS;
    }

    @Override
    public int eos() {
        return EOS;
    }

    private static int[] ranks(float[] scores) {
        Integer[] order = new Integer[scores.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        java.util.Arrays.sort(order, (a, b) -> Float.compare(scores[b], scores[a]));
        int[] rank = new int[scores.length];
        for (int r = 0, k = 0; k < order.length; k++) {
            // Float.compare would separate -0.0 from 0.0; llama2.c's > does not.
            if (k > 0 && scores[order[k]] != scores[order[k - 1]]) r = k;
            rank[order[k]] = r;
        }
        return rank;
    }

    private static String key(byte[] b) {
        return new String(b, StandardCharsets.ISO_8859_1);
    }

    /** The byte of a {@code <0xNN>} piece, or -1. */
    private static int bytePiece(byte[] p) {
        if (p.length != 6 || p[0] != '<' || p[1] != '0' || p[2] != 'x' || p[5] != '>') return -1;
        int hi = Character.digit(p[3], 16), lo = Character.digit(p[4], 16);
        return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
    }
}
