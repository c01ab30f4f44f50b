package org.mstore.api;

import java.time.Clock;
import java.util.function.Consumer;

/**
 * One open message store, whatever its backend: everything the commands, the console and the protocol servers may
 * call. Open one with {@link Stores}. Calls block and may do I/O: never call them on a UI thread.
 */
public interface MessageStore extends AutoCloseable {
    StoreInfo info();

    /** The time every rule of this store uses. */
    Clock clock();

    Mailboxes mailboxes();

    Queue queue();

    Settings settings();

    Daemon daemon();

    Maintenance maintenance();

    /** The mail users and their subscriptions. */
    Users users();

    /** The protocol servers' connected sessions. */
    Sessions sessions();

    /** Writes one line to the default log under this process's name and pid (SPEC §7). */
    void log(String category, LogLevel level, String message);

    /** Subscribes to events; they arrive on store threads. Closing the result unsubscribes. */
    AutoCloseable subscribe(Consumer<StoreEvent> listener);

    /** Publishes what changed in the shared metadata now, instead of at the next poll. */
    void pollChanges();

    /**
     * True when {@code e} says that the store cannot be reached for now (a Cassandra store with no node answering), so
     * that the operation may succeed if tried again later; false for every other error.
     */
    default boolean unreachable(Throwable e) {
        return false;
    }

    /** Stops the daemon after its current task and closes the store. */
    @Override
    void close();
}
