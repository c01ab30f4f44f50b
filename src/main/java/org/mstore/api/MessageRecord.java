package org.mstore.api;

/**
 * One live message of a mailbox as every backend knows it.
 *
 * @param uid          the message's UID, unique and increasing within the mailbox
 * @param flags        {@link Flags} bits
 * @param internalDate when the message arrived, epoch milliseconds
 * @param size         the message's size in bytes
 */
public record MessageRecord(int uid, int flags, long internalDate, int size) {
    public boolean deleted() {
        return Flags.has(flags, Flags.DELETED);
    }

    public boolean seen() {
        return Flags.has(flags, Flags.SEEN);
    }

    public MessageRecord withFlags(int f) {
        return new MessageRecord(uid, f, internalDate, size);
    }
}
