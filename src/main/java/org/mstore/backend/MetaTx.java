package org.mstore.backend;

import java.util.Collection;
import java.util.List;
import java.util.Optional;

import org.mstore.api.Action;
import org.mstore.api.Enqueued;
import org.mstore.api.MailboxInfo;
import org.mstore.api.Outcome;
import org.mstore.api.QueueEntry;

/**
 * One transaction over the mailbox list and the queue: a task's effect and its entry's completion are recorded
 * together, or not at all (see {@link Metadata#transact}).
 */
public interface MetaTx {
    Optional<MailboxInfo> mailbox(String name);

    void insert(MailboxInfo m);

    /** Replaces the row of {@code m.name()}. */
    void update(MailboxInfo m);

    /** Tells other processes that a mailbox changed where its row does not show it (a flag change). */
    void touch(String name);

    void delete(String name);

    /** The mailbox {@code name} and every mailbox below it. */
    List<String> subtree(String name);

    /**
     * Renames the rows of the mailbox {@code from} and of every mailbox below it ({@code from/...} becomes
     * {@code to/...}), and moves their pending queue entries along. Tells other processes that both names changed.
     */
    default void rename(String from, String to) {
        throw new UnsupportedOperationException("this backend cannot rename mailboxes yet");
    }

    /** Deletes every mailbox row (before a rebuild of the list). */
    void clearMailboxes();

    /**
     * Queues a task unless the same (mailbox, action) is already waiting (a running one does not count: a request
     * made while it runs must run again). A forced request upgrades a waiting entry to forced and due at once; a
     * later Repair request moves a waiting Repair's timestamp forward.
     */
    Enqueued enqueue(String mailbox, Action action, long ts, boolean forced);

    /** Deletes a claimed entry and records its outcome; false (and nothing done) if the claim was lost. */
    boolean complete(QueueEntry picked, Outcome outcome, String detail, long bytes);

    /** Removes every entry of the given mailboxes (they were deleted), recorded as dropped. */
    void dropEntries(Collection<String> mailboxes);
}
