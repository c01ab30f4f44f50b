package org.mstore.api;

import java.util.List;
import java.util.Set;

/**
 * What a store tells its listeners (the console, the protocol servers). Queue and mailbox events come from the
 * store's shared metadata, so they include changes made by other processes (a CLI, {@code simulate}, another
 * impurge); {@link MessagesChanged} is published at once to listeners in the process that made the change.
 */
public sealed interface StoreEvent {
    /** New pending entries, in RecNo order. */
    record EntriesAdded(List<QueueEntry> entries) implements StoreEvent {
    }

    /** Entries that left the queue (done, skipped, dropped, removed or discarded). */
    record EntriesDone(List<HistoryEntry> entries) implements StoreEvent {
    }

    /** Pending entries whose state changed (claimed, released for a retry, failed and parked, retried, forced). */
    record EntriesChanged(List<QueueEntry> entries) implements StoreEvent {
    }

    /** Mailboxes whose metadata changed, or that were created or deleted. */
    record MailboxesChanged(Set<String> names) implements StoreEvent {
    }

    /**
     * Messages of one mailbox changed in this process: flags set or cleared ({@code changed}, with their new flags) or
     * messages expunged ({@code expunged} UIDs). Sessions that have the mailbox open hear it at once.
     */
    record MessagesChanged(String mailbox, List<MessageRecord> changed, int[] expunged) implements StoreEvent {
    }

    /** Settings changed (here or in another process). */
    record SettingsChanged(Set<String> keys) implements StoreEvent {
    }

    /** The in-process impurge daemon's state changed. */
    record DaemonChanged(DaemonStatus status) implements StoreEvent {
    }

    /** A task finished or failed in this process's impurge. */
    record TaskFinished(TaskResult result) implements StoreEvent {
    }
}
