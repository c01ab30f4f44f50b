package org.mstore.api;

/**
 * A mailbox failed a sanity check: the failure was logged (the seed's two lines) and a Repair queued. What a client
 * gets instead of damaged data.
 */
public class RepairRequestedException extends MailboxFormatException {
    public RepairRequestedException(String message, boolean indexMissing) {
        super(message, indexMissing);
    }
}
