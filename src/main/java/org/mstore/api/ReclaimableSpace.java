package org.mstore.api;

/**
 * The bytes of a mailbox's expunged messages that are still on disk, as its expunge lists record them: those expunged
 * since the last Clean ({@code store.exp}, removed by the Clean + Remove that {@code store.cleanupsize} calls for) and
 * those in lists a Clean renamed, waiting for their Remove once {@code store.cleanupage} has passed. A figure is -1 where
 * the backend keeps no such lists (it cannot be told). The expunged records in the cache, which a Purge drops, are
 * counted in {@link MailboxInfo#cacheExpunged()}; their bytes are not known without reading the cache.
 *
 * @param expungedBytes       bytes of the messages expunged since the last Clean
 * @param awaitingRemoveLists renamed expunge lists waiting for Remove
 * @param awaitingRemoveMessages messages in them
 * @param awaitingRemoveBytes bytes of those messages
 */
public record ReclaimableSpace(String mailbox, long expungedBytes, int awaitingRemoveLists, long awaitingRemoveMessages,
                               long awaitingRemoveBytes) {
    /** Bytes waiting in all, or -1 when not known. */
    public long totalBytes() {
        return expungedBytes < 0 || awaitingRemoveBytes < 0 ? -1 : expungedBytes + awaitingRemoveBytes;
    }

    public static ReclaimableSpace unknown(String mailbox) {
        return new ReclaimableSpace(mailbox, -1, 0, 0, -1);
    }
}
