package org.mstore.api;

import java.time.Instant;

/** An entry that left the queue: what it was and how it ended. */
public record HistoryEntry(long seq, QueueEntry entry, Outcome outcome, String detail, Instant doneAt, long bytesReclaimed) {
}
