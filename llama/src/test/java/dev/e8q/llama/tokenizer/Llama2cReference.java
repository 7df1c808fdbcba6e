package dev.e8q.llama.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** A literal transcription of llama2.c encode()'s O(n²) merge loop, as an oracle for the heap version. */
final class Llama2cReference {
    private Llama2cReference() {}

    static int[] encode(Llama2cTokenizer t, String text) {
        List<Integer> ids = new ArrayList<>();
        if (text.isEmpty()) return new int[0];
        ids.add(lookup(t, " ".getBytes(StandardCharsets.UTF_8)));
        text.codePoints().forEach(cp -> {
            byte[] b = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8);
            int id = lookup(t, b);
            if (id >= 0) ids.add(id);
            else for (byte x : b) ids.add((x & 0xFF) + 3);
        });
        while (true) {
            float best = -1e10f;
            int bestId = -1, bestIdx = -1;
            for (int i = 0; i + 1 < ids.size(); i++) {
                byte[] a = t.piece(ids.get(i)), b = t.piece(ids.get(i + 1));
                byte[] ab = Arrays.copyOf(a, a.length + b.length);
                System.arraycopy(b, 0, ab, a.length, b.length);
                int id = lookup(t, ab);
                if (id != -1 && t.score(id) > best) {
                    best = t.score(id);
                    bestId = id;
                    bestIdx = i;
                }
            }
            if (bestIdx == -1) break;
            ids.set(bestIdx, bestId);
            ids.remove(bestIdx + 1);
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    private static int lookup(Llama2cTokenizer t, byte[] piece) {
        for (int i = 0; i < t.vocabSize(); i++) if (Arrays.equals(t.piece(i), piece)) return i;
        return -1;
    }
}
