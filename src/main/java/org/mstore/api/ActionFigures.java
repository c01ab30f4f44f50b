package org.mstore.api;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * How one action's work is going: whether impurge is holding it back ({@code store.purge.paused}), how many of its
 * entries are in the queue and since when the oldest waits, and over the recent past ({@link #over}) how many it
 * finished (done, skipped or dropped) and the median time an entry waited from when it was due until it was finished.
 *
 * @param over         the stretch of time the throughput and the median are taken over (up to now)
 * @param finished     entries finished within {@code over}
 * @param medianWait   empty when none finished within {@code over}
 */
public record ActionFigures(Action action, boolean paused, long inQueue, Optional<Instant> oldestWaiting, Duration over, long finished,
                            Optional<Duration> medianWait) {
    /** Entries finished per minute within {@link #over}. */
    public double perMinute() {
        long ms = Math.max(1, over.toMillis());
        return finished * 60_000.0 / ms;
    }

    /** How long the oldest waiting entry has waited at {@code now}. */
    public Optional<Duration> oldestAge(Instant now) {
        return oldestWaiting.map(t -> t.isAfter(now) ? Duration.ZERO : Duration.between(t, now));
    }
}
