package org.mstore.backend;

/**
 * A message copied with its UID (a migration from another store keeps UIDs, flags and arrival times); with
 * {@code expungedAt} above 0, an expunged message that can still be recovered, copied as expunged at that time (its
 * flags as they were when it was expunged).
 */
public record RestoredMessage(int uid, byte[] content, long internalDate, int flags, long expungedAt) {
    /** A live message. */
    public RestoredMessage(int uid, byte[] content, long internalDate, int flags) {
        this(uid, content, internalDate, flags, 0);
    }

    public boolean expunged() {
        return expungedAt > 0;
    }
}
