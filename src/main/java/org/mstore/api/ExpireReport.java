package org.mstore.api;

import java.util.List;

/** What an {@code imexpire} run did (or, in a trial run, would do): the rules read and the mailboxes they touched. */
public record ExpireReport(int rules, List<Result> results) {
    /** One mailbox; {@code problem} is set when it could not be expired (a Repair was queued). */
    public record Result(String mailbox, List<String> rules, int messages, long bytes, String problem) {
        public boolean failed() {
            return problem != null;
        }
    }
}
