package org.mstore.backend;

import java.nio.file.Path;

import org.mstore.api.StoreInfo;

/** Where one store's mail and metadata live: the parts the rules are written against. */
public interface Backend extends AutoCloseable {
    /** {@code classic} or {@code cassandra}. */
    String kind();

    StoreInfo.Features features();

    /** Where the mail lives, for people. */
    String location();

    /** The store's local directory: configuration, the default log, host-local locks (the purge session lock). */
    Path localDir();

    MailboxDirectory mailboxList();

    QueueStore queue();

    SettingsStore settings();

    MessageStorage storage();

    Metadata metadata();

    /** What changed in the shared metadata since a point, for events about other processes' changes. */
    ChangeFeed changes();

    /** The mail users and their subscriptions (see {@link UserStore} for the contract). */
    default UserStore users() {
        throw new UnsupportedOperationException("the " + kind() + " backend keeps no mail users yet");
    }

    /** The protocol servers' sessions (see {@link SessionStore} for the contract). */
    default SessionStore sessions() {
        throw new UnsupportedOperationException("the " + kind() + " backend keeps no sessions yet");
    }

    /** The space held back for impurge on the disk of the store's files (see {@link SpaceReserve}); none for a remote store. */
    default java.util.Optional<SpaceReserve> spaceReserve() {
        return java.util.Optional.empty();
    }

    /**
     * True when {@code e} (or an exception in its cause chain) says that the store cannot be reached for now — no node
     * answered, or not enough of them — rather than that the operation itself is wrong: what a long-running process
     * (impurge, simulate) waits out and retries. False by default: a local store has no outage to wait for (the classic
     * backend's H2 owner hand-over retries on its own).
     */
    default boolean unreachable(Throwable e) {
        return false;
    }

    /**
     * Marks a store that {@code migrate} filled as finished (the copy was verified equal), where its mail is: a backend
     * made by {@link BackendProvider#createForMigration} deletes the mark it wrote there, so that every host may join
     * and open the store from now on. Nothing to do for any other (its only mark is the store directory's
     * {@code init.incomplete}, which the engine deletes after this).
     */
    default void finishMigration() throws java.io.IOException {
    }

    /**
     * Where the backend says what happens outside any command (a Cassandra store's lease renewals failing during an
     * outage, and working again): the store's log, under the process's name. Until it is given, the backend's own logger.
     */
    default void logTo(java.util.function.BiConsumer<org.mstore.api.LogLevel, String> log) {
    }

    @Override
    void close();
}
