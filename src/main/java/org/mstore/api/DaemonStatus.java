package org.mstore.api;

import java.time.Instant;

/**
 * A snapshot of the impurge daemon's state: what it is doing (and on which entry), what it has done since it started
 * (tasks finished — done, skipped or dropped — and bytes reclaimed), since when it is in this state, and a note.
 */
public record DaemonStatus(DaemonState state, String mailbox, Action action, long tasksDone, long bytesReclaimed, Instant since,
                           String message) {
    public String describe() {
        if (state == DaemonState.WORKING && mailbox != null) {
            return "working: " + action + " " + mailbox;
        }
        return message == null || message.isEmpty() ? state.text() : state.text() + " (" + message + ")";
    }
}
