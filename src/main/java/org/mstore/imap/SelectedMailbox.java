package org.mstore.imap;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.TreeSet;

import org.mstore.api.MailboxSnapshot;
import org.mstore.api.MessageRecord;

/**
 * A session's view of its selected mailbox: the messages the client knows, by message number, with their flags as
 * last reported. Changes (from this process's events, or a diff of a fresh snapshot) are recorded first and reported
 * when the protocol allows: an expunged message keeps its number until {@code * n EXPUNGE} is sent.
 */
final class SelectedMailbox {
    /** The mailbox's name in the store: a rename elsewhere changes it (RFC 2180 3.4), read by other threads to route events. */
    volatile String name;
    final long uidValidity;
    /** When the mailbox was created (kept by a rename, like its UID validity), or null when unknown. */
    java.time.Instant created;
    final boolean readOnly;
    private int n;
    private int[] uids;
    private int[] flags;
    private int[] sizes;
    private long[] dates;
    private boolean[] gone;
    private int goneCount;
    private final Set<Integer> flagChanged = new HashSet<>();
    private final Set<Integer> recent = new HashSet<>();
    private int reportedExists;
    private long uidNext;
    volatile boolean stale;

    SelectedMailbox(MailboxSnapshot s, boolean readOnly) {
        this.name = s.name();
        this.uidValidity = s.uidValidity();
        this.readOnly = readOnly;
        int c = s.records().size();
        uids = new int[Math.max(16, c)];
        flags = new int[uids.length];
        sizes = new int[uids.length];
        dates = new long[uids.length];
        gone = new boolean[uids.length];
        for (MessageRecord r : s.records()) {
            put(r);
        }
        reportedExists = n;
        uidNext = s.nextUid();
    }

    private void put(MessageRecord r) {
        if (n == uids.length) {
            int cap = uids.length * 2;
            uids = Arrays.copyOf(uids, cap);
            flags = Arrays.copyOf(flags, cap);
            sizes = Arrays.copyOf(sizes, cap);
            dates = Arrays.copyOf(dates, cap);
            gone = Arrays.copyOf(gone, cap);
        }
        uids[n] = r.uid();
        flags[n] = r.flags();
        sizes[n] = r.size();
        dates[n] = r.internalDate();
        gone[n] = false;
        n++;
    }

    /** Messages the client knows (expunged ones not yet reported included). */
    int size() {
        return n;
    }

    int uid(int pos) {
        return uids[pos];
    }

    int flags(int pos) {
        return flags[pos];
    }

    int sizeAt(int pos) {
        return sizes[pos];
    }

    long date(int pos) {
        return dates[pos];
    }

    boolean gone(int pos) {
        return gone[pos];
    }

    boolean recent(int uid) {
        return recent.contains(uid);
    }

    int recentCount() {
        return recent.size();
    }

    long uidNext() {
        return Math.max(uidNext, n == 0 ? 1 : (uids[n - 1] & 0xffffffffL) + 1);
    }

    /** The position of a UID, or -1. */
    int position(int uid) {
        int p = Arrays.binarySearch(uids, 0, n, uid);
        return p >= 0 ? p : -1;
    }

    /** The largest UID known (0 when empty). */
    int lastUid() {
        return n == 0 ? 0 : uids[n - 1];
    }

    /** A flag change this session made itself and reports in its own response. */
    void setFlags(int pos, int f) {
        flags[pos] = f;
        flagChanged.remove(uids[pos]);
    }

    /** A flag change made elsewhere: reported later. */
    void applyFlags(MessageRecord r) {
        int p = position(r.uid());
        if (p >= 0 && !gone[p] && flags[p] != r.flags()) {
            flags[p] = r.flags();
            flagChanged.add(r.uid());
        }
    }

    void applyExpunged(int uid) {
        int p = position(uid);
        if (p >= 0 && !gone[p]) {
            gone[p] = true;
            goneCount++;
            flagChanged.remove(uid);
        }
    }

    void applyAppended(MessageRecord r) {
        if (r.uid() > lastUid()) {
            put(r);
            recent.add(r.uid());
            uidNext = Math.max(uidNext, (r.uid() & 0xffffffffL) + 1);
        }
    }

    /** Thrown by {@link #resync} when the mailbox is no longer the one selected (its UID validity changed). */
    static final class Invalidated extends RuntimeException {
        Invalidated() {
            super("the mailbox's UID validity changed", null, false, false);
        }
    }

    /** Compares with a fresh snapshot and records what changed. */
    void resync(MailboxSnapshot s) {
        if (s.uidValidity() != uidValidity) {
            throw new Invalidated();
        }
        int i = 0;
        for (MessageRecord r : s.records()) {
            while (i < n && uids[i] < r.uid()) {
                applyExpungedAt(i);
                i++;
            }
            if (i < n && uids[i] == r.uid()) {
                if (!gone[i] && flags[i] != r.flags()) {
                    flags[i] = r.flags();
                    flagChanged.add(r.uid());
                }
                i++;
            } else if (r.uid() > lastUid()) {
                applyAppended(r);
                i = n;
            }
        }
        while (i < n) {
            applyExpungedAt(i);
            i++;
        }
        uidNext = Math.max(uidNext, s.nextUid());
    }

    private void applyExpungedAt(int p) {
        if (!gone[p]) {
            gone[p] = true;
            goneCount++;
            flagChanged.remove(uids[p]);
        }
    }

    boolean hasPending() {
        return goneCount > 0 || !flagChanged.isEmpty() || n != reportedExists;
    }

    /**
     * Writes what is pending and allowed: EXPUNGEs (highest number first, so the others keep theirs), the new EXISTS and
     * RECENT counts, then flag changes as unsolicited FETCH. EXISTS comes before the FETCHes: a flag change of a message
     * that arrived meanwhile names a number the client learns only from EXISTS (RFC 3501 2.3.1.2).
     */
    void report(Resp out, boolean expunges, boolean flagUpdates) {
        if (expunges && goneCount > 0) {
            int told = 0;
            for (int p = n - 1; p >= 0; p--) {
                // a message that came and went before an EXISTS counted it was never the client's: nothing to say
                if (gone[p] && p < reportedExists) {
                    out.text("* ").num(p + 1).text(" EXPUNGE").crlf();
                    told++;
                }
            }
            compact();
            reportedExists -= told; // then the EXISTS below counts what arrived meanwhile
        }
        if (n != reportedExists) {
            out.text("* ").num(n).text(" EXISTS").crlf();
            out.text("* ").num(recent.size()).text(" RECENT").crlf();
            reportedExists = n;
        }
        if (flagUpdates && !flagChanged.isEmpty()) {
            for (int uid : new TreeSet<>(flagChanged)) {
                int p = position(uid);
                if (p >= 0 && !gone[p]) {
                    out.text("* ").num(p + 1).text(" FETCH (UID ").num(uid & 0xffffffffL).text(" FLAGS (").text(flagText(p)).text("))").crlf();
                }
            }
            flagChanged.clear();
        }
    }

    private void compact() {
        int w = 0;
        for (int r = 0; r < n; r++) {
            if (gone[r]) {
                recent.remove(uids[r]);
                continue;
            }
            uids[w] = uids[r];
            flags[w] = flags[r];
            sizes[w] = sizes[r];
            dates[w] = dates[r];
            gone[w] = false;
            w++;
        }
        n = w;
        goneCount = 0;
    }

    private static final String[] FLAG_TEXT = new String[org.mstore.api.Flags.ALL + 1];

    static {
        for (int f = 0; f < FLAG_TEXT.length; f++) {
            FLAG_TEXT[f] = org.mstore.api.Flags.format(f);
        }
    }

    /** The flags of a message as IMAP writes them, {@code \Recent} included. */
    String flagText(int p) {
        String f = FLAG_TEXT[flags[p] & org.mstore.api.Flags.ALL];
        if (!recent.isEmpty() && recent.contains(uids[p])) {
            f = f.isEmpty() ? "\\Recent" : f + " \\Recent";
        }
        return f;
    }

    /** The first unseen message's number, 0 if none. */
    int firstUnseen() {
        for (int p = 0; p < n; p++) {
            if (!gone[p] && (flags[p] & org.mstore.api.Flags.SEEN) == 0) {
                return p + 1;
            }
        }
        return 0;
    }
}
