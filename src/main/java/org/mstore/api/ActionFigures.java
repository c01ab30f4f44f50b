package org.mstore.api;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * How one action's work is going: whether impurge is holding it back ({@code store.purge.paused}), how many of its
 * entries are in the queue and since when the one due the longest ago has been due, and over the recent past
 * ({@link #over}) how many it finished (done, skipped or dropped) and the median time an entry waited from when it was
 * due until it was finished. Due: queued, or for a Remove that was not forced its timestamp plus {@code store.cleanupage}.
 *
 * @param oldestDue    when the waiting entry due the longest ago became due (in the future when none is due yet)
 * @param over         the stretch of time the throughput and the median are taken over (up to now)
 * @param finished     entries finished within {@code over}
 * @param medianWait   empty when none finished within {@code over}
 */
public record ActionFigures(Action action, boolean paused, long inQueue, Optional<Instant> oldestDue, Duration over, long finished,
                            Optional<Duration> medianWait) {
    /** Entries finished per minute within {@link #over}. */
    public double perMinute() {
        long ms = Math.max(1, over.toMillis());
        return finished * 60_000.0 / ms;
    }

    /**
     * How long the entry due the longest ago has waited since it was due, at {@code now}; empty when none waits or none
     * is due yet (a Remove within {@code store.cleanupage}).
     */
    public Optional<Duration> oldestAge(Instant now) {
        return oldestDue.filter(t -> !t.isAfter(now)).map(t -> Duration.between(t, now));
    }
}
