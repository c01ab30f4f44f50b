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
 * @param checksum     CRC-32C of the message file's bytes (an unsigned 32-bit value), or {@link #NO_CHECKSUM} when
 *                     unknown (a record written by version 1 of the format)
 */
public record IndexRecord(int uid, int flags, long internalDate, int size, long cacheOffset, int cacheLength, long checksum) {
    /** The checksum of a message whose record predates checksums. */
    public static final long NO_CHECKSUM = -1;

    /** A record without a message checksum. */
    public IndexRecord(int uid, int flags, long internalDate, int size, long cacheOffset, int cacheLength) {
        this(uid, flags, internalDate, size, cacheOffset, cacheLength, NO_CHECKSUM);
    }

    public IndexRecord withFlags(int newFlags) {
        return new IndexRecord(uid, newFlags, internalDate, size, cacheOffset, cacheLength, checksum);
    }

    public IndexRecord withCache(long offset, int length) {
        return new IndexRecord(uid, flags, internalDate, size, offset, length, checksum);
    }

    public boolean checksumKnown() {
        return checksum >= 0;
    }

    public boolean deleted() {
        return Flags.has(flags, Flags.DELETED);
    }

    public boolean seen() {
        return Flags.has(flags, Flags.SEEN);
    }
}
