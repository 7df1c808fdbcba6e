package dev.e8q.llama.tokenizer;

import java.util.PriorityQueue;

/**
 * Applies pair merges to a sequence of token ids until none applies, always taking the best-priority
 * pair and, among equals, the leftmost: the rule of llama2.c's {@code encode()} (highest score) and of
 * Hugging Face BPE (lowest merge rank). A heap with lazy invalidation makes this O(n log n) instead of
 * llama2.c's O(n²) rescan, with the same result, so long calibration texts stay cheap.
 */
final class BpeMerger {
    /** Result of merging a pair: the new id and its priority (larger merges first). */
    record Merge(int id, double priority) {}

    /** The merge for the adjacent pair (left, right), or null when the pair does not merge. */
    @FunctionalInterface
    interface Rules {
        Merge lookup(int left, int right);
    }

    private record Candidate(double priority, int pos, int left, int right, int merged) {}

    private BpeMerger() {}

    static int[] merge(int[] ids, Rules rules) {
        int n = ids.length;
        if (n < 2) return ids.clone();
        int[] tok = ids.clone();
        int[] next = new int[n];
        int[] prev = new int[n];
        boolean[] dead = new boolean[n];
        for (int i = 0; i < n; i++) {
            next[i] = i + 1 < n ? i + 1 : -1;
            prev[i] = i - 1;
        }
        PriorityQueue<Candidate> heap = new PriorityQueue<>((a, b) -> a.priority() != b.priority()
                ? Double.compare(b.priority(), a.priority()) : Integer.compare(a.pos(), b.pos()));
        for (int i = 0; i + 1 < n; i++) offer(heap, rules, i, tok[i], i + 1, tok[i + 1]);
        int alive = n;
        while (!heap.isEmpty()) {
            Candidate c = heap.poll();
            int i = c.pos();
            int j = dead[i] ? -1 : next[i];
            // Stale: the left or right symbol has changed since this candidate was queued.
            if (j < 0 || tok[i] != c.left() || tok[j] != c.right()) continue;
            tok[i] = c.merged();
            dead[j] = true;
            alive--;
            next[i] = next[j];
            if (next[j] >= 0) prev[next[j]] = i;
            if (prev[i] >= 0) offer(heap, rules, prev[i], tok[prev[i]], i, tok[i]);
            if (next[i] >= 0) offer(heap, rules, i, tok[i], next[i], tok[next[i]]);
        }
        int[] out = new int[alive];
        int k = 0;
        for (int i = 0; i >= 0; i = next[i]) out[k++] = tok[i];
        return out;
    }

    private static void offer(PriorityQueue<Candidate> heap, Rules rules, int pos, int left, int rightPos, int right) {
        Merge m = rules.lookup(left, right);
        if (m != null) heap.add(new Candidate(m.priority(), pos, left, right, m.id()));
    }
}
