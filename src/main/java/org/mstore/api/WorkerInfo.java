package org.mstore.api;

import java.time.Duration;
import java.time.Instant;

/**
 * An impurge worker draining the store's queue, as the console's workers table shows it: where it runs, what it is
 * doing and for how long it has held its claim. The classic store has at most one (the purge session lock's holder);
 * the Cassandra store one per impurge on any host.
 *
 * @param host      the host it runs on
 * @param pid       its process id
 * @param name      its name in the queue ({@code impurge[pid]@host})
 * @param recno     the entry it is running, or null when idle
 * @param mailbox   that entry's mailbox, or null
 * @param action    that entry's action, or null
 * @param claimedAt when it claimed that entry (the start of its lease), or null
 * @param seen      when it was last heard of
 */
public record WorkerInfo(String host, long pid, String name, Long recno, String mailbox, Action action, Instant claimedAt, Instant seen) {
    /** How long the current claim has been held, or null when idle. */
    public Duration leaseAge(Instant now) {
        return claimedAt == null ? null : Duration.between(claimedAt, now).isNegative() ? Duration.ZERO : Duration.between(claimedAt, now);
    }

    public boolean busy() {
        return recno != null;
    }
}
