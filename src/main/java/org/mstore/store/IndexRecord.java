package org.mstore.store;

import org.mstore.api.Flags;

/**
 * One live message in {@code store.idx}.
 *
 * @param uid          the message's UID, unique and increasing within the mailbox
 * @param flags        {@link Flags} bits
 * @param internalDate when the message arrived, epoch milliseconds
 * @param size         the message file's size in bytes
 * @param cacheOffset  where the message's record starts in {@code store.cache}
 * @param cacheLength  the cache record's total length in bytes
 */
public record IndexRecord(int uid, int flags, long internalDate, int size, long cacheOffset, int cacheLength) {
    public IndexRecord withFlags(int newFlags) {
        return new IndexRecord(uid, newFlags, internalDate, size, cacheOffset, cacheLength);
    }

    public IndexRecord withCache(long offset, int length) {
        return new IndexRecord(uid, flags, internalDate, size, offset, length);
    }

    public boolean deleted() {
        return Flags.has(flags, Flags.DELETED);
    }

    public boolean seen() {
        return Flags.has(flags, Flags.SEEN);
    }
}
