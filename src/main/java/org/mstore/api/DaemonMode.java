package org.mstore.api;

import java.time.LocalTime;

/** How long the impurge daemon runs. */
public record DaemonMode(boolean exitOnEmpty, LocalTime until) {
    /** Until stopped; follows {@code store.purge.window} and {@code store.purge.exitwhenempty}. */
    public static DaemonMode daemon() {
        return new DaemonMode(false, null);
    }

    public static DaemonMode drainAndExit() {
        return new DaemonMode(true, null);
    }

    public static DaemonMode until(LocalTime end, boolean exitWhenEmpty) {
        return new DaemonMode(exitWhenEmpty, end);
    }

    /** True in daemon mode, which follows the window setting. */
    public boolean followsWindow() {
        return !exitOnEmpty && until == null;
    }
}
