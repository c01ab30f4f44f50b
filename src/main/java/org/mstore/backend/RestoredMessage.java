package org.mstore.backend;

/** A message copied with its UID (a migration from another store keeps UIDs, flags and arrival times). */
public record RestoredMessage(int uid, byte[] content, long internalDate, int flags) {
}
