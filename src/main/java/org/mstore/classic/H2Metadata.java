package org.mstore.classic;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

import org.mstore.api.Action;
import org.mstore.api.Enqueued;
import org.mstore.api.MailboxInfo;
import org.mstore.api.Outcome;
import org.mstore.api.QueueEntry;
import org.mstore.backend.MetaTx;
import org.mstore.backend.Metadata;
import org.mstore.db.ChangeLog;
import org.mstore.db.Database;
import org.mstore.db.StoreDatabaseException;
import org.mstore.mboxlist.MailboxList;
import org.mstore.queue.MaintenanceQueue;

/**
 * Transactions over the classic store's mailbox list and queue: one H2 transaction each, whose changes are written to
 * the change log as its last step (in commit order, see {@link ChangeLog}).
 */
final class H2Metadata implements Metadata {
    private final Database db;
    private final MailboxList mboxlist;
    private final MaintenanceQueue queue;
    private final java.time.Clock clock;

    H2Metadata(Database db, MailboxList mboxlist, MaintenanceQueue queue, java.time.Clock clock) {
        this.db = db;
        this.mboxlist = mboxlist;
        this.queue = queue;
        this.clock = clock;
    }

    @Override
    public <T> T transact(Work<T> work) {
        boolean[] queueChanged = {false};
        T result = db.inTransaction(c -> {
            Tx tx = new Tx(c, queueChanged);
            T r = work.run(tx);
            ChangeLog.write(c, tx.changes, clock.millis());
            return r;
        });
        if (queueChanged[0]) {
            queue.notifyChanged();
        }
        return result;
    }

    /**
     * One UPDATE of the one row of {@code uidvalidity_counter} (schema version 5), in a transaction of its own: its row
     * lock orders processes that issue at once, and the value is returned only once committed.
     */
    @Override
    public long issueUidValidity(long atLeast) {
        return db.inTransaction(c -> {
            try (java.sql.PreparedStatement p = c.prepareStatement("SELECT last_issued FROM FINAL TABLE "
                    + "(UPDATE uidvalidity_counter SET last_issued = GREATEST(last_issued + 1, ?) WHERE id = 1)")) {
                p.setLong(1, atLeast);
                try (java.sql.ResultSet rs = p.executeQuery()) {
                    if (!rs.next()) {
                        throw new SQLException("the uidvalidity_counter row is missing from the mboxlist database");
                    }
                    return rs.getLong(1);
                }
            }
        });
    }

    /** SQL failures inside a unit of work leave it as unchecked exceptions, so that the transaction rolls back. */
    private interface Sql<T> {
        T run() throws SQLException;
    }

    private static <T> T sql(Sql<T> s) {
        try {
            return s.run();
        } catch (SQLException e) {
            throw new StoreDatabaseException(e);
        }
    }

    private final class Tx implements MetaTx {
        private final Connection c;
        private final boolean[] queueChanged;
        private final ChangeLog.Pending changes = new ChangeLog.Pending();

        Tx(Connection c, boolean[] queueChanged) {
            this.c = c;
            this.queueChanged = queueChanged;
        }

        private long now() {
            return clock.millis();
        }

        @Override
        public Optional<MailboxInfo> mailbox(String name) {
            return sql(() -> mboxlist.get(c, name));
        }

        @Override
        public void insert(MailboxInfo m) {
            sql(() -> {
                mboxlist.insert(c, m, changes);
                return null;
            });
        }

        @Override
        public void update(MailboxInfo m) {
            sql(() -> {
                mboxlist.update(c, m, changes);
                return null;
            });
        }

        @Override
        public void touch(String name) {
            mboxlist.touch(name, changes);
        }

        @Override
        public void delete(String name) {
            sql(() -> {
                mboxlist.delete(c, name, changes);
                return null;
            });
        }

        @Override
        public List<String> subtree(String name) {
            return sql(() -> mboxlist.subtree(c, name));
        }

        @Override
        public void rename(String from, String to) {
            sql(() -> {
                List<String> names = mboxlist.subtree(c, from);
                for (String old : names) {
                    String neu = to + old.substring(from.length());
                    try (java.sql.PreparedStatement p = c.prepareStatement("UPDATE mailbox SET name = ? WHERE name = ?")) {
                        p.setString(1, neu);
                        p.setString(2, old);
                        p.executeUpdate();
                    }
                    List<Long> moved = new java.util.ArrayList<>();
                    try (java.sql.PreparedStatement p = c.prepareStatement("SELECT recno FROM maintenance_queue WHERE mailbox = ?")) {
                        p.setString(1, old);
                        try (java.sql.ResultSet rs = p.executeQuery()) {
                            while (rs.next()) {
                                moved.add(rs.getLong(1));
                            }
                        }
                    }
                    if (!moved.isEmpty()) {
                        try (java.sql.PreparedStatement p = c.prepareStatement("UPDATE maintenance_queue SET mailbox = ? WHERE mailbox = ?")) {
                            p.setString(1, neu);
                            p.setString(2, old);
                            p.executeUpdate();
                        }
                        moved.forEach(changes::changed);
                        queueChanged[0] = true;
                    }
                    changes.mailbox(old);
                    changes.mailbox(neu);
                }
                return null;
            });
        }

        @Override
        public void clearMailboxes() {
            sql(() -> {
                mboxlist.clear(c);
                return null;
            });
        }

        @Override
        public Enqueued enqueue(String mailbox, Action action, long ts, boolean forced, String reason, String queuedBy) {
            queueChanged[0] = true;
            return sql(() -> queue.enqueue(c, mailbox, action, ts, forced, reason, queuedBy, changes));
        }

        @Override
        public boolean complete(QueueEntry picked, Outcome outcome, String detail, long bytes) {
            queueChanged[0] = true;
            return sql(() -> queue.complete(c, picked, outcome, detail, bytes, now(), changes));
        }

        @Override
        public void dropEntries(Collection<String> mailboxes) {
            queueChanged[0] = true;
            sql(() -> {
                queue.dropMailboxes(c, mailboxes, now(), changes);
                return null;
            });
        }
    }
}
