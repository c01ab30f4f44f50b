package org.mstore.queue;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Consumer;

import org.mstore.api.Action;
import org.mstore.api.Enqueued;
import org.mstore.api.HistoryEntry;
import org.mstore.api.Outcome;
import org.mstore.api.QueueEntry;
import org.mstore.api.QueueQuery;
import org.mstore.api.QueueRequest;
import org.mstore.db.ChangeLog;
import org.mstore.db.Database;
import org.mstore.mboxlist.MailboxList;

/**
 * The maintenance queues in H2 (SPEC §4): one table for the cleanup, repair and removal queues, one RecNo sequence.
 *
 * <h2>Lanes</h2>
 * Each entry has a {@code lane}, its place in the state machine, and a {@code pick_key}, its order within the lane
 * (a column H2 computes from the lane):
 * <pre>
 *   0  Repair, waiting                          by RecNo      picked first
 *   1  Clean, waiting                           by RecNo      \
 *   4  Purge, waiting                           by RecNo       | interleaved by RecNo
 *   5  Remove, forced, waiting                  by RecNo       |
 *   2  Remove, waiting                          by timestamp  / due at ts + the current store.cleanupage
 *   3  back-off after a failure, waiting        by not_before moved back to its lane once due
 *   8  running (claimed)
 *   9  failed: parked until an administrator retries or discards it
 * </pre>
 * So a pick is a few seeks of the {@code (lane, pick_key)} index whatever the depth: the head of lane 0, else the
 * heads of lanes 1, 4, 5 and 2 (lane 2 only up to {@code now - cleanupage}, so a shorter setting takes effect at once).
 * Each action has lanes of its own, so a paused action ({@code store.purge.paused}) is one lane not read: its entries
 * cost a pick nothing however many they are.
 * Back-off entries are out of the ready lanes until due, so a thousand failing entries cost a pick nothing.
 * {@code state} (waiting, running, failed) and {@code waiting} (TRUE or NULL) are computed columns too; the unique
 * constraint on {@code (mailbox, action, waiting)} makes a (mailbox, action) pair unique among waiting entries only.
 *
 * <h2>Transactions</h2>
 * An entry is only deleted by {@link #complete} (in the caller's transaction, with the task's effect), by an
 * administrator ({@link #remove}, {@link #discard}) or with its mailbox ({@link #dropMailboxes}); each records the
 * entry's outcome in {@code queue_history} in the same transaction. Every change also writes its {@link ChangeLog}
 * rows in that transaction, in commit order. Claims are conditional updates on the entry's version.
 */
public final class MaintenanceQueue implements org.mstore.backend.QueueStore, ChangeLog.Resolver {
    /**
     * How long finished entries stay in the history (Cassandra's history rows carry the same time to live). Every
     * {@link #PRUNE_HISTORY_EVERY}th history row written drops the older ones, in its own transaction: the history
     * stays bounded however the queue is drained, and no open of the store pays for it.
     */
    public static final java.time.Duration HISTORY_KEPT = java.time.Duration.ofDays(30);
    static final int PRUNE_HISTORY_EVERY = 1000;
    static final String COLUMNS = "recno, mailbox, action, ts, forced, version, picked_by, not_before, attempts, last_error, lane, "
            + "reason, queued_by, queued_at";
    static final String HISTORY_COLUMNS = "seq, recno, mailbox, action, ts, forced, outcome, detail, done_at, bytes_reclaimed, attempts, "
            + "last_error, reason, queued_by, queued_at";

    static final int REPAIR_LANE = 0;
    static final int CLEAN_LANE = 1;
    static final int REMOVE_LANE = 2;
    static final int BACKOFF_LANE = 3;
    static final int PURGE_LANE = 4;
    static final int FORCED_REMOVE_LANE = 5;
    static final int RUNNING = 8;
    static final int FAILED = 9;
    /** The lane a waiting entry belongs to, in SQL (for the rows of a bulk update). */
    static final String NATURAL_LANE = "CASE action WHEN 'Repair' THEN 0 WHEN 'Clean' THEN 1 WHEN 'Purge' THEN 4 "
            + "ELSE CASE WHEN forced THEN 5 ELSE 2 END END";
    /** The lane an entry of its action belongs to once forced, in SQL. */
    static final String FORCED_LANE = "CASE action WHEN 'Repair' THEN 0 WHEN 'Clean' THEN 1 WHEN 'Purge' THEN 4 ELSE 5 END";
    /** The most back-off entries moved back to their lanes at one pick (the rest at the next). */
    private static final int PROMOTE_MAX = 1000;
    private static final int ERROR_MAX = 1000;

    private final Database db;
    private final Clock clock;
    private volatile Runnable onChange = () -> { };
    /** The index that holds each sort order (H2 names the primary key's and the unique constraint's itself). */
    private volatile Map<QueueQuery.Sort, String> sortIndexes;

    public MaintenanceQueue(Database db, Clock clock) {
        this.db = db;
        this.clock = clock;
    }

    /** The lane a waiting entry of {@code action} belongs to when it is due. */
    static int laneOf(Action action, boolean forced) {
        return switch (action) {
            case REPAIR -> REPAIR_LANE;
            case CLEAN -> CLEAN_LANE;
            case PURGE -> PURGE_LANE;
            case REMOVE -> forced ? FORCED_REMOVE_LANE : REMOVE_LANE;
        };
    }

    /** Called after each change made through this object (the engine wakes its watcher and daemon). */
    @Override
    public void onChange(Runnable r) {
        this.onChange = r == null ? () -> { } : r;
    }

    /** Tells listeners that the queue changed (callers that changed it inside their own transaction). */
    @Override
    public void notifyChanged() {
        onChange.run();
    }

    /** Work in one transaction that records its changes. */
    @FunctionalInterface
    private interface Write<T> {
        T run(Connection c, ChangeLog.Pending changes) throws SQLException;
    }

    /** Runs {@code w} in one transaction and writes its change-log rows last, before the commit. */
    private <T> T write(Write<T> w) {
        return db.inTransaction(c -> {
            ChangeLog.Pending changes = new ChangeLog.Pending();
            T result = w.run(c, changes);
            ChangeLog.write(c, changes, clock.millis());
            return result;
        });
    }

    private static String cut(String s) {
        return s == null ? null : s.length() > ERROR_MAX ? s.substring(0, ERROR_MAX) : s;
    }

    // ---------------------------------------------------------------- enqueue

    @Override
    public Enqueued enqueue(String mailbox, Action action, long ts, boolean forced, String reason, String queuedBy) {
        Enqueued e = write((c, ch) -> enqueue(c, mailbox, action, ts, forced, reason, queuedBy, ch));
        notifyChanged();
        return e;
    }

    /**
     * Enqueues in the caller's transaction (see {@code MetaTx.enqueue} for the rules). A waiting (mailbox, action) pair
     * is never added twice; a forced request upgrades a waiting entry to forced and due at once; a later Repair request
     * moves a waiting Repair's timestamp forward (impurge skips a Repair when the mailbox was repaired after the entry's
     * timestamp, and a corruption found after that repair must not be skipped with it). A parked entry takes the request
     * in: forced, it is retried as forced; otherwise nothing is added. An entry added records {@code reason},
     * {@code queuedBy} and the time now as its {@code queued_at}; a request folded into an entry changes none of them.
     */
    public Enqueued enqueue(Connection c, String mailbox, Action action, long ts, boolean forced, String reason, String queuedBy,
                            ChangeLog.Pending ch) throws SQLException {
        for (int attempt = 0; ; attempt++) {
            long recno = -1;
            int lane = -1;
            boolean wasForced = false;
            // waiting lanes (0-3) sort before the parked one (9); running entries (8) do not count
            try (PreparedStatement p = c.prepareStatement("SELECT recno, forced, lane FROM maintenance_queue USE INDEX (mq_waiting) "
                    + "WHERE mailbox = ? AND action = ? AND lane <> " + RUNNING + " ORDER BY lane LIMIT 1")) {
                p.setString(1, mailbox);
                p.setString(2, action.label());
                try (ResultSet rs = p.executeQuery()) {
                    if (rs.next()) {
                        recno = rs.getLong(1);
                        wasForced = rs.getBoolean(2);
                        lane = rs.getInt(3);
                    }
                }
            }
            try {
                if (lane >= 0 && lane < RUNNING) {
                    if (forced && !wasForced) {
                        try (PreparedStatement u = c.prepareStatement("UPDATE maintenance_queue SET forced = TRUE, not_before = NULL, "
                                + "lane = ?, version = version + 1 WHERE recno = ? AND lane < " + RUNNING)) {
                            u.setInt(1, laneOf(action, true));
                            u.setLong(2, recno);
                            if (u.executeUpdate() == 1) {
                                ch.changed(recno);
                            }
                        }
                    }
                    if (action == Action.REPAIR) {
                        // version + 1: a claim made on the old timestamp fails and is made again on the new one
                        try (PreparedStatement u = c.prepareStatement("UPDATE maintenance_queue SET ts = ?, version = version + 1 "
                                + "WHERE recno = ? AND ts < ? AND lane < " + RUNNING)) {
                            u.setLong(1, ts);
                            u.setLong(2, recno);
                            u.setLong(3, ts);
                            if (u.executeUpdate() == 1) {
                                ch.changed(recno);
                            }
                        }
                    }
                    return new Enqueued(recno, false);
                }
                if (lane == FAILED) {
                    if (forced) {
                        try (PreparedStatement u = c.prepareStatement("UPDATE maintenance_queue SET forced = TRUE, not_before = NULL, "
                                + "attempts = 0, lane = ?, version = version + 1 WHERE recno = ? AND lane = " + FAILED)) {
                            u.setInt(1, laneOf(action, true));
                            u.setLong(2, recno);
                            if (u.executeUpdate() == 1) {
                                ch.changed(recno);
                            }
                        }
                    }
                    return new Enqueued(recno, false);
                }
                try (PreparedStatement p = c.prepareStatement(
                        "INSERT INTO maintenance_queue(queue_name, mailbox, action, ts, forced, lane, reason, queued_by, queued_at) "
                                + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", Statement.RETURN_GENERATED_KEYS)) {
                    p.setString(1, action.queue());
                    p.setString(2, mailbox);
                    p.setString(3, action.label());
                    p.setLong(4, ts);
                    p.setBoolean(5, forced);
                    p.setInt(6, laneOf(action, forced));
                    p.setString(7, QueueRequest.cut(reason));
                    p.setString(8, queuedBy);
                    p.setLong(9, clock.millis());
                    p.executeUpdate();
                    try (ResultSet keys = p.getGeneratedKeys()) {
                        keys.next();
                        long added = keys.getLong(1);
                        ch.added(added);
                        return new Enqueued(added, true);
                    }
                }
            } catch (SQLException e) {
                // another process made the same pair wait between our look and our write: look again
                if (attempt > 2 || !isUniqueViolation(e)) {
                    throw e;
                }
            }
        }
    }

    private static boolean isUniqueViolation(SQLException e) {
        return "23505".equals(e.getSQLState());
    }

    /**
     * Enqueues many requests in one transaction with a batched MERGE: pairs already waiting or parked are skipped,
     * also within the batch. Returns the number of entries added.
     */
    @Override
    public int enqueueAll(Collection<QueueRequest> requests) {
        int added = write((c, ch) -> {
            int n = 0;
            try (PreparedStatement p = c.prepareStatement(
                    "MERGE INTO maintenance_queue q USING (VALUES (CAST(? AS VARCHAR), CAST(? AS VARCHAR), CAST(? AS VARCHAR), "
                            + "CAST(? AS BIGINT), CAST(? AS BOOLEAN), CAST(? AS TINYINT), CAST(? AS VARCHAR), CAST(? AS VARCHAR), "
                            + "CAST(? AS BIGINT))) s(queue_name, mailbox, action, ts, forced, lane, reason, queued_by, queued_at) "
                            // all three columns of mq_waiting: one unique lookup per row (with lane <> 8 instead, H2 plans a
                            // scan of the action index: quadratic in the depth)
                            + "ON q.mailbox = s.mailbox AND q.action = s.action AND q.waiting = TRUE "
                            + "WHEN NOT MATCHED AND NOT EXISTS (SELECT 1 FROM maintenance_queue p USE INDEX (mq_waiting) "
                            + "WHERE p.mailbox = s.mailbox AND p.action = s.action AND p.lane = " + FAILED + ") "
                            + "THEN INSERT (queue_name, mailbox, action, ts, forced, lane, reason, queued_by, queued_at) "
                            + "VALUES (s.queue_name, s.mailbox, s.action, s.ts, s.forced, s.lane, s.reason, s.queued_by, s.queued_at)",
                    Statement.RETURN_GENERATED_KEYS)) {
                int batched = 0;
                long now = clock.millis();
                for (QueueRequest r : requests) {
                    p.setString(1, r.action().queue());
                    p.setString(2, r.mailbox());
                    p.setString(3, r.action().label());
                    p.setLong(4, r.ts());
                    p.setBoolean(5, r.forced());
                    p.setInt(6, laneOf(r.action(), r.forced()));
                    p.setString(7, r.reason());
                    p.setString(8, r.queuedBy());
                    p.setLong(9, now);
                    p.addBatch();
                    if (++batched == 5000) {
                        n += executeCollectingKeys(p, ch);
                        batched = 0;
                    }
                }
                if (batched > 0) {
                    n += executeCollectingKeys(p, ch);
                }
            }
            return n;
        });
        notifyChanged();
        return added;
    }

    private static int executeCollectingKeys(PreparedStatement p, ChangeLog.Pending ch) throws SQLException {
        p.executeBatch();
        int n = 0;
        try (ResultSet keys = p.getGeneratedKeys()) {
            while (keys.next()) {
                ch.added(keys.getLong(1));
                n++;
            }
        }
        return n;
    }

    /**
     * Queues (not forced) the Clean and Purge tasks that the mboxlist's counts call for and that are not waiting: what
     * impurge does when it takes the session lock, so that an enqueue lost in a crash (H2 flushes commits within a
     * second) is made good. Returns the number of entries added.
     */
    @Override
    public int sweep(long cleanupSize, long purgeCount, double purgePercentage, long now, String queuedBy) {
        int added = write((c, ch) -> {
            int n = 0;
            List<String[]> due = new ArrayList<>();
            try (PreparedStatement p = c.prepareStatement("SELECT name, expunged, cache_records, cache_expunged FROM mailbox "
                    + "WHERE expunged > ? OR cache_expunged > ?")) {
                p.setLong(1, cleanupSize);
                p.setLong(2, purgeCount);
                try (ResultSet rs = p.executeQuery()) {
                    while (rs.next()) {
                        long records = rs.getLong(3);
                        long expunged = rs.getLong(4);
                        if (rs.getLong(2) > cleanupSize) {
                            due.add(new String[] {rs.getString(1), Action.CLEAN.label(),
                                    QueueRequest.cleanupReason(rs.getLong(2), cleanupSize) + " (found by impurge's sweep)"});
                        }
                        if (expunged > purgeCount && records > 0 && 100.0 * expunged / records > purgePercentage) {
                            due.add(new String[] {rs.getString(1), Action.PURGE.label(),
                                    QueueRequest.purgeReason(records, expunged, purgeCount, purgePercentage) + " (found by impurge's sweep)"});
                        }
                    }
                }
            }
            for (String[] d : due) {
                if (enqueue(c, d[0], Action.fromLabel(d[1]), now, false, d[2], queuedBy, ch).added()) {
                    n++;
                }
            }
            return n;
        });
        if (added > 0) {
            notifyChanged();
        }
        return added;
    }

    // ---------------------------------------------------------------- the daemon's side

    /**
     * Claims up to {@code max} due entries for {@code owner} in one transaction: due back-off entries go back to their
     * lanes, then the heads of the lanes are read (three index seeks) and claimed with one batch of conditional updates
     * ({@code WHERE recno = ? AND version = ? AND lane = ?}); an entry someone else changed meanwhile is left out.
     */
    @Override
    public List<QueueEntry> claimDue(long now, long cleanupAgeMillis, String owner, int max, Set<Action> paused) {
        if (max < 1) {
            return List.of();
        }
        List<QueueEntry> claimed = write((c, ch) -> {
            promoteDueBackoffs(c, now);
            for (int attempt = 0; attempt < 5; attempt++) {
                List<QueueEntry> candidates = dueHeads(c, now, cleanupAgeMillis, max, paused);
                if (candidates.isEmpty()) {
                    return List.<QueueEntry>of();
                }
                List<QueueEntry> got = claimAll(c, candidates, now, owner, ch);
                if (!got.isEmpty()) {
                    return got;
                }
            }
            return List.<QueueEntry>of();
        });
        if (!claimed.isEmpty()) {
            notifyChanged();
        }
        return claimed;
    }

    /** Back-off entries that are due go back to their lanes (in the lane's order from then on). */
    private static void promoteDueBackoffs(Connection c, long now) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("UPDATE maintenance_queue SET lane = " + NATURAL_LANE
                + " WHERE lane = " + BACKOFF_LANE + " AND pick_key <= ? FETCH FIRST " + PROMOTE_MAX + " ROWS ONLY")) {
            p.setLong(1, now);
            p.executeUpdate();
        }
    }

    /**
     * The next {@code max} due entries of the actions not {@code paused}, in pick order: Repair (by RecNo); then the
     * Clean, Purge and forced Remove lanes (by RecNo) and the due Removes (by timestamp) interleaved by the RecNo of
     * their heads.
     */
    private static List<QueueEntry> dueHeads(Connection c, long now, long cleanupAgeMillis, int max, Set<Action> paused) throws SQLException {
        List<QueueEntry> out = new ArrayList<>(paused.contains(Action.REPAIR) ? List.of() : lane(c, REPAIR_LANE, null, max));
        if (out.size() >= max) {
            return out;
        }
        int rest = max - out.size();
        List<List<QueueEntry>> lanes = new ArrayList<>(4);
        if (!paused.contains(Action.CLEAN)) {
            lanes.add(lane(c, CLEAN_LANE, null, rest));
        }
        if (!paused.contains(Action.PURGE)) {
            lanes.add(lane(c, PURGE_LANE, null, rest));
        }
        if (!paused.contains(Action.REMOVE)) {
            lanes.add(lane(c, FORCED_REMOVE_LANE, null, rest));
            lanes.add(lane(c, REMOVE_LANE, now - cleanupAgeMillis, rest));
        }
        int[] at = new int[lanes.size()];
        while (out.size() < max) {
            int best = -1;
            for (int i = 0; i < lanes.size(); i++) {
                if (at[i] < lanes.get(i).size()
                        && (best < 0 || lanes.get(i).get(at[i]).recno() < lanes.get(best).get(at[best]).recno())) {
                    best = i;
                }
            }
            if (best < 0) {
                break;
            }
            out.add(lanes.get(best).get(at[best]++));
        }
        return out;
    }

    /** The first {@code limit} entries of a lane, up to {@code upTo} (its pick_key), in the lane's order: one index seek. */
    private static List<QueueEntry> lane(Connection c, int lane, Long upTo, int limit) throws SQLException {
        String sql = "SELECT " + COLUMNS + " FROM maintenance_queue USE INDEX (mq_lane) WHERE lane = ?" + (upTo != null ? " AND pick_key <= ?" : "")
                + " ORDER BY lane, pick_key LIMIT ?"; // "lane, pick_key": the index's own order, which H2 then reads as it is
        try (PreparedStatement p = c.prepareStatement(sql)) {
            int i = 1;
            p.setInt(i++, lane);
            if (upTo != null) {
                p.setLong(i++, upTo);
            }
            p.setInt(i, limit);
            return list(p);
        }
    }

    /** Claims the given waiting entries with one batch of conditional updates; returns those claimed. */
    private static List<QueueEntry> claimAll(Connection c, List<QueueEntry> candidates, long now, String owner, ChangeLog.Pending ch)
            throws SQLException {
        int[] counts;
        try (PreparedStatement p = c.prepareStatement("UPDATE maintenance_queue SET lane = " + RUNNING + ", picked_by = ?, picked_at = ?, "
                + "version = version + 1 WHERE recno = ? AND version = ? AND lane < " + RUNNING)) {
            for (QueueEntry e : candidates) {
                p.setString(1, owner);
                p.setLong(2, now);
                p.setLong(3, e.recno());
                p.setInt(4, e.version());
                p.addBatch();
            }
            counts = p.executeBatch();
        }
        List<QueueEntry> got = new ArrayList<>(candidates.size());
        for (int i = 0; i < counts.length; i++) {
            if (counts[i] == 1) {
                QueueEntry e = candidates.get(i);
                ch.changed(e.recno());
                got.add(new QueueEntry(e.recno(), e.mailbox(), e.action(), e.timestamp(), e.forced(), e.version() + 1, owner,
                        e.notBefore(), e.attempts(), e.lastError(), QueueEntry.State.RUNNING, e.reason(), e.queuedBy(), e.queuedAt()));
            }
        }
        return got;
    }

    /** Claims one waiting entry (an administrator's "run now"); empty if it is gone, running or parked. */
    @Override
    public Optional<QueueEntry> claim(long recno, long now, String owner) {
        Optional<QueueEntry> claimed = write((c, ch) -> {
            Optional<QueueEntry> e = get(c, recno);
            if (e.isEmpty() || e.get().state() != QueueEntry.State.WAITING) {
                return Optional.<QueueEntry>empty();
            }
            return claimAll(c, List.of(e.get()), now, owner, ch).stream().findFirst();
        });
        if (claimed.isPresent()) {
            notifyChanged();
        }
        return claimed;
    }

    /** When the next waiting entry not yet due becomes due (a Remove waiting for its age, or a back-off), if any. */
    @Override
    public Optional<Instant> nextDueTime(long now, long cleanupAgeMillis, Set<Action> paused) {
        return db.read(c -> {
            Long best = null;
            Long remove = paused.contains(Action.REMOVE) ? null : head(c, REMOVE_LANE);
            if (remove != null) {
                best = remove + cleanupAgeMillis;
            }
            Long backoff = head(c, BACKOFF_LANE);
            if (backoff != null) {
                best = best == null ? backoff : Math.min(best, backoff);
            }
            return Optional.ofNullable(best).map(Instant::ofEpochMilli);
        });
    }

    /**
     * The head of each action's lanes (by RecNo, for Remove also by timestamp) carries the entry due the longest ago (the
     * forced Removes' lane its own, due at their timestamps, the others' at theirs plus the cleanup age); the back-off
     * lane, ordered by retry time, is read up to {@link #PROMOTE_MAX} entries.
     */
    @Override
    public Map<Action, Instant> oldestDue(org.mstore.api.StoreInfo.Features features, java.time.Duration cleanupAge) {
        return db.read(c -> {
            Map<Action, Instant> out = new EnumMap<>(Action.class);
            int[][] lanes = {{REPAIR_LANE}, {CLEAN_LANE}, {PURGE_LANE}, {REMOVE_LANE, FORCED_REMOVE_LANE}};
            Action[] actions = {Action.REPAIR, Action.CLEAN, Action.PURGE, Action.REMOVE};
            for (int i = 0; i < actions.length; i++) {
                for (int lane : lanes[i]) {
                    for (QueueEntry e : lane(c, lane, null, 1)) {
                        out.merge(actions[i], features.due(e, cleanupAge), MaintenanceQueue::earlier);
                    }
                }
            }
            for (QueueEntry e : lane(c, BACKOFF_LANE, null, PROMOTE_MAX)) {
                out.merge(e.action(), features.due(e, cleanupAge), MaintenanceQueue::earlier);
            }
            return out;
        });
    }

    private static Instant earlier(Instant a, Instant b) {
        return a.isBefore(b) ? a : b;
    }

    private static Long head(Connection c, int lane) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("SELECT pick_key FROM maintenance_queue USE INDEX (mq_lane) WHERE lane = ? "
                + "ORDER BY lane, pick_key LIMIT 1")) {
            p.setInt(1, lane);
            try (ResultSet rs = p.executeQuery()) {
                return rs.next() ? rs.getLong(1) : null;
            }
        }
    }

    /**
     * Deletes a claimed entry and records its outcome, in the caller's transaction. Returns false (and leaves the entry)
     * if the claim was lost.
     */
    public boolean complete(Connection c, QueueEntry picked, Outcome outcome, String detail, long bytes, long now, ChangeLog.Pending ch)
            throws SQLException {
        try (PreparedStatement p = c.prepareStatement("DELETE FROM maintenance_queue WHERE recno = ? AND version = ?")) {
            p.setLong(1, picked.recno());
            p.setInt(2, picked.version());
            if (p.executeUpdate() != 1) {
                return false;
            }
        }
        history(c, picked, outcome, detail, bytes, now, ch);
        return true;
    }

    private static void history(Connection c, QueueEntry e, Outcome outcome, String detail, long bytes, long now, ChangeLog.Pending ch)
            throws SQLException {
        try (PreparedStatement p = c.prepareStatement("INSERT INTO queue_history(recno, mailbox, action, ts, forced, outcome, detail, "
                + "done_at, bytes_reclaimed, attempts, last_error, reason, queued_by, queued_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                Statement.RETURN_GENERATED_KEYS)) {
            p.setLong(1, e.recno());
            p.setString(2, e.mailbox());
            p.setString(3, e.action().label());
            p.setLong(4, e.timestamp().toEpochMilli());
            p.setBoolean(5, e.forced());
            p.setString(6, outcome.name());
            p.setString(7, cut(detail));
            p.setLong(8, now);
            p.setLong(9, bytes);
            p.setInt(10, e.attempts());
            p.setString(11, cut(e.lastError()));
            p.setString(12, e.reason());
            p.setString(13, e.queuedBy());
            if (e.queuedAt() == null) {
                p.setNull(14, Types.BIGINT);
            } else {
                p.setLong(14, e.queuedAt().toEpochMilli());
            }
            p.executeUpdate();
            long seq;
            try (ResultSet keys = p.getGeneratedKeys()) {
                keys.next();
                seq = keys.getLong(1);
            }
            ch.done(seq);
            if (seq % PRUNE_HISTORY_EVERY == 0) {
                try (PreparedStatement prune = c.prepareStatement("DELETE FROM queue_history WHERE done_at < ?")) {
                    prune.setLong(1, now - HISTORY_KEPT.toMillis());
                    prune.executeUpdate();
                }
            }
        }
    }

    /** Gives a claimed entry back after a failure: attempts + 1, in back-off until {@code notBefore}. */
    @Override
    public void release(QueueEntry picked, String error, long notBefore) {
        write((c, ch) -> toWaiting(c, picked, BACKOFF_LANE, notBefore, picked.attempts() + 1, error,
                "failed: " + error + "; the same task was queued again while it ran", ch));
        notifyChanged();
    }

    /** Gives a claimed entry back without counting an attempt: in back-off until {@code notBefore}. */
    @Override
    public void postpone(QueueEntry picked, String reason, long notBefore) {
        write((c, ch) -> toWaiting(c, picked, BACKOFF_LANE, notBefore, picked.attempts(), reason,
                "waiting for a Repair; the same task was queued again while it ran", ch));
        notifyChanged();
    }

    /** Parks a claimed entry whose task failed for the last time: attempts + 1, failed until retried or discarded. */
    @Override
    public void park(QueueEntry picked, String error) {
        write((c, ch) -> {
            try (PreparedStatement p = c.prepareStatement("UPDATE maintenance_queue SET lane = " + FAILED + ", picked_by = NULL, "
                    + "picked_at = NULL, not_before = NULL, attempts = ?, last_error = ?, version = version + 1 WHERE recno = ? AND version = ?")) {
                p.setInt(1, picked.attempts() + 1);
                p.setString(2, cut(error));
                p.setLong(3, picked.recno());
                p.setInt(4, picked.version());
                if (p.executeUpdate() == 1) {
                    ch.changed(picked.recno());
                }
            }
            return null;
        });
        notifyChanged();
    }

    /** Gives claimed entries back untouched: waiting in their lanes again, attempts unchanged. */
    @Override
    public void unclaim(Collection<QueueEntry> picked) {
        if (picked.isEmpty()) {
            return;
        }
        write((c, ch) -> {
            for (QueueEntry e : picked) {
                toWaiting(c, e, laneOf(e.action(), e.forced()), null, e.attempts(), e.lastError(),
                        "the same task was queued again while it was claimed", ch);
            }
            return null;
        });
        notifyChanged();
    }

    /**
     * Moves an entry (claimed, or parked) back to waiting in {@code lane}, if it still has the version it was read with.
     * When the same (mailbox, action) is waiting again — queued anew while it ran or was parked — the two are one task:
     * this entry is folded into the waiting one (which takes the larger attempt count, the error, the back-off and
     * forced) and leaves the queue, recorded as skipped with {@code foldDetail}. Returns the RecNo now waiting for the
     * task, or -1 when the entry had changed.
     */
    private long toWaiting(Connection c, QueueEntry e, int lane, Long notBefore, int attempts, String error, String foldDetail,
                           ChangeLog.Pending ch) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("UPDATE maintenance_queue SET lane = ?, not_before = ?, attempts = ?, last_error = ?, "
                + "picked_by = NULL, picked_at = NULL, version = version + 1 WHERE recno = ? AND version = ?")) {
            p.setInt(1, lane);
            if (notBefore == null) {
                p.setNull(2, Types.BIGINT);
            } else {
                p.setLong(2, notBefore);
            }
            p.setInt(3, attempts);
            p.setString(4, cut(error));
            p.setLong(5, e.recno());
            p.setInt(6, e.version());
            if (p.executeUpdate() != 1) {
                return -1;
            }
            ch.changed(e.recno());
            return e.recno();
        } catch (SQLException ex) {
            if (!isUniqueViolation(ex)) {
                throw ex;
            }
        }
        Optional<QueueEntry> twin = waiting(c, e.mailbox(), e.action());
        if (twin.isEmpty()) {
            throw new SQLException("queue entry " + e.recno() + " (" + e.action() + " " + e.mailbox() + ") could not wait again: "
                    + "unique (mailbox, action) violated, yet no waiting entry found");
        }
        QueueEntry t = twin.get();
        boolean forced = t.forced() || e.forced();
        try (PreparedStatement p = c.prepareStatement("UPDATE maintenance_queue SET attempts = ?, last_error = ?, forced = ?, "
                + "not_before = ?, lane = ?, version = version + 1 WHERE recno = ? AND version = ?")) {
            p.setInt(1, Math.max(t.attempts(), attempts));
            p.setString(2, cut(error != null ? error : t.lastError()));
            p.setBoolean(3, forced);
            boolean backoff = notBefore != null && !forced;
            if (backoff) {
                p.setLong(4, notBefore);
            } else {
                p.setNull(4, Types.BIGINT);
            }
            p.setInt(5, backoff ? BACKOFF_LANE : laneOf(t.action(), forced));
            p.setLong(6, t.recno());
            p.setInt(7, t.version());
            p.executeUpdate();
            ch.changed(t.recno());
        }
        if (complete(c, e, Outcome.SKIPPED, foldDetail + " (RecNo " + t.recno() + " carries on)", 0, clock.millis(), ch)) {
            return t.recno();
        }
        return -1;
    }

    private static Optional<QueueEntry> waiting(Connection c, String mailbox, Action action) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("SELECT " + COLUMNS + " FROM maintenance_queue USE INDEX (mq_waiting) "
                + "WHERE mailbox = ? AND action = ? AND waiting = TRUE")) {
            p.setString(1, mailbox);
            p.setString(2, action.label());
            try (ResultSet rs = p.executeQuery()) {
                return rs.next() ? Optional.of(map(rs)) : Optional.empty();
            }
        }
    }

    /** Clears every claim: called when a daemon takes the session lock (a crashed holder's claims are void). */
    @Override
    public int resetClaims() {
        int n = write((c, ch) -> {
            List<QueueEntry> running = new ArrayList<>();
            try (PreparedStatement p = c.prepareStatement("SELECT " + COLUMNS + " FROM maintenance_queue WHERE lane = " + RUNNING)) {
                running.addAll(list(p));
            }
            for (QueueEntry e : running) {
                toWaiting(c, e, laneOf(e.action(), e.forced()), null, e.attempts(), e.lastError(),
                        "the same task was queued again while an impurge that stopped held it", ch);
            }
            return running.size();
        });
        if (n > 0) {
            notifyChanged();
        }
        return n;
    }

    // ---------------------------------------------------------------- administrator actions

    /** Removes waiting entries by RecNo; returns the entries removed. */
    @Override
    public List<QueueEntry> remove(Collection<Long> recnos, Outcome outcome, String detail, long now) {
        List<QueueEntry> removed = write((c, ch) -> leave(c, recnos, "lane < " + RUNNING, outcome, detail, now, ch));
        notifyChanged();
        return removed;
    }

    /** Discards parked entries by RecNo; returns the entries discarded. */
    @Override
    public List<QueueEntry> discard(Collection<Long> recnos, String detail, long now) {
        List<QueueEntry> gone = write((c, ch) -> leave(c, recnos, "lane = " + FAILED, Outcome.DISCARDED, detail, now, ch));
        notifyChanged();
        return gone;
    }

    @Override
    public int discardAll(String detail, long now) {
        int n = 0;
        List<Long> chunk;
        while (!(chunk = failedRecnos(1000)).isEmpty()) {
            n += discard(chunk, detail, now).size();
        }
        return n;
    }

    private List<Long> failedRecnos(int limit) {
        return db.read(c -> {
            List<Long> out = new ArrayList<>();
            try (PreparedStatement p = c.prepareStatement("SELECT recno FROM maintenance_queue USE INDEX (mq_lane) WHERE lane = " + FAILED
                    + " ORDER BY lane, pick_key LIMIT ?")) {
                p.setInt(1, limit);
                try (ResultSet rs = p.executeQuery()) {
                    while (rs.next()) {
                        out.add(rs.getLong(1));
                    }
                }
            }
            return out;
        });
    }

    /** Entries in the state {@code stateCondition} leave the queue, with {@code outcome}; returns them. */
    private List<QueueEntry> leave(Connection c, Collection<Long> recnos, String stateCondition, Outcome outcome, String detail, long now,
                                   ChangeLog.Pending ch) throws SQLException {
        List<QueueEntry> out = new ArrayList<>();
        for (long r : recnos) {
            Optional<QueueEntry> e = get(c, r);
            if (e.isEmpty()) {
                continue;
            }
            try (PreparedStatement p = c.prepareStatement("DELETE FROM maintenance_queue WHERE recno = ? AND version = ? AND " + stateCondition)) {
                p.setLong(1, r);
                p.setInt(2, e.get().version());
                if (p.executeUpdate() == 1) {
                    history(c, e.get(), outcome, detail, 0, now, ch);
                    out.add(e.get());
                }
            }
        }
        return out;
    }

    /** Parked entries back to waiting, attempts reset; one whose task waits again is folded into that entry. */
    @Override
    public List<QueueEntry> retry(Collection<Long> recnos, long now) {
        List<QueueEntry> waiting = write((c, ch) -> {
            List<QueueEntry> out = new ArrayList<>();
            for (long r : recnos) {
                Optional<QueueEntry> e = get(c, r);
                if (e.isEmpty() || e.get().state() != QueueEntry.State.FAILED) {
                    continue;
                }
                QueueEntry q = e.get();
                long nowWaiting = toWaiting(c, q, laneOf(q.action(), q.forced()), null, 0, q.lastError(),
                        "retried by an administrator: the same task is waiting again", ch);
                if (nowWaiting > 0) {
                    get(c, nowWaiting).ifPresent(out::add);
                }
            }
            return out;
        });
        notifyChanged();
        return waiting;
    }

    @Override
    public int retryAll(long now) {
        int n = 0;
        List<Long> chunk;
        while (!(chunk = failedRecnos(1000)).isEmpty()) {
            int got = retry(chunk, now).size();
            if (got == 0) {
                break; // none could move (changed meanwhile): do not spin
            }
            n += got;
        }
        return n;
    }

    /** Removes every entry of the given mailboxes (they were deleted), in the caller's transaction. */
    public void dropMailboxes(Connection c, Collection<String> mailboxes, long now, ChangeLog.Pending ch) throws SQLException {
        for (String m : mailboxes) {
            List<QueueEntry> entries;
            try (PreparedStatement p = c.prepareStatement("SELECT " + COLUMNS + " FROM maintenance_queue USE INDEX (mq_waiting) "
                    + "WHERE mailbox = ?")) {
                p.setString(1, m);
                entries = list(p);
            }
            for (QueueEntry e : entries) {
                try (PreparedStatement p = c.prepareStatement("DELETE FROM maintenance_queue WHERE recno = ?")) {
                    p.setLong(1, e.recno());
                    if (p.executeUpdate() == 1) {
                        history(c, e, Outcome.DROPPED, "mailbox deleted", 0, now, ch);
                    }
                }
            }
        }
    }

    /** Marks waiting entries forced and due now ("run now"); returns how many were found. */
    @Override
    public int force(Collection<Long> recnos) {
        int n = write((c, ch) -> {
            int count = 0;
            try (PreparedStatement p = c.prepareStatement("UPDATE maintenance_queue SET forced = TRUE, not_before = NULL, lane = "
                    + FORCED_LANE + ", version = version + 1 "
                    + "WHERE recno = ? AND lane < " + RUNNING)) {
                for (long r : recnos) {
                    p.setLong(1, r);
                    if (p.executeUpdate() == 1) {
                        ch.changed(r);
                        count++;
                    }
                }
            }
            return count;
        });
        notifyChanged();
        return n;
    }

    // ---------------------------------------------------------------- reading

    @Override
    public Optional<QueueEntry> get(long recno) {
        return db.read(c -> get(c, recno));
    }

    public Optional<QueueEntry> get(Connection c, long recno) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("SELECT " + COLUMNS + " FROM maintenance_queue WHERE recno = ?")) {
            p.setLong(1, recno);
            try (ResultSet rs = p.executeQuery()) {
                return rs.next() ? Optional.of(map(rs)) : Optional.empty();
            }
        }
    }

    /** The waiting entry for (mailbox, action), else the running one. */
    @Override
    public Optional<QueueEntry> find(String mailbox, Action action) {
        return db.read(c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT " + COLUMNS + " FROM maintenance_queue USE INDEX (mq_waiting) "
                    + "WHERE mailbox = ? AND action = ? AND lane <> " + FAILED + " ORDER BY lane LIMIT 1")) {
                p.setString(1, mailbox);
                p.setString(2, action.label());
                try (ResultSet rs = p.executeQuery()) {
                    return rs.next() ? Optional.of(map(rs)) : Optional.<QueueEntry>empty();
                }
            }
        });
    }

    /** Waiting and running entries: the table's row count (kept by H2) less the parked ones (an index range). */
    @Override
    public long count() {
        return db.read(c -> countAll(c) - countFailed(c, null));
    }

    private static long countAll(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM maintenance_queue")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** Parked entries (of one action, or all): a range of the lane index. */
    private static long countFailed(Connection c, Action a) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("SELECT COUNT(*) FROM maintenance_queue USE INDEX (mq_lane) WHERE lane = " + FAILED
                + (a == null ? "" : " AND action = ?"))) {
            if (a != null) {
                p.setString(1, a.label());
            }
            try (ResultSet rs = p.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** Waiting and running entries per action (every action present, zero if none). */
    @Override
    public Map<Action, Long> countsByAction() {
        return db.read(c -> {
            Map<Action, Long> out = new EnumMap<>(Action.class);
            for (Action a : Action.values()) {
                out.put(a, countAction(c, a) - countFailed(c, a));
            }
            return out;
        });
    }

    /** Waiting and running entries in RecNo order, streamed (for {@code imcheck -q} on a big queue). */
    @Override
    public void forEach(Consumer<QueueEntry> sink) {
        forEach(QueueQuery.all(), sink);
    }

    /**
     * The entries a query matches, streamed from one query: H2 runs it lazily (rows are produced as they are read, not
     * gathered first) and hands them over {@code fetch size} at a time to a process that reaches the database through
     * another one's server.
     */
    @Override
    public void forEach(QueueQuery q, Consumer<QueueEntry> sink) {
        db.read(c -> {
            List<Object> params = new ArrayList<>();
            String sql = select(c, q, params);
            try (Statement s = c.createStatement()) {
                s.execute("SET LAZY_QUERY_EXECUTION TRUE");
            }
            try (PreparedStatement p = c.prepareStatement(sql)) {
                p.setFetchSize(2000);
                bind(p, params);
                try (ResultSet rs = p.executeQuery()) {
                    while (rs.next()) {
                        sink.accept(map(rs));
                    }
                }
            } finally {
                try (Statement s = c.createStatement()) {
                    s.execute("SET LAZY_QUERY_EXECUTION FALSE");
                }
            }
            return null;
        });
    }

    /** Waiting and running entries with RecNo above {@code recno}, in order. */
    @Override
    public List<QueueEntry> entriesAfter(long recno, int limit) {
        return db.read(c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT " + COLUMNS + " FROM maintenance_queue WHERE recno > ? AND lane <> "
                    + FAILED + " ORDER BY recno LIMIT ?")) {
                p.setLong(1, recno);
                p.setInt(2, limit);
                return list(p);
            }
        });
    }

    @Override
    public long maxRecno() {
        return db.read(c -> {
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT COALESCE(MAX(recno), 0) FROM maintenance_queue")) {
                rs.next();
                return rs.getLong(1);
            }
        });
    }

    /** One page of the console's table: filtered, sorted and cut in the database. */
    @Override
    public List<QueueEntry> page(QueueQuery q, long offset, int limit) {
        return db.read(c -> {
            List<Object> params = new ArrayList<>();
            String sql = select(c, q, params) + " LIMIT ? OFFSET ?";
            params.add(limit);
            params.add(offset);
            try (PreparedStatement p = c.prepareStatement(sql)) {
                bind(p, params);
                return list(p);
            }
        });
    }

    /** The query's SELECT, filtered and sorted, without a limit. */
    private String select(Connection c, QueueQuery q, List<Object> params) throws SQLException {
        StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM maintenance_queue");
        boolean onlyFailed = q.states().equals(EnumSet.of(QueueEntry.State.FAILED));
        // A filter on several actions steers H2 to the action index, after which it sorts every match (seconds at a
        // million entries); walking the sort order's own index and filtering as it goes finds a page at once.
        if (!onlyFailed && q.filtersActions() && q.actions().size() > 1 && q.sort() != QueueQuery.Sort.ACTION) {
            sql.append(" USE INDEX (\"").append(sortIndexes(c).get(q.sort())).append("\")");
        }
        where(q, sql, params);
        String dir = q.ascending() ? " ASC" : " DESC";
        // Each order is one that an index holds: (recno), (mailbox, action), (ts, recno), (action, recno).
        sql.append(" ORDER BY ").append(q.sort().column()).append(dir);
        if (q.sort() == QueueQuery.Sort.MAILBOX) {
            sql.append(", action").append(dir);
        } else if (q.sort() != QueueQuery.Sort.RECNO) {
            sql.append(", recno").append(dir);
        }
        return sql.toString();
    }

    /**
     * The number of entries a query matches. A filter on actions alone is counted per action on the action index (less
     * the parked ones, on the lane index), and from the table's row count when fewer actions are left out than kept.
     */
    @Override
    public long count(QueueQuery q) {
        return db.read(c -> count(c, q));
    }

    /**
     * The counters and the change log's newest sequence from one snapshot of the database ({@link Database#snapshot}):
     * every change the counts include has a sequence at or below {@code seq}, every later one above it (the log numbers
     * changes in commit order, in the transaction that makes them).
     */
    @Override
    public org.mstore.api.QueueCounts counts(QueueQuery q) {
        return db.snapshot(c -> {
            long seq = ChangeLog.maxSeq(c);
            Map<Action, Long> byAction = new EnumMap<>(Action.class);
            long total = 0;
            for (Action a : Action.values()) {
                long n = countAction(c, a) - countFailed(c, a);
                byAction.put(a, n);
                total += n;
            }
            return new org.mstore.api.QueueCounts(byAction, org.mstore.api.QueueCounts.unfiltered(q) ? total : count(c, q), seq);
        });
    }

    /** What {@code q} matches and the change log's newest sequence, from one snapshot (the counts per action not read). */
    @Override
    public org.mstore.api.QueueCounts matching(QueueQuery q) {
        return db.snapshot(c -> {
            long seq = ChangeLog.maxSeq(c);
            return org.mstore.api.QueueCounts.matchingOnly(count(c, q), seq);
        });
    }

    private long count(Connection c, QueueQuery q) throws SQLException {
        if (q.mailboxText().isEmpty() && q.actions().size() > 0 && (q.states().equals(QueueQuery.PENDING)
                || q.states().equals(EnumSet.of(QueueEntry.State.FAILED)))) {
            boolean failed = q.states().contains(QueueEntry.State.FAILED);
            if (!q.filtersActions()) {
                return failed ? countFailed(c, null) : countAll(c) - countFailed(c, null);
            }
            long n = 0;
            for (Action a : q.actions()) {
                n += failed ? countFailed(c, a) : countAction(c, a) - countFailed(c, a);
            }
            return n;
        }
        StringBuilder sql = new StringBuilder("SELECT COUNT(*) FROM maintenance_queue");
        List<Object> params = new ArrayList<>();
        where(q, sql, params);
        try (PreparedStatement p = c.prepareStatement(sql.toString())) {
            bind(p, params);
            try (ResultSet rs = p.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private static long countAction(Connection c, Action a) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("SELECT COUNT(*) FROM maintenance_queue WHERE action = ?")) {
            p.setString(1, a.label());
            try (ResultSet rs = p.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private Map<QueueQuery.Sort, String> sortIndexes(Connection c) throws SQLException {
        Map<QueueQuery.Sort, String> m = sortIndexes;
        if (m == null) {
            m = new EnumMap<>(QueueQuery.Sort.class);
            m.put(QueueQuery.Sort.TIMESTAMP, "MQ_TS");
            m.put(QueueQuery.Sort.ACTION, "MQ_ACTION_RECNO");
            try (PreparedStatement p = c.prepareStatement("SELECT INDEX_NAME, INDEX_TYPE_NAME FROM INFORMATION_SCHEMA.INDEXES "
                    + "WHERE TABLE_NAME = 'MAINTENANCE_QUEUE'"); ResultSet rs = p.executeQuery()) {
                while (rs.next()) {
                    if ("PRIMARY KEY".equals(rs.getString(2))) {
                        m.put(QueueQuery.Sort.RECNO, rs.getString(1));
                    } else if ("UNIQUE INDEX".equals(rs.getString(2))) {
                        m.put(QueueQuery.Sort.MAILBOX, rs.getString(1));
                    }
                }
            }
            sortIndexes = m;
        }
        return m;
    }

    private static void where(QueueQuery q, StringBuilder sql, List<Object> params) {
        List<String> conds = new ArrayList<>();
        if (q.actions().isEmpty() || q.states().isEmpty()) {
            conds.add("FALSE");
        } else if (q.filtersActions() && q.actions().size() == 1) {
            conds.add("action = ?");
            params.add(q.actions().iterator().next().label());
        } else if (q.filtersActions()) {
            StringBuilder in = new StringBuilder("action IN (");
            boolean first = true;
            for (Action a : q.actions()) {
                in.append(first ? "?" : ", ?");
                params.add(a.label());
                first = false;
            }
            conds.add(in.append(')').toString());
        }
        String states = stateCondition(q.states());
        if (states != null) {
            conds.add(states);
        }
        if (!q.mailboxText().isEmpty()) {
            conds.add("LOWER(mailbox) LIKE ? ESCAPE '\\'");
            params.add("%" + MailboxList.likeEscape(q.mailboxText().toLowerCase(java.util.Locale.ROOT)) + "%");
        }
        if (!conds.isEmpty()) {
            sql.append(" WHERE ").append(String.join(" AND ", conds));
        }
    }

    /** The lanes of a set of states, as a condition (null: every state). */
    private static String stateCondition(Set<QueueEntry.State> states) {
        boolean waiting = states.contains(QueueEntry.State.WAITING);
        boolean running = states.contains(QueueEntry.State.RUNNING);
        boolean failed = states.contains(QueueEntry.State.FAILED);
        if (waiting && running && failed) {
            return null;
        }
        if (waiting && running) {
            return "lane <> " + FAILED;
        }
        if (waiting && failed) {
            return "lane <> " + RUNNING;
        }
        if (running && failed) {
            return "lane >= " + RUNNING;
        }
        return waiting ? "lane < " + RUNNING : running ? "lane = " + RUNNING : failed ? "lane = " + FAILED : "FALSE";
    }

    private static void bind(PreparedStatement p, List<Object> params) throws SQLException {
        for (int i = 0; i < params.size(); i++) {
            Object o = params.get(i);
            if (o instanceof Integer n) {
                p.setInt(i + 1, n);
            } else if (o instanceof Long n) {
                p.setLong(i + 1, n);
            } else {
                p.setString(i + 1, (String) o);
            }
        }
    }

    private static List<QueueEntry> list(PreparedStatement p) throws SQLException {
        List<QueueEntry> out = new ArrayList<>();
        try (ResultSet rs = p.executeQuery()) {
            while (rs.next()) {
                out.add(map(rs));
            }
        }
        return out;
    }

    /** The action of a stored label: the labels this class writes at once, anything else through {@link Action#fromLabel}. */
    private static Action action(String label) {
        return switch (label) {
            case "Clean" -> Action.CLEAN;
            case "Purge" -> Action.PURGE;
            case "Repair" -> Action.REPAIR;
            case "Remove" -> Action.REMOVE;
            default -> Action.fromLabel(label);
        };
    }

    /** A row of {@link #COLUMNS}, by position (a million rows are mapped for {@code imcheck -q}). */
    static QueueEntry map(ResultSet rs) throws SQLException {
        long nb = rs.getLong(8);
        Instant notBefore = rs.wasNull() ? null : Instant.ofEpochMilli(nb);
        int lane = rs.getInt(11);
        QueueEntry.State state = lane == RUNNING ? QueueEntry.State.RUNNING : lane == FAILED ? QueueEntry.State.FAILED : QueueEntry.State.WAITING;
        long at = rs.getLong(14);
        Instant queuedAt = rs.wasNull() ? null : Instant.ofEpochMilli(at);
        return new QueueEntry(rs.getLong(1), rs.getString(2), action(rs.getString(3)), Instant.ofEpochMilli(rs.getLong(4)),
                rs.getBoolean(5), rs.getInt(6), rs.getString(7), notBefore, rs.getInt(9), rs.getString(10), state, rs.getString(12),
                rs.getString(13), queuedAt);
    }

    // ---------------------------------------------------------------- the change log's questions

    @Override
    public List<QueueEntry> added(Connection c, long first, long last) throws SQLException {
        List<QueueEntry> now = current(c, first, last);
        if (now.size() == last - first + 1) {
            return now;
        }
        // some have left the queue already: they were added all the same, as their history rows say
        TreeMap<Long, QueueEntry> all = new TreeMap<>();
        try (PreparedStatement p = c.prepareStatement("SELECT " + HISTORY_COLUMNS + " FROM queue_history WHERE recno BETWEEN ? AND ?")) {
            p.setLong(1, first);
            p.setLong(2, last);
            try (ResultSet rs = p.executeQuery()) {
                while (rs.next()) {
                    QueueEntry e = mapHistory(rs).entry();
                    all.put(e.recno(), new QueueEntry(e.recno(), e.mailbox(), e.action(), e.timestamp(), e.forced(), 0, null, null, 0, null,
                            QueueEntry.State.WAITING, e.reason(), e.queuedBy(), e.queuedAt()));
                }
            }
        }
        for (QueueEntry e : now) {
            all.put(e.recno(), e);
        }
        return new ArrayList<>(all.values());
    }

    @Override
    public List<QueueEntry> current(Connection c, long first, long last) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("SELECT " + COLUMNS + " FROM maintenance_queue WHERE recno BETWEEN ? AND ? ORDER BY recno")) {
            p.setLong(1, first);
            p.setLong(2, last);
            return list(p);
        }
    }

    @Override
    public List<HistoryEntry> history(Connection c, long first, long last) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("SELECT " + HISTORY_COLUMNS + " FROM queue_history WHERE seq BETWEEN ? AND ? ORDER BY seq")) {
            p.setLong(1, first);
            p.setLong(2, last);
            return historyList(p);
        }
    }

    // ---------------------------------------------------------------- history

    private static List<HistoryEntry> historyList(PreparedStatement p) throws SQLException {
        List<HistoryEntry> out = new ArrayList<>();
        try (ResultSet rs = p.executeQuery()) {
            while (rs.next()) {
                out.add(mapHistory(rs));
            }
        }
        return out;
    }

    /** A row of {@link #HISTORY_COLUMNS}: the entry as it left the queue, with its attempts and last error. */
    static HistoryEntry mapHistory(ResultSet rs) throws SQLException {
        long at = rs.getLong(15);
        Instant queuedAt = rs.wasNull() ? null : Instant.ofEpochMilli(at);
        QueueEntry e = new QueueEntry(rs.getLong(2), rs.getString(3), action(rs.getString(4)), Instant.ofEpochMilli(rs.getLong(5)),
                rs.getBoolean(6), 0, null, null, rs.getInt(11), rs.getString(12), QueueEntry.State.WAITING, rs.getString(13),
                rs.getString(14), queuedAt);
        return new HistoryEntry(rs.getLong(1), e, Outcome.valueOf(rs.getString(7)), rs.getString(8), Instant.ofEpochMilli(rs.getLong(9)),
                rs.getLong(10));
    }

    /** History rows with sequence above {@code seq}, in order. */
    @Override
    public List<HistoryEntry> historyAfter(long seq, int limit) {
        return db.read(c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT " + HISTORY_COLUMNS + " FROM queue_history WHERE seq > ? ORDER BY seq LIMIT ?")) {
                p.setLong(1, seq);
                p.setInt(2, limit);
                return historyList(p);
            }
        });
    }

    /** The newest history rows, newest first. */
    @Override
    public List<HistoryEntry> recentHistory(int limit) {
        return history(EnumSet.allOf(Outcome.class), Long.MAX_VALUE, limit);
    }

    /**
     * History rows below {@code beforeSeq} with one of {@code outcomes}, newest first. Every outcome is read from its own
     * range of the {@code (outcome, seq)} index, in the index's order (so H2 stops after {@code limit} rows), and the
     * ranges are merged: a page costs the same however long the history.
     */
    @Override
    public List<HistoryEntry> history(Set<Outcome> outcomes, long beforeSeq, int limit) {
        if (outcomes.isEmpty() || limit < 1) {
            return List.of();
        }
        return db.read(c -> {
            List<HistoryEntry> all = new ArrayList<>();
            if (outcomes.size() == Outcome.values().length) {
                try (PreparedStatement p = c.prepareStatement("SELECT " + HISTORY_COLUMNS + " FROM queue_history WHERE seq < ? "
                        + "ORDER BY seq DESC LIMIT ?")) {
                    p.setLong(1, beforeSeq);
                    p.setInt(2, limit);
                    return historyList(p);
                }
            }
            try (PreparedStatement p = c.prepareStatement("SELECT " + HISTORY_COLUMNS + " FROM queue_history WHERE outcome = ? AND seq < ? "
                    + "ORDER BY outcome DESC, seq DESC LIMIT ?")) {
                for (Outcome o : outcomes) {
                    p.setString(1, o.name());
                    p.setLong(2, beforeSeq);
                    p.setInt(3, limit);
                    all.addAll(historyList(p));
                }
            }
            all.sort(java.util.Comparator.comparingLong(HistoryEntry::seq).reversed());
            return all.size() > limit ? new ArrayList<>(all.subList(0, limit)) : all;
        });
    }

    @Override
    public long historyCount(Set<Outcome> outcomes) {
        return db.read(c -> {
            long n = 0;
            try (PreparedStatement p = c.prepareStatement("SELECT COUNT(*) FROM queue_history WHERE outcome = ?")) {
                for (Outcome o : outcomes) {
                    p.setString(1, o.name());
                    try (ResultSet rs = p.executeQuery()) {
                        rs.next();
                        n += rs.getLong(1);
                    }
                }
            }
            return n;
        });
    }

    @Override
    public Optional<HistoryEntry> finished(long recno) {
        return db.read(c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT " + HISTORY_COLUMNS + " FROM queue_history WHERE recno = ? "
                    + "ORDER BY seq DESC LIMIT 1")) {
                p.setLong(1, recno);
                return historyList(p).stream().findFirst();
            }
        });
    }

    @Override
    public long maxHistorySeq() {
        return db.read(c -> {
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT COALESCE(MAX(seq), 0) FROM queue_history")) {
                rs.next();
                return rs.getLong(1);
            }
        });
    }

    /** Entries finished with {@code outcome} per minute since {@code since}: minute start (epoch ms) to count. */
    @Override
    public SortedMap<Long, Long> finishedPerMinute(long since, Outcome outcome) {
        return db.read(c -> {
            SortedMap<Long, Long> out = new TreeMap<>();
            try (PreparedStatement p = c.prepareStatement("SELECT done_at / 60000 AS m, COUNT(*) FROM queue_history "
                    + "WHERE done_at >= ? AND outcome = ? GROUP BY m")) {
                p.setLong(1, since);
                p.setString(2, outcome.name());
                try (ResultSet rs = p.executeQuery()) {
                    while (rs.next()) {
                        out.put(rs.getLong(1) * 60_000L, rs.getLong(2));
                    }
                }
            }
            return out;
        });
    }

    /** Bytes reclaimed by tasks finished since {@code since}. */
    @Override
    public long bytesReclaimedSince(long since) {
        return db.read(c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT COALESCE(SUM(bytes_reclaimed), 0) FROM queue_history WHERE done_at >= ?")) {
                p.setLong(1, since);
                try (ResultSet rs = p.executeQuery()) {
                    rs.next();
                    return rs.getLong(1);
                }
            }
        });
    }

}
