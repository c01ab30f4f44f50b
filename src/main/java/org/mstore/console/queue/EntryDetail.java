package org.mstore.console.queue;

import java.time.Instant;
import java.util.Locale;

import org.mstore.api.Action;
import org.mstore.api.HistoryEntry;
import org.mstore.api.MailboxInfo;
import org.mstore.api.QueueEntry;
import org.mstore.api.SettingsSnapshot;
import org.mstore.api.StoreInfo;

/**
 * What the console says about one queue entry: why it is queued (the threshold it crossed, with the figures now; a
 * corruption; an administrator forcing it), who has it, when it is due, its attempts and last error, and how it ended.
 *
 * <p>The store keeps no "reason" column: the reason is read from the rule that queues each action and the mailbox's
 * figures as they are now, which are the figures impurge re-checks before it acts (SPEC §4).
 */
public record EntryDetail(QueueEntry entry, String why, String who, Instant due, String dueText, String state, String attempts,
                          String lastError, String finished) {

    /**
     * When the entry is due: a back-off's end, else by the store's rule ({@link StoreInfo.Features#due}: for a Remove, or
     * on a store without a cleanup step a Purge, its timestamp plus {@code store.cleanupage}), else at once.
     */
    public static Instant due(QueueEntry e, StoreInfo.Features f, SettingsSnapshot s) {
        if (e.notBefore() != null) {
            return e.notBefore();
        }
        return s == null ? e.timestamp() : f.due(e, s.cleanupAge());
    }

    /** Why {@code e} is in the queue, in the seed's terms, with the mailbox's figures now ({@code m} null if it is gone). */
    public static String why(QueueEntry e, MailboxInfo m, StoreInfo.Features f, SettingsSnapshot s) {
        if (m == null) {
            return "The mailbox no longer exists: impurge drops the entry (\"mailbox no longer exists\")";
        }
        if (e.forced()) {
            // forced by Repair/Clean/Purge now, or by Run now on an entry the rules queued: the store does not record
            // which, so the rule is named too where its figures hold now
            if (e.action() == Action.REMOVE) { // only a Clean queues a Remove
                return "Forced by an administrator (Run now): it does not wait for store.cleanupage. " + rule(e, m, f, s);
            }
            boolean holds = s != null && switch (e.action()) {
                case CLEAN -> s.cleanupDue(m.expunged());
                case PURGE -> f.cleanupStep() ? s.purgeDue(m.cacheRecords(), m.cacheExpunged()) : s.cleanupDue(m.expunged());
                default -> false;
            };
            return "Forced by an administrator (" + e.action().label() + " now, or Run now): it runs at once, past the threshold checks"
                    + (holds ? ". The store's rule holds too: " + rule(e, m, f, s) : "");
        }
        return rule(e, m, f, s);
    }

    /** Why the store's rules queue {@code e}'s action, with the mailbox's figures now. */
    private static String rule(QueueEntry e, MailboxInfo m, StoreInfo.Features f, SettingsSnapshot s) {
        if (e.action() == Action.PURGE && !f.cleanupStep()) {
            // a store without a cleanup step (Cassandra): an expunge past store.cleanupsize queues a Purge, deferred
            return (s == null ? "Expunged " + m.expunged() + " past store.cleanupsize"
                    : "Expunged " + m.expunged() + (s.cleanupDue(m.expunged()) ? " > " : " (now within) ") + "store.cleanupsize "
                    + s.cleanupSize() + (s.cleanupDue(m.expunged()) ? "" : ": impurge will skip it"))
                    + ". The store has no Clean step: the Purge deletes the messages expunged at least store.cleanupage ago";
        }
        return switch (e.action()) {
            case CLEAN -> s == null ? "Expunged " + m.expunged() + " past store.cleanupsize"
                    : "Expunged " + m.expunged() + (s.cleanupDue(m.expunged()) ? " > " : " (now within) ") + "store.cleanupsize "
                    + s.cleanupSize() + (s.cleanupDue(m.expunged()) ? "" : ": impurge will skip it");
            case PURGE -> s == null ? m.cacheExpunged() + " expunged cache records"
                    : String.format(Locale.ROOT, "Expunged cache records %d > store.purge.count %d and %.1f%% > store.purge.percentage %s%%",
                    m.cacheExpunged(), s.purgeCount(), m.cacheExpungedPercent(), trim(s.purgePercentage()))
                    + (s.purgeDue(m.cacheRecords(), m.cacheExpunged()) ? "" : " (no longer met: impurge will skip it)");
            case REPAIR -> "A corruption found when the mailbox was opened or checked (self-healing; the log line "
                    + "\"Store Error: " + e.mailbox() + ": Mailbox has an invalid format; repair requested\" says what)"
                    + (m.lastRepair() != null && m.lastRepair().isAfter(e.timestamp()) ? "; already repaired since: impurge will skip it" : "");
            case REMOVE -> "A Clean renamed store.exp: the expunged messages' files are removed once store.cleanupage has passed "
                    + "(a grace period for clients that still hold an old view)";
        };
    }

    /** Who has the entry: the impurge running it, or nobody yet. */
    public static String who(QueueEntry e) {
        if (e.pickedBy() != null) {
            return "running in " + org.mstore.console.Holders.describe(e.pickedBy());
        }
        return e.forced() ? "forced by an administrator (console or command line); not picked yet" : "queued by the store's rules; not picked yet";
    }

    public static String state(QueueEntry e) {
        return switch (e.state()) {
            case WAITING -> e.attempts() > 0 ? "waiting to be retried" : "waiting";
            case RUNNING -> "running";
            case FAILED -> "failed " + e.attempts() + " times: parked until an administrator retries or discards it";
        };
    }

    /** The detail of a pending or parked entry. */
    public static EntryDetail of(QueueEntry e, MailboxInfo m, StoreInfo.Features f, SettingsSnapshot s, Instant now,
                                 java.time.ZoneId zone) {
        Instant due = due(e, f, s);
        String dueText = e.parked() ? "not until it is retried"
                : !due.isAfter(now) ? "now (due since " + org.mstore.console.Format.when(due, zone) + ")"
                : org.mstore.console.Format.when(due, zone) + " (in " + org.mstore.console.Format.duration(java.time.Duration.between(now, due)) + ")";
        return new EntryDetail(e, why(e, m, f, s), who(e), due, dueText, state(e),
                e.attempts() == 0 ? "none failed" : e.attempts() + " failed", e.lastError() == null ? "-" : e.lastError(), "");
    }

    /** The detail of an entry that has left the queue. */
    public static EntryDetail finished(HistoryEntry h, java.time.ZoneId zone) {
        QueueEntry e = h.entry();
        String how = h.outcome().name().toLowerCase(Locale.ROOT) + " at " + org.mstore.console.Format.when(h.doneAt(), zone)
                + (h.detail() == null || h.detail().isEmpty() ? "" : ": " + h.detail())
                + (h.bytesReclaimed() > 0 ? "; " + org.mstore.console.Format.bytes(h.bytesReclaimed()) + " reclaimed" : "");
        return new EntryDetail(e, e.forced() ? "Forced by an administrator" : "-", "-", null, "-", "left the queue",
                e.attempts() == 0 ? "none failed" : e.attempts() + " failed", e.lastError() == null ? "-" : e.lastError(), how);
    }

    private static String trim(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }
}
