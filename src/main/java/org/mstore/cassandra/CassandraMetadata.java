package org.mstore.cassandra;

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

import com.datastax.oss.driver.api.core.cql.Row;

/**
 * Units of work over the Cassandra store's mailbox list and queue. Cassandra has no transaction over several
 * partitions: each step is applied when it is called, in the order the rules call them, which the rules arrange so that
 * a crash between two steps leaves work to be done again rather than work lost (the effect is recorded before the
 * entry is completed; every task is idempotent and re-checks whether it is still needed). Changes to mailbox rows are
 * made under the mailbox's lock, which the rules hold around every unit of work that changes one.
 */
final class CassandraMetadata implements Metadata {
    /** The row of {@code store_meta} that holds the last UIDVALIDITY issued, in decimal. */
    static final String UIDVALIDITY_KEY = "uidvalidity";
    private final Cql cql;
    private final CassandraMailboxList mailboxes;
    private final CassandraQueue queue;
    private final CassandraChanges changes;

    CassandraMetadata(Cql cql, CassandraMailboxList mailboxes, CassandraQueue queue, CassandraChanges changes) {
        this.cql = cql;
        this.mailboxes = mailboxes;
        this.queue = queue;
        this.changes = changes;
    }

    /**
     * A compare-and-set loop on the {@code uidvalidity} row of {@code store_meta}: read at LOCAL_SERIAL, then a
     * lightweight transaction conditional on the value read (or {@code IF NOT EXISTS}); a host that lost the race reads
     * again. A store made before the row existed starts it above every mailbox it lists (one read of the list, once).
     */
    @Override
    public long issueUidValidity(long atLeast) {
        for (int attempt = 0; ; attempt++) {
            Row r = cql.oneSerial("SELECT value FROM {mbox}.store_meta WHERE key = ?", UIDVALIDITY_KEY);
            long last = r == null ? mailboxes.list().stream().mapToLong(MailboxInfo::uidValidity).max().orElse(0)
                    : Long.parseLong(r.getString(0));
            String next = Long.toString(Math.max(last + 1, atLeast));
            boolean ok = r == null
                    ? cql.lwt("INSERT INTO {mbox}.store_meta (key, value) VALUES (?, ?) IF NOT EXISTS", UIDVALIDITY_KEY, next)
                    : cql.lwt("UPDATE {mbox}.store_meta SET value = ? WHERE key = ? IF value = ?", next, UIDVALIDITY_KEY, r.getString(0));
            if (ok) {
                return Long.parseLong(next);
            }
            if (attempt > 50) {
                throw new IllegalStateException("could not issue a UIDVALIDITY: too much contention on its row in store_meta");
            }
            try {
                Thread.sleep(java.util.concurrent.ThreadLocalRandom.current().nextInt(1, 5 + 5 * Math.min(attempt, 10)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while issuing a UIDVALIDITY");
            }
        }
    }

    @Override
    public <T> T transact(Work<T> work) {
        boolean[] queueChanged = {false};
        T result = work.run(new MetaTx() {
            @Override
            public Optional<MailboxInfo> mailbox(String name) {
                return mailboxes.get(name);
            }

            @Override
            public void insert(MailboxInfo m) {
                mailboxes.put(m);
            }

            @Override
            public void update(MailboxInfo m) {
                mailboxes.put(m);
            }

            @Override
            public void touch(String name) {
                changes.record("mailbox", name);
            }

            @Override
            public void delete(String name) {
                mailboxes.delete(name);
            }

            @Override
            public List<String> subtree(String name) {
                return mailboxes.subtreeNames(name);
            }

            @Override
            public void clearMailboxes() {
                mailboxes.clear();
            }

            @Override
            public Enqueued enqueue(String mailbox, Action action, long ts, boolean forced, String reason, String queuedBy) {
                queueChanged[0] = true;
                return queue.enqueueQuiet(mailbox, action, ts, forced, reason, queuedBy);
            }

            @Override
            public boolean complete(QueueEntry picked, Outcome outcome, String detail, long bytes) {
                queueChanged[0] = true;
                return queue.complete(picked, outcome, detail, bytes);
            }

            @Override
            public void dropEntries(Collection<String> names) {
                queueChanged[0] = true;
                queue.drop(names);
            }
        });
        if (queueChanged[0]) {
            queue.notifyChanged();
        }
        return result;
    }
}
