package org.mstore.api;

/**
 * What {@link Mailboxes#unexpunge} did: each recovered message's old UID and the new UID it came back as (same
 * positions), in the mailbox's UID validity.
 */
public record UnexpungeResult(long uidValidity, int[] oldUids, int[] newUids) {
    public int count() {
        return oldUids.length;
    }
}
