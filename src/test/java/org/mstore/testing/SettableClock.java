package org.mstore.testing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/** A clock that tests move by hand (db-scheduler's SettableClock): time-dependent rules without sleeps. */
public final class SettableClock extends Clock {
    private volatile Instant now;
    private final ZoneId zone;

    public SettableClock(Instant start, ZoneId zone) {
        this.now = start;
        this.zone = zone;
    }

    /** 2026-03-02 10:00:00 UTC, a Monday. */
    public static SettableClock fixed() {
        return new SettableClock(Instant.parse("2026-03-02T10:00:00Z"), ZoneOffset.UTC);
    }

    public void advance(Duration d) {
        now = now.plus(d);
    }

    public void set(Instant t) {
        now = t;
    }

    @Override
    public ZoneId getZone() {
        return zone;
    }

    @Override
    public Clock withZone(ZoneId z) {
        return new SettableClock(now, z);
    }

    @Override
    public Instant instant() {
        return now;
    }
}
