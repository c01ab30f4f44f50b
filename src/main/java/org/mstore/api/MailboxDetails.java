package org.mstore.api;

import java.time.Instant;
import java.util.List;

/**
 * A mailbox's metadata and what waits in it for maintenance: the expunge lists a Clean renamed that wait for their
 * Remove ({@code awaitingRemove}, as cleanup stamps {@code yyyyMMddHHmmss}; always empty where the backend has no
 * cleanup step) and the messages quarantined because their bytes no longer match their checksum.
 */
public record MailboxDetails(MailboxInfo info, List<String> awaitingRemove, List<Quarantined> quarantined) {
    /** A message kept aside by a Repair: never served, never deleted by the store. */
    public record Quarantined(int uid, long size, Instant when, String reason) {
    }
}
