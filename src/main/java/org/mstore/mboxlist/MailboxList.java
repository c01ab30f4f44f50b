package org.mstore.mboxlist;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.mstore.api.MailboxInfo;
import org.mstore.db.ChangeLog;
import org.mstore.db.Database;

/**
 * The mailbox list in H2. Every change is also recorded in the transaction's {@link ChangeLog.Pending}, which the
 * transaction writes to the {@code change_log} before it commits, so that other processes (the console beside a CLI)
 * hear about it in commit order.
 */
public final class MailboxList implements org.mstore.backend.MailboxDirectory {
    private static final String COLUMNS = "name, partition_name, uidvalidity, next_uid, message_count, size_bytes, expunged, "
            + "cache_records, cache_expunged, created, last_expunge, last_cleanup, last_purge, last_repair";

    private final Database db;

    public MailboxList(Database db) {
        this.db = db;
    }

    @Override
    public Optional<MailboxInfo> get(String name) {
        return db.read(c -> get(c, name));
    }

    public Optional<MailboxInfo> get(Connection c, String name) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("SELECT " + COLUMNS + " FROM mailbox WHERE name = ?")) {
            p.setString(1, name);
            try (ResultSet rs = p.executeQuery()) {
                return rs.next() ? Optional.of(map(rs)) : Optional.empty();
            }
        }
    }

    @Override
    public boolean exists(String name) {
        return get(name).isPresent();
    }

    /** All mailboxes, by name. */
    @Override
    public List<MailboxInfo> list() {
        return db.read(c -> {
            List<MailboxInfo> out = new ArrayList<>();
            try (PreparedStatement p = c.prepareStatement("SELECT " + COLUMNS + " FROM mailbox ORDER BY name");
                 ResultSet rs = p.executeQuery()) {
                while (rs.next()) {
                    out.add(map(rs));
                }
            }
            return out;
        });
    }

    @Override
    public List<MailboxInfo> subtree(String name) {
        return db.read(c -> {
            List<MailboxInfo> out = new ArrayList<>();
            try (PreparedStatement p = c.prepareStatement("SELECT " + COLUMNS + " FROM mailbox WHERE name = ? OR name LIKE ? ESCAPE '\\' ORDER BY name")) {
                p.setString(1, name);
                p.setString(2, likeEscape(name) + "/%");
                try (ResultSet rs = p.executeQuery()) {
                    while (rs.next()) {
                        out.add(map(rs));
                    }
                }
            }
            return out;
        });
    }

    /** The mailbox {@code name} and every mailbox below it ({@code name/...}). */
    public List<String> subtree(Connection c, String name) throws SQLException {
        List<String> out = new ArrayList<>();
        try (PreparedStatement p = c.prepareStatement("SELECT name FROM mailbox WHERE name = ? OR name LIKE ? ESCAPE '\\' ORDER BY name")) {
            p.setString(1, name);
            p.setString(2, likeEscape(name) + "/%");
            try (ResultSet rs = p.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
        }
        return out;
    }

    public static String likeEscape(String s) {
        return s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
    }

    public void insert(Connection c, MailboxInfo m, ChangeLog.Pending changes) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("INSERT INTO mailbox(" + COLUMNS + ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)")) {
            bind(p, m);
            p.executeUpdate();
        }
        changes.mailbox(m.name());
    }

    /** Replaces a row with {@code m} (same name). */
    public void update(Connection c, MailboxInfo m, ChangeLog.Pending changes) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("UPDATE mailbox SET partition_name=?, uidvalidity=?, next_uid=?, "
                + "message_count=?, size_bytes=?, expunged=?, cache_records=?, cache_expunged=?, created=?, last_expunge=?, "
                + "last_cleanup=?, last_purge=?, last_repair=? WHERE name=?")) {
            p.setString(1, m.partition());
            p.setLong(2, m.uidValidity());
            p.setLong(3, m.nextUid());
            p.setLong(4, m.messageCount());
            p.setLong(5, m.sizeBytes());
            p.setLong(6, m.expunged());
            p.setLong(7, m.cacheRecords());
            p.setLong(8, m.cacheExpunged());
            p.setLong(9, m.created().toEpochMilli());
            time(p, 10, m.lastExpunge());
            time(p, 11, m.lastCleanup());
            time(p, 12, m.lastPurge());
            time(p, 13, m.lastRepair());
            p.setString(14, m.name());
            if (p.executeUpdate() == 0) {
                throw new SQLException("mailbox " + m.name() + " is not in the mboxlist");
            }
        }
        changes.mailbox(m.name());
    }

    /** Tells other processes that a mailbox changed where the row does not show it (a flag change). */
    public void touch(String name, ChangeLog.Pending changes) {
        changes.mailbox(name);
    }

    public void delete(Connection c, String name, ChangeLog.Pending changes) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("DELETE FROM mailbox WHERE name = ?")) {
            p.setString(1, name);
            p.executeUpdate();
        }
        changes.mailbox(name);
    }

    /** Deletes every row (before a rebuild from the partitions). */
    public void clear(Connection c) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("DELETE FROM mailbox")) {
            p.executeUpdate();
        }
    }

    private static void bind(PreparedStatement p, MailboxInfo m) throws SQLException {
        p.setString(1, m.name());
        p.setString(2, m.partition());
        p.setLong(3, m.uidValidity());
        p.setLong(4, m.nextUid());
        p.setLong(5, m.messageCount());
        p.setLong(6, m.sizeBytes());
        p.setLong(7, m.expunged());
        p.setLong(8, m.cacheRecords());
        p.setLong(9, m.cacheExpunged());
        p.setLong(10, m.created().toEpochMilli());
        time(p, 11, m.lastExpunge());
        time(p, 12, m.lastCleanup());
        time(p, 13, m.lastPurge());
        time(p, 14, m.lastRepair());
    }

    private static void time(PreparedStatement p, int i, Instant t) throws SQLException {
        if (t == null) {
            p.setNull(i, Types.BIGINT);
        } else {
            p.setLong(i, t.toEpochMilli());
        }
    }

    private static Instant time(ResultSet rs, String col) throws SQLException {
        long v = rs.getLong(col);
        return rs.wasNull() ? null : Instant.ofEpochMilli(v);
    }

    private static MailboxInfo map(ResultSet rs) throws SQLException {
        return new MailboxInfo(rs.getString("name"), rs.getString("partition_name"), rs.getLong("uidvalidity"),
                rs.getLong("next_uid"), rs.getLong("message_count"), rs.getLong("size_bytes"), rs.getLong("expunged"),
                rs.getLong("cache_records"), rs.getLong("cache_expunged"), Instant.ofEpochMilli(rs.getLong("created")),
                time(rs, "last_expunge"), time(rs, "last_cleanup"), time(rs, "last_purge"), time(rs, "last_repair"));
    }
}
