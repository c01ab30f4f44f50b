package org.mstore.db;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import org.mstore.api.HistoryEntry;
import org.mstore.api.QueueEntry;
import org.mstore.api.StoreEvent;

/**
 * The {@code change_log}: what every writing transaction leaves for other processes (the console beside a CLI), in
 * commit order — queue entries added, changed and finished, mailbox rows, settings.
 *
 * <p>How the order is kept: a transaction collects its changes in a {@link Pending} and writes them with
 * {@link #write} as its last step before commit. {@code write} first increments the one row of {@code change_counter};
 * the row lock that takes is held until the transaction ends, so no other transaction can write log rows in between,
 * and the log's identity sequence numbers its rows in the order their transactions commit. A reader that has seen
 * sequence {@code s} can never meet a row below {@code s} that commits later — however long that transaction ran,
 * because it takes the lock only at its end. The lock is held from the log write to the commit: microseconds.
 *
 * <p>Queue changes are stored as ranges ({@code first_id..last_id}): runs of consecutive RecNos added or changed, or of
 * history sequences finished, by one transaction, at most {@link #CHUNK} per row. A range holds only that transaction's
 * ids (ids are given to one row each), so a bulk enqueue of a million entries is a few hundred rows, not a million.
 */
public final class ChangeLog implements org.mstore.backend.ChangeFeed {
    /**
     * The log keeps its newest {@code KEEP} records (a watcher further behind than that misses what was dropped). Every
     * {@link #PRUNE_EVERY}th writing transaction drops the older ones, in that transaction, so that the log stays bounded
     * whichever processes write and however long they run, and no open of the store pays for it.
     */
    public static final long KEEP = 100_000;
    static final int PRUNE_EVERY = 1000;
    /** The most ids one log row stands for (and so the most entries one event carries). */
    public static final int CHUNK = 5000;
    static final String MAILBOX = "mailbox";
    static final String SETTING = "setting";
    static final String ADDED = "added";
    static final String CHANGED = "changed";
    static final String DONE = "done";

    /** Reads back what a queue change was about (the queue's tables are not this class's). */
    public interface Resolver {
        /** The entries with RecNo in {@code first..last} as they are now; those that left the queue as they were added. */
        List<QueueEntry> added(Connection c, long first, long last) throws SQLException;

        /** The entries with RecNo in {@code first..last} still in the queue, as they are now. */
        List<QueueEntry> current(Connection c, long first, long last) throws SQLException;

        /** The history rows with sequence in {@code first..last}. */
        List<HistoryEntry> history(Connection c, long first, long last) throws SQLException;
    }

    private final Database db;
    private final Resolver resolver;

    public ChangeLog(Database db, Resolver resolver) {
        this.db = db;
        this.resolver = resolver;
    }

    // ---------------------------------------------------------------- writing

    /**
     * The changes of one transaction, written by {@link #write} at its end. Not thread-safe: one per transaction. Ids are
     * kept in plain arrays (a bulk enqueue of a million entries holds 8 MB here, not a tree of boxed numbers).
     */
    public static final class Pending {
        private final Set<String> mailboxes = new LinkedHashSet<>();
        private final Set<String> settings = new LinkedHashSet<>();
        private final Ids added = new Ids();
        private final Ids changed = new Ids();
        private final Ids done = new Ids();

        public void mailbox(String name) {
            mailboxes.add(name);
        }

        public void setting(String key) {
            settings.add(key);
        }

        /** A new entry. */
        public void added(long recno) {
            added.add(recno);
        }

        /** An entry whose state changed (claimed, released, parked, retried, forced). */
        public void changed(long recno) {
            changed.add(recno);
        }

        /** An entry that left the queue: its history row. */
        public void done(long historySeq) {
            done.add(historySeq);
        }

        public boolean isEmpty() {
            return mailboxes.isEmpty() && settings.isEmpty() && added.size == 0 && changed.size == 0 && done.size == 0;
        }
    }

    /** A growable array of ids; sorted and freed of repeats when written. */
    private static final class Ids {
        private long[] ids = new long[16];
        private int size;

        void add(long id) {
            if (size == ids.length) {
                ids = java.util.Arrays.copyOf(ids, size * 2);
            }
            ids[size++] = id;
        }

        /** The ids in order, each once. */
        long[] sorted() {
            long[] a = java.util.Arrays.copyOf(ids, size);
            java.util.Arrays.sort(a);
            int n = 0;
            for (int i = 0; i < a.length; i++) {
                if (n == 0 || a[i] != a[n - 1]) {
                    a[n++] = a[i];
                }
            }
            return java.util.Arrays.copyOf(a, n);
        }
    }

    /**
     * Writes a transaction's changes as its last step: takes the counter row's lock (held until the transaction ends),
     * then inserts the log rows. Does nothing when there is nothing to tell.
     */
    public static void write(Connection c, Pending p, long now) throws SQLException {
        if (p.isEmpty()) {
            return;
        }
        long tx;
        try (PreparedStatement lock = c.prepareStatement(
                "SELECT last_tx FROM FINAL TABLE (UPDATE change_counter SET last_tx = last_tx + 1 WHERE id = 1)");
             ResultSet rs = lock.executeQuery()) {
            if (!rs.next()) {
                throw new SQLException("the change_counter row is missing from the mboxlist database");
            }
            tx = rs.getLong(1);
        }
        try (PreparedStatement ins = c.prepareStatement(
                "INSERT INTO change_log(kind, subject, first_id, last_id, changed_at) VALUES (?, ?, ?, ?, ?)")) {
            ranges(ins, ADDED, p.added, now);
            ranges(ins, CHANGED, p.changed, now);
            ranges(ins, DONE, p.done, now);
            for (String m : p.mailboxes) {
                named(ins, MAILBOX, m, now);
            }
            for (String s : p.settings) {
                named(ins, SETTING, s, now);
            }
            ins.executeBatch();
        }
        if (tx % PRUNE_EVERY == 0) {
            try (PreparedStatement prune = c.prepareStatement("DELETE FROM change_log WHERE seq <= (SELECT MAX(seq) FROM change_log) - ?")) {
                prune.setLong(1, KEEP);
                prune.executeUpdate();
            }
        }
    }

    private static void ranges(PreparedStatement ins, String kind, Ids pending, long now) throws SQLException {
        if (pending.size == 0) {
            return;
        }
        long[] ids = pending.sorted();
        long first = ids[0];
        long last = ids[0];
        for (int i = 1; i < ids.length; i++) {
            long id = ids[i];
            if (id != last + 1 || id - first >= CHUNK) {
                range(ins, kind, first, last, now);
                first = id;
            }
            last = id;
        }
        range(ins, kind, first, last, now);
    }

    private static void range(PreparedStatement ins, String kind, long first, long last, long now) throws SQLException {
        ins.setString(1, kind);
        ins.setNull(2, Types.VARCHAR);
        ins.setLong(3, first);
        ins.setLong(4, last);
        ins.setLong(5, now);
        ins.addBatch();
    }

    private static void named(PreparedStatement ins, String kind, String subject, long now) throws SQLException {
        ins.setString(1, kind);
        ins.setString(2, subject);
        ins.setNull(3, Types.BIGINT);
        ins.setNull(4, Types.BIGINT);
        ins.setLong(5, now);
        ins.addBatch();
    }

    // ---------------------------------------------------------------- reading

    private record Row(long seq, String kind, String subject, long first, long last) {
    }

    @Override
    public List<Change> after(long seq, int limit) {
        return db.read(c -> {
            List<Row> rows = new ArrayList<>();
            try (PreparedStatement p = c.prepareStatement(
                    "SELECT seq, kind, subject, first_id, last_id FROM change_log WHERE seq > ? ORDER BY seq LIMIT ?")) {
                p.setLong(1, seq);
                p.setInt(2, limit);
                try (ResultSet rs = p.executeQuery()) {
                    while (rs.next()) {
                        rows.add(new Row(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getLong(4), rs.getLong(5)));
                    }
                }
            }
            List<Change> out = new ArrayList<>(rows.size());
            for (Row r : rows) {
                StoreEvent e = switch (r.kind()) {
                    case ADDED -> nonEmpty(resolver.added(c, r.first(), r.last()), StoreEvent.EntriesAdded::new);
                    case CHANGED -> nonEmpty(resolver.current(c, r.first(), r.last()), StoreEvent.EntriesChanged::new);
                    case DONE -> nonEmpty(resolver.history(c, r.first(), r.last()), StoreEvent.EntriesDone::new);
                    case SETTING -> new StoreEvent.SettingsChanged(Set.of(r.subject()));
                    case MAILBOX -> new StoreEvent.MailboxesChanged(Set.of(r.subject()));
                    default -> null; // a kind a newer release writes
                };
                out.add(new Change(r.seq(), e));
            }
            return out;
        });
    }

    private static <T> StoreEvent nonEmpty(List<T> items, java.util.function.Function<List<T>, StoreEvent> event) {
        return items.isEmpty() ? null : event.apply(items);
    }

    @Override
    public long maxSeq() {
        return db.read(ChangeLog::maxSeq);
    }

    /** The highest sequence given out, as {@code c}'s transaction sees it (within a snapshot: the one its reads include). */
    public static long maxSeq(java.sql.Connection c) throws java.sql.SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT COALESCE(MAX(seq), 0) FROM change_log")) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
