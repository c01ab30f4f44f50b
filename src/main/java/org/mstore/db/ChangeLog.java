package org.mstore.db;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/** Reads the {@code change_log} rows that mailbox and settings writes leave for other processes. */
public final class ChangeLog implements org.mstore.backend.ChangeFeed {
    private final Database db;

    public ChangeLog(Database db) {
        this.db = db;
    }

    @Override
    public List<Change> after(long seq, int limit) {
        return db.read(c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT seq, kind, subject, changed_at FROM change_log WHERE seq > ? ORDER BY seq LIMIT ?")) {
                p.setLong(1, seq);
                p.setInt(2, limit);
                List<Change> out = new ArrayList<>();
                try (ResultSet rs = p.executeQuery()) {
                    while (rs.next()) {
                        out.add(new Change(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getLong(4)));
                    }
                }
                return out;
            }
        });
    }

    @Override
    public long maxSeq() {
        return db.read(c -> {
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT COALESCE(MAX(seq), 0) FROM change_log")) {
                rs.next();
                return rs.getLong(1);
            }
        });
    }

    /** Keeps the newest {@code keep} rows. */
    @Override
    public int prune(long keep) {
        long max = maxSeq();
        return db.read(c -> {
            try (PreparedStatement p = c.prepareStatement("DELETE FROM change_log WHERE seq <= ?")) {
                p.setLong(1, max - keep);
                return p.executeUpdate();
            }
        });
    }
}
