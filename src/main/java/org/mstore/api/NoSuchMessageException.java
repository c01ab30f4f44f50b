package org.mstore.api;

import java.io.IOException;

/** The UID is not (or no longer) in the mailbox. */
public class NoSuchMessageException extends IOException {
    public NoSuchMessageException(MailboxName mailbox, int uid) {
        super("no message with UID " + uid + " in " + mailbox);
    }
}
