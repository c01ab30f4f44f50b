package org.mstore.api;

/** A task to queue: for a mailbox, an action, its timestamp (epoch ms) and whether an administrator forced it. */
public record QueueRequest(String mailbox, Action action, long ts, boolean forced) {
}
