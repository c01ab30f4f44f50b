package org.mstore.engine;

import java.time.Clock;

/**
 * How to open a store.
 *
 * @param clock         the time every rule uses (a settable clock in tests)
 * @param processName   the name this process logs under (impurge, imapd, console...)
 * @param startDaemon   start the impurge daemon when {@code store.purge.enable} is true (the console does)
 * @param watchChanges  publish {@link EngineEvent}s, including changes made by other processes
 * @param readOnly      browse only: every call that would change the store is refused
 */
public record EngineOptions(Clock clock, String processName, boolean startDaemon, boolean watchChanges, boolean readOnly) {
    public EngineOptions(Clock clock, String processName, boolean startDaemon, boolean watchChanges) {
        this(clock, processName, startDaemon, watchChanges, false);
    }

    public static EngineOptions cli(String processName) {
        return new EngineOptions(Clock.systemDefaultZone(), processName, false, false, false);
    }

    public static EngineOptions console(boolean readOnly) {
        return new EngineOptions(Clock.systemDefaultZone(), "console", !readOnly, true, readOnly);
    }

    public EngineOptions withClock(Clock c) {
        return new EngineOptions(c, processName, startDaemon, watchChanges, readOnly);
    }

    public EngineOptions withStartDaemon(boolean b) {
        return new EngineOptions(clock, processName, b, watchChanges, readOnly);
    }

    public EngineOptions withReadOnly(boolean b) {
        return new EngineOptions(clock, processName, startDaemon && !b, watchChanges, b);
    }
}
