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

/**
 * Units of work over the Cassandra store's mailbox list and queue. Cassandra has no transaction over several
 * partitions: each step is applied when it is called, in the order the rules call them, which the rules arrange so that
 * a crash between two steps leaves work to be done again rather than work lost (the effect is recorded before the
 * entry is completed; every task is idempotent and re-checks whether it is still needed). Changes to mailbox rows are
 * made under the mailbox's lock, which the rules hold around every unit of work that changes one.
 */
final class CassandraMetadata implements Metadata {
    private final CassandraMailboxList mailboxes;
    private final CassandraQueue queue;
    private final CassandraChanges changes;

    CassandraMetadata(CassandraMailboxList mailboxes, CassandraQueue queue, CassandraChanges changes) {
        this.mailboxes = mailboxes;
        this.queue = queue;
        this.changes = changes;
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
            public Enqueued enqueue(String mailbox, Action action, long ts, boolean forced) {
                queueChanged[0] = true;
                return queue.enqueueQuiet(mailbox, action, ts, forced);
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
