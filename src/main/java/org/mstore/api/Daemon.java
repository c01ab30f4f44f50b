package org.mstore.api;

import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * This process's impurge: one per store at a time, across processes (the purge session lock). Changes of state and
 * task results are published as {@link StoreEvent}s too.
 */
public interface Daemon {
    DaemonStatus status();

    boolean running();

    /**
     * Starts the daemon on a thread of its own. Throws {@link SessionLockedException} when another impurge holds the
     * session lock (unless the window is closed: the lock is then taken when it opens).
     */
    void start(DaemonMode mode);

    /** Stops the daemon after its current task and waits for it. */
    void stop();

    /** Asks the daemon to stop after its current task, and returns at once (a signal handler's way). */
    void requestStop();

    /**
     * Takes the session lock, runs every due entry until none is left, lets go; returns every result, all kept in memory
     * until it returns. For a deep queue, {@code runForeground(DaemonMode.drainAndExit())} with {@link #onResult} does
     * the same without keeping them ({@code impurge --exit-when-empty} does that).
     */
    List<TaskResult> drain();

    /** Runs the daemon on the calling thread until its mode says stop, or {@link #stop} (the CLI's impurge). */
    void runForeground(DaemonMode mode);

    /**
     * Runs the given entries now, forced, whatever the window: by the running daemon, or here under the session lock.
     * Returns their results. {@link SessionLockedException} when another process holds the lock.
     */
    List<TaskResult> runNow(Collection<Long> recnos);

    /** Queues the Clean and Purge tasks the mailboxes' counts call for and that are not pending; returns how many. */
    int sweep();

    /**
     * Pauses or resumes one action for every impurge of the store, whichever process or host it runs in: its entries
     * stay waiting (queued as ever) until it is resumed; Run now still runs them. Kept in {@code store.purge.paused}, so
     * it lasts until resumed. Returns the actions paused now.
     */
    java.util.Set<Action> setPaused(Action action, boolean paused);

    /** The actions impurge leaves waiting ({@code store.purge.paused}). */
    java.util.Set<Action> paused();

    /** Who holds the purge session lock, if anyone (this process included). */
    Optional<String> lockHolder();

    /** Hears every task result of this process's impurge (the CLI prints them). */
    void onResult(Consumer<TaskResult> listener);
}
