package org.mstore.backend;

import java.util.List;

import org.mstore.api.StoreEvent;

/**
 * Changes to the shared metadata in the order they were committed, whichever process made them: a watcher reads what
 * came after the last change it saw and publishes it.
 *
 * <p>The contract: every transaction that changes what other processes must hear of — queue entries added, changed
 * (claimed, released, parked, retried, forced) or finished; mailbox rows; settings — records its changes in the same
 * transaction, under sequence numbers given out in commit order: once a change with sequence {@code s} can be read, no
 * change with a lower sequence can commit any more. So a reader that asks for what came after the last sequence it saw
 * misses nothing, however long a transaction took, and needs no look-back.
 */
public interface ChangeFeed {
    /**
     * One change, read back with what it is about: a {@link StoreEvent.EntriesAdded}, {@link StoreEvent.EntriesChanged}
     * (the entries as they are now; those gone since are left out), {@link StoreEvent.EntriesDone},
     * {@link StoreEvent.MailboxesChanged} or {@link StoreEvent.SettingsChanged}. {@code event} is null when nothing is
     * left to tell (every entry it changed has left the queue since); its {@code seq} still counts as seen.
     */
    record Change(long seq, StoreEvent event) {
    }

    /**
     * The changes with sequence above {@code seq}, in order, from at most {@code limit} records of the log (one record
     * may stand for up to a few thousand entries of one transaction).
     */
    List<Change> after(long seq, int limit);

    /**
     * The highest sequence given out so far. The feed keeps itself bounded as it is written (the classic store keeps
     * its newest {@code ChangeLog.KEEP} records, Cassandra's expire): a reader that falls further behind than that
     * misses the events of what was dropped.
     */
    long maxSeq();
}
