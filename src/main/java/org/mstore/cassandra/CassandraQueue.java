package org.mstore.cassandra;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

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

import com.datastax.oss.driver.api.core.cql.Row;

/**
 * The single maintenance queue of the Cassandra store (SPEC §12), shared by every impurge on every host.
 *
 * <ul>
 * <li>An entry is a row of {@code queue_entries}, partitioned by lane ({@code r} for Repair, which runs first,
 * {@code m} for the rest) and by RecNo / 1,000: no partition grows past 1,000 rows, and a worker reads the lowest
 * partitions that may hold entries (a low-water mark in {@code queue_seq}).</li>
 * <li>RecNos are unique: a process reserves a block of them with a lightweight transaction on the {@code recno} row of
 * {@code queue_seq} (a block lives 5 seconds), so they increase with time within a process but only roughly across
 * processes, and leave gaps.</li>
 * <li>"Already waiting" is a row of {@code queue_pending} keyed by (mailbox, action), taken with {@code IF NOT EXISTS}:
 * two hosts queueing the same task at once make one entry. A request for a task that is running marks the entry to
 * run again ({@code again}).</li>
 * <li>A worker claims an entry with a lightweight transaction that writes a lease with a TTL ({@code lease_id},
 * {@code lease_owner}, {@code lease_at}); the {@link LeaseKeeper} renews it while the task runs; completion deletes the
 * entry only if the lease is still this worker's. When a worker dies its lease expires and the entry is free again:
 * another worker takes it over. No two workers hold one entry at once.</li>
 * <li>Counts per action are Cassandra counters (an approximation if a write fails half-way); the history and the
 * workers are rows with TTLs.</li>
 * </ul>
 */
final class CassandraQueue implements QueueStore {
    private static final Logger LOG = LoggerFactory.getLogger(CassandraQueue.class);
    static final String REPAIR_LANE = "r";
    static final String MAIN_LANE = "m";
    private static final String ENTRY_COLS = "lane, bucket, recno, mailbox, action, ts, forced, not_before, attempts, last_error, again, "
            + "lease_id, lease_owner, lease_at";
    private static final long HOUR = 3_600_000L;
    private static final long BLOCK_LIFE_MS = 5000;
    private static final long CACHE_MS = 1000;

    /** An entry as stored, with its partition and its lease. */
    record Row2(String lane, long bucket, QueueEntry entry, UUID leaseId, Instant leaseAt, boolean again) {
        long recno() {
            return entry.recno();
        }
    }

    /** A claim this process holds: renewed by the lease keeper until completed or released. */
    record Claim(long recno, String lane, long bucket, UUID leaseId, String worker, String mailbox, Action action, long claimedAt) {
    }

    private final Cql cql;
    private final Clock clock;
    private final CassandraMailboxList mailboxes;
    private final int leaseSeconds;
    private final String host;
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
    private Long nextDue;

    CassandraQueue(Cql cql, Clock clock, CassandraMailboxList mailboxes, int leaseSeconds) {
        this.cql = cql;
        this.clock = clock;
        this.mailboxes = mailboxes;
        this.leaseSeconds = leaseSeconds;
        String h;
        try {
            h = java.net.InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            h = "localhost";
        }
        this.host = h;
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

    // ---------------------------------------------------------------- RecNos

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

    private long low() {
        Row r = cql.one("SELECT value FROM {mbox}.queue_seq WHERE name = 'low'");
        return r == null ? 0 : r.getLong(0);
    }

    private long maxBucket() {
        Row r = cql.one("SELECT value FROM {mbox}.queue_seq WHERE name = 'recno'");
        return r == null ? 0 : Schema.recnoBucket(r.getLong(0));
    }

    /**
     * After writing an entry into {@code bucket}: makes sure the low-water mark is not above it (a worker may have moved
     * it past an empty bucket just before this entry landed there). Read at LOCAL_SERIAL so that it sees every move.
     */
    private void ensureLow(long bucket) {
        for (int attempt = 0; attempt < 50; attempt++) {
            Row r = cql.oneSerial("SELECT value FROM {mbox}.queue_seq WHERE name = 'low'");
            if (r == null || r.getLong(0) <= bucket) {
                return;
            }
            if (cql.lwt("UPDATE {mbox}.queue_seq SET value = ? WHERE name = 'low' IF value = ?", bucket, r.getLong(0))) {
                return;
            }
        }
    }

    /**
     * Moves the low-water mark past {@code bucket}, which a scan found empty, then looks again: an entry that landed
     * meanwhile moves it back (see {@link #ensureLow}).
     */
    private void advanceLow(long bucket) {
        Row r = cql.oneSerial("SELECT value FROM {mbox}.queue_seq WHERE name = 'low'");
        boolean ok = r == null ? cql.lwt("INSERT INTO {mbox}.queue_seq (name, value) VALUES ('low', ?) IF NOT EXISTS", bucket + 1)
                : r.getLong(0) == bucket && cql.lwt("UPDATE {mbox}.queue_seq SET value = ? WHERE name = 'low' IF value = ?", bucket + 1, bucket);
        if (ok && !(bucketRows(REPAIR_LANE, bucket).isEmpty() && bucketRows(MAIN_LANE, bucket).isEmpty())) {
            ensureLow(bucket);
        }
    }

    // ---------------------------------------------------------------- rows

    private static Row2 map(Row r) {
        Long nb = r.isNull("not_before") ? null : r.getLong("not_before");
        UUID lease = r.getUuid("lease_id");
        QueueEntry e = new QueueEntry(r.getLong("recno"), r.getString("mailbox"), Action.fromLabel(r.getString("action")),
                Instant.ofEpochMilli(r.getLong("ts")), r.getBoolean("forced"), r.getInt("attempts"), lease == null ? null : r.getString("lease_owner"),
                nb == null ? null : Instant.ofEpochMilli(nb), r.getInt("attempts"), r.getString("last_error"));
        Instant leaseAt = r.isNull("lease_at") || lease == null ? null : Instant.ofEpochMilli(r.getLong("lease_at"));
        return new Row2(r.getString("lane"), r.getLong("bucket"), e, lease, leaseAt, !r.isNull("again") && r.getBoolean("again"));
    }

    private List<Row2> bucketRows(String lane, long bucket) {
        List<Row2> out = new ArrayList<>();
        for (Row r : cql.execute("SELECT " + ENTRY_COLS + " FROM {mbox}.queue_entries WHERE lane = ? AND bucket = ?", lane, bucket)) {
            if (!r.isNull("mailbox")) {
                out.add(map(r));
            }
        }
        return out;
    }

    private Row2 row(String lane, long recno) {
        Row r = cql.one("SELECT " + ENTRY_COLS + " FROM {mbox}.queue_entries WHERE lane = ? AND bucket = ? AND recno = ?", lane,
                Schema.recnoBucket(recno), recno);
        return r == null || r.isNull("mailbox") ? null : map(r);
    }

    private Row2 row(long recno) {
        Row2 r = row(MAIN_LANE, recno);
        return r != null ? r : row(REPAIR_LANE, recno);
    }

    private void insertEntry(long recno, String mailbox, Action action, long ts, boolean forced) {
        cql.execute("INSERT INTO {mbox}.queue_entries (lane, bucket, recno, mailbox, action, ts, forced, attempts, again) "
                + "VALUES (?, ?, ?, ?, ?, ?, ?, 0, false)", lane(action), Schema.recnoBucket(recno), recno, mailbox, action.label(), ts, forced);
    }

    /**
     * Moves a count. Counts are for display and a counter update cannot be retried (it is not idempotent): it is sent
     * once, and a failure (its leader replica died, say) is logged, never the queue's failure.
     */
    private void count(Action a, long delta) {
        try {
            cql.execute("UPDATE {mbox}.queue_counts SET n = n + ? WHERE action = ?", delta, a.label());
        } catch (RuntimeException e) {
            LOG.warn("the count of {} entries could not be moved by {}: {}", a, delta, Cql.oneLine(e.getMessage()));
        }
    }

    // ---------------------------------------------------------------- enqueue

    @Override
    public Enqueued enqueue(String mailbox, Action action, long ts, boolean forced) {
        Enqueued e = enqueueQuiet(mailbox, action, ts, forced);
        notifyChanged();
        return e;
    }

    /** {@link #enqueue} without telling listeners (inside a unit of work, which tells them at its end). */
    Enqueued enqueueQuiet(String mailbox, Action action, long ts, boolean forced) {
        requireAction(action);
        for (int attempt = 0; attempt < 20; attempt++) {
            Row slot = cql.one("SELECT recno, lane FROM {mbox}.queue_pending WHERE mailbox = ? AND action = ?", mailbox, action.label());
            if (slot != null) {
                long recno = slot.getLong("recno");
                Row2 e = row(slot.getString("lane"), recno);
                if (e == null) { // its entry completed or was never written: the slot is stale
                    cql.lwt("DELETE FROM {mbox}.queue_pending WHERE mailbox = ? AND action = ? IF recno = ?", mailbox, action.label(), recno);
                    continue;
                }
                String where = " WHERE lane = ? AND bucket = ? AND recno = ?";
                if (e.leaseId() != null) {
                    // running: a request made while it runs must run again, with the newer timestamp
                    long newTs = Math.max(ts, e.entry().timestamp().toEpochMilli());
                    if (!cql.lwt("UPDATE {mbox}.queue_entries SET again = true, ts = ?, forced = ?" + where + " IF mailbox = ?", newTs,
                            forced || e.entry().forced(), e.lane(), e.bucket(), recno, mailbox)) {
                        continue;
                    }
                    return new Enqueued(recno, false);
                }
                if (forced && !e.entry().forced()) {
                    cql.lwt("UPDATE {mbox}.queue_entries SET forced = true, not_before = null" + where + " IF mailbox = ?", e.lane(), e.bucket(),
                            recno, mailbox);
                }
                if (action == Action.REPAIR && e.entry().timestamp().toEpochMilli() < ts) {
                    // impurge skips a Repair when the mailbox was repaired after the entry's time: a newer report moves it
                    cql.lwt("UPDATE {mbox}.queue_entries SET ts = ?" + where + " IF lease_id = null AND mailbox = ?", ts, e.lane(), e.bucket(),
                            recno, mailbox);
                }
                return new Enqueued(recno, false);
            }
            long recno = allocate(1);
            insertEntry(recno, mailbox, action, ts, forced);
            if (cql.lwt("INSERT INTO {mbox}.queue_pending (mailbox, action, recno, lane) VALUES (?, ?, ?, ?) IF NOT EXISTS", mailbox,
                    action.label(), recno, lane(action))) {
                count(action, 1);
                ensureLow(Schema.recnoBucket(recno));
                return new Enqueued(recno, true);
            }
            // another process queued the same task first: ours goes, theirs stands
            cql.lwt("DELETE FROM {mbox}.queue_entries WHERE lane = ? AND bucket = ? AND recno = ? IF lease_id = null", lane(action),
                    Schema.recnoBucket(recno), recno);
        }
        throw new IllegalStateException("could not queue " + action + " for " + mailbox + ": the queue changed under every attempt");
    }

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
        Semaphore window = new Semaphore(64);
        List<CompletableFuture<Boolean>> added = new ArrayList<>();
        for (int i = 0; i < todo.size(); i++) {
            QueueRequest r = todo.get(i);
            long recno = first + i;
            String lane = lane(r.action());
            long bucket = Schema.recnoBucket(recno);
            var entry = cql.bind("INSERT INTO {mbox}.queue_entries (lane, bucket, recno, mailbox, action, ts, forced, attempts, again) "
                    + "VALUES (?, ?, ?, ?, ?, ?, ?, 0, false)", lane, bucket, recno, r.mailbox(), r.action().label(), r.ts(), r.forced());
            var slot = cql.bind("INSERT INTO {mbox}.queue_pending (mailbox, action, recno, lane) VALUES (?, ?, ?, ?) IF NOT EXISTS", r.mailbox(),
                    r.action().label(), recno, lane);
            var undo = cql.bind("DELETE FROM {mbox}.queue_entries WHERE lane = ? AND bucket = ? AND recno = ? IF lease_id = null", lane, bucket,
                    recno);
            window.acquireUninterruptibly();
            CompletableFuture<Boolean> f = cql.executeAsync(entry)
                    .thenCompose(x -> cql.executeAsync(slot))
                    .thenCompose(rs -> rs.wasApplied() ? CompletableFuture.completedFuture(true) : cql.executeAsync(undo).thenApply(x -> false))
                    .toCompletableFuture().whenComplete((x, t) -> window.release());
            added.add(f);
        }
        Map<Action, Long> perAction = new EnumMap<>(Action.class);
        int n = 0;
        for (int i = 0; i < added.size(); i++) {
            if (added.get(i).join()) {
                n++;
                perAction.merge(todo.get(i).action(), 1L, Long::sum);
            }
        }
        perAction.forEach(this::count);
        ensureLow(Schema.recnoBucket(first));
        notifyChanged();
        return n;
    }

    /** Past store.cleanupsize the Cassandra store goes straight to Purge (there is no Clean): queues what is missing. */
    @Override
    public int sweep(long cleanupSize, long purgeCount, double purgePercentage, long now) {
        int n = 0;
        for (MailboxInfo m : mailboxes.list()) {
            if (m.expunged() > cleanupSize && enqueueQuiet(m.name(), Action.PURGE, now, false).added()) {
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
     * Reads the lowest partitions that may hold entries: due, unclaimed Repairs first; else the first due entries of
     * the main lane (up to 256). Moves the low-water mark past empty partitions below the newest.
     */
    private void refresh(long now, long cleanupAgeMillis) {
        long low = low();
        long max = maxBucket();
        List<Row2> repairs = new ArrayList<>();
        List<Row2> main = new ArrayList<>();
        Long soonest = null;
        boolean stillLow = true;
        for (long b = low; b <= max; b++) {
            List<Row2> r = bucketRows(REPAIR_LANE, b);
            List<Row2> m = main.size() < 256 || stillLow ? bucketRows(MAIN_LANE, b) : null;
            if (m != null && r.isEmpty() && m.isEmpty() && stillLow && b < max) {
                advanceLow(b);
                continue;
            }
            stillLow = false;
            for (Row2 x : r) {
                if (x.leaseId() == null) {
                    if (due(x.entry(), now, cleanupAgeMillis)) {
                        repairs.add(x);
                    } else {
                        soonest = min(soonest, dueAt(x.entry(), now, cleanupAgeMillis));
                    }
                }
            }
            if (m != null) {
                for (Row2 x : m) {
                    if (x.leaseId() == null) {
                        if (due(x.entry(), now, cleanupAgeMillis)) {
                            main.add(x);
                        } else {
                            soonest = min(soonest, dueAt(x.entry(), now, cleanupAgeMillis));
                        }
                    }
                }
            }
        }
        candidates = repairs.isEmpty() ? main : repairs;
        nextDue = soonest;
        cachedAt = System.currentTimeMillis();
    }

    private static Long min(Long a, Long b) {
        return a == null ? b : b == null ? a : Math.min(a, b);
    }

    @Override
    public Optional<QueueEntry> pickNext(long now, long cleanupAgeMillis, String owner) {
        owners.put(owner, System.currentTimeMillis());
        for (int attempt = 0; attempt < 64; attempt++) {
            Row2 c;
            synchronized (cacheLock) {
                if (candidates.isEmpty() || System.currentTimeMillis() - cachedAt > CACHE_MS) {
                    refresh(now, cleanupAgeMillis);
                }
                if (candidates.isEmpty()) {
                    return Optional.empty();
                }
                // spread the workers over the first few due entries instead of all racing for the first
                int i = ThreadLocalRandom.current().nextInt(Math.min(4, candidates.size()));
                c = candidates.remove(i);
            }
            if (!due(c.entry(), now, cleanupAgeMillis)) {
                continue;
            }
            Optional<QueueEntry> got = claim(c, owner);
            if (got.isPresent()) {
                return got;
            }
        }
        return Optional.empty();
    }

    private Optional<QueueEntry> claim(Row2 c, String owner) {
        UUID lease = UUID.randomUUID();
        String worker = workerName(owner);
        long at = System.currentTimeMillis();
        QueueEntry e = c.entry();
        boolean ok = cql.lwt("UPDATE {mbox}.queue_entries USING TTL ? SET lease_id = ?, lease_owner = ?, lease_at = ? "
                + "WHERE lane = ? AND bucket = ? AND recno = ? IF lease_id = null AND attempts = ? AND ts = ?", leaseSeconds, lease, worker, at,
                c.lane(), c.bucket(), e.recno(), e.attempts(), e.timestamp().toEpochMilli());
        if (!ok) {
            return Optional.empty();
        }
        claims.put(e.recno(), new Claim(e.recno(), c.lane(), c.bucket(), lease, worker, e.mailbox(), e.action(), at));
        heartbeat(owner);
        return Optional.of(new QueueEntry(e.recno(), e.mailbox(), e.action(), e.timestamp(), e.forced(), e.version(), worker, e.notBefore(),
                e.attempts(), e.lastError()));
    }

    @Override
    public Optional<QueueEntry> claim(long recno, long now, String owner) {
        owners.put(owner, System.currentTimeMillis());
        Row2 r = row(recno);
        if (r == null || r.leaseId() != null) {
            return Optional.empty();
        }
        return claim(r, owner);
    }

    @Override
    public Optional<Instant> nextDueTime(long now, long cleanupAgeMillis) {
        synchronized (cacheLock) {
            if (System.currentTimeMillis() - cachedAt > CACHE_MS) {
                refresh(now, cleanupAgeMillis);
            }
            return Optional.ofNullable(nextDue).map(Instant::ofEpochMilli);
        }
    }

    @Override
    public void release(QueueEntry picked, String error, long notBefore) {
        Claim c = claims.remove(picked.recno());
        if (c != null) {
            String err = error == null ? null : error.length() > 1000 ? error.substring(0, 1000) : error;
            cql.lwt("UPDATE {mbox}.queue_entries SET lease_id = null, lease_owner = null, lease_at = null, again = false, attempts = ?, "
                    + "last_error = ?, not_before = ? WHERE lane = ? AND bucket = ? AND recno = ? IF lease_id = ?", picked.attempts() + 1, err,
                    notBefore, c.lane(), c.bucket(), c.recno(), c.leaseId());
            heartbeatAll();
        }
        notifyChanged();
    }

    /**
     * Completes a claimed entry: deletes it if the lease is still ours (or, when a request came while it ran, gives it
     * back to run again), records the outcome. False when the claim was lost (the lease expired and another worker
     * took the entry).
     */
    boolean complete(QueueEntry picked, Outcome outcome, String detail, long bytes) {
        Claim c = claims.remove(picked.recno());
        if (c == null) {
            return false;
        }
        String where = " WHERE lane = ? AND bucket = ? AND recno = ?";
        Row r = cql.lwtRow("DELETE FROM {mbox}.queue_entries" + where + " IF lease_id = ? AND again = false", c.lane(), c.bucket(), c.recno(),
                c.leaseId());
        boolean applied = r.getBoolean("[applied]");
        if (!applied) {
            UUID holder = r.getColumnDefinitions().contains("lease_id") ? r.getUuid("lease_id") : null;
            if (!c.leaseId().equals(holder)) {
                heartbeatAll();
                LOG.warn("claim on RecNo {} was lost before it completed (its lease expired)", c.recno());
                return false;
            }
            boolean again = r.getColumnDefinitions().contains("again") && !r.isNull("again") && r.getBoolean("again");
            if (again) {
                cql.lwt("UPDATE {mbox}.queue_entries SET lease_id = null, lease_owner = null, lease_at = null, again = false, attempts = 0, "
                        + "not_before = null" + where + " IF lease_id = ?", c.lane(), c.bucket(), c.recno(), c.leaseId());
                history(picked, outcome, detail, bytes, c.worker());
                heartbeatAll();
                return true;
            }
            if (!cql.lwt("DELETE FROM {mbox}.queue_entries" + where + " IF lease_id = ?", c.lane(), c.bucket(), c.recno(), c.leaseId())) {
                return false;
            }
        }
        cql.lwt("DELETE FROM {mbox}.queue_pending WHERE mailbox = ? AND action = ? IF recno = ?", picked.mailbox(), picked.action().label(),
                picked.recno());
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

    @Override
    public List<QueueEntry> remove(Collection<Long> recnos, Outcome outcome, String detail, long now) {
        List<QueueEntry> out = new ArrayList<>();
        for (long recno : recnos) {
            Row2 r = row(recno);
            if (r == null || r.leaseId() != null) {
                continue;
            }
            if (cql.lwt("DELETE FROM {mbox}.queue_entries WHERE lane = ? AND bucket = ? AND recno = ? IF lease_id = null AND mailbox = ?",
                    r.lane(), r.bucket(), recno, r.entry().mailbox())) {
                cql.lwt("DELETE FROM {mbox}.queue_pending WHERE mailbox = ? AND action = ? IF recno = ?", r.entry().mailbox(),
                        r.entry().action().label(), recno);
                count(r.entry().action(), -1);
                history(r.entry(), outcome, detail, 0, null);
                out.add(r.entry());
            }
        }
        notifyChanged();
        return out;
    }

    /** Removes every entry of the given (deleted) mailboxes, recorded as dropped. */
    void drop(Collection<String> names) {
        for (String m : names) {
            for (Row slot : cql.execute("SELECT action, recno, lane FROM {mbox}.queue_pending WHERE mailbox = ?", m).all()) {
                long recno = slot.getLong("recno");
                Row2 r = row(slot.getString("lane"), recno);
                if (r != null && cql.lwt("DELETE FROM {mbox}.queue_entries WHERE lane = ? AND bucket = ? AND recno = ? IF mailbox = ?", r.lane(),
                        r.bucket(), recno, m)) {
                    count(r.entry().action(), -1);
                    history(r.entry(), Outcome.DROPPED, "mailbox deleted", 0, null);
                }
                cql.lwt("DELETE FROM {mbox}.queue_pending WHERE mailbox = ? AND action = ? IF recno = ?", m, slot.getString("action"), recno);
            }
        }
    }

    @Override
    public int force(Collection<Long> recnos) {
        int n = 0;
        for (long recno : recnos) {
            Row2 r = row(recno);
            if (r != null && cql.lwt("UPDATE {mbox}.queue_entries SET forced = true, not_before = null WHERE lane = ? AND bucket = ? AND recno = ? "
                    + "IF mailbox = ?", r.lane(), r.bucket(), recno, r.entry().mailbox())) {
                n++;
            }
        }
        synchronized (cacheLock) {
            cachedAt = 0;
        }
        notifyChanged();
        return n;
    }

    // ---------------------------------------------------------------- the lease keeper's side

    /** Renews every claim this process holds; a claim whose lease was lost is forgotten (its completion will fail). */
    void renewLeases() {
        for (Claim c : claims.values()) {
            try {
                boolean ok = cql.lwt("UPDATE {mbox}.queue_entries USING TTL ? SET lease_id = ?, lease_owner = ?, lease_at = ? "
                        + "WHERE lane = ? AND bucket = ? AND recno = ? IF lease_id = ?", leaseSeconds, c.leaseId(), c.worker(), c.claimedAt(),
                        c.lane(), c.bucket(), c.recno(), c.leaseId());
                // not applied: lost, unless it was completed or released meanwhile (then it is no longer held)
                if (!ok && claims.remove(c.recno(), c)) {
                    LOG.warn("lost the lease on RecNo {} ({} {})", c.recno(), c.action(), c.mailbox());
                }
            } catch (RuntimeException e) {
                LOG.warn("could not renew the lease on RecNo {}: {}", c.recno(), e.getMessage());
            }
        }
        heartbeatAll();
    }

    /** Gives back every claim this process still holds (the store is closing): others need not wait for the leases. */
    void releaseAll() {
        for (Claim c : claims.values()) {
            try {
                if (claims.remove(c.recno(), c)) {
                    cql.lwt("UPDATE {mbox}.queue_entries SET lease_id = null, lease_owner = null, lease_at = null WHERE lane = ? AND bucket = ? "
                            + "AND recno = ? IF lease_id = ?", c.lane(), c.bucket(), c.recno(), c.leaseId());
                }
            } catch (RuntimeException e) {
                LOG.warn("could not give back RecNo {} (its lease expires by itself): {}", c.recno(), e.getMessage());
            }
        }
    }

    /** Held claims (tests look). */
    int claimsHeld() {
        return claims.size();
    }

    private void heartbeatAll() {
        long now = System.currentTimeMillis();
        owners.entrySet().removeIf(e -> now - e.getValue() > 3L * leaseSeconds * 1000 && claims.values().stream()
                .noneMatch(c -> c.worker().equals(workerName(e.getKey()))));
        for (String o : owners.keySet()) {
            try {
                heartbeat(o);
            } catch (RuntimeException e) {
                LOG.warn("could not record worker {}: {}", o, e.getMessage());
            }
        }
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
        Row slot = cql.one("SELECT recno, lane FROM {mbox}.queue_pending WHERE mailbox = ? AND action = ?", mailbox, action.label());
        return slot == null ? Optional.empty() : Optional.ofNullable(row(slot.getString("lane"), slot.getLong("recno"))).map(Row2::entry);
    }

    @Override
    public long count() {
        long n = 0;
        for (long v : countsByAction().values()) {
            n += v;
        }
        return n;
    }

    @Override
    public Map<Action, Long> countsByAction() {
        Map<Action, Long> out = new EnumMap<>(Action.class);
        for (Action a : Action.values()) {
            out.put(a, 0L);
        }
        for (Row r : cql.execute("SELECT action, n FROM {mbox}.queue_counts")) {
            out.put(Action.fromLabel(r.getString(0)), Math.max(0, r.getLong(1)));
        }
        return out;
    }

    @Override
    public long count(QueueQuery q) {
        if (q.mailboxText().isEmpty()) {
            Map<Action, Long> c = countsByAction();
            long n = 0;
            for (Action a : q.actions()) {
                n += c.get(a);
            }
            return n;
        }
        long[] n = {0};
        forEach(e -> {
            if (q.matches(e)) {
                n[0]++;
            }
        });
        return n[0];
    }

    /** Every entry in RecNo order: partition by partition from the low-water mark, both lanes merged. */
    @Override
    public void forEach(Consumer<QueueEntry> sink) {
        scan(0, Long.MAX_VALUE, sink);
    }

    private void scan(long afterRecno, long limit, Consumer<QueueEntry> sink) {
        long max = maxBucket();
        long n = 0;
        for (long b = Math.max(low(), Schema.recnoBucket(afterRecno + 1)); b <= max && n < limit; b++) {
            List<QueueEntry> all = new ArrayList<>();
            bucketRows(REPAIR_LANE, b).forEach(r -> all.add(r.entry()));
            bucketRows(MAIN_LANE, b).forEach(r -> all.add(r.entry()));
            all.sort(Comparator.comparingLong(QueueEntry::recno));
            for (QueueEntry e : all) {
                if (e.recno() > afterRecno && n < limit) {
                    sink.accept(e);
                    n++;
                }
            }
        }
    }

    @Override
    public List<QueueEntry> entriesAfter(long recno, int limit) {
        List<QueueEntry> out = new ArrayList<>();
        scan(recno, limit, out::add);
        return out;
    }

    @Override
    public long maxRecno() {
        Row r = cql.one("SELECT value FROM {mbox}.queue_seq WHERE name = 'recno'");
        return r == null ? 0 : r.getLong(0);
    }

    /** The console's page: the entries are read and sorted here (Cassandra sorts only within a partition). */
    @Override
    public List<QueueEntry> page(QueueQuery q, long offset, int limit) {
        List<QueueEntry> all = new ArrayList<>();
        if (q.sort() == QueueQuery.Sort.RECNO && q.ascending()) {
            long[] skipped = {0};
            scan(0, Long.MAX_VALUE, e -> {
                if (q.matches(e) && all.size() < limit) {
                    if (skipped[0] < offset) {
                        skipped[0]++;
                    } else {
                        all.add(e);
                    }
                }
            });
            return all;
        }
        forEach(e -> {
            if (q.matches(e)) {
                all.add(e);
            }
        });
        Comparator<QueueEntry> c = switch (q.sort()) {
            case RECNO -> Comparator.comparingLong(QueueEntry::recno);
            case MAILBOX -> Comparator.comparing(QueueEntry::mailbox).thenComparing(e -> e.action().label());
            case TIMESTAMP -> Comparator.comparing(QueueEntry::timestamp).thenComparingLong(QueueEntry::recno);
            case ACTION -> Comparator.comparing((QueueEntry e) -> e.action().label()).thenComparingLong(QueueEntry::recno);
        };
        all.sort(q.ascending() ? c : c.reversed());
        int from = (int) Math.min(all.size(), offset);
        return new ArrayList<>(all.subList(from, Math.min(all.size(), from + limit)));
    }

    // ---------------------------------------------------------------- history

    private synchronized long historySeq(long millis) {
        historyCounter = (historyCounter + 1) & ((1L << CassandraChanges.SHIFT) - 1);
        return (millis << CassandraChanges.SHIFT) | historyCounter;
    }

    private void history(QueueEntry e, Outcome outcome, String detail, long bytes, String worker) {
        long now = clock.millis();
        long seq = historySeq(now);
        String d = detail == null ? null : detail.length() > 1000 ? detail.substring(0, 1000) : detail;
        cql.execute("INSERT INTO {mbox}.queue_history (hour, seq, recno, mailbox, action, ts, forced, outcome, detail, done_at, bytes_reclaimed, "
                + "worker) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", CassandraChanges.hourOf(seq), seq, e.recno(), e.mailbox(),
                e.action().label(), e.timestamp().toEpochMilli(), e.forced(), outcome.name(), d, now, bytes, worker);
    }

    private static HistoryEntry mapHistory(Row r) {
        QueueEntry e = new QueueEntry(r.getLong("recno"), r.getString("mailbox"), Action.fromLabel(r.getString("action")),
                Instant.ofEpochMilli(r.getLong("ts")), r.getBoolean("forced"), 0, null, null, 0, null);
        return new HistoryEntry(r.getLong("seq"), e, Outcome.valueOf(r.getString("outcome")), r.getString("detail"),
                Instant.ofEpochMilli(r.getLong("done_at")), r.getLong("bytes_reclaimed"));
    }

    private static final String HISTORY_COLS = "seq, recno, mailbox, action, ts, forced, outcome, detail, done_at, bytes_reclaimed";

    @Override
    public List<HistoryEntry> historyAfter(long seq, int limit) {
        List<HistoryEntry> out = new ArrayList<>();
        long nowHour = clock.millis() / HOUR;
        for (long h = Math.max(CassandraChanges.hourOf(seq), nowHour - 47); h <= nowHour + 1 && out.size() < limit; h++) {
            for (Row r : cql.execute("SELECT " + HISTORY_COLS + " FROM {mbox}.queue_history WHERE hour = ? AND seq > ? LIMIT ?", h, seq,
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
            for (Row r : cql.execute("SELECT " + HISTORY_COLS + " FROM {mbox}.queue_history WHERE hour = ? ORDER BY seq DESC LIMIT ?", h,
                    limit - out.size())) {
                out.add(mapHistory(r));
            }
        }
        return out;
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

    /** History rows expire by themselves (a 30-day TTL). */
    @Override
    public int pruneHistory(long before) {
        return 0;
    }
}
