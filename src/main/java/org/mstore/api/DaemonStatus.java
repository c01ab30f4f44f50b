package org.mstore.api;

import java.time.Instant;

/**
 * A snapshot of the impurge daemon's state: what it is doing (and on which entry), what the daemon has done in this
 * process (tasks finished — done, skipped or dropped — and bytes reclaimed, Run now's tasks included while it runs),
 * since when it is in this state, a note, and what Run now did while the daemon was not running (run by a thread of
 * their own, not the daemon: counted apart, so that a daemon never started does not show tasks it never ran).
 */
public record DaemonStatus(DaemonState state, String mailbox, Action action, long tasksDone, long bytesReclaimed, Instant since,
                           String message, long runNowTasks, long runNowBytes) {
    /** A snapshot in which Run now has done nothing outside the daemon. */
    public DaemonStatus(DaemonState state, String mailbox, Action action, long tasksDone, long bytesReclaimed, Instant since,
                        String message) {
        this(state, mailbox, action, tasksDone, bytesReclaimed, since, message, 0, 0);
    }

    public String describe() {
        if (state == DaemonState.WORKING && mailbox != null) {
            return "working: " + action + " " + mailbox;
        }
        return message == null || message.isEmpty() ? state.text() : state.text() + " (" + message + ")";
    }
}
