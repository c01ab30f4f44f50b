package org.mstore.api;

/** What an expunge (or an expiration) removed from a mailbox: how many messages, their bytes and UIDs. */
public record ExpungeResult(int messages, long bytes, int[] uids) {
    public static final ExpungeResult NONE = new ExpungeResult(0, 0, new int[0]);
}
