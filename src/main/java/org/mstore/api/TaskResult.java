package org.mstore.api;

import org.mstore.api.Outcome;
import org.mstore.api.QueueEntry;

/**
 * What running one queue entry came to. {@code outcome} is null when the entry stayed in the queue: waiting for a retry
 * (its task failed, or waits for a Repair), or parked after failing too often ({@code entry().parked()}); {@code detail}
 * then says why.
 */
public record TaskResult(QueueEntry entry, Outcome outcome, String detail, long bytesReclaimed) {
    public boolean finished() {
        return outcome != null;
    }
}
