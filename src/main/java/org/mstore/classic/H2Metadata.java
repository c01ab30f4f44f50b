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
import org.mstore.db.Database;
import org.mstore.db.StoreDatabaseException;
import org.mstore.mboxlist.MailboxList;
import org.mstore.queue.MaintenanceQueue;

/** Transactions over the classic store's mailbox list and queue: one H2 transaction each. */
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
        T result = db.inTransaction(c -> work.run(new Tx(c, queueChanged)));
        if (queueChanged[0]) {
            queue.notifyChanged();
        }
        return result;
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
                mboxlist.insert(c, m);
                return null;
            });
        }

        @Override
        public void update(MailboxInfo m) {
            sql(() -> {
                mboxlist.update(c, m, now());
                return null;
            });
        }

        @Override
        public void touch(String name) {
            sql(() -> {
                mboxlist.touch(c, name, now());
                return null;
            });
        }

        @Override
        public void delete(String name) {
            sql(() -> {
                mboxlist.delete(c, name, now());
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
                long now = now();
                List<String> names = mboxlist.subtree(c, from);
                for (String old : names) {
                    String neu = to + old.substring(from.length());
                    try (java.sql.PreparedStatement p = c.prepareStatement("UPDATE mailbox SET name = ? WHERE name = ?")) {
                        p.setString(1, neu);
                        p.setString(2, old);
                        p.executeUpdate();
                    }
                    try (java.sql.PreparedStatement p = c.prepareStatement("UPDATE maintenance_queue SET mailbox = ? WHERE mailbox = ?")) {
                        p.setString(1, neu);
                        p.setString(2, old);
                        if (p.executeUpdate() > 0) {
                            queueChanged[0] = true;
                        }
                    }
                    mboxlist.touch(c, old, now);
                    mboxlist.touch(c, neu, now);
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
        public Enqueued enqueue(String mailbox, Action action, long ts, boolean forced) {
            queueChanged[0] = true;
            return sql(() -> queue.enqueue(c, mailbox, action, ts, forced));
        }

        @Override
        public boolean complete(QueueEntry picked, Outcome outcome, String detail, long bytes) {
            queueChanged[0] = true;
            return sql(() -> queue.complete(c, picked, outcome, detail, bytes, now()));
        }

        @Override
        public void dropEntries(Collection<String> mailboxes) {
            queueChanged[0] = true;
            sql(() -> {
                queue.dropMailboxes(c, mailboxes, now());
                return null;
            });
        }
    }
}
