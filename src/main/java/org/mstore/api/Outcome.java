package org.mstore.api;

/** How an entry left the queue. */
public enum Outcome {
    /** The task ran and its effect is durable. */
    DONE,
    /** The re-check found the task no longer required (thresholds not met, repaired after the request). */
    SKIPPED,
    /** The mailbox no longer exists. */
    DROPPED,
    /** An administrator removed the entry. */
    REMOVED,
    /** An administrator discarded a parked (failed) entry. */
    DISCARDED
}
