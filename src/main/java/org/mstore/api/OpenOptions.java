package org.mstore.api;

import java.time.Clock;

/**
 * How to open a store.
 *
 * @param clock         the time every rule uses (a settable clock in tests)
 * @param processName   the name this process logs under (impurge, imapd, console...)
 * @param startDaemon   start the impurge daemon when {@code store.purge.enable} is true (the console does)
 * @param watchChanges  publish {@link StoreEvent}s, including changes made by other processes
 * @param readOnly      browse only: every call that would change the store is refused, and opening a mailbox never
 *                      queues a Repair or finishes an interrupted rewrite
 */
public record OpenOptions(Clock clock, String processName, boolean startDaemon, boolean watchChanges, boolean readOnly) {
    public OpenOptions(Clock clock, String processName, boolean startDaemon, boolean watchChanges) {
        this(clock, processName, startDaemon, watchChanges, false);
    }

    public static OpenOptions cli(String processName) {
        return new OpenOptions(Clock.systemDefaultZone(), processName, false, false, false);
    }

    public static OpenOptions console(boolean readOnly) {
        return new OpenOptions(Clock.systemDefaultZone(), "console", !readOnly, true, readOnly);
    }

    public OpenOptions withClock(Clock c) {
        return new OpenOptions(c, processName, startDaemon, watchChanges, readOnly);
    }

    public OpenOptions withStartDaemon(boolean b) {
        return new OpenOptions(clock, processName, b, watchChanges, readOnly);
    }

    public OpenOptions withWatchChanges(boolean b) {
        return new OpenOptions(clock, processName, startDaemon, b, readOnly);
    }

    public OpenOptions withReadOnly(boolean b) {
        return new OpenOptions(clock, processName, startDaemon && !b, watchChanges, b);
    }
}
