package org.mstore.purge;

import org.mstore.queue.Outcome;
import org.mstore.queue.QueueEntry;

/** What running one queue entry came to. {@code outcome} is null when the entry went back to the queue. */
public record TaskResult(QueueEntry entry, Outcome outcome, String detail, long bytesReclaimed) {
    public boolean finished() {
        return outcome != null;
    }
}
