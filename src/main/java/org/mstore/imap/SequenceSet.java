package org.mstore.imap;

import java.util.ArrayList;
import java.util.List;

/** A sequence set of message numbers or UIDs ({@code 1:4,7,9:*}); {@code *} is the largest in use. */
final class SequenceSet {
    static final long STAR = -1;
    private final List<long[]> ranges;
    private final String text;

    private SequenceSet(String text, List<long[]> ranges) {
        this.text = text;
        this.ranges = ranges;
    }

    static SequenceSet parse(String text) {
        List<long[]> ranges = new ArrayList<>();
        if (text.isEmpty()) {
            throw new ImapSyntaxException("empty sequence set");
        }
        for (String part : text.split(",", -1)) {
            String[] ends = part.split(":", -1);
            if (part.isEmpty() || ends.length > 2) {
                throw new ImapSyntaxException("invalid sequence set '" + text + "'");
            }
            long a = number(text, ends[0]);
            long b = ends.length == 2 ? number(text, ends[1]) : a;
            ranges.add(new long[] {a, b});
        }
        return new SequenceSet(text, ranges);
    }

    private static long number(String text, String s) {
        if (s.equals("*")) {
            return STAR;
        }
        if (s.isEmpty() || s.length() > 10 || !s.chars().allMatch(Character::isDigit)) {
            throw new ImapSyntaxException("invalid sequence set '" + text + "'");
        }
        long v = Long.parseLong(s);
        if (v < 1 || v > 0xffffffffL) {
            throw new ImapSyntaxException("invalid sequence set '" + text + "': " + s + " is out of range");
        }
        return v;
    }

    /** The largest number named (other than {@code *}), 0 if none. */
    long maxExplicit() {
        long m = 0;
        for (long[] r : ranges) {
            m = Math.max(m, Math.max(r[0], r[1]));
        }
        return m;
    }

    /** True when the set contains {@code n}, with {@code *} standing for {@code max}. */
    boolean contains(long n, long max) {
        for (long[] r : ranges) {
            long a = r[0] == STAR ? max : r[0];
            long b = r[1] == STAR ? max : r[1];
            if (n >= Math.min(a, b) && n <= Math.max(a, b)) {
                return true;
            }
        }
        return false;
    }

    List<long[]> ranges() {
        return ranges;
    }

    @Override
    public String toString() {
        return text;
    }

    /** A compact UID set text for sorted UIDs: {@code 1:5,7,9:12}. */
    static String compact(int[] sorted, int from, int to) {
        StringBuilder sb = new StringBuilder();
        int i = from;
        while (i < to) {
            int j = i;
            while (j + 1 < to && sorted[j + 1] == sorted[j] + 1) {
                j++;
            }
            if (sb.length() > 0) {
                sb.append(',');
            }
            sb.append(sorted[i] & 0xffffffffL);
            if (j > i) {
                sb.append(':').append(sorted[j] & 0xffffffffL);
            }
            i = j + 1;
        }
        return sb.toString();
    }
}
