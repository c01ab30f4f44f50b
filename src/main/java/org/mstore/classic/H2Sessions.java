package org.mstore.classic;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

import org.mstore.api.SessionInfo;
import org.mstore.backend.SessionStore;
import org.mstore.db.Database;

/** The classic store's session table ({@code server_session}, migration V3) in the mboxlist database. */
final class H2Sessions implements SessionStore {
    private final Database db;

    H2Sessions(Database db) {
        this.db = db;
    }

    @Override
    public void publish(String owner, long now, Collection<SessionInfo> changed, Collection<String> closed) {
        db.inTransaction(c -> {
            if (!closed.isEmpty()) {
                try (PreparedStatement p = c.prepareStatement("DELETE FROM server_session WHERE id = ?")) {
                    for (String id : closed) {
                        p.setString(1, id);
                        p.addBatch();
                    }
                    p.executeBatch();
                }
            }
            if (!changed.isEmpty()) {
                try (PreparedStatement p = c.prepareStatement("MERGE INTO server_session(id, owner, process, host, protocol, user_name, "
                        + "remote, mailbox, since, last_command, last_active, idle, heartbeat) KEY(id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)")) {
                    for (SessionInfo s : changed) {
                        p.setString(1, s.id());
                        p.setString(2, owner);
                        p.setString(3, cut(s.process(), 100));
                        p.setString(4, cut(s.host(), 200));
                        p.setString(5, cut(s.protocol(), 8));
                        p.setString(6, cut(s.user(), 64));
                        p.setString(7, cut(s.remote(), 100));
                        p.setString(8, cut(s.mailbox(), 600));
                        p.setLong(9, s.since().toEpochMilli());
                        p.setString(10, cut(s.lastCommand(), 40));
                        p.setLong(11, s.lastActive().toEpochMilli());
                        p.setBoolean(12, s.idle());
                        p.setLong(13, now);
                        p.addBatch();
                    }
                    p.executeBatch();
                }
            }
            try (PreparedStatement p = c.prepareStatement("UPDATE server_session SET heartbeat = ? WHERE owner = ?")) {
                p.setLong(1, now);
                p.setString(2, owner);
                p.executeUpdate();
            }
            return null;
        });
    }

    private static String cut(String s, int n) {
        return s == null || s.length() <= n ? s : s.substring(0, n);
    }

    @Override
    public List<Stored> list() {
        return db.read(c -> {
            List<Stored> out = new ArrayList<>();
            try (PreparedStatement p = c.prepareStatement("SELECT id, owner, process, host, protocol, user_name, remote, mailbox, since, "
                    + "last_command, last_active, idle, heartbeat FROM server_session ORDER BY since, id"); ResultSet rs = p.executeQuery()) {
                while (rs.next()) {
                    SessionInfo s = new SessionInfo(rs.getString(1), rs.getString(3), rs.getString(4), rs.getString(5), rs.getString(6),
                            rs.getString(7), rs.getString(8), Instant.ofEpochMilli(rs.getLong(9)), rs.getString(10),
                            Instant.ofEpochMilli(rs.getLong(11)), rs.getBoolean(12));
                    out.add(new Stored(s, rs.getString(2), rs.getLong(13)));
                }
            }
            return out;
        });
    }

    @Override
    public void removeOwners(Collection<String> owners) {
        if (owners.isEmpty()) {
            return;
        }
        db.idempotent(c -> {
            try (PreparedStatement p = c.prepareStatement("DELETE FROM server_session WHERE owner = ?")) {
                for (String o : owners) {
                    p.setString(1, o);
                    p.addBatch();
                }
                return p.executeBatch().length;
            }
        });
    }
}
