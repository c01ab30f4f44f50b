package org.mstore.queue;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

import org.mstore.api.Action;
import org.mstore.api.HistoryEntry;
import org.mstore.api.Outcome;
import org.mstore.api.QueueEntry;
import org.mstore.api.QueueQuery;
import org.mstore.db.Database;
import org.mstore.mboxlist.MailboxList;

/**
 * The maintenance queues in H2 (SPEC §4): enqueue with de-duplication of pending (mailbox, action)
 * pairs, claim by conditional update, completion that writes history, paging for the console.
 *
 * <p>An entry is only deleted by {@link #complete} (or an administrator's {@link #remove}); a task
 * handler calls it in the same transaction as the mboxlist update that records the task's effect,
 * after the effect on disk is durable. A crash before that leaves the entry to be run again.
 */
public final class MaintenanceQueue implements org.mstore.backend.QueueStore {
    static final String COLUMNS = "recno, mailbox, action, ts, forced, version, picked_by, not_before, attempts, last_error";

    private final Database db;
    private volatile Runnable onChange = () -> { };
    /** The index that holds each sort order (H2 names the primary key's and the unique constraint's itself). */
    private volatile Map<QueueQuery.Sort, String> sortIndexes;

    public MaintenanceQueue(Database db) {
        this.db = db;
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

    // ---------------------------------------------------------------- enqueue

    @Override
    public org.mstore.api.Enqueued enqueue(String mailbox, Action action, long ts, boolean forced) {
        org.mstore.api.Enqueued e = db.inTransaction(c -> enqueue(c, mailbox, action, ts, forced));
        notifyChanged();
        return e;
    }

    /**
     * Enqueues in the caller's transaction. A pending (mailbox, action) pair is never added twice; a forced
     * request upgrades a pending entry to forced and makes it due at once. A later Repair request moves the
     * pending entry's timestamp forward: impurge skips a Repair when the mailbox was repaired after the
     * entry's timestamp, and a corruption found after that repair must not be skipped with it.
     */
    public org.mstore.api.Enqueued enqueue(Connection c, String mailbox, Action action, long ts, boolean forced) throws SQLException {
        for (int attempt = 0; ; attempt++) {
            try (PreparedStatement p = c.prepareStatement("SELECT recno, forced FROM maintenance_queue WHERE mailbox = ? AND action = ?")) {
                p.setString(1, mailbox);
                p.setString(2, action.label());
                try (ResultSet rs = p.executeQuery()) {
                    if (rs.next()) {
                        long recno = rs.getLong(1);
                        if (forced && !rs.getBoolean(2)) {
                            try (PreparedStatement u = c.prepareStatement(
                                    "UPDATE maintenance_queue SET forced = TRUE, not_before = NULL WHERE recno = ?")) {
                                u.setLong(1, recno);
                                u.executeUpdate();
                            }
                        }
                        if (action == Action.REPAIR) {
                            // version + 1: a claim made on the old timestamp fails and is made again on the new one
                            try (PreparedStatement u = c.prepareStatement("UPDATE maintenance_queue SET ts = ?, version = version + 1 "
                                    + "WHERE recno = ? AND ts < ? AND picked_by IS NULL")) {
                                u.setLong(1, ts);
                                u.setLong(2, recno);
                                u.setLong(3, ts);
                                u.executeUpdate();
                            }
                        }
                        return new org.mstore.api.Enqueued(recno, false);
                    }
                }
            }
            try (PreparedStatement p = c.prepareStatement(
                    "INSERT INTO maintenance_queue(queue_name, mailbox, action, ts, forced) VALUES (?, ?, ?, ?, ?)",
                    Statement.RETURN_GENERATED_KEYS)) {
                p.setString(1, action.queue());
                p.setString(2, mailbox);
                p.setString(3, action.label());
                p.setLong(4, ts);
                p.setBoolean(5, forced);
                p.executeUpdate();
                try (ResultSet keys = p.getGeneratedKeys()) {
                    keys.next();
                    return new org.mstore.api.Enqueued(keys.getLong(1), true);
                }
            } catch (SQLException e) {
                // another process inserted the same pair between our SELECT and INSERT: read theirs
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
     * Enqueues many requests in one transaction with a batched MERGE (pending pairs are skipped).
     * Returns the number of entries added.
     */
    @Override
    public int enqueueAll(Collection<org.mstore.api.QueueRequest> requests) {
        int added = db.inTransaction(c -> {
            long before = count(c);
            try (PreparedStatement p = c.prepareStatement(
                    "MERGE INTO maintenance_queue q USING (VALUES (CAST(? AS VARCHAR), CAST(? AS VARCHAR), CAST(? AS VARCHAR), "
                            + "CAST(? AS BIGINT), CAST(? AS BOOLEAN))) s(queue_name, mailbox, action, ts, forced) "
                            + "ON q.mailbox = s.mailbox AND q.action = s.action "
                            + "WHEN NOT MATCHED THEN INSERT (queue_name, mailbox, action, ts, forced) "
                            + "VALUES (s.queue_name, s.mailbox, s.action, s.ts, s.forced)")) {
                int n = 0;
                for (org.mstore.api.QueueRequest r : requests) {
                    p.setString(1, r.action().queue());
                    p.setString(2, r.mailbox());
                    p.setString(3, r.action().label());
                    p.setLong(4, r.ts());
                    p.setBoolean(5, r.forced());
                    p.addBatch();
                    if (++n % 5000 == 0) {
                        p.executeBatch();
                    }
                }
                p.executeBatch();
            }
            return (int) (count(c) - before);
        });
        notifyChanged();
        return added;
    }

    /**
     * Queues (not forced) the Clean and Purge tasks that the mboxlist's counts call for and that are not
     * pending: what impurge does when it takes the session lock, so that an enqueue lost in a crash (H2
     * flushes commits within a second) is made good. Returns the number of entries added.
     */
    @Override
    public int sweep(long cleanupSize, long purgeCount, double purgePercentage, long now) {
        int added = db.inTransaction(c -> {
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
                            due.add(new String[] {rs.getString(1), Action.CLEAN.label()});
                        }
                        if (expunged > purgeCount && records > 0 && 100.0 * expunged / records > purgePercentage) {
                            due.add(new String[] {rs.getString(1), Action.PURGE.label()});
                        }
                    }
                }
            }
            for (String[] d : due) {
                if (enqueue(c, d[0], Action.fromLabel(d[1]), now, false).added()) {
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
     * Claims the next due entry for {@code owner}: Repair first (clients are getting errors), then Clean,
     * Purge and due Remove entries in RecNo order. Remove is due once its timestamp plus the current
     * cleanup age has passed, or at once if forced. Entries in back-off ({@code not_before}) wait.
     */
    @Override
    public Optional<QueueEntry> pickNext(long now, long cleanupAgeMillis, String owner) {
        return db.read(c -> {
            for (int attempt = 0; attempt < 5; attempt++) {
                QueueEntry best = first(c, "action = 'Repair'", "recno", now, null);
                if (best == null) {
                    List<QueueEntry> cands = new ArrayList<>();
                    addIfPresent(cands, first(c, "action = 'Clean'", "recno", now, null));
                    addIfPresent(cands, first(c, "action = 'Purge'", "recno", now, null));
                    addIfPresent(cands, first(c, "action = 'Remove' AND ts <= ?", "ts, recno", now, now - cleanupAgeMillis));
                    addIfPresent(cands, first(c, "action = 'Remove' AND forced = TRUE", "recno", now, null));
                    for (QueueEntry e : cands) {
                        if (best == null || e.recno() < best.recno()) {
                            best = e;
                        }
                    }
                }
                if (best == null) {
                    return Optional.<QueueEntry>empty();
                }
                try (PreparedStatement p = c.prepareStatement("UPDATE maintenance_queue SET picked_by = ?, picked_at = ?, "
                        + "version = version + 1 WHERE recno = ? AND version = ? AND picked_by IS NULL")) {
                    p.setString(1, owner);
                    p.setLong(2, now);
                    p.setLong(3, best.recno());
                    p.setInt(4, best.version());
                    if (p.executeUpdate() == 1) {
                        return Optional.of(new QueueEntry(best.recno(), best.mailbox(), best.action(), best.timestamp(),
                                best.forced(), best.version() + 1, owner, best.notBefore(), best.attempts(), best.lastError()));
                    }
                }
            }
            return Optional.<QueueEntry>empty();
        });
    }

    /** Claims one specific entry (an administrator's "run now"); empty if it is gone or already claimed. */
    @Override
    public Optional<QueueEntry> claim(long recno, long now, String owner) {
        return db.read(c -> {
            Optional<QueueEntry> e = get(c, recno);
            if (e.isEmpty() || e.get().inProgress()) {
                return Optional.<QueueEntry>empty();
            }
            QueueEntry q = e.get();
            try (PreparedStatement p = c.prepareStatement("UPDATE maintenance_queue SET picked_by = ?, picked_at = ?, "
                    + "version = version + 1 WHERE recno = ? AND version = ? AND picked_by IS NULL")) {
                p.setString(1, owner);
                p.setLong(2, now);
                p.setLong(3, recno);
                p.setInt(4, q.version());
                if (p.executeUpdate() != 1) {
                    return Optional.<QueueEntry>empty();
                }
            }
            return Optional.of(new QueueEntry(q.recno(), q.mailbox(), q.action(), q.timestamp(), q.forced(), q.version() + 1,
                    owner, q.notBefore(), q.attempts(), q.lastError()));
        });
    }

    private static void addIfPresent(List<QueueEntry> l, QueueEntry e) {
        if (e != null) {
            l.add(e);
        }
    }

    private static QueueEntry first(Connection c, String where, String order, long now, Long param) throws SQLException {
        String sql = "SELECT " + COLUMNS + " FROM maintenance_queue WHERE " + where
                + " AND picked_by IS NULL AND (not_before IS NULL OR not_before <= ?) ORDER BY " + order + " LIMIT 1";
        try (PreparedStatement p = c.prepareStatement(sql)) {
            int i = 1;
            if (param != null) {
                p.setLong(i++, param);
            }
            p.setLong(i, now);
            try (ResultSet rs = p.executeQuery()) {
                return rs.next() ? map(rs) : null;
            }
        }
    }

    /** When the next entry not yet due becomes due (a Remove waiting for its age, or a back-off), if any. */
    @Override
    public Optional<Instant> nextDueTime(long now, long cleanupAgeMillis) {
        return db.read(c -> {
            Long best = null;
            try (PreparedStatement p = c.prepareStatement("SELECT MIN(ts) FROM maintenance_queue WHERE action = 'Remove' AND forced = FALSE AND picked_by IS NULL")) {
                try (ResultSet rs = p.executeQuery()) {
                    if (rs.next() && rs.getObject(1) != null) {
                        best = rs.getLong(1) + cleanupAgeMillis;
                    }
                }
            }
            try (PreparedStatement p = c.prepareStatement("SELECT MIN(not_before) FROM maintenance_queue WHERE not_before > ? AND picked_by IS NULL")) {
                p.setLong(1, now);
                try (ResultSet rs = p.executeQuery()) {
                    if (rs.next() && rs.getObject(1) != null) {
                        long v = rs.getLong(1);
                        best = best == null ? v : Math.min(best, v);
                    }
                }
            }
            return Optional.ofNullable(best).map(Instant::ofEpochMilli);
        });
    }

    /**
     * Deletes a claimed entry and records its outcome, in the caller's transaction. Returns false (and leaves
     * the entry) if the claim was lost.
     */
    public boolean complete(Connection c, QueueEntry picked, Outcome outcome, String detail, long bytes, long now) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("DELETE FROM maintenance_queue WHERE recno = ? AND version = ?")) {
            p.setLong(1, picked.recno());
            p.setInt(2, picked.version());
            if (p.executeUpdate() != 1) {
                return false;
            }
        }
        history(c, picked, outcome, detail, bytes, now);
        return true;
    }

    private static void history(Connection c, QueueEntry e, Outcome outcome, String detail, long bytes, long now) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("INSERT INTO queue_history(recno, mailbox, action, ts, forced, outcome, detail, "
                + "done_at, bytes_reclaimed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            p.setLong(1, e.recno());
            p.setString(2, e.mailbox());
            p.setString(3, e.action().label());
            p.setLong(4, e.timestamp().toEpochMilli());
            p.setBoolean(5, e.forced());
            p.setString(6, outcome.name());
            p.setString(7, detail == null ? null : detail.length() > 1000 ? detail.substring(0, 1000) : detail);
            p.setLong(8, now);
            p.setLong(9, bytes);
            p.executeUpdate();
        }
    }

    /** Gives a claimed entry back after a failure; it becomes due again at {@code notBefore}. */
    @Override
    public void release(QueueEntry picked, String error, long notBefore) {
        db.read(c -> {
            try (PreparedStatement p = c.prepareStatement("UPDATE maintenance_queue SET picked_by = NULL, picked_at = NULL, "
                    + "attempts = attempts + 1, last_error = ?, not_before = ? WHERE recno = ?")) {
                p.setString(1, error == null ? null : error.length() > 1000 ? error.substring(0, 1000) : error);
                p.setLong(2, notBefore);
                p.setLong(3, picked.recno());
                return p.executeUpdate();
            }
        });
        notifyChanged();
    }

    /** Clears every claim: called when a daemon takes the session lock (a crashed holder's claims are void). */
    @Override
    public int resetClaims() {
        return db.read(c -> {
            try (PreparedStatement p = c.prepareStatement("UPDATE maintenance_queue SET picked_by = NULL, picked_at = NULL WHERE picked_by IS NOT NULL")) {
                return p.executeUpdate();
            }
        });
    }

    // ---------------------------------------------------------------- administrator actions

    /** Removes entries by RecNo (not those in progress); returns the entries removed. */
    @Override
    public List<QueueEntry> remove(Collection<Long> recnos, Outcome outcome, String detail, long now) {
        List<QueueEntry> removed = db.inTransaction(c -> {
            List<QueueEntry> out = new ArrayList<>();
            for (long r : recnos) {
                Optional<QueueEntry> e = get(c, r);
                if (e.isPresent() && !e.get().inProgress()) {
                    try (PreparedStatement p = c.prepareStatement("DELETE FROM maintenance_queue WHERE recno = ? AND picked_by IS NULL")) {
                        p.setLong(1, r);
                        if (p.executeUpdate() == 1) {
                            history(c, e.get(), outcome, detail, 0, now);
                            out.add(e.get());
                        }
                    }
                }
            }
            return out;
        });
        notifyChanged();
        return removed;
    }

    /** Removes every pending entry of the given mailboxes (they were deleted), in the caller's transaction. */
    public void dropMailboxes(Connection c, Collection<String> mailboxes, long now) throws SQLException {
        for (String m : mailboxes) {
            List<QueueEntry> entries = new ArrayList<>();
            try (PreparedStatement p = c.prepareStatement("SELECT " + COLUMNS + " FROM maintenance_queue WHERE mailbox = ?")) {
                p.setString(1, m);
                try (ResultSet rs = p.executeQuery()) {
                    while (rs.next()) {
                        entries.add(map(rs));
                    }
                }
            }
            for (QueueEntry e : entries) {
                try (PreparedStatement p = c.prepareStatement("DELETE FROM maintenance_queue WHERE recno = ?")) {
                    p.setLong(1, e.recno());
                    p.executeUpdate();
                }
                history(c, e, Outcome.DROPPED, "mailbox deleted", 0, now);
            }
        }
    }

    /** Marks entries forced and due now ("run now"); returns how many were found. */
    @Override
    public int force(Collection<Long> recnos) {
        int n = db.inTransaction(c -> {
            int count = 0;
            try (PreparedStatement p = c.prepareStatement("UPDATE maintenance_queue SET forced = TRUE, not_before = NULL WHERE recno = ?")) {
                for (long r : recnos) {
                    p.setLong(1, r);
                    count += p.executeUpdate();
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

    /** The pending entry for (mailbox, action), if any. */
    @Override
    public Optional<QueueEntry> find(String mailbox, Action action) {
        return db.read(c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT " + COLUMNS + " FROM maintenance_queue WHERE mailbox = ? AND action = ?")) {
                p.setString(1, mailbox);
                p.setString(2, action.label());
                try (ResultSet rs = p.executeQuery()) {
                    return rs.next() ? Optional.of(map(rs)) : Optional.<QueueEntry>empty();
                }
            }
        });
    }

    @Override
    public long count() {
        return db.read(MaintenanceQueue::count);
    }

    private static long count(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM maintenance_queue")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** Pending entries per action (every action present, zero if none). */
    @Override
    public Map<Action, Long> countsByAction() {
        return db.read(c -> {
            Map<Action, Long> out = new EnumMap<>(Action.class);
            for (Action a : Action.values()) {
                out.put(a, countAction(c, a));
            }
            return out;
        });
    }

    /** Every entry in RecNo order, streamed in chunks (for {@code imcheck -q} on a big queue). */
    @Override
    public void forEach(Consumer<QueueEntry> sink) {
        long after = 0;
        while (true) {
            List<QueueEntry> chunk = entriesAfter(after, 10_000);
            chunk.forEach(sink);
            if (chunk.size() < 10_000) {
                return;
            }
            after = chunk.get(chunk.size() - 1).recno();
        }
    }

    /** Entries with RecNo above {@code recno}, in order. */
    @Override
    public List<QueueEntry> entriesAfter(long recno, int limit) {
        return db.read(c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT " + COLUMNS + " FROM maintenance_queue WHERE recno > ? ORDER BY recno LIMIT ?")) {
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
            StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM maintenance_queue");
            // A filter on several actions steers H2 to the action index, after which it sorts every match (seconds at a
            // million entries); walking the sort order's own index and filtering as it goes finds a page at once.
            if (q.filtersActions() && q.actions().size() > 1 && q.sort() != QueueQuery.Sort.ACTION) {
                sql.append(" USE INDEX (\"").append(sortIndexes(c).get(q.sort())).append("\")");
            }
            List<Object> params = new ArrayList<>();
            where(q, sql, params);
            String dir = q.ascending() ? " ASC" : " DESC";
            // Each order is one that an index holds: (recno), (mailbox, action), (ts, recno), (action, recno).
            sql.append(" ORDER BY ").append(q.sort().column()).append(dir);
            if (q.sort() == QueueQuery.Sort.MAILBOX) {
                sql.append(", action").append(dir);
            } else if (q.sort() != QueueQuery.Sort.RECNO) {
                sql.append(", recno").append(dir);
            }
            sql.append(" LIMIT ? OFFSET ?");
            params.add(limit);
            params.add(offset);
            try (PreparedStatement p = c.prepareStatement(sql.toString())) {
                bind(p, params);
                return list(p);
            }
        });
    }

    /**
     * The number of entries a query matches. A filter on actions alone is counted per action on the action
     * index, and from the table's row count when fewer actions are left out than kept.
     */
    @Override
    public long count(QueueQuery q) {
        return db.read(c -> {
            if (q.filtersActions() && q.mailboxText().isEmpty()) {
                java.util.Set<Action> left = java.util.EnumSet.complementOf(java.util.EnumSet.copyOf(q.actions()));
                if (left.size() < q.actions().size()) {
                    long n = count(c);
                    for (Action a : left) {
                        n -= countAction(c, a);
                    }
                    return n;
                }
                long n = 0;
                for (Action a : q.actions()) {
                    n += countAction(c, a);
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
        });
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
        if (q.actions().isEmpty()) {
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
        if (!q.mailboxText().isEmpty()) {
            conds.add("LOWER(mailbox) LIKE ? ESCAPE '\\'");
            params.add("%" + MailboxList.likeEscape(q.mailboxText().toLowerCase(java.util.Locale.ROOT)) + "%");
        }
        if (!conds.isEmpty()) {
            sql.append(" WHERE ").append(String.join(" AND ", conds));
        }
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

    static QueueEntry map(ResultSet rs) throws SQLException {
        long nb = rs.getLong("not_before");
        Instant notBefore = rs.wasNull() ? null : Instant.ofEpochMilli(nb);
        return new QueueEntry(rs.getLong("recno"), rs.getString("mailbox"), Action.fromLabel(rs.getString("action")),
                Instant.ofEpochMilli(rs.getLong("ts")), rs.getBoolean("forced"), rs.getInt("version"), rs.getString("picked_by"),
                notBefore, rs.getInt("attempts"), rs.getString("last_error"));
    }

    // ---------------------------------------------------------------- history

    /** History rows with sequence above {@code seq}, in order. */
    @Override
    public List<HistoryEntry> historyAfter(long seq, int limit) {
        return db.read(c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT seq, recno, mailbox, action, ts, forced, outcome, detail, done_at, "
                    + "bytes_reclaimed FROM queue_history WHERE seq > ? ORDER BY seq LIMIT ?")) {
                p.setLong(1, seq);
                p.setInt(2, limit);
                List<HistoryEntry> out = new ArrayList<>();
                try (ResultSet rs = p.executeQuery()) {
                    while (rs.next()) {
                        QueueEntry e = new QueueEntry(rs.getLong("recno"), rs.getString("mailbox"), Action.fromLabel(rs.getString("action")),
                                Instant.ofEpochMilli(rs.getLong("ts")), rs.getBoolean("forced"), 0, null, null, 0, null);
                        out.add(new HistoryEntry(rs.getLong("seq"), e, Outcome.valueOf(rs.getString("outcome")), rs.getString("detail"),
                                Instant.ofEpochMilli(rs.getLong("done_at")), rs.getLong("bytes_reclaimed")));
                    }
                }
                return out;
            }
        });
    }

    /** The newest history rows, newest first. */
    @Override
    public List<HistoryEntry> recentHistory(int limit) {
        long max = maxHistorySeq();
        List<HistoryEntry> l = historyAfter(Math.max(0, max - limit), limit);
        java.util.Collections.reverse(l);
        return l;
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
    public java.util.SortedMap<Long, Long> finishedPerMinute(long since, Outcome outcome) {
        return db.read(c -> {
            java.util.SortedMap<Long, Long> out = new java.util.TreeMap<>();
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

    /** Deletes history rows older than {@code before} (keeps the table from growing forever). */
    @Override
    public int pruneHistory(long before) {
        return db.read(c -> {
            try (PreparedStatement p = c.prepareStatement("DELETE FROM queue_history WHERE done_at < ?")) {
                p.setLong(1, before);
                return p.executeUpdate();
            }
        });
    }

}
