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
     * Queues a task unless the same (mailbox, action) is already waiting. Uniqueness covers waiting entries only: a running
     * one does not count (a request made while the task runs — a corruption found during a Repair — must run again), so
     * one running and one waiting entry for the same pair may coexist. A forced request upgrades a waiting entry to forced
     * and due at once; a later Repair request moves a waiting Repair's timestamp forward (impurge skips a Repair when the
     * mailbox was repaired after the timestamp). A parked (failed) entry for the pair takes the request in: a request that
     * is not forced adds nothing (the task waits for an administrator), a forced one retries the parked entry as forced.
     * Returns the entry that stands for the request and whether it was added. An entry added records {@code reason},
     * {@code queuedBy} and the time (its {@code queued_at}); none of these changes when a later request is folded into
     * it (forced, or a Repair re-stamped).
     */
    Enqueued enqueue(String mailbox, Action action, long ts, boolean forced, String reason, String queuedBy);

    /** {@link #enqueue(String, Action, long, boolean, String, String)} without a reason or a process. */
    default Enqueued enqueue(String mailbox, Action action, long ts, boolean forced) {
        return enqueue(mailbox, action, ts, forced, null, null);
    }

    /**
     * Deletes a claimed entry and records its outcome in the history, in this transaction; false (and nothing done) if
     * the claim was lost (the entry's version changed since it was claimed). Completing many entries in one transaction
     * is how a batch of drops and skips is recorded at once.
     */
    boolean complete(QueueEntry picked, Outcome outcome, String detail, long bytes);

    /** Removes every entry (waiting, running or parked) of the given mailboxes (they were deleted), recorded as dropped. */
    void dropEntries(Collection<String> mailboxes);
}
