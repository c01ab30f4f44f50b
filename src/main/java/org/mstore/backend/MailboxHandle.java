package org.mstore.backend;

import java.io.Closeable;
import java.io.IOException;
import java.util.List;
import java.util.function.Predicate;

import org.mstore.api.ExpungeResult;
import org.mstore.api.FlagMode;
import org.mstore.api.MailboxName;
import org.mstore.api.MessageRecord;
import org.mstore.api.MessageView;
import org.mstore.api.NewMessage;
import org.mstore.api.UidSet;

/**
 * One mailbox, open and locked against other writers (threads and processes) until closed. Every change is durable
 * when the method returns and leaves the mailbox consistent if the process dies at any point.
 */
public interface MailboxHandle extends Closeable {
    MailboxName name();

    long uidValidity();

    long nextUid();

    int messageCount();

    long totalSize();

    /** Every live message, in UID order. */
    List<MessageRecord> records() throws IOException;

    /** The live messages of a UID set, in UID order. */
    List<MessageRecord> records(UidSet uids) throws IOException;

    /** Live messages with their envelope summaries, at most {@code limit} from position {@code offset}. */
    List<MessageView> views(int offset, int limit) throws IOException;

    /** A message's bytes, checked against its size and checksum. */
    byte[] fetch(int uid) throws IOException;

    /** Appends messages; returns their UIDs. */
    int[] append(List<NewMessage> messages, boolean sync) throws IOException;

    /**
     * Applies a flag change to the messages of a UID set; returns those that changed, with the flags they had and their
     * new ones (read once: the old flags are what the change replaced).
     */
    FlagChange setFlags(UidSet uids, int flags, FlagMode mode) throws IOException;

    /** Removes the matching messages from the mailbox (expunge or expire). */
    ExpungeResult expunge(Predicate<MessageRecord> which, long now) throws IOException;

    /** Messages expunged and not yet cleaned up: the Expunged count that storage itself knows. */
    long pendingExpunged() throws IOException;

    /** Clean (the classic store's cleanup step): sets the expunged messages aside under {@code stamp}; null if none. */
    String clean(String stamp) throws IOException;

    /** Stamps of the cleanups waiting for Remove, oldest first. */
    List<String> cleanupStamps() throws IOException;

    /** Remove: deletes the messages of every due cleanup; idempotent. */
    RemoveResult remove(Predicate<String> isDue) throws IOException;

    /** Purge: drops expunged records from the index data. */
    PurgeResult purge() throws IOException;

    /**
     * Brings a mailbox written by an earlier version of the store's formats to the current one, as its first change
     * would; empty if it was current. A store whose rewrite drops the expunged index data (the classic store's does, as
     * a Purge) says what it did, so that the mailbox list's counts can follow.
     */
    default java.util.Optional<PurgeResult> upgrade() throws IOException {
        return java.util.Optional.empty();
    }

    /**
     * Purge where the backend has no cleanup step (Cassandra): deletes the records and the bytes of the messages expunged
     * at or before {@code expungedBy} (epoch ms); the others stay for a later Purge. The classic store has a cleanup step
     * and is never asked.
     */
    default PurgeResult purgeExpunged(long expungedBy) throws IOException {
        throw new UnsupportedOperationException("this store purges through its cleanup step");
    }

    /** When the oldest message that waits for {@link #purgeExpunged} was expunged (epoch ms); empty if none waits. */
    default java.util.OptionalLong oldestExpunged() throws IOException {
        return java.util.OptionalLong.empty();
    }

    /**
     * Writes messages with the UIDs they had in another store and sets the next UID (a migration into an empty
     * mailbox); {@link UnsupportedOperationException} where the backend cannot take them.
     */
    default void restore(List<RestoredMessage> messages, long nextUid) throws IOException {
        throw new UnsupportedOperationException("this store cannot take messages with their UIDs");
    }

    /** Index data records, live and expunged. */
    CacheCounts cacheCounts() throws IOException;

    /** The full sanity check: every problem found (empty when healthy). */
    List<String> verify() throws IOException;

    /**
     * The expunged messages this mailbox still knows of, by old UID, with whether each can be recovered; with
     * {@code headers}, Date, From and Subject read from the start of each file (else empty). Where the backend cannot
     * recover expunged messages: {@link UnsupportedOperationException}.
     */
    default List<org.mstore.api.ExpungedMessage> expunged(boolean headers) throws IOException {
        throw new UnsupportedOperationException("this store cannot recover expunged messages");
    }

    /**
     * The expunged messages of {@code uids} ({@link #expunged} lists them recoverable), with their bytes (checked as
     * {@link #unexpunge} checks them), the flags they had when expunged, their internal dates and when they were
     * expunged, in UID order: what a migration carries over, a batch at a time. Reads only. Where the backend cannot
     * recover expunged messages: {@link UnsupportedOperationException}.
     */
    default List<RestoredMessage> recoverableExpunged(int[] uids) throws IOException {
        throw new UnsupportedOperationException("this store cannot recover expunged messages");
    }

    /**
     * The UIDs of the messages a Repair held back because nothing told whether they had been expunged: not served, kept
     * until an administrator recovers them ({@link #expunged} lists them as recoverable). None where the backend never
     * holds messages back so.
     */
    default int[] heldUndecided() throws IOException {
        return new int[0];
    }

    /**
     * Appends the files of expunged messages again as new messages (new UIDs, their internal dates, exact bytes, the
     * flags they had when expunged less {@code \Deleted}, where the backend kept them) and
     * records that they were recovered; all of {@code oldUids} or none ({@link IllegalArgumentException} says why).
     * Returns the new UIDs, in the order of {@code oldUids}.
     */
    default int[] unexpunge(int[] oldUids, long now) throws IOException {
        throw new UnsupportedOperationException("this store cannot recover expunged messages");
    }
}
