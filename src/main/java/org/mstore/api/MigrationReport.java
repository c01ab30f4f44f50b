package org.mstore.api;

import java.time.Duration;
import java.util.List;

/**
 * What {@code mstore migrate} copied from one store into another and what its verification found.
 *
 * @param mailboxes       mailboxes copied
 * @param messages        live messages copied
 * @param bytes           their bytes
 * @param expunged        expunged messages still recoverable at the source, copied as expunged and recoverable (with their
 *                        bytes, flags and internal dates) until the target's Purge takes them
 * @param settings        settings copied (those set explicitly)
 * @param entries         waiting queue entries copied
 * @param entriesLeftOut  entries the target has no such task for (Clean and Remove where it has no cleanup step)
 * @param verified        messages read back from both stores and compared (bytes, flags, internal date, UID)
 * @param differences     every difference found (empty when the copy is exact), one line each
 * @param took            how long it took
 */
public record MigrationReport(int mailboxes, long messages, long bytes, long expunged, int settings, int entries, int entriesLeftOut, long verified,
                              List<String> differences, Duration took) {
    public boolean ok() {
        return differences.isEmpty();
    }
}
