package org.mstore.api;

import java.time.Instant;

/**
 * A pending maintenance-queue entry: (RecNo, mailbox, action, timestamp), plus whether an administrator
 * forced it, and the daemon's bookkeeping (who picked it, when it may be retried, the last error).
 */
public record QueueEntry(long recno, String mailbox, Action action, Instant timestamp, boolean forced, int version,
                         String pickedBy, Instant notBefore, int attempts, String lastError) {
    public boolean inProgress() {
        return pickedBy != null;
    }
}
