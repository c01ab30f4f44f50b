package org.mstore.api;

import java.io.IOException;

/**
 * A sanity check failed: the mailbox's index, cache, expunge list or message files are not what
 * their headers, checksums and counts say. Such a mailbox needs a Repair.
 */
public class MailboxFormatException extends IOException {
    private final boolean missing;

    public MailboxFormatException(String message) {
        this(message, false);
    }

    public MailboxFormatException(String message, boolean missing) {
        super(message);
        this.missing = missing;
    }

    /** True when the index itself is absent (the seed's "Mailbox does not exist"). */
    public boolean indexMissing() {
        return missing;
    }
}
