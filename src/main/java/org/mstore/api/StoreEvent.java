package org.mstore.api;

import java.util.List;
import java.util.Set;

/**
 * What a store tells its listeners (the console, the protocol servers). Queue and mailbox events come from the
 * store's shared metadata, so they include changes made by other processes (a CLI, {@code simulate}, another
 * impurge); {@link MessagesChanged} is published at once to listeners in the process that made the change.
 */
public sealed interface StoreEvent {
    /**
     * New pending entries, in RecNo order. {@code seqs} (one per entry, or null when not known) are the change-feed
     * sequences of the changes that added them: a count read with {@link QueueCounts#seq} already includes an entry whose
     * sequence is at or below it (see {@link #seq}).
     */
    record EntriesAdded(List<QueueEntry> entries, long[] seqs) implements StoreEvent {
        public EntriesAdded(List<QueueEntry> entries) {
            this(entries, null);
        }

        /** The change-feed sequence of entry {@code i}'s change, or {@link #UNKNOWN}. */
        public long seq(int i) {
            return seqs == null ? UNKNOWN : seqs[i];
        }
    }

    /** Entries that left the queue (done, skipped, dropped, removed or discarded); {@code seqs} as in {@link EntriesAdded}. */
    record EntriesDone(List<HistoryEntry> entries, long[] seqs) implements StoreEvent {
        public EntriesDone(List<HistoryEntry> entries) {
            this(entries, null);
        }

        /** The change-feed sequence of entry {@code i}'s change, or {@link #UNKNOWN}. */
        public long seq(int i) {
            return seqs == null ? UNKNOWN : seqs[i];
        }
    }

    /**
     * Pending entries whose state changed (claimed, released for a retry, failed and parked, retried, forced);
     * {@code seqs} as in {@link EntriesAdded}.
     */
    record EntriesChanged(List<QueueEntry> entries, long[] seqs) implements StoreEvent {
        public EntriesChanged(List<QueueEntry> entries) {
            this(entries, null);
        }

        /** The change-feed sequence of entry {@code i}'s change, or {@link #UNKNOWN}. */
        public long seq(int i) {
            return seqs == null ? UNKNOWN : seqs[i];
        }
    }

    /** The sequence of a change not read from the change feed: newer than any count. */
    long UNKNOWN = Long.MAX_VALUE;

    /**
     * {@code e} with every entry's change-feed sequence set to {@code seq} (the feed's {@code Change(seq, event)}); other
     * events as they are.
     */
    static StoreEvent sequenced(StoreEvent e, long seq) {
        if (e instanceof EntriesAdded a) {
            return new EntriesAdded(a.entries(), filled(a.entries().size(), seq));
        }
        if (e instanceof EntriesDone d) {
            return new EntriesDone(d.entries(), filled(d.entries().size(), seq));
        }
        if (e instanceof EntriesChanged c) {
            return new EntriesChanged(c.entries(), filled(c.entries().size(), seq));
        }
        return e;
    }

    private static long[] filled(int n, long seq) {
        long[] out = new long[n];
        java.util.Arrays.fill(out, seq);
        return out;
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
