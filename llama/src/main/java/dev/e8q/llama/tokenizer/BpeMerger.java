package dev.e8q.llama.tokenizer;

import java.util.Arrays;

/**
 * Applies pair merges to a sequence of token ids until none applies, always taking the pair of best
 * (lowest) rank and, among equals, the leftmost: the rule of llama2.c's {@code encode()} (rank = order of
 * the merged piece's score, highest first) and of Hugging Face BPE (rank = position in the merge list).
 * A heap of primitive (rank, position) keys with lazy invalidation makes this O(n log n) without
 * per-candidate objects, instead of llama2.c's O(n²) rescan, with the same result, so multi-megabyte
 * calibration texts stay cheap.
 */
final class BpeMerger {
    /** No merge for this pair. */
    static final long NONE = -1;

    /** The merge of the adjacent pair (left, right): {@link #pack}(rank, merged id), or {@link #NONE}. */
    @FunctionalInterface
    interface Rules {
        long lookup(int left, int right);
    }

    private BpeMerger() {}

    /** A merge result: rank in the high 32 bits (non-negative, lower merges first), merged id in the low. */
    static long pack(int rank, int mergedId) {
        return ((long) rank << 32) | (mergedId & 0xFFFFFFFFL);
    }

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
        LongHeap heap = new LongHeap(n);
        for (int i = 0; i + 1 < n; i++) offer(heap, rules, i, tok[i], tok[i + 1]);
        int alive = n;
        while (heap.size() > 0) {
            long top = heap.poll();
            int rank = (int) (top >>> 32), i = (int) top;
            int j = dead[i] ? -1 : next[i];
            if (j < 0) continue;
            // Lazy invalidation: the entry counts only if the pair now at i still merges with this rank.
            // (A different pair with the same rank at the same position is an equally valid choice.)
            long m = rules.lookup(tok[i], tok[j]);
            if (m == NONE || (int) (m >>> 32) != rank) continue;
            tok[i] = (int) m;
            dead[j] = true;
            alive--;
            next[i] = next[j];
            if (next[j] >= 0) prev[next[j]] = i;
            if (prev[i] >= 0) offer(heap, rules, prev[i], tok[prev[i]], tok[i]);
            if (next[i] >= 0) offer(heap, rules, i, tok[i], tok[next[i]]);
        }
        int[] out = new int[alive];
        int k = 0;
        for (int i = 0; i >= 0; i = next[i]) out[k++] = tok[i];
        return out;
    }

    private static void offer(LongHeap heap, Rules rules, int pos, int left, int right) {
        long m = rules.lookup(left, right);
        if (m != NONE) heap.add((m & 0xFFFFFFFF00000000L) | pos);
    }

    /** Binary min-heap of longs. */
    private static final class LongHeap {
        private long[] a;
        private int size;

        LongHeap(int capacity) {
            a = new long[Math.max(16, capacity)];
        }

        int size() {
            return size;
        }

        void add(long v) {
            if (size == a.length) a = Arrays.copyOf(a, a.length * 2);
            int i = size++;
            while (i > 0) {
                int p = (i - 1) >>> 1;
                if (a[p] <= v) break;
                a[i] = a[p];
                i = p;
            }
            a[i] = v;
        }

        long poll() {
            long top = a[0];
            long v = a[--size];
            int i = 0;
            while (true) {
                int c = 2 * i + 1;
                if (c >= size) break;
                if (c + 1 < size && a[c + 1] < a[c]) c++;
                if (v <= a[c]) break;
                a[i] = a[c];
                i = c;
            }
            a[i] = v;
            return top;
        }
    }
}
