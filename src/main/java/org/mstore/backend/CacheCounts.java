package org.mstore.backend;

/** Index data records of a mailbox: all of them, and how many belong to expunged messages. */
public record CacheCounts(long records, long expunged) {
}
