package org.mstore.api;

/** The mailbox is not in the mboxlist. */
public class NoSuchMailboxException extends IllegalArgumentException {
    public NoSuchMailboxException(String name) {
        super("no such mailbox: " + name);
    }
}
