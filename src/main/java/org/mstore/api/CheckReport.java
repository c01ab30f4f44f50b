package org.mstore.api;

import java.util.List;

/** The result of a mailbox's full sanity check: the problems found, and whether a Repair was queued. */
public record CheckReport(String mailbox, List<String> problems, boolean repairQueued) {
    public boolean healthy() {
        return problems.isEmpty();
    }
}
