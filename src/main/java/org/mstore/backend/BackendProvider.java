package org.mstore.backend;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;

/**
 * Makes the backends of one kind: found with {@link java.util.ServiceLoader} by the kind a store's configuration
 * names ({@code backend=classic} or {@code backend=cassandra} in {@code <store>/store.conf}).
 */
public interface BackendProvider {
    /** {@code classic}, {@code cassandra}. */
    String kind();

    /**
     * Checks and completes the configuration of a new store of this kind (the options of {@code init}); returns what
     * {@code store.conf} keeps. Throws {@link IllegalArgumentException} naming a bad or missing option.
     */
    Map<String, String> configure(Map<String, String> options);

    /**
     * Checks the options of {@code init} (or of {@code migrate}: {@code migration}) against the storage that the new
     * store's mail is to live in, before anything is made there or in the store's directory, and returns what
     * {@code store.conf} keeps: {@link #configure}'s configuration, completed with what that storage decides already (a
     * store that other hosts share and this one joins: its store-wide options, for those left out). Throws
     * {@link IllegalArgumentException} naming an option that does not fit. By default {@link #configure}: storage of the
     * store's own.
     */
    default Map<String, String> prepare(Map<String, String> options, boolean migration) throws IOException {
        return configure(options);
    }

    /**
     * Opens the backend of the store at {@code root} (its local directory) with its configuration. {@code create} makes
     * what a new store needs (or what a rebuild of a lost mailbox list starts from).
     */
    Backend open(Path root, Map<String, String> config, Clock clock, boolean create) throws IOException;

    /**
     * Opens the backend of an existing store for a read-only open ({@link org.mstore.api.OpenOptions#readOnly}): read-only
     * is enforced in the engine, and that includes the open itself, which must not write to the store's storage what a
     * read-write open would (options not recorded yet, tables an earlier release lacked). By default {@link #open}
     * without {@code create}: a backend whose open writes such things overrides it.
     */
    default Backend openReadOnly(Path root, Map<String, String> config, Clock clock) throws IOException {
        return open(root, config, clock, false);
    }

    /**
     * Makes the backend of a new store that {@code migrate} fills ({@code madeBy}: "migrate from SOURCE"), as
     * {@link #open} with {@code create} does. A backend whose mail lives outside {@code root}, where other hosts may
     * join it, records there that the store is unfinished, before anything is copied, until
     * {@link Backend#finishMigration}: meanwhile every host's {@code init} and open of it is refused. It refuses
     * storage that already holds a store, or another migration.
     */
    default Backend createForMigration(Path root, Map<String, String> config, Clock clock, String madeBy) throws IOException {
        return open(root, config, clock, true);
    }

    /** Whether its stores take messages with the UIDs they had ({@link MailboxHandle#restore}): what {@code migrate} copies into. */
    default boolean takesMessagesWithUids() {
        return false;
    }
}
