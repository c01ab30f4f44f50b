package org.mstore.api;

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

    /** The set of exactly these UIDs (in any order), written as ranges: {@code 3,5:7}. */
    public static UidSet of(int... uids) {
        int[] u = uids.clone();
        java.util.Arrays.sort(u);
        if (u.length == 0) {
            throw new IllegalArgumentException("invalid UID set '': it is empty");
        }
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < u.length; i++) {
            int j = i;
            while (j + 1 < u.length && u[j + 1] <= u[j] + 1) {
                j++;
            }
            text.append(text.length() == 0 ? "" : ",").append(u[i]);
            if (u[j] != u[i]) {
                text.append(':').append(u[j]);
            }
            i = j;
        }
        return parse(text.toString());
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
     * The set's ranges with {@code *} resolved to {@code maxUid}, each as {@code {low, high}}, sorted by their low
     * end and merged where they overlap or touch, and cut at {@code maxUid}. Empty ranges are left out.
     */
    public long[][] resolve(int maxUid) {
        long[][] resolved = new long[ranges.size()][];
        for (int i = 0; i < resolved.length; i++) {
            long[] r = ranges.get(i);
            long a = r[0] == STAR ? maxUid : r[0];
            long b = r[1] == STAR ? maxUid : r[1];
            resolved[i] = new long[] {Math.min(a, b), Math.min(Math.max(a, b), maxUid)};
        }
        java.util.Arrays.sort(resolved, (x, y) -> Long.compare(x[0], y[0]));
        List<long[]> out = new ArrayList<>();
        for (long[] r : resolved) {
            if (r[0] > r[1]) {
                continue;
            }
            long[] last = out.isEmpty() ? null : out.get(out.size() - 1);
            if (last != null && r[0] <= last[1] + 1) {
                last[1] = Math.max(last[1], r[1]);
            } else {
                out.add(new long[] {r[0], r[1]});
            }
        }
        return out.toArray(new long[0][]);
    }

    @Override
    public String toString() {
        return text;
    }
}
