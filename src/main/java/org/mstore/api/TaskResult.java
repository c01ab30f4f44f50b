package org.mstore.api;

import org.mstore.api.Outcome;
import org.mstore.api.QueueEntry;

/** What running one queue entry came to. {@code outcome} is null when the entry went back to the queue. */
public record TaskResult(QueueEntry entry, Outcome outcome, String detail, long bytesReclaimed) {
    public boolean finished() {
        return outcome != null;
    }
}
