package org.mstore.api;

/** A message to append: its bytes (one RFC 5322 message), its arrival time (epoch ms) and its {@link Flags}. */
public record NewMessage(byte[] content, long internalDate, int flags) {
}
