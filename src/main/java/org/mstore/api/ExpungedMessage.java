package org.mstore.api;

import java.time.Instant;

/**
 * An expunged message that the store still knows of ({@link Mailboxes#expunged}): its old UID, size, when it was
 * expunged, and the Date, From and Subject read from the start of its file (empty once the file is gone), with whether
 * it can still be recovered.
 *
 * @param internalDate the message's internal date (null once its file is gone)
 * @param recoveredAs  the UID it was recovered as, or 0
 * @param recoveredAt  when it was recovered, or null
 */
public record ExpungedMessage(int uid, long size, Instant expungedAt, Instant internalDate, String date, String from, String subject,
                              State state, int recoveredAs, Instant recoveredAt) {
    /** Whether an expunged message can still be brought back. */
    public enum State {
        /** Its file is still there and it was not recovered yet. */
        RECOVERABLE,
        /** Recovered already, as {@link #recoveredAs()}. */
        RECOVERED,
        /** Its file was deleted by Remove. */
        REMOVED
    }

    public boolean recoverable() {
        return state == State.RECOVERABLE;
    }
}
