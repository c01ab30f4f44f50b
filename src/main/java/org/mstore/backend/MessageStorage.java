package org.mstore.backend;

import java.io.IOException;
import java.util.List;

import org.mstore.api.MailboxDetails;
import org.mstore.api.MailboxInfo;

/**
 * Where mailboxes' messages live. Opening a mailbox runs the backend's sanity checks: a failure is a
 * {@link org.mstore.api.MailboxFormatException}, which the rules turn into the seed's log lines and a Repair.
 */
public interface MessageStorage {
    /** Refuses a partition name the backend cannot use. */
    void validatePartition(String partition);

    /** The partitions new mailboxes can go to. */
    List<String> partitions() throws IOException;

    /** True when storage already holds a mailbox under this name (one missing from the mailbox list). */
    boolean holds(MailboxInfo info) throws IOException;

    /** Creates an empty mailbox for a new row of the mailbox list; returns it open and locked. */
    MailboxHandle create(MailboxInfo info, long now) throws IOException;

    /**
     * Takes back what {@link #create} made for a mailbox whose row the mailbox list then refused (a full disk), while
     * its handle is still open: nothing of it is left for a rebuild of the list to take for a mailbox. Never touches a
     * mailbox below it. Failures are added to {@code cause} as suppressed.
     */
    default void discardNew(MailboxInfo info, Throwable cause) {
    }

    /**
     * Opens and locks a mailbox, after its sanity checks. {@code readOnly}: an interrupted rewrite is left as it is
     * (a read-only process changes nothing).
     */
    MailboxHandle open(MailboxInfo info, boolean readOnly) throws IOException;

    /** Locks a mailbox without opening it (for a delete or a repair, which work on one that cannot be opened). */
    AutoCloseable lock(MailboxInfo info) throws IOException;

    /**
     * Deletes a mailbox and every mailbox below it from storage, wherever each is kept (a sub-mailbox may be in another
     * partition than its parent), and nothing else. The caller holds the lock.
     */
    void deleteTree(MailboxInfo info) throws IOException;

    /**
     * Moves a mailbox and every mailbox below it to a new name ({@code to} differs from {@code from} only in its name):
     * messages, UIDs, flags and UID validity go along. All of it moves or none of it does; the caller holds the locks of
     * every mailbox of the subtree and renames the rows of the mailbox list after this returns (see
     * {@link MetaTx#rename}), moving storage back with a second call if that fails. Refuses a target that storage
     * already holds.
     */
    default void rename(MailboxInfo from, MailboxInfo to) throws IOException {
        throw new UnsupportedOperationException("this backend cannot rename mailboxes yet");
    }

    /**
     * Repair: rebuilds the mailbox's index data from its messages, keeping every message that is intact, never
     * bringing back an expunged one, setting aside (quarantining) one whose bytes no longer match. The caller holds
     * the lock (see {@link #lock}).
     */
    RepairResult rebuild(MailboxInfo info, long now) throws IOException;

    /** What waits in a mailbox for maintenance (it need not open cleanly). */
    MailboxDetails details(MailboxInfo info) throws IOException;

    /**
     * Every mailbox found in storage, with its state read from storage, for rebuilding a lost mailbox list; a mailbox
     * that cannot be read is listed as broken (it will be repaired).
     */
    List<Found> scan(long now) throws IOException;

    /** A mailbox found by {@link #scan}: its row as storage knows it, whether it is broken, its pending cleanups. */
    record Found(MailboxInfo info, boolean broken, List<String> awaitingRemove) {
    }
}
