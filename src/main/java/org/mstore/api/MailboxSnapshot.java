package org.mstore.api;

import java.util.List;

/** A mailbox's contents at one moment: what a client selecting it starts from. Records are in UID order. */
public record MailboxSnapshot(String name, long uidValidity, long nextUid, List<MessageRecord> records) {
    public long totalSize() {
        long n = 0;
        for (MessageRecord r : records) {
            n += r.size();
        }
        return n;
    }
}
