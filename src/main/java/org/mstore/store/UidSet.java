package org.mstore.store;

import java.util.ArrayList;
import java.util.List;

/**
 * An IMAP UID set: {@code 1:101}, {@code 3,7,9:12}, {@code *}, {@code 5:*}. {@code *} stands for the
 * largest UID in the mailbox; {@code n:m} and {@code m:n} are the same range.
 */
public final class UidSet {
    private static final long STAR = -1;
    private final List<long[]> ranges;
    private final String text;

    private UidSet(String text, List<long[]> ranges) {
        this.text = text;
        this.ranges = ranges;
    }

    public static UidSet parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("invalid UID set '': it is empty");
        }
        List<long[]> ranges = new ArrayList<>();
        for (String part : text.split(",", -1)) {
            String[] ends = part.split(":", -1);
            if (part.isEmpty() || ends.length > 2) {
                throw new IllegalArgumentException("invalid UID set '" + text + "': bad element '" + part + "'");
            }
            long a = number(text, ends[0]);
            long b = ends.length == 2 ? number(text, ends[1]) : a;
            ranges.add(new long[] {a, b});
        }
        return new UidSet(text, ranges);
    }

    private static long number(String text, String s) {
        if (s.equals("*")) {
            return STAR;
        }
        if (s.isEmpty() || s.length() > 10 || !s.chars().allMatch(Character::isDigit)) {
            throw new IllegalArgumentException("invalid UID set '" + text + "': '" + s + "' is not a UID");
        }
        long v = Long.parseLong(s);
        if (v < 1 || v > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("invalid UID set '" + text + "': UID " + s + " is out of range");
        }
        return v;
    }

    public boolean contains(int uid, int maxUid) {
        for (long[] r : ranges) {
            long a = r[0] == STAR ? maxUid : r[0];
            long b = r[1] == STAR ? maxUid : r[1];
            if (uid >= Math.min(a, b) && uid <= Math.max(a, b)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Positions in {@code index} of the messages in this set, in UID order, each once. The ranges are resolved
     * ({@code *} is the largest UID), sorted and merged, and each is found by binary search in the index (whose
     * UIDs are strictly increasing): O(r log r + r log n + matches), not O(n * r), for a set of r elements.
     */
    public int[] positions(MailboxIndex index) {
        int n = index.size();
        if (n == 0) {
            return new int[0];
        }
        int max = index.get(n - 1).uid();
        long[][] resolved = new long[ranges.size()][];
        for (int i = 0; i < resolved.length; i++) {
            long[] r = ranges.get(i);
            long a = r[0] == STAR ? max : r[0];
            long b = r[1] == STAR ? max : r[1];
            resolved[i] = new long[] {Math.min(a, b), Math.max(a, b)};
        }
        java.util.Arrays.sort(resolved, (x, y) -> Long.compare(x[0], y[0]));
        int[] out = new int[n];
        int k = 0;
        long covered = 0; // every UID up to here has been looked up already
        for (long[] r : resolved) {
            long lo = Math.max(r[0], covered + 1);
            long hi = Math.min(r[1], max);
            if (lo > hi) {
                continue;
            }
            int p = index.find((int) lo);
            if (p < 0) {
                p = -p - 1;
            }
            while (p < n && index.get(p).uid() <= hi) {
                out[k++] = p++;
            }
            covered = hi;
        }
        return java.util.Arrays.copyOf(out, k);
    }

    @Override
    public String toString() {
        return text;
    }
}
