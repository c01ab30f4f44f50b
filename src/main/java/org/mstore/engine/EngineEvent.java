package org.mstore.engine;

import java.util.List;
import java.util.Set;

import org.mstore.api.HistoryEntry;
import org.mstore.api.QueueEntry;
import org.mstore.purge.PurgeDaemon;

/**
 * What the engine tells its listeners (the console). Queue and mailbox events come from the store's
 * database, so they include changes made by other processes (a CLI, {@code simulate}, another impurge).
 */
public sealed interface EngineEvent {
    /** New pending entries, in RecNo order. */
    record EntriesAdded(List<QueueEntry> entries) implements EngineEvent {
    }

    /** Entries that left the queue (done, skipped, dropped or removed). */
    record EntriesDone(List<HistoryEntry> entries) implements EngineEvent {
    }

    /** Mailboxes whose metadata changed, or that were created or deleted. */
    record MailboxesChanged(Set<String> names) implements EngineEvent {
    }

    /** Settings changed (here or in another process). */
    record SettingsChanged(Set<String> keys) implements EngineEvent {
    }

    /** The in-process impurge daemon's state changed. */
    record DaemonChanged(PurgeDaemon.Status status) implements EngineEvent {
    }
}
