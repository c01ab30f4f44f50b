package org.mstore.backend;

import java.util.List;

/**
 * Changes to the shared metadata in the order they were committed, whichever process made them: a watcher reads
 * what came after the last change it saw and turns it into events.
 */
public interface ChangeFeed {
    /** One change: {@code kind} is {@code mailbox} or {@code setting}; {@code subject} the name. */
    record Change(long seq, String kind, String subject, long at) {
    }

    List<Change> after(long seq, int limit);

    long maxSeq();

    /** Keeps the newest {@code keep} changes. */
    int prune(long keep);
}
