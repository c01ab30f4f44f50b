package org.mstore.cassandra;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import java.util.function.Predicate;

import org.mstore.api.Action;
import org.mstore.api.Enqueued;
import org.mstore.api.HistoryEntry;
import org.mstore.api.MailboxInfo;
import org.mstore.api.Outcome;
import org.mstore.api.QueueEntry;
import org.mstore.api.QueueQuery;
import org.mstore.api.QueueRequest;
import org.mstore.api.WorkerInfo;
import org.mstore.backend.QueueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.datastax.oss.driver.api.core.cql.BatchStatement;
import com.datastax.oss.driver.api.core.cql.DefaultBatchType;
import com.datastax.oss.driver.api.core.cql.Row;

/**
 * The single maintenance queue of the Cassandra store (SPEC §12), shared by every impurge on every host.
 *
 * <ul>
 * <li>An entry is a row of {@code queue_entries}, partitioned by lane ({@code r} for Repair, which runs first,
 * {@code m} for the rest) and by RecNo / 1,000: no partition grows past 1,000 rows, and a worker reads the lowest
 * partitions that may hold pending entries (a low-water mark, {@code low} in {@code queue_seq}).</li>
 * <li>Its state: {@link QueueEntry.State#RUNNING running} while it holds a lease ({@code lease_id}, with a TTL),
 * {@link QueueEntry.State#FAILED failed} (parked) when {@code state = 'f'}, else {@link QueueEntry.State#WAITING
 * waiting}. Every change of state increments {@code version}, and every change is a lightweight transaction conditional
 * on the version or on the lease: a claim, a retry or a discard made from a stale read does nothing. A parked entry
 * stays in its partition; the picker never takes it, and the low-water mark moves past partitions that hold only parked
 * entries. Parked entries are found from a mark of their own ({@code flow}).</li>
 * <li>RecNos are unique: a process reserves a block of them with a lightweight transaction on the {@code recno} row of
 * {@code queue_seq} (a block lives 5 seconds), so they increase with time within a process but only roughly across
 * processes, and leave gaps.</li>
 * <li>"Already waiting" is a row of {@code queue_pending} keyed by (mailbox, action), taken with {@code IF NOT EXISTS}:
 * two hosts queueing the same task at once make one entry. The row is given up lazily: it may still name an entry that
 * has been claimed, which a request then recognises as stale and replaces (a running entry does not count). An entry
 * that goes back to waiting takes the row again, or is folded into the entry that holds it (recorded as skipped).</li>
 * <li>{@code queue_by_mailbox} lists every entry of a (mailbox, action) pair, in any state: a request finds a parked
 * entry there, and the deletion of a mailbox its running and parked entries.</li>
 * <li>A worker claims an entry with a lightweight transaction that writes a lease with a TTL ({@code lease_id},
 * {@code lease_owner}, {@code lease_at}); the {@link LeaseKeeper} renews it while the task runs; completion deletes the
 * entry only if the lease is still this worker's. When a worker dies its lease expires and the entry is waiting again:
 * another worker takes it over. No two workers hold one entry at once.</li>
 * <li>Counts per action are Cassandra counters (an approximation if a write fails half-way); the history and the
 * workers are rows with TTLs.</li>
 * </ul>
 */
final class CassandraQueue implements QueueStore, CassandraChanges.Resolver {
    private static final Logger LOG = LoggerFactory.getLogger(CassandraQueue.class);
    static final String REPAIR_LANE = "r";
    static final String MAIN_LANE = "m";
    static final String WAITING = "w";
    static final String FAILED = "f";
    /** The low-water mark of partitions with pending (waiting or running) entries. */
    private static final String LOW = "low";
    /** The low-water mark of partitions with parked entries. */
    private static final String FAILED_LOW = "flow";
    private static final String FAILED_COUNT = "failed:";
    private static final String ENTRY_COLS_V1 = "lane, bucket, recno, mailbox, action, ts, forced, not_before, attempts, last_error, state, "
            + "version, lease_id, lease_owner, lease_at";
    /** The columns that say why, by whom and when an entry was queued ({@link Schema#REASON_COLUMNS}). */
    private static final String REASON_COLS = ", reason, queued_by, queued_at";
    private static final String WHERE = " WHERE lane = ? AND bucket = ? AND recno = ?";
    private static final long HOUR = 3_600_000L;
    private static final long DAY = 86_400_000L;
    private static final long BLOCK_LIFE_MS = 5000;
    private static final long CACHE_MS = 1000;
    private static final int ERROR_MAX = 1000;
    /** The most entries one {@link #claimDue} claims. */
    static final int MAX_CLAIMS = 32;

    /** An entry as stored, with its partition and its lease. */
    record Row2(String lane, long bucket, QueueEntry entry, UUID leaseId, Instant leaseAt) {
        long recno() {
            return entry.recno();
        }

        QueueEntry.State state() {
            return entry.state();
        }
    }

    /** A claim this process holds: renewed by the lease keeper until completed or released. */
    record Claim(long recno, String lane, long bucket, UUID leaseId, String worker, String mailbox, Action action, long claimedAt,
                 QueueEntry entry) {
    }

    private final Cql cql;
    private final Clock clock;
    private final CassandraMailboxList mailboxes;
    private final CassandraChanges changes;
    private final int leaseSeconds;
    private final String host;
    /**
     * Whether the store has the reason columns: a store made by an earlier release lacks them until a read-write open
     * adds them ({@link Schema#addMissing}); a read-only open reads it without them (the reasons are unknown).
     */
    private final boolean reasons;
    private final String entryCols;
    private final String historyCols;
    private final long pid = ProcessHandle.current().pid();
    private final String instance = Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000, 0x10000));
    private final long started = System.currentTimeMillis();
    private final ConcurrentHashMap<Long, Claim> claims = new ConcurrentHashMap<>();
    /** Owners (daemons) of this process that picked recently: their heartbeat rows. */
    private final ConcurrentHashMap<String, Long> owners = new ConcurrentHashMap<>();
    private volatile Runnable onChange = () -> { };
    private long blockNext;
    private long blockEnd = -1;
    private long blockAt;
    private long historyCounter = ThreadLocalRandom.current().nextLong(1L << CassandraChanges.SHIFT);
    // the picker's cache of due entries (one scan serves many picks)
    private final Object cacheLock = new Object();
    private List<Row2> candidates = new ArrayList<>();
    private long cachedAt;
    private Set<Action> cachedPaused = Set.of();
    private Long nextDue;

    CassandraQueue(Cql cql, Clock clock, CassandraMailboxList mailboxes, CassandraChanges changes, int leaseSeconds) {
        this.cql = cql;
        this.clock = clock;
        this.mailboxes = mailboxes;
        this.changes = changes;
        this.leaseSeconds = leaseSeconds;
        String h;
        try {
            h = java.net.InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            h = "localhost";
        }
        this.host = h;
        this.reasons = Schema.hasReasonColumns(cql);
        this.entryCols = ENTRY_COLS_V1 + (reasons ? REASON_COLS : "");
        this.historyCols = HISTORY_COLS_V1 + (reasons ? REASON_COLS : "");
    }

    @Override
    public void onChange(Runnable r) {
        onChange = r == null ? () -> { } : r;
    }

    @Override
    public void notifyChanged() {
        onChange.run();
    }

    static String lane(Action a) {
        return a == Action.REPAIR ? REPAIR_LANE : MAIN_LANE;
    }

    private static void requireAction(Action a) {
        if (a.cleanupStep()) {
            throw new IllegalArgumentException(a + " does not exist on the cassandra store: it has no cleanup step");
        }
    }

    /** The name a worker of this process has in the queue: {@code impurge[pid]@host}, made unique per process instance. */
    String workerName(String owner) {
        return owner + "@" + host + "/" + instance;
    }

    private static String cut(String s) {
        return s == null ? null : s.length() > ERROR_MAX ? s.substring(0, ERROR_MAX) : s;
    }

    private void forgetCache() {
        synchronized (cacheLock) {
            cachedAt = 0;
            candidates = new ArrayList<>();
        }
    }

    // ---------------------------------------------------------------- RecNos and marks

    /** Reserves {@code n} consecutive RecNos (a block of at least 8, kept for 5 seconds); returns the first. */
    private synchronized long allocate(int n) {
        long now = System.currentTimeMillis();
        if (blockEnd - blockNext + 1 < n || now - blockAt > BLOCK_LIFE_MS) {
            int size = Math.max(n, 8);
            for (int attempt = 0; ; attempt++) {
                Row r = cql.oneSerial("SELECT value FROM {mbox}.queue_seq WHERE name = 'recno'");
                long cur = r == null ? 0 : r.getLong(0);
                boolean ok = r == null ? cql.lwt("INSERT INTO {mbox}.queue_seq (name, value) VALUES ('recno', ?) IF NOT EXISTS", cur + size)
                        : cql.lwt("UPDATE {mbox}.queue_seq SET value = ? WHERE name = 'recno' IF value = ?", cur + size, cur);
                if (ok) {
                    blockNext = cur + 1;
                    blockEnd = cur + size;
                    blockAt = now;
                    break;
                }
                if (attempt > 50) {
                    throw new IllegalStateException("could not reserve RecNos: too much contention on the queue's RecNo row");
                }
                backoff(attempt);
            }
        }
        long first = blockNext;
        blockNext += n;
        return first;
    }

    private static void backoff(int attempt) {
        try {
            Thread.sleep(ThreadLocalRandom.current().nextInt(1, 5 + 5 * Math.min(attempt, 10)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private long mark(String name) {
        Row r = cql.one("SELECT value FROM {mbox}.queue_seq WHERE name = ?", name);
        return r == null ? 0 : r.getLong(0);
    }

    private long maxBucket() {
        Row r = cql.one("SELECT value FROM {mbox}.queue_seq WHERE name = 'recno'");
        return r == null ? 0 : Schema.recnoBucket(r.getLong(0));
    }

    /**
     * After making an entry pending ({@link #LOW}) or parked ({@link #FAILED_LOW}) in {@code bucket}: makes sure the mark
     * is not above it (a reader may have moved it past the bucket just before). Read at LOCAL_SERIAL to see every move.
     */
    private void ensureMark(String name, long bucket) {
        for (int attempt = 0; attempt < 50; attempt++) {
            Row r = cql.oneSerial("SELECT value FROM {mbox}.queue_seq WHERE name = ?", name);
            if (r == null || r.getLong(0) <= bucket) {
                return;
            }
            if (cql.lwt("UPDATE {mbox}.queue_seq SET value = ? WHERE name = ? IF value = ?", bucket, name, r.getLong(0))) {
                return;
            }
        }
    }

    /**
     * Moves a mark past {@code bucket}, in which a scan found nothing the mark stands for, then looks again: an entry
     * that landed meanwhile moves it back (see {@link #ensureMark}).
     */
    private void advanceMark(String name, long bucket, Predicate<Row2> counts) {
        Row r = cql.oneSerial("SELECT value FROM {mbox}.queue_seq WHERE name = ?", name);
        boolean ok = r == null ? cql.lwt("INSERT INTO {mbox}.queue_seq (name, value) VALUES (?, ?) IF NOT EXISTS", name, bucket + 1)
                : r.getLong(0) == bucket && cql.lwt("UPDATE {mbox}.queue_seq SET value = ? WHERE name = ? IF value = ?", bucket + 1, name, bucket);
        if (ok && (bucketRows(REPAIR_LANE, bucket).stream().anyMatch(counts) || bucketRows(MAIN_LANE, bucket).stream().anyMatch(counts))) {
            ensureMark(name, bucket);
        }
    }

    private static boolean pending(Row2 r) {
        return r.state() != QueueEntry.State.FAILED;
    }

    private static boolean parked(Row2 r) {
        return r.state() == QueueEntry.State.FAILED;
    }

    // ---------------------------------------------------------------- rows

    private static Row2 map(Row r) {
        Long nb = r.isNull("not_before") ? null : r.getLong("not_before");
        UUID lease = r.getUuid("lease_id");
        QueueEntry.State state = lease != null ? QueueEntry.State.RUNNING
                : FAILED.equals(r.getString("state")) ? QueueEntry.State.FAILED : QueueEntry.State.WAITING;
        QueueEntry e = new QueueEntry(r.getLong("recno"), r.getString("mailbox"), Action.fromLabel(r.getString("action")),
                Instant.ofEpochMilli(r.getLong("ts")), r.getBoolean("forced"), r.isNull("version") ? 0 : r.getInt("version"),
                lease == null ? null : r.getString("lease_owner"), nb == null ? null : Instant.ofEpochMilli(nb), r.getInt("attempts"),
                r.getString("last_error"), state, text(r, "reason"), text(r, "queued_by"), instant(r, "queued_at"));
        Instant leaseAt = r.isNull("lease_at") || lease == null ? null : Instant.ofEpochMilli(r.getLong("lease_at"));
        return new Row2(r.getString("lane"), r.getLong("bucket"), e, lease, leaseAt);
    }

    /** A text column that a store made by an earlier release may lack (null then). */
    private static String text(Row r, String column) {
        return r.getColumnDefinitions().contains(column) ? r.getString(column) : null;
    }

    /** A time column (epoch ms) that a store made by an earlier release may lack (null then, as when not set). */
    private static Instant instant(Row r, String column) {
        return r.getColumnDefinitions().contains(column) && !r.isNull(column) ? Instant.ofEpochMilli(r.getLong(column)) : null;
    }

    private List<Row2> bucketRows(String lane, long bucket) {
        List<Row2> out = new ArrayList<>();
        for (Row r : cql.execute("SELECT " + entryCols + " FROM {mbox}.queue_entries WHERE lane = ? AND bucket = ?", lane, bucket)) {
            if (!r.isNull("mailbox")) {
                out.add(map(r));
            }
        }
        return out;
    }

    private Row2 row(String lane, long recno) {
        Row r = cql.one("SELECT " + entryCols + " FROM {mbox}.queue_entries" + WHERE, lane, Schema.recnoBucket(recno), recno);
        return r == null || r.isNull("mailbox") ? null : map(r);
    }

    private Row2 row(long recno) {
        Row2 r = row(MAIN_LANE, recno);
        return r != null ? r : row(REPAIR_LANE, recno);
    }

    /** The entries of (mailbox, action), in any state, from {@code queue_by_mailbox}. */
    private List<Row2> entriesOf(String mailbox, Action action) {
        List<Row2> out = new ArrayList<>();
        for (Row r : cql.execute("SELECT recno, lane FROM {mbox}.queue_by_mailbox WHERE mailbox = ? AND action = ?", mailbox, action.label())) {
            Row2 e = row(r.getString("lane"), r.getLong("recno"));
            if (e != null) {
                out.add(e);
            }
        }
        return out;
    }

    /**
     * Moves a count. Counts are for display and a counter update cannot be retried (it is not idempotent): it is sent
     * once, and a failure (its leader replica died, say) is logged, never the queue's failure.
     */
    private void count(Action a, long delta) {
        countKey(a.label(), delta);
    }

    private void countFailed(Action a, long delta) {
        countKey(FAILED_COUNT + a.label(), delta);
    }

    private void countKey(String key, long delta) {
        try {
            cql.execute("UPDATE {mbox}.queue_counts SET n = n + ? WHERE action = ?", delta, key);
        } catch (RuntimeException e) {
            LOG.warn("the count of {} entries could not be moved by {}: {}", key, delta, Cql.oneLine(e.getMessage()));
        }
    }

    private void unlist(QueueEntry e) {
        cql.execute("DELETE FROM {mbox}.queue_by_mailbox WHERE mailbox = ? AND action = ? AND recno = ?", e.mailbox(), e.action().label(),
                e.recno());
    }

    /** Gives up the "already waiting" row if it still names {@code recno}. */
    private void freeSlot(QueueEntry e) {
        cql.lwt("DELETE FROM {mbox}.queue_pending WHERE mailbox = ? AND action = ? IF recno = ?", e.mailbox(), e.action().label(), e.recno());
    }

    // ---------------------------------------------------------------- enqueue

    @Override
    public Enqueued enqueue(String mailbox, Action action, long ts, boolean forced, String reason, String queuedBy) {
        Enqueued e = enqueueQuiet(mailbox, action, ts, forced, reason, queuedBy);
        notifyChanged();
        return e;
    }

    /** {@link #enqueue} without telling listeners (inside a unit of work, which tells them at its end). */
    Enqueued enqueueQuiet(String mailbox, Action action, long ts, boolean forced, String reason, String queuedBy) {
        requireAction(action);
        for (int attempt = 0; attempt < 20; attempt++) {
            Row slot = cql.one("SELECT recno, lane FROM {mbox}.queue_pending WHERE mailbox = ? AND action = ?", mailbox, action.label());
            if (slot != null) {
                long recno = slot.getLong("recno");
                Row2 e = row(slot.getString("lane"), recno);
                if (e == null || e.state() != QueueEntry.State.WAITING) {
                    // its entry left the queue, was claimed or parked: the row is stale (a running entry does not count)
                    cql.lwt("DELETE FROM {mbox}.queue_pending WHERE mailbox = ? AND action = ? IF recno = ?", mailbox, action.label(), recno);
                    continue;
                }
                QueueEntry q = e.entry();
                int v = q.version();
                if (forced && !q.forced()) {
                    if (!cql.lwt("UPDATE {mbox}.queue_entries SET forced = true, not_before = null, version = ?" + WHERE
                            + " IF lease_id = null AND version = ?", v + 1, e.lane(), e.bucket(), recno, v)) {
                        continue;
                    }
                    v++;
                    changes.recordIds(CassandraChanges.CHANGED, recno);
                    forgetCache();
                }
                if (action == Action.REPAIR && q.timestamp().toEpochMilli() < ts) {
                    // impurge skips a Repair when the mailbox was repaired after the entry's time: a newer report moves it
                    // (version + 1: a claim made on the old timestamp fails and is made again on the new one)
                    if (!cql.lwt("UPDATE {mbox}.queue_entries SET ts = ?, version = ?" + WHERE + " IF lease_id = null AND version = ?", ts, v + 1,
                            e.lane(), e.bucket(), recno, v)) {
                        continue;
                    }
                    changes.recordIds(CassandraChanges.CHANGED, recno);
                    forgetCache();
                }
                return new Enqueued(recno, false);
            }
            // nothing waits: a parked entry takes the request in (retried if forced, else the task waits for an administrator)
            Optional<Row2> parked = entriesOf(mailbox, action).stream().filter(CassandraQueue::parked).findFirst();
            if (parked.isPresent()) {
                if (!forced) {
                    return new Enqueued(parked.get().recno(), false);
                }
                long now = retryParked(parked.get(), true, "retried as forced: the same task is waiting again");
                if (now < 0) {
                    continue;
                }
                return new Enqueued(now, false);
            }
            long recno = insertNew(mailbox, action, ts, forced, reason, queuedBy);
            if (recno > 0) {
                return new Enqueued(recno, true);
            }
            // another process queued the same task first: ours went, theirs stands (found at the next look)
        }
        throw new IllegalStateException("could not queue " + action + " for " + mailbox + ": the queue changed under every attempt");
    }

    /** Adds a waiting entry and takes the "already waiting" row for it; -1 (and nothing left) if another took it first. */
    private long insertNew(String mailbox, Action action, long ts, boolean forced, String reason, String queuedBy) {
        long recno = allocate(1);
        String lane = lane(action);
        long bucket = Schema.recnoBucket(recno);
        cql.execute("INSERT INTO {mbox}.queue_by_mailbox (mailbox, action, recno, lane, parked) VALUES (?, ?, ?, ?, false)", mailbox,
                action.label(), recno, lane);
        cql.execute(insertEntry(lane, bucket, recno, mailbox, action, ts, forced, reason, queuedBy, clock.millis()));
        if (cql.lwt("INSERT INTO {mbox}.queue_pending (mailbox, action, recno, lane) VALUES (?, ?, ?, ?) IF NOT EXISTS", mailbox,
                action.label(), recno, lane)) {
            count(action, 1);
            ensureMark(LOW, bucket);
            changes.recordIds(CassandraChanges.ADDED, recno);
            forgetCache();
            return recno;
        }
        if (cql.lwt("DELETE FROM {mbox}.queue_entries" + WHERE + " IF lease_id = null", lane, bucket, recno)) {
            cql.execute("DELETE FROM {mbox}.queue_by_mailbox WHERE mailbox = ? AND action = ? AND recno = ?", mailbox, action.label(), recno);
        }
        return -1;
    }

    /** The statement that writes a new waiting entry, with why, by whom and when it is queued where the store keeps them. */
    private com.datastax.oss.driver.api.core.cql.BoundStatement insertEntry(String lane, long bucket, long recno, String mailbox, Action action,
                                                                             long ts, boolean forced, String reason, String queuedBy, long now) {
        if (!reasons) {
            return cql.bind("INSERT INTO {mbox}.queue_entries (lane, bucket, recno, mailbox, action, ts, forced, attempts, state, version) "
                    + "VALUES (?, ?, ?, ?, ?, ?, ?, 0, 'w', 0)", lane, bucket, recno, mailbox, action.label(), ts, forced);
        }
        return cql.bind("INSERT INTO {mbox}.queue_entries (lane, bucket, recno, mailbox, action, ts, forced, attempts, state, version, reason, "
                + "queued_by, queued_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0, 'w', 0, ?, ?, ?)", lane, bucket, recno, mailbox, action.label(), ts, forced,
                QueueRequest.cut(reason), queuedBy, now);
    }

    /**
     * Queues many requests at once: pairs already waiting or parked are skipped (also within the batch). Each request is
     * a chain of asynchronous statements (the parked check, the entry, the "already waiting" row), 64 in flight.
     */
    @Override
    public int enqueueAll(Collection<QueueRequest> requests) {
        List<QueueRequest> todo = new ArrayList<>();
        Map<String, Boolean> seen = new HashMap<>();
        for (QueueRequest r : requests) {
            requireAction(r.action());
            if (seen.putIfAbsent(r.mailbox() + "\0" + r.action().label(), true) == null) {
                todo.add(r);
            }
        }
        if (todo.isEmpty()) {
            return 0;
        }
        long first = allocate(todo.size());
        long now = clock.millis();
        Semaphore window = new Semaphore(64);
        List<CompletableFuture<Boolean>> added = new ArrayList<>();
        for (int i = 0; i < todo.size(); i++) {
            QueueRequest r = todo.get(i);
            long recno = first + i;
            String lane = lane(r.action());
            long bucket = Schema.recnoBucket(recno);
            var parkedCheck = cql.bind("SELECT parked FROM {mbox}.queue_by_mailbox WHERE mailbox = ? AND action = ?", r.mailbox(),
                    r.action().label());
            var listed = cql.bind("INSERT INTO {mbox}.queue_by_mailbox (mailbox, action, recno, lane, parked) VALUES (?, ?, ?, ?, false)",
                    r.mailbox(), r.action().label(), recno, lane);
            var entry = insertEntry(lane, bucket, recno, r.mailbox(), r.action(), r.ts(), r.forced(), r.reason(), r.queuedBy(), now);
            var slot = cql.bind("INSERT INTO {mbox}.queue_pending (mailbox, action, recno, lane) VALUES (?, ?, ?, ?) IF NOT EXISTS", r.mailbox(),
                    r.action().label(), recno, lane);
            var undo = cql.bind("DELETE FROM {mbox}.queue_entries" + WHERE + " IF lease_id = null", lane, bucket, recno);
            var unlisted = cql.bind("DELETE FROM {mbox}.queue_by_mailbox WHERE mailbox = ? AND action = ? AND recno = ?", r.mailbox(),
                    r.action().label(), recno);
            window.acquireUninterruptibly();
            CompletableFuture<Boolean> f = cql.executeAsync(parkedCheck)
                    .thenCompose(rs -> {
                        for (Row row : rs.currentPage()) {
                            if (!row.isNull(0) && row.getBoolean(0)) {
                                return CompletableFuture.completedFuture(false); // parked: waits for an administrator
                            }
                        }
                        return cql.executeAsync(listed)
                                .thenCompose(x -> cql.executeAsync(entry))
                                .thenCompose(x -> cql.executeAsync(slot))
                                .thenCompose(s -> s.wasApplied() ? CompletableFuture.completedFuture(true)
                                        : cql.executeAsync(undo).thenCompose(u -> u.wasApplied() ? cql.executeAsync(unlisted) : CompletableFuture
                                                .completedFuture(u)).thenApply(x -> false));
                    })
                    .toCompletableFuture().whenComplete((x, t) -> window.release());
            added.add(f);
        }
        Map<Action, Long> perAction = new EnumMap<>(Action.class);
        List<Long> recnos = new ArrayList<>();
        int n = 0;
        for (int i = 0; i < added.size(); i++) {
            if (added.get(i).join()) {
                n++;
                perAction.merge(todo.get(i).action(), 1L, Long::sum);
                recnos.add(first + i);
            }
        }
        perAction.forEach(this::count);
        ensureMark(LOW, Schema.recnoBucket(first));
        changes.recordIds(CassandraChanges.ADDED, recnos);
        forgetCache();
        notifyChanged();
        return n;
    }

    /** Past store.cleanupsize the Cassandra store goes straight to Purge (there is no Clean): queues what is missing. */
    @Override
    public int sweep(long cleanupSize, long purgeCount, double purgePercentage, long now, String queuedBy) {
        int n = 0;
        for (MailboxInfo m : mailboxes.list()) {
            if (m.expunged() > cleanupSize && enqueueQuiet(m.name(), Action.PURGE, now, false,
                    QueueRequest.cleanupReason(m.expunged(), cleanupSize) + " (found by impurge's sweep)", queuedBy).added()) {
                n++;
            }
        }
        if (n > 0) {
            notifyChanged();
        }
        return n;
    }

    // ---------------------------------------------------------------- the workers' side

    private static boolean due(QueueEntry e, long now, long cleanupAgeMillis) {
        if (e.notBefore() != null && e.notBefore().toEpochMilli() > now) {
            return false;
        }
        // a Purge is always deferred by store.cleanupage after the expunge that queued it (unless forced)
        return e.forced() || e.action() != Action.PURGE || e.timestamp().toEpochMilli() + cleanupAgeMillis <= now;
    }

    private static Long dueAt(QueueEntry e, long now, long cleanupAgeMillis) {
        long t = Long.MIN_VALUE;
        if (e.notBefore() != null) {
            t = e.notBefore().toEpochMilli();
        }
        if (!e.forced() && e.action() == Action.PURGE) {
            t = Math.max(t, e.timestamp().toEpochMilli() + cleanupAgeMillis);
        }
        return t > now ? t : null;
    }

    /**
     * Reads the lowest partitions that may hold pending entries: due waiting Repairs first; else the first due waiting
     * entries of the main lane (up to 256), in RecNo order. Moves the low-water mark past partitions below the newest that
     * hold no pending entry (empty, or parked entries only). Entries of the {@code paused} actions are left out: they are
     * read past (a paused action's entries cost a scan here, unlike the classic store's lanes).
     */
    private void refresh(long now, long cleanupAgeMillis, Set<Action> paused) {
        long low = mark(LOW);
        long max = maxBucket();
        List<Row2> repairs = new ArrayList<>();
        List<Row2> main = new ArrayList<>();
        Long soonest = null;
        boolean stillLow = true;
        for (long b = low; b <= max; b++) {
            List<Row2> r = bucketRows(REPAIR_LANE, b);
            List<Row2> m = main.size() < 256 || stillLow ? bucketRows(MAIN_LANE, b) : null;
            if (m != null && stillLow && b < max && r.stream().noneMatch(CassandraQueue::pending) && m.stream().noneMatch(CassandraQueue::pending)) {
                advanceMark(LOW, b, CassandraQueue::pending);
                continue;
            }
            stillLow = false;
            for (Row2 x : r) {
                if (x.state() == QueueEntry.State.WAITING && !paused.contains(x.entry().action())) {
                    if (due(x.entry(), now, cleanupAgeMillis)) {
                        repairs.add(x);
                    } else {
                        soonest = min(soonest, dueAt(x.entry(), now, cleanupAgeMillis));
                    }
                }
            }
            if (m != null) {
                for (Row2 x : m) {
                    if (x.state() == QueueEntry.State.WAITING && !paused.contains(x.entry().action())) {
                        if (due(x.entry(), now, cleanupAgeMillis)) {
                            main.add(x);
                        } else {
                            soonest = min(soonest, dueAt(x.entry(), now, cleanupAgeMillis));
                        }
                    }
                }
            }
        }
        repairs.sort(Comparator.comparingLong(Row2::recno));
        main.sort(Comparator.comparingLong(Row2::recno));
        candidates = repairs.isEmpty() ? main : repairs;
        nextDue = soonest;
        cachedPaused = paused;
        cachedAt = System.currentTimeMillis();
    }

    private static Long min(Long a, Long b) {
        return a == null ? b : b == null ? a : Math.min(a, b);
    }

    /**
     * Claims up to {@code max} due entries: Repairs first, then the main lane, in RecNo order. One entry is taken at
     * random among the first four due (so that workers do not all race for the head); a batch takes the first ones and
     * claims them with parallel lightweight transactions, leaving out those another worker won.
     */
    @Override
    public List<QueueEntry> claimDue(long now, long cleanupAgeMillis, String owner, int requested, Set<Action> paused) {
        if (requested < 1) {
            return List.of();
        }
        // a claim is a lease that must be renewed until its entry completes: a batch is kept small enough to be settled
        // well within a lease
        int max = Math.min(requested, MAX_CLAIMS);
        owners.put(owner, System.currentTimeMillis());
        for (int attempt = 0; attempt < 64; attempt++) {
            List<Row2> picks = new ArrayList<>();
            synchronized (cacheLock) {
                if (candidates.isEmpty() || System.currentTimeMillis() - cachedAt > CACHE_MS || !cachedPaused.equals(paused)) {
                    refresh(now, cleanupAgeMillis, paused);
                }
                if (candidates.isEmpty()) {
                    return List.of();
                }
                if (max == 1) {
                    // spread the workers over the first few due entries instead of all racing for the first
                    picks.add(candidates.remove(ThreadLocalRandom.current().nextInt(Math.min(4, candidates.size()))));
                } else {
                    while (picks.size() < max && !candidates.isEmpty()) {
                        picks.add(candidates.remove(0));
                    }
                }
            }
            picks.removeIf(c -> !due(c.entry(), now, cleanupAgeMillis) || paused.contains(c.entry().action()));
            List<QueueEntry> got = claimAll(picks, owner);
            if (!got.isEmpty()) {
                changes.recordIds(CassandraChanges.CHANGED, got.stream().map(QueueEntry::recno).toList());
                notifyChanged();
                return got;
            }
        }
        return List.of();
    }

    /**
     * The claim: a conditional batch on the entry's row that writes the lease with a TTL and the version + 1 without
     * one, if the entry is waiting with the version it was read with.
     */
    private static final String CLAIM = "BEGIN BATCH "
            + "UPDATE {mbox}.queue_entries USING TTL ? SET lease_id = ?, lease_owner = ?, lease_at = ?" + WHERE
            + " IF lease_id = null AND version = ? AND state = 'w'; "
            + "UPDATE {mbox}.queue_entries SET version = ?" + WHERE + "; APPLY BATCH";

    private List<QueueEntry> claimAll(List<Row2> picks, String owner) {
        String worker = workerName(owner);
        List<CompletableFuture<QueueEntry>> pending = new ArrayList<>();
        for (Row2 c : picks) {
            UUID lease = UUID.randomUUID();
            long at = System.currentTimeMillis();
            QueueEntry e = c.entry();
            var st = cql.bind(CLAIM, leaseSeconds, lease, worker, at, c.lane(), c.bucket(), e.recno(), e.version(), e.version() + 1, c.lane(),
                    c.bucket(), e.recno());
            pending.add(cql.executeAsync(st).toCompletableFuture().thenApply(rs -> {
                if (!rs.wasApplied()) {
                    return null;
                }
                QueueEntry got = new QueueEntry(e.recno(), e.mailbox(), e.action(), e.timestamp(), e.forced(), e.version() + 1, worker,
                        e.notBefore(), e.attempts(), e.lastError(), QueueEntry.State.RUNNING, e.reason(), e.queuedBy(), e.queuedAt());
                claims.put(e.recno(), new Claim(e.recno(), c.lane(), c.bucket(), lease, worker, e.mailbox(), e.action(), at, got));
                return got;
            }));
        }
        List<QueueEntry> got = new ArrayList<>();
        RuntimeException failure = null;
        for (CompletableFuture<QueueEntry> f : pending) {
            try {
                QueueEntry e = f.join();
                if (e != null) {
                    got.add(e);
                }
            } catch (RuntimeException ex) {
                failure = ex; // an LWT whose outcome is unknown: if it was applied, the lease is not renewed and expires
            }
        }
        if (got.isEmpty() && failure != null) {
            throw failure;
        }
        if (!got.isEmpty()) {
            heartbeat(owner);
        }
        return got;
    }

    @Override
    public Optional<QueueEntry> claim(long recno, long now, String owner) {
        owners.put(owner, System.currentTimeMillis());
        Row2 r = row(recno);
        if (r == null || r.state() != QueueEntry.State.WAITING) {
            return Optional.empty();
        }
        List<QueueEntry> got = claimAll(List.of(r), owner);
        if (got.isEmpty()) {
            return Optional.empty();
        }
        changes.recordIds(CassandraChanges.CHANGED, recno);
        notifyChanged();
        return Optional.of(got.get(0));
    }

    @Override
    public Optional<Instant> nextDueTime(long now, long cleanupAgeMillis, Set<Action> paused) {
        synchronized (cacheLock) {
            if (System.currentTimeMillis() - cachedAt > CACHE_MS || !cachedPaused.equals(paused)) {
                refresh(now, cleanupAgeMillis, paused);
            }
            return Optional.ofNullable(nextDue).map(Instant::ofEpochMilli);
        }
    }

    @Override
    public void release(QueueEntry picked, String error, long notBefore) {
        toWaiting(picked, picked.attempts() + 1, cut(error), notBefore, "failed: " + error + "; the same task was queued again while it ran");
        notifyChanged();
    }

    @Override
    public void postpone(QueueEntry picked, String reason, long notBefore) {
        toWaiting(picked, picked.attempts(), cut(reason), notBefore, "waiting for a Repair; the same task was queued again while it ran");
        notifyChanged();
    }

    @Override
    public void unclaim(Collection<QueueEntry> picked) {
        for (QueueEntry e : picked) {
            toWaiting(e, e.attempts(), e.lastError(), null, "the same task was queued again while it was claimed");
        }
        if (!picked.isEmpty()) {
            notifyChanged();
        }
    }

    /**
     * A claimed entry goes back to waiting (its lease given up, version + 1) with {@code attempts}, {@code error} and the
     * back-off {@code notBefore}; then takes the "already waiting" row, or is folded into the entry that holds it. Does
     * nothing if this process no longer holds the claim.
     */
    private void toWaiting(QueueEntry picked, int attempts, String error, Long notBefore, String foldDetail) {
        Claim c = claims.remove(picked.recno());
        if (c == null) {
            return;
        }
        int v = picked.version() + 1;
        boolean ok = cql.lwt("UPDATE {mbox}.queue_entries SET lease_id = null, lease_owner = null, lease_at = null, attempts = ?, "
                + "last_error = ?, not_before = ?, version = ?" + WHERE + " IF lease_id = ?", attempts, error, notBefore, v, c.lane(), c.bucket(),
                c.recno(), c.leaseId());
        heartbeatAll();
        if (!ok) {
            LOG.warn("claim on RecNo {} was lost before it was given back (its lease expired)", c.recno());
            return;
        }
        changes.recordIds(CassandraChanges.CHANGED, picked.recno());
        forgetCache();
        QueueEntry now = new QueueEntry(picked.recno(), picked.mailbox(), picked.action(), picked.timestamp(), picked.forced(), v, null,
                notBefore == null ? null : Instant.ofEpochMilli(notBefore), attempts, error, QueueEntry.State.WAITING, picked.reason(),
                picked.queuedBy(), picked.queuedAt());
        settleWaiting(new Row2(c.lane(), c.bucket(), now, null, null), foldDetail);
    }

    /**
     * An entry that is waiting again (released, given back, retried) takes the "already waiting" row of its (mailbox,
     * action). If another waiting entry holds it (queued anew meanwhile), the two are one task: this one is folded into
     * that one, which takes the larger attempt count, the error, the back-off and forced, and leaves the queue as
     * {@link Outcome#SKIPPED}. Returns the RecNo now waiting for the task, or -1 when the entry changed meanwhile.
     */
    private long settleWaiting(Row2 x, String foldDetail) {
        QueueEntry e = x.entry();
        for (int attempt = 0; attempt < 20; attempt++) {
            Row r = cql.lwtRow("INSERT INTO {mbox}.queue_pending (mailbox, action, recno, lane) VALUES (?, ?, ?, ?) IF NOT EXISTS", e.mailbox(),
                    e.action().label(), e.recno(), x.lane());
            if (r.getBoolean("[applied]")) {
                return e.recno();
            }
            long holder = r.getLong("recno");
            if (holder == e.recno()) {
                return e.recno(); // its own row, still there (given up lazily)
            }
            Row2 y = row(r.getString("lane"), holder);
            if (y == null || y.state() != QueueEntry.State.WAITING) {
                cql.lwt("DELETE FROM {mbox}.queue_pending WHERE mailbox = ? AND action = ? IF recno = ?", e.mailbox(), e.action().label(), holder);
                continue;
            }
            QueueEntry t = y.entry();
            boolean forced = t.forced() || e.forced();
            Long notBefore = e.notBefore() != null && !forced ? e.notBefore().toEpochMilli() : null;
            if (!cql.lwt("UPDATE {mbox}.queue_entries SET attempts = ?, last_error = ?, forced = ?, not_before = ?, version = ?" + WHERE
                    + " IF lease_id = null AND version = ?", Math.max(t.attempts(), e.attempts()), e.lastError() != null ? e.lastError()
                    : t.lastError(), forced, notBefore, t.version() + 1, y.lane(), y.bucket(), t.recno(), t.version())) {
                continue;
            }
            changes.recordIds(CassandraChanges.CHANGED, t.recno());
            if (cql.lwt("DELETE FROM {mbox}.queue_entries" + WHERE + " IF lease_id = null AND version = ?", x.lane(), x.bucket(), e.recno(),
                    e.version())) {
                unlist(e);
                count(e.action(), -1);
                history(e, Outcome.SKIPPED, foldDetail + " (RecNo " + t.recno() + " carries on)", 0, null);
                return t.recno();
            }
            return -1; // claimed meanwhile by another worker: it runs (one running, one waiting)
        }
        LOG.warn("RecNo {} ({} {}) waits without the 'already waiting' row: the queue changed under every attempt", e.recno(), e.action(),
                e.mailbox());
        return e.recno();
    }

    @Override
    public void park(QueueEntry picked, String error) {
        Claim c = claims.remove(picked.recno());
        if (c == null) {
            return;
        }
        boolean ok = cql.lwt("UPDATE {mbox}.queue_entries SET lease_id = null, lease_owner = null, lease_at = null, state = 'f', attempts = ?, "
                + "last_error = ?, not_before = null, version = ?" + WHERE + " IF lease_id = ?", picked.attempts() + 1, cut(error),
                picked.version() + 1, c.lane(), c.bucket(), c.recno(), c.leaseId());
        heartbeatAll();
        if (!ok) {
            LOG.warn("claim on RecNo {} was lost before it was parked (its lease expired)", c.recno());
            return;
        }
        cql.execute("UPDATE {mbox}.queue_by_mailbox SET parked = true, lane = ? WHERE mailbox = ? AND action = ? AND recno = ?", c.lane(),
                picked.mailbox(), picked.action().label(), picked.recno());
        freeSlot(picked);
        count(picked.action(), -1);
        countFailed(picked.action(), 1);
        ensureMark(FAILED_LOW, c.bucket());
        changes.recordIds(CassandraChanges.CHANGED, picked.recno());
        notifyChanged();
    }

    /**
     * Completes a claimed entry: deletes it if the lease is still ours, records the outcome. False when the claim was
     * lost (the lease expired and another worker took the entry).
     */
    boolean complete(QueueEntry picked, Outcome outcome, String detail, long bytes) {
        Claim c = claims.remove(picked.recno());
        if (c == null) {
            return false;
        }
        if (!cql.lwt("DELETE FROM {mbox}.queue_entries" + WHERE + " IF lease_id = ?", c.lane(), c.bucket(), c.recno(), c.leaseId())) {
            heartbeatAll();
            LOG.warn("claim on RecNo {} was lost before it completed (its lease expired)", c.recno());
            return false;
        }
        freeSlot(picked);
        unlist(picked);
        count(picked.action(), -1);
        history(picked, outcome, detail, bytes, c.worker());
        heartbeatAll();
        return true;
    }

    /** Claims expire with their leases; nothing to clear (other hosts' workers keep theirs). */
    @Override
    public int resetClaims() {
        return 0;
    }

    // ---------------------------------------------------------------- administrator actions

    @Override
    public List<QueueEntry> remove(Collection<Long> recnos, Outcome outcome, String detail, long now) {
        List<QueueEntry> out = new ArrayList<>();
        for (long recno : recnos) {
            Row2 r = row(recno);
            if (r == null || r.state() != QueueEntry.State.WAITING) {
                continue;
            }
            if (cql.lwt("DELETE FROM {mbox}.queue_entries" + WHERE + " IF lease_id = null AND version = ?", r.lane(), r.bucket(), recno,
                    r.entry().version())) {
                freeSlot(r.entry());
                unlist(r.entry());
                count(r.entry().action(), -1);
                history(r.entry(), outcome, detail, 0, null);
                out.add(r.entry());
            }
        }
        forgetCache();
        notifyChanged();
        return out;
    }

    /** Removes every entry (waiting, running or parked) of the given (deleted) mailboxes, recorded as dropped. */
    void drop(Collection<String> names) {
        for (String m : names) {
            for (Row l : cql.execute("SELECT action, recno, lane FROM {mbox}.queue_by_mailbox WHERE mailbox = ?", m).all()) {
                long recno = l.getLong("recno");
                Row2 r = row(l.getString("lane"), recno);
                if (r != null && cql.lwt("DELETE FROM {mbox}.queue_entries" + WHERE + " IF version = ?", r.lane(), r.bucket(), recno,
                        r.entry().version())) {
                    if (r.state() == QueueEntry.State.FAILED) {
                        countFailed(r.entry().action(), -1);
                    } else {
                        count(r.entry().action(), -1);
                    }
                    history(r.entry(), Outcome.DROPPED, "mailbox deleted", 0, null);
                }
                if (r == null || row(l.getString("lane"), recno) == null) {
                    cql.execute("DELETE FROM {mbox}.queue_by_mailbox WHERE mailbox = ? AND action = ? AND recno = ?", m, l.getString("action"), recno);
                }
            }
            for (Row slot : cql.execute("SELECT action, recno FROM {mbox}.queue_pending WHERE mailbox = ?", m).all()) {
                cql.lwt("DELETE FROM {mbox}.queue_pending WHERE mailbox = ? AND action = ? IF recno = ?", m, slot.getString("action"),
                        slot.getLong("recno"));
            }
        }
        forgetCache();
    }

    @Override
    public int force(Collection<Long> recnos) {
        int n = 0;
        List<Long> changed = new ArrayList<>();
        for (long recno : recnos) {
            Row2 r = row(recno);
            if (r != null && r.state() == QueueEntry.State.WAITING && cql.lwt("UPDATE {mbox}.queue_entries SET forced = true, not_before = null, "
                    + "version = ?" + WHERE + " IF lease_id = null AND version = ?", r.entry().version() + 1, r.lane(), r.bucket(), recno,
                    r.entry().version())) {
                n++;
                changed.add(recno);
            }
        }
        changes.recordIds(CassandraChanges.CHANGED, changed);
        forgetCache();
        notifyChanged();
        return n;
    }

    @Override
    public List<QueueEntry> retry(Collection<Long> recnos, long now) {
        List<QueueEntry> out = new ArrayList<>();
        for (long recno : recnos) {
            Row2 r = row(recno);
            if (r == null || r.state() != QueueEntry.State.FAILED) {
                continue;
            }
            long waiting = retryParked(r, false, "retried by an administrator: the same task is waiting again");
            if (waiting > 0) {
                get(waiting).ifPresent(out::add);
            }
        }
        notifyChanged();
        return out;
    }

    /**
     * A parked entry back to waiting (attempts reset, due at once; forced too if {@code force}): a lightweight transaction
     * on its state and version, so that a concurrent retry or discard of the same entry does nothing. Then it takes the
     * "already waiting" row or is folded into the entry that holds it. Returns the RecNo now waiting, or -1.
     */
    private long retryParked(Row2 r, boolean force, String foldDetail) {
        QueueEntry e = r.entry();
        boolean forced = e.forced() || force;
        int v = e.version() + 1;
        if (!cql.lwt("UPDATE {mbox}.queue_entries SET state = 'w', attempts = 0, not_before = null, forced = ?, version = ?" + WHERE
                + " IF state = 'f' AND version = ?", forced, v, r.lane(), r.bucket(), e.recno(), e.version())) {
            return -1;
        }
        cql.execute("UPDATE {mbox}.queue_by_mailbox SET parked = false WHERE mailbox = ? AND action = ? AND recno = ?", e.mailbox(),
                e.action().label(), e.recno());
        countFailed(e.action(), -1);
        count(e.action(), 1);
        ensureMark(LOW, r.bucket()); // the low-water mark may have moved past a partition that held only parked entries
        changes.recordIds(CassandraChanges.CHANGED, e.recno());
        forgetCache();
        QueueEntry now = new QueueEntry(e.recno(), e.mailbox(), e.action(), e.timestamp(), forced, v, null, null, 0, e.lastError(),
                QueueEntry.State.WAITING, e.reason(), e.queuedBy(), e.queuedAt());
        return settleWaiting(new Row2(r.lane(), r.bucket(), now, null, null), foldDetail);
    }

    @Override
    public int retryAll(long now) {
        int n = 0;
        List<Long> chunk;
        while (!(chunk = parkedRecnos(1000)).isEmpty()) {
            int got = retry(chunk, now).size();
            if (got == 0) {
                break; // none could move (changed meanwhile): do not spin
            }
            n += got;
        }
        return n;
    }

    @Override
    public List<QueueEntry> discard(Collection<Long> recnos, String detail, long now) {
        List<QueueEntry> out = new ArrayList<>();
        for (long recno : recnos) {
            Row2 r = row(recno);
            if (r == null || r.state() != QueueEntry.State.FAILED) {
                continue;
            }
            if (cql.lwt("DELETE FROM {mbox}.queue_entries" + WHERE + " IF state = 'f' AND version = ?", r.lane(), r.bucket(), recno,
                    r.entry().version())) {
                unlist(r.entry());
                countFailed(r.entry().action(), -1);
                history(r.entry(), Outcome.DISCARDED, detail, 0, null);
                out.add(r.entry());
            }
        }
        notifyChanged();
        return out;
    }

    @Override
    public int discardAll(String detail, long now) {
        int n = 0;
        List<Long> chunk;
        while (!(chunk = parkedRecnos(1000)).isEmpty()) {
            int got = discard(chunk, detail, now).size();
            if (got == 0) {
                break;
            }
            n += got;
        }
        return n;
    }

    private List<Long> parkedRecnos(int limit) {
        List<Long> out = new ArrayList<>();
        scan(EnumSet.of(QueueEntry.State.FAILED), 0, limit, e -> true, e -> out.add(e.recno()));
        return out;
    }

    // ---------------------------------------------------------------- the lease keeper's side

    /**
     * Renews every claim this process holds, all at once (a batch of claims is renewed in one round trip's time, not one
     * after the other); a claim whose lease was lost is forgotten (its completion will fail). Then the workers'
     * heartbeats. Returns how many of these the store answered; a failure is thrown after every one was tried, for the
     * keeper to say once per outage.
     */
    int renewLeases() {
        List<Claim> held = new ArrayList<>(claims.values());
        List<CompletableFuture<Boolean>> pending = new ArrayList<>(held.size());
        for (Claim c : held) {
            var st = cql.bind("UPDATE {mbox}.queue_entries USING TTL ? SET lease_id = ?, lease_owner = ?, lease_at = ? "
                    + "WHERE lane = ? AND bucket = ? AND recno = ? IF lease_id = ?", leaseSeconds, c.leaseId(), c.worker(), c.claimedAt(),
                    c.lane(), c.bucket(), c.recno(), c.leaseId());
            pending.add(cql.executeAsync(st).toCompletableFuture().thenApply(rs -> rs.wasApplied()));
        }
        RuntimeException failure = null;
        int answered = 0;
        for (int i = 0; i < held.size(); i++) {
            Claim c = held.get(i);
            try {
                // not applied: lost, unless it was completed or released meanwhile (then it is no longer held)
                if (!pending.get(i).join() && claims.remove(c.recno(), c)) {
                    LOG.warn("lost the lease on RecNo {} ({} {})", c.recno(), c.action(), c.mailbox());
                }
                answered++;
            } catch (RuntimeException e) {
                failure = failure == null ? e : failure; // the keeper says it, once per outage
            }
        }
        try {
            answered += heartbeatAll();
        } catch (RuntimeException e) {
            failure = failure == null ? e : failure;
        }
        if (failure != null) {
            throw failure;
        }
        return answered;
    }

    /** Gives back every claim this process still holds (the store is closing): others need not wait for the leases. */
    void releaseAll() {
        for (Claim c : claims.values()) {
            try {
                QueueEntry e = c.entry();
                toWaiting(e, e.attempts(), e.lastError(), e.notBefore() == null ? null : e.notBefore().toEpochMilli(),
                        "the same task was queued again while a process that closed held it");
            } catch (RuntimeException e) {
                LOG.warn("could not give back RecNo {} (its lease expires by itself): {}", c.recno(), e.getMessage());
            }
        }
    }

    /** Held claims (tests look). */
    int claimsHeld() {
        return claims.size();
    }

    /** Records every worker of this process as alive; returns how many; throws the first failure (after trying all). */
    private int heartbeatAll() {
        long now = System.currentTimeMillis();
        owners.entrySet().removeIf(e -> now - e.getValue() > 3L * leaseSeconds * 1000 && claims.values().stream()
                .noneMatch(c -> c.worker().equals(workerName(e.getKey()))));
        RuntimeException failure = null;
        int recorded = 0;
        for (String o : owners.keySet()) {
            try {
                heartbeat(o);
                recorded++;
            } catch (RuntimeException e) {
                failure = failure == null ? e : failure;
            }
        }
        if (failure != null) {
            throw failure;
        }
        return recorded;
    }

    private void heartbeat(String owner) {
        String worker = workerName(owner);
        Claim cur = claims.values().stream().filter(c -> c.worker().equals(worker)).findFirst().orElse(null);
        cql.execute("INSERT INTO {mbox}.workers (shard, worker, host, pid, owner, started, seen, recno, mailbox, action, claimed_at) "
                + "VALUES (0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) USING TTL ?", worker, host, pid, owner, started, System.currentTimeMillis(),
                cur == null ? null : cur.recno(), cur == null ? null : cur.mailbox(), cur == null ? null : cur.action().label(),
                cur == null ? null : cur.claimedAt(), 3 * leaseSeconds);
    }

    @Override
    public List<WorkerInfo> workers() {
        List<WorkerInfo> out = new ArrayList<>();
        for (Row r : cql.execute("SELECT host, pid, worker, recno, mailbox, action, claimed_at, seen FROM {mbox}.workers WHERE shard = 0")) {
            out.add(new WorkerInfo(r.getString("host"), r.getLong("pid"), r.getString("worker"), r.isNull("recno") ? null : r.getLong("recno"),
                    r.getString("mailbox"), r.isNull("action") ? null : Action.fromLabel(r.getString("action")),
                    r.isNull("claimed_at") ? null : Instant.ofEpochMilli(r.getLong("claimed_at")), Instant.ofEpochMilli(r.getLong("seen"))));
        }
        return out;
    }

    // ---------------------------------------------------------------- reading

    @Override
    public Optional<QueueEntry> get(long recno) {
        return Optional.ofNullable(row(recno)).map(Row2::entry);
    }

    @Override
    public Optional<QueueEntry> find(String mailbox, Action action) {
        List<Row2> all = entriesOf(mailbox, action);
        Optional<Row2> w = all.stream().filter(r -> r.state() == QueueEntry.State.WAITING).min(Comparator.comparingLong(Row2::recno));
        if (w.isPresent()) {
            return w.map(Row2::entry);
        }
        return all.stream().filter(r -> r.state() == QueueEntry.State.RUNNING).findFirst().map(Row2::entry);
    }

    @Override
    public long count() {
        long n = 0;
        for (long v : countsByAction().values()) {
            n += v;
        }
        return n;
    }

    /** The counters: pending entries per action, and (with {@code failed}) parked ones. */
    private Map<Action, Long> counters(boolean failed) {
        Map<Action, Long> out = new EnumMap<>(Action.class);
        for (Action a : Action.values()) {
            out.put(a, 0L);
        }
        for (Row r : cql.execute("SELECT action, n FROM {mbox}.queue_counts")) {
            String key = r.getString(0);
            boolean isFailed = key.startsWith(FAILED_COUNT);
            if (isFailed == failed) {
                out.put(Action.fromLabel(isFailed ? key.substring(FAILED_COUNT.length()) : key), Math.max(0, r.getLong(1)));
            }
        }
        return out;
    }

    @Override
    public Map<Action, Long> countsByAction() {
        return counters(false);
    }

    /**
     * The counters, then the feed's newest sequence: Cassandra has no snapshot to read both in, nor a commit order, so a
     * change whose counter update and feed row land around this read may be in the counts and above {@code seq}, or the
     * other way round (see {@link org.mstore.api.Queue#counts}).
     */
    @Override
    public org.mstore.api.QueueCounts counts(QueueQuery q) {
        Map<Action, Long> byAction = counters(false);
        long matching;
        if (org.mstore.api.QueueCounts.unfiltered(q)) {
            matching = byAction.values().stream().mapToLong(Long::longValue).sum();
        } else {
            matching = count(q);
        }
        return new org.mstore.api.QueueCounts(byAction, matching, changes.newest());
    }

    @Override
    public long count(QueueQuery q) {
        boolean pendingOnly = q.states().equals(QueueQuery.PENDING);
        boolean failedOnly = q.states().equals(EnumSet.of(QueueEntry.State.FAILED));
        if (q.mailboxText().isEmpty() && (pendingOnly || failedOnly)) {
            Map<Action, Long> c = counters(failedOnly);
            long n = 0;
            for (Action a : q.actions()) {
                n += c.get(a);
            }
            return n;
        }
        long[] n = {0};
        scan(q.states(), 0, Long.MAX_VALUE, q::matches, e -> n[0]++);
        return n[0];
    }

    /** Pending entries in RecNo order: partition by partition from the low-water mark, both lanes merged. */
    @Override
    public void forEach(Consumer<QueueEntry> sink) {
        scan(QueueQuery.PENDING, 0, Long.MAX_VALUE, e -> true, sink);
    }

    /**
     * The entries a query matches. In RecNo order they are streamed partition by partition; in another order they are
     * read and sorted here first (Cassandra sorts only within a partition).
     */
    @Override
    public void forEach(QueueQuery q, Consumer<QueueEntry> sink) {
        if (q.sort() == QueueQuery.Sort.RECNO && q.ascending()) {
            scan(q.states(), 0, Long.MAX_VALUE, q::matches, sink);
            return;
        }
        sorted(q).forEach(sink);
    }

    /**
     * The entries in {@code states} with RecNo above {@code afterRecno} that pass {@code filter}, in RecNo order, up to
     * {@code limit}: partition by partition from the lower of the marks the states need (parked entries may lie below the
     * low-water mark of pending ones). A scan for parked entries moves their mark past partitions that hold none.
     */
    private void scan(Set<QueueEntry.State> states, long afterRecno, long limit, Predicate<QueueEntry> filter, Consumer<QueueEntry> sink) {
        if (states.isEmpty()) {
            return;
        }
        boolean wantFailed = states.contains(QueueEntry.State.FAILED);
        boolean wantPending = states.contains(QueueEntry.State.WAITING) || states.contains(QueueEntry.State.RUNNING);
        long from = wantFailed && wantPending ? Math.min(mark(LOW), mark(FAILED_LOW)) : wantFailed ? mark(FAILED_LOW) : mark(LOW);
        long max = maxBucket();
        long n = 0;
        boolean noParkedYet = wantFailed;
        for (long b = Math.max(from, Schema.recnoBucket(afterRecno + 1)); b <= max && n < limit; b++) {
            List<Row2> all = new ArrayList<>();
            all.addAll(bucketRows(REPAIR_LANE, b));
            all.addAll(bucketRows(MAIN_LANE, b));
            if (noParkedYet && b < max && all.stream().noneMatch(CassandraQueue::parked)) {
                advanceMark(FAILED_LOW, b, CassandraQueue::parked);
            } else {
                noParkedYet = false;
            }
            all.sort(Comparator.comparingLong(Row2::recno));
            for (Row2 r : all) {
                QueueEntry e = r.entry();
                if (e.recno() > afterRecno && n < limit && states.contains(e.state()) && filter.test(e)) {
                    sink.accept(e);
                    n++;
                }
            }
        }
    }

    @Override
    public List<QueueEntry> entriesAfter(long recno, int limit) {
        List<QueueEntry> out = new ArrayList<>();
        scan(QueueQuery.PENDING, recno, limit, e -> true, out::add);
        return out;
    }

    @Override
    public long maxRecno() {
        Row r = cql.one("SELECT value FROM {mbox}.queue_seq WHERE name = 'recno'");
        return r == null ? 0 : r.getLong(0);
    }

    /** The console's page: in RecNo order read up to the page; in another order read and sorted here. */
    @Override
    public List<QueueEntry> page(QueueQuery q, long offset, int limit) {
        if (q.sort() == QueueQuery.Sort.RECNO && q.ascending()) {
            List<QueueEntry> all = new ArrayList<>();
            long[] skipped = {0};
            scan(q.states(), 0, offset + limit, q::matches, e -> {
                if (skipped[0] < offset) {
                    skipped[0]++;
                } else {
                    all.add(e);
                }
            });
            return all;
        }
        List<QueueEntry> all = sorted(q);
        int from = (int) Math.min(all.size(), offset);
        return new ArrayList<>(all.subList(from, Math.min(all.size(), from + limit)));
    }

    private List<QueueEntry> sorted(QueueQuery q) {
        List<QueueEntry> all = new ArrayList<>();
        scan(q.states(), 0, Long.MAX_VALUE, q::matches, all::add);
        Comparator<QueueEntry> c = switch (q.sort()) {
            case RECNO -> Comparator.comparingLong(QueueEntry::recno);
            case MAILBOX -> Comparator.comparing(QueueEntry::mailbox).thenComparing(e -> e.action().label());
            case TIMESTAMP -> Comparator.comparing(QueueEntry::timestamp).thenComparingLong(QueueEntry::recno);
            case ACTION -> Comparator.comparing((QueueEntry e) -> e.action().label()).thenComparingLong(QueueEntry::recno);
        };
        all.sort(q.ascending() ? c : c.reversed());
        return all;
    }

    // ---------------------------------------------------------------- the change feed's questions

    @Override
    public List<QueueEntry> current(Collection<Long> recnos) {
        TreeMap<Long, QueueEntry> out = new TreeMap<>();
        Map<Long, List<Long>> byBucket = new LinkedHashMap<>();
        for (long r : recnos) {
            byBucket.computeIfAbsent(Schema.recnoBucket(r), k -> new ArrayList<>()).add(r);
        }
        for (Map.Entry<Long, List<Long>> b : byBucket.entrySet()) {
            for (String lane : List.of(REPAIR_LANE, MAIN_LANE)) {
                for (Row r : cql.execute("SELECT " + entryCols + " FROM {mbox}.queue_entries WHERE lane = ? AND bucket = ? AND recno IN ?", lane,
                        b.getKey(), b.getValue())) {
                    if (!r.isNull("mailbox")) {
                        QueueEntry e = map(r).entry();
                        out.put(e.recno(), e);
                    }
                }
            }
        }
        return new ArrayList<>(out.values());
    }

    @Override
    public List<QueueEntry> added(Collection<Long> recnos) {
        List<QueueEntry> now = current(recnos);
        if (now.size() == recnos.size()) {
            return now;
        }
        // some have left the queue already: they were added all the same, as their history rows say
        TreeMap<Long, QueueEntry> all = new TreeMap<>();
        Set<Long> have = new java.util.HashSet<>();
        now.forEach(e -> have.add(e.recno()));
        for (long r : recnos) {
            if (!have.contains(r)) {
                finished(r).ifPresent(h -> {
                    QueueEntry e = h.entry();
                    all.put(r, new QueueEntry(e.recno(), e.mailbox(), e.action(), e.timestamp(), e.forced(), 0, null, null, 0, null,
                            QueueEntry.State.WAITING, e.reason(), e.queuedBy(), e.queuedAt()));
                });
            }
        }
        now.forEach(e -> all.put(e.recno(), e));
        return new ArrayList<>(all.values());
    }

    @Override
    public List<HistoryEntry> history(Collection<Long> seqs) {
        List<HistoryEntry> out = new ArrayList<>();
        for (Map.Entry<Long, List<Long>> h : CassandraChanges.byHour(seqs).entrySet()) {
            for (Row r : cql.execute("SELECT " + historyCols + " FROM {mbox}.queue_history WHERE hour = ? AND seq IN ?", h.getKey(), h.getValue())) {
                out.add(mapHistory(r));
            }
        }
        out.sort(Comparator.comparingLong(HistoryEntry::seq));
        return out;
    }

    // ---------------------------------------------------------------- history

    private synchronized long historySeq(long millis) {
        historyCounter = (historyCounter + 1) & ((1L << CassandraChanges.SHIFT) - 1);
        return (millis << CassandraChanges.SHIFT) | historyCounter;
    }

    private static long dayOf(long seq) {
        return (seq >>> CassandraChanges.SHIFT) / DAY;
    }

    private static final String HISTORY_VALUES = "seq, recno, mailbox, action, ts, forced, outcome, detail, done_at, bytes_reclaimed, worker, "
            + "attempts, last_error";
    private static final String HISTORY_MARKS = "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?";

    /**
     * Records how an entry left the queue: one logged batch writes the row by time ({@code queue_history}), by outcome
     * and day ({@code queue_history_by_outcome}) and by RecNo ({@code queue_history_by_recno}), all or none; then the
     * day's counter of the outcome (display: not retried) and the change feed's row.
     */
    private void history(QueueEntry e, Outcome outcome, String detail, long bytes, String worker) {
        long now = clock.millis();
        long seq = historySeq(now);
        String d = cut(detail);
        Object[] v = {seq, e.recno(), e.mailbox(), e.action().label(), e.timestamp().toEpochMilli(), e.forced(), outcome.name(), d, now, bytes,
            worker, e.attempts(), cut(e.lastError())};
        String cols = HISTORY_VALUES;
        String marks = HISTORY_MARKS;
        if (reasons) {
            v = java.util.Arrays.copyOf(v, v.length + 3);
            v[v.length - 3] = e.reason();
            v[v.length - 2] = e.queuedBy();
            v[v.length - 1] = e.queuedAt() == null ? null : e.queuedAt().toEpochMilli();
            cols += REASON_COLS;
            marks += ", ?, ?, ?";
        }
        BatchStatement b = BatchStatement.newInstance(DefaultBatchType.LOGGED,
                cql.bind("INSERT INTO {mbox}.queue_history (hour, " + cols + ") VALUES (" + marks + ")", prepend(CassandraChanges.hourOf(seq), v)),
                cql.bind("INSERT INTO {mbox}.queue_history_by_outcome (day, " + cols + ") VALUES (" + marks + ")", prepend(dayOf(seq), v)),
                cql.bind("INSERT INTO {mbox}.queue_history_by_recno (bucket, " + cols + ") VALUES (" + marks + ")",
                        prepend(Schema.recnoBucket(e.recno()), v)));
        cql.execute(b);
        try {
            cql.execute("UPDATE {mbox}.queue_history_counts SET n = n + 1 WHERE outcome = ? AND day = ?", outcome.name(), dayOf(seq));
        } catch (RuntimeException ex) {
            LOG.warn("the history count of {} could not be moved: {}", outcome, Cql.oneLine(ex.getMessage()));
        }
        changes.recordIds(CassandraChanges.DONE, seq);
    }

    private static Object[] prepend(Object first, Object[] rest) {
        Object[] out = new Object[rest.length + 1];
        out[0] = first;
        System.arraycopy(rest, 0, out, 1, rest.length);
        return out;
    }

    private static HistoryEntry mapHistory(Row r) {
        QueueEntry e = new QueueEntry(r.getLong("recno"), r.getString("mailbox"), Action.fromLabel(r.getString("action")),
                Instant.ofEpochMilli(r.getLong("ts")), r.getBoolean("forced"), 0, null, null, r.isNull("attempts") ? 0 : r.getInt("attempts"),
                r.getString("last_error"), QueueEntry.State.WAITING, text(r, "reason"), text(r, "queued_by"), instant(r, "queued_at"));
        return new HistoryEntry(r.getLong("seq"), e, Outcome.valueOf(r.getString("outcome")), r.getString("detail"),
                Instant.ofEpochMilli(r.getLong("done_at")), r.getLong("bytes_reclaimed"));
    }

    private static final String HISTORY_COLS_V1 = "seq, recno, mailbox, action, ts, forced, outcome, detail, done_at, bytes_reclaimed, attempts, "
            + "last_error";

    @Override
    public List<HistoryEntry> historyAfter(long seq, int limit) {
        List<HistoryEntry> out = new ArrayList<>();
        long nowHour = clock.millis() / HOUR;
        for (long h = Math.max(CassandraChanges.hourOf(seq), nowHour - 47); h <= nowHour + 1 && out.size() < limit; h++) {
            for (Row r : cql.execute("SELECT " + historyCols + " FROM {mbox}.queue_history WHERE hour = ? AND seq > ? LIMIT ?", h, seq,
                    limit - out.size())) {
                out.add(mapHistory(r));
            }
        }
        return out;
    }

    @Override
    public List<HistoryEntry> recentHistory(int limit) {
        List<HistoryEntry> out = new ArrayList<>();
        long nowHour = clock.millis() / HOUR;
        for (long h = nowHour + 1; h >= nowHour - 47 && out.size() < limit; h--) {
            for (Row r : cql.execute("SELECT " + historyCols + " FROM {mbox}.queue_history WHERE hour = ? ORDER BY seq DESC LIMIT ?", h,
                    limit - out.size())) {
                out.add(mapHistory(r));
            }
        }
        return out;
    }

    /**
     * History rows below {@code beforeSeq} with one of {@code outcomes}, newest first: each outcome is read from its own
     * partitions of {@code queue_history_by_outcome}, a day at a time backwards (rows are kept 30 days), each read stopping
     * at {@code limit} rows; the outcomes are merged. A page costs the same however long the history.
     */
    @Override
    public List<HistoryEntry> history(Set<Outcome> outcomes, long beforeSeq, int limit) {
        if (outcomes.isEmpty() || limit < 1) {
            return List.of();
        }
        long today = clock.millis() / DAY;
        long first = Math.min(today + 1, dayOf(beforeSeq));
        List<HistoryEntry> all = new ArrayList<>();
        for (Outcome o : outcomes) {
            int n = 0;
            for (long d = first; d >= today - 31 && n < limit; d--) {
                for (Row r : cql.execute("SELECT " + historyCols + " FROM {mbox}.queue_history_by_outcome WHERE outcome = ? AND day = ? AND seq < ? "
                        + "LIMIT ?", o.name(), d, beforeSeq, limit - n)) {
                    all.add(mapHistory(r));
                    n++;
                }
            }
        }
        all.sort(Comparator.comparingLong(HistoryEntry::seq).reversed());
        return all.size() > limit ? new ArrayList<>(all.subList(0, limit)) : all;
    }

    /**
     * The history rows with these outcomes: the per-day counters of the 30 days the rows are kept. A counter is display
     * (an update is never retried), and a day's rows expire a day at a time, so the figure is close, not exact.
     */
    @Override
    public long historyCount(Set<Outcome> outcomes) {
        long today = clock.millis() / DAY;
        long n = 0;
        for (Outcome o : outcomes) {
            for (Row r : cql.execute("SELECT n FROM {mbox}.queue_history_counts WHERE outcome = ? AND day > ?", o.name(), today - 30)) {
                n += Math.max(0, r.getLong(0));
            }
        }
        return n;
    }

    @Override
    public Optional<HistoryEntry> finished(long recno) {
        Row r = cql.one("SELECT " + historyCols + " FROM {mbox}.queue_history_by_recno WHERE bucket = ? AND recno = ?", Schema.recnoBucket(recno),
                recno);
        return r == null ? Optional.empty() : Optional.of(mapHistory(r));
    }

    @Override
    public long maxHistorySeq() {
        List<HistoryEntry> last = recentHistory(1);
        return last.isEmpty() ? ((clock.millis() / HOUR) * HOUR) << CassandraChanges.SHIFT : last.get(0).seq();
    }

    private void forHistorySince(long since, Consumer<Row> sink) {
        long nowHour = clock.millis() / HOUR;
        for (long h = Math.max(since / HOUR, nowHour - 47); h <= nowHour + 1; h++) {
            for (Row r : cql.execute("SELECT outcome, done_at, bytes_reclaimed FROM {mbox}.queue_history WHERE hour = ?", h)) {
                if (r.getLong("done_at") >= since) {
                    sink.accept(r);
                }
            }
        }
    }

    @Override
    public SortedMap<Long, Long> finishedPerMinute(long since, Outcome outcome) {
        SortedMap<Long, Long> out = new TreeMap<>();
        forHistorySince(since, r -> {
            if (outcome.name().equals(r.getString("outcome"))) {
                out.merge(r.getLong("done_at") / 60_000L * 60_000L, 1L, Long::sum);
            }
        });
        return out;
    }

    @Override
    public long bytesReclaimedSince(long since) {
        long[] n = {0};
        forHistorySince(since, r -> n[0] += r.getLong("bytes_reclaimed"));
        return n[0];
    }
}
