package org.mstore.api;

import java.io.IOException;
import java.nio.file.Path;

/** Another thread or process held the mailbox lock for longer than we were willing to wait. */
public class MailboxBusyException extends IOException {
    public MailboxBusyException(Path dir) {
        super("mailbox is locked by another process or thread: " + dir);
    }
}
