package org.mstore.engine;

import java.time.Clock;

/**
 * How to open a store.
 *
 * @param clock         the time every rule uses (a settable clock in tests)
 * @param processName   the name this process logs under (impurge, imapd, console...)
 * @param startDaemon   start the impurge daemon when {@code store.purge.enable} is true (the console does)
 * @param watchChanges  publish {@link EngineEvent}s, including changes made by other processes
 */
public record EngineOptions(Clock clock, String processName, boolean startDaemon, boolean watchChanges) {
    public static EngineOptions cli(String processName) {
        return new EngineOptions(Clock.systemDefaultZone(), processName, false, false);
    }

    public static EngineOptions console() {
        return new EngineOptions(Clock.systemDefaultZone(), "console", true, true);
    }

    public EngineOptions withClock(Clock c) {
        return new EngineOptions(c, processName, startDaemon, watchChanges);
    }

    public EngineOptions withStartDaemon(boolean b) {
        return new EngineOptions(clock, processName, b, watchChanges);
    }

    public EngineOptions withWatchChanges(boolean b) {
        return new EngineOptions(clock, processName, startDaemon, b);
    }
}
