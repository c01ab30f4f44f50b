package org.mstore.cassandra;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;

import org.mstore.api.HistoryEntry;
import org.mstore.api.QueueEntry;
import org.mstore.api.StoreEvent;
import org.mstore.backend.ChangeFeed;

import com.datastax.oss.driver.api.core.cql.Row;

/**
 * What changed in the queue, the mailbox list and the settings, for other processes' events: {@code <prefix>mbox.changes},
 * partitioned by hour, rows expiring after two days (TTL, so no deletes). A sequence number is the time in milliseconds
 * shifted left by 20 bits plus 20 random bits: increasing with time across hosts and unique in practice.
 *
 * <p>A queue change is one row for many entries: {@code added}, {@code changed} (RecNos) or {@code done} (history
 * sequences) with the ids in {@code ids}; it is read back as the entries are when it is read (see {@link Resolver}).
 *
 * <p>Cassandra has no commit order: a row is visible when its write lands, which may be after a row with a higher
 * sequence written a moment later by another process. So {@link #after} looks {@link #LOOK_BACK_MS} behind the sequence
 * it is given and leaves out the rows it has already returned: a change whose write took longer than that to land is
 * missed by a watcher (events are for display; nothing depends on them). One watcher reads one instance.
 */
final class CassandraChanges implements ChangeFeed {
    static final int SHIFT = 20;
    private static final long HOUR = 3_600_000L;
    static final String MAILBOX = "mailbox";
    static final String SETTING = "setting";
    static final String ADDED = "added";
    static final String CHANGED = "changed";
    static final String DONE = "done";
    /** How far behind the last sequence seen a read looks for rows that landed late. */
    static final long LOOK_BACK_MS = 3000;
    /** The most ids one row of the feed carries. */
    static final int CHUNK = 5000;

    /** Reads back what a queue change was about (the queue's tables are not this class's). */
    interface Resolver {
        /** The entries as they are now; those that have left the queue since as they were added (from the history). */
        List<QueueEntry> added(Collection<Long> recnos);

        /** The entries still in the queue, as they are now. */
        List<QueueEntry> current(Collection<Long> recnos);

        /** The history rows of these sequences. */
        List<HistoryEntry> history(Collection<Long> seqs);
    }

    private final Cql cql;
    private final Clock clock;
    private volatile Resolver resolver;
    /** Sequences {@link #after} returned lately (the look-back window reads them again). */
    private final LinkedHashSet<Long> returned = new LinkedHashSet<>();
    /** Rows at or below this were there before the reader started ({@link #maxSeq}): not news. */
    private long floor = Long.MIN_VALUE;

    CassandraChanges(Cql cql, Clock clock) {
        this.cql = cql;
        this.clock = clock;
    }

    void resolver(Resolver r) {
        this.resolver = r;
    }

    /** A sequence number for now (see the class comment). */
    static long seq(long millis) {
        return (millis << SHIFT) | ThreadLocalRandom.current().nextLong(1L << SHIFT);
    }

    static long hourOf(long seq) {
        return (seq >>> SHIFT) / HOUR;
    }

    /** Uses the wall clock, not the store's (a test's settable clock stands still; these rows must still order). */
    void record(String kind, String subject) {
        long now = System.currentTimeMillis();
        long seq = seq(now);
        cql.execute("INSERT INTO {mbox}.changes (hour, seq, kind, subject, at) VALUES (?, ?, ?, ?, ?)", hourOf(seq), seq, kind, subject,
                clock.millis());
    }

    /** A queue change ({@link #ADDED}, {@link #CHANGED} or {@link #DONE}) of these ids, in rows of at most {@link #CHUNK}. */
    void recordIds(String kind, Collection<Long> ids) {
        if (ids.isEmpty()) {
            return;
        }
        List<Long> all = new ArrayList<>(ids);
        for (int i = 0; i < all.size(); i += CHUNK) {
            long now = System.currentTimeMillis();
            long seq = seq(now);
            cql.execute("INSERT INTO {mbox}.changes (hour, seq, kind, ids, at) VALUES (?, ?, ?, ?, ?)", hourOf(seq), seq, kind,
                    new ArrayList<>(all.subList(i, Math.min(all.size(), i + CHUNK))), clock.millis());
        }
    }

    void recordIds(String kind, long id) {
        recordIds(kind, List.of(id));
    }

    @Override
    public synchronized List<Change> after(long seq, int limit) {
        long from = Math.max(floor, seq - (LOOK_BACK_MS << SHIFT));
        List<Row> rows = new ArrayList<>();
        long nowHour = System.currentTimeMillis() / HOUR;
        int read = 0;
        for (long h = Math.max(hourOf(Math.max(from, 0)), nowHour - 47); h <= nowHour + 1 && read < limit; h++) {
            for (Row r : cql.execute("SELECT seq, kind, subject, ids FROM {mbox}.changes WHERE hour = ? AND seq > ? LIMIT ?", h, from,
                    (int) Math.min(50_000, (long) limit + returned.size()))) {
                long s = r.getLong("seq");
                if (!returned.contains(s) && read < limit) {
                    rows.add(r);
                    read++;
                }
            }
        }
        List<Change> out = new ArrayList<>(rows.size());
        for (Row r : rows) {
            long s = r.getLong("seq");
            out.add(new Change(s, event(r)));
            returned.add(s);
        }
        // forget what is far enough behind not to be read again
        long keepFrom = (out.isEmpty() ? seq : out.get(out.size() - 1).seq()) - 2 * (LOOK_BACK_MS << SHIFT);
        returned.removeIf(s -> s < keepFrom);
        while (returned.size() > 100_000) {
            returned.remove(returned.iterator().next());
        }
        return out;
    }

    private StoreEvent event(Row r) {
        String kind = r.getString("kind");
        List<Long> ids = r.isNull("ids") ? List.of() : r.getList("ids", Long.class);
        Resolver res = resolver;
        return switch (kind) {
            case MAILBOX -> new StoreEvent.MailboxesChanged(Set.of(r.getString("subject")));
            case SETTING -> new StoreEvent.SettingsChanged(Set.of(r.getString("subject")));
            case ADDED -> res == null ? null : nonEmpty(res.added(ids), StoreEvent.EntriesAdded::new);
            case CHANGED -> res == null ? null : nonEmpty(res.current(ids), StoreEvent.EntriesChanged::new);
            case DONE -> res == null ? null : nonEmpty(res.history(ids), StoreEvent.EntriesDone::new);
            default -> null; // a kind a newer release writes
        };
    }

    private static <T> StoreEvent nonEmpty(List<T> items, java.util.function.Function<List<T>, StoreEvent> event) {
        return items.isEmpty() ? null : event.apply(items);
    }

    @Override
    public synchronized long maxSeq() {
        long max = newest();
        floor = Math.max(floor, max);
        return max;
    }

    /** The highest sequence written so far, without moving this reader's floor (a count's sequence: not a reader's start). */
    long newest() {
        long nowHour = System.currentTimeMillis() / HOUR;
        long max = (nowHour * HOUR) << SHIFT;
        for (long h = nowHour + 1; h >= nowHour - 1; h--) {
            Row r = cql.one("SELECT seq FROM {mbox}.changes WHERE hour = ? ORDER BY seq DESC LIMIT 1", h);
            if (r != null) {
                max = r.getLong(0);
                break;
            }
        }
        return max;
    }

    /** Groups ids by the hour of the sequence they are (history sequences), in order. */
    static TreeMap<Long, List<Long>> byHour(Collection<Long> seqs) {
        TreeMap<Long, List<Long>> out = new TreeMap<>();
        for (long s : seqs) {
            out.computeIfAbsent(hourOf(s), k -> new ArrayList<>()).add(s);
        }
        return out;
    }
}
