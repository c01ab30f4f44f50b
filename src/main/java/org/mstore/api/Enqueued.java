package org.mstore.api;

/** The result of queueing a task: the pending entry's RecNo, and whether this call added it. */
public record Enqueued(long recno, boolean added) {
}
