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
 * What the console says about one queue entry: why it is queued (the threshold it crossed, with the figures of that
 * moment; a corruption and what was wrong; an administrator's action), whether it was forced since, who queued it and who
 * has it, when it is due, its attempts and last error, and how it ended.
 *
 * <p>The store keeps the reason an entry was queued for, the process that queued it and when ({@link QueueEntry#reason},
 * {@link QueueEntry#queuedBy}, {@link QueueEntry#queuedAt}); forcing it (Run now, X now) keeps them. Where the figures
 * now say impurge will skip the entry, that is said too. An entry queued before the store kept reasons has none: its
 * reason is worked out from the rule that queues its action and the mailbox's figures now, and marked so.
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

    /** As {@link #why(QueueEntry, MailboxInfo, StoreInfo.Features, SettingsSnapshot, java.time.ZoneId)} in UTC. */
    public static String why(QueueEntry e, MailboxInfo m, StoreInfo.Features f, SettingsSnapshot s) {
        return why(e, m, f, s, java.time.ZoneOffset.UTC);
    }

    /**
     * Why {@code e} is in the queue: the reason it was queued for, when and by whom, whether it was forced since, and what
     * the mailbox's figures now change about it ({@code m} null if it is gone). An entry with no stored reason gets the
     * one its action's rule gives with the figures now, marked as such.
     */
    public static String why(QueueEntry e, MailboxInfo m, StoreInfo.Features f, SettingsSnapshot s, java.time.ZoneId zone) {
        if (e.reason() == null) {
            return computed(e, m, f, s) + " (worked out from the mailbox's figures now: the store kept no reason for this entry)";
        }
        StringBuilder b = new StringBuilder(queued(e, zone));
        if (forcedSince(e)) {
            b.append("; forced by an administrator: ").append(e.action() == Action.REMOVE
                    ? "it does not wait for store.cleanupage" : "it runs at once, past the threshold checks");
        }
        if (m == null) {
            b.append(". The mailbox no longer exists: impurge drops the entry (\"mailbox no longer exists\")");
        } else if (e.action() == Action.REPAIR) {
            if (m.lastRepair() != null && m.lastRepair().isAfter(e.timestamp())) {
                b.append(". Already repaired since: impurge will skip it");
            }
        } else if (!e.forced() && s != null && e.action() != Action.REMOVE && !holds(e, m, f, s)) {
            b.append(". Now: ").append(rule(e, m, f, s));
        }
        return b.toString();
    }

    /** The stored reason with when and by whom the entry was queued: "Expunged 150 > store.cleanupsize 100 (queued ... by ...)". */
    private static String queued(QueueEntry e, java.time.ZoneId zone) {
        String when = e.queuedAt() == null ? "" : "queued " + org.mstore.console.Format.when(e.queuedAt(), zone);
        String by = e.queuedBy() == null ? "" : "by " + process(e.queuedBy());
        String both = when.isEmpty() ? by : by.isEmpty() ? when : when + " " + by;
        return both.isEmpty() ? e.reason() : e.reason() + " (" + both + ")";
    }

    /** Forced after it was queued (Run now, or X now on the waiting entry), not queued forced by an administrator's X now. */
    private static boolean forcedSince(QueueEntry e) {
        return e.forced() && e.reason() != null && !requested(e);
    }

    /** Queued by an administrator's Repair, Clean or Purge now. */
    private static boolean requested(QueueEntry e) {
        return org.mstore.api.QueueRequest.adminReason(e.action()).equals(e.reason());
    }

    /** Whether the rule that queues {@code e}'s action holds with the mailbox's figures now. */
    private static boolean holds(QueueEntry e, MailboxInfo m, StoreInfo.Features f, SettingsSnapshot s) {
        return switch (e.action()) {
            case CLEAN -> s.cleanupDue(m.expunged());
            case PURGE -> f.cleanupStep() ? s.purgeDue(m.cacheRecords(), m.cacheExpunged()) : s.cleanupDue(m.expunged());
            default -> true;
        };
    }

    /** A process as a queue entry names it ({@code name[pid]@host}), in words: "a command-line impurge (pid 12) on host". */
    static String process(String name) {
        int at = name.indexOf('@');
        String who = org.mstore.console.Holders.describe(at < 0 ? name : name.substring(0, at));
        if (who.startsWith("this console's impurge")) {
            who = "this console" + who.substring("this console's impurge".length());
        }
        if (at < 0) {
            return who;
        }
        String host = name.substring(at + 1);
        int slash = host.indexOf('/');
        return who + " on " + (slash < 0 ? host : host.substring(0, slash));
    }

    /** Why {@code e} would be in the queue by its action's rule and the mailbox's figures now (the store kept no reason). */
    private static String computed(QueueEntry e, MailboxInfo m, StoreInfo.Features f, SettingsSnapshot s) {
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
        String queued = e.queuedBy() == null ? null : (requested(e) ? "requested by an administrator in " : "queued by ") + process(e.queuedBy());
        if (e.pickedBy() != null) {
            return "running in " + org.mstore.console.Holders.describe(e.pickedBy()) + (queued == null ? "" : "; " + queued);
        }
        if (queued != null) {
            return queued + (forcedSince(e)
                    ? "; forced by an administrator since" : "") + "; not picked yet";
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
        return new EntryDetail(e, why(e, m, f, s, zone), who(e), due, dueText, state(e),
                e.attempts() == 0 ? "none failed" : e.attempts() + " failed", e.lastError() == null ? "-" : e.lastError(), "");
    }

    /** The detail of an entry that has left the queue. */
    public static EntryDetail finished(HistoryEntry h, java.time.ZoneId zone) {
        QueueEntry e = h.entry();
        String how = h.outcome().name().toLowerCase(Locale.ROOT) + " at " + org.mstore.console.Format.when(h.doneAt(), zone)
                + (h.detail() == null || h.detail().isEmpty() ? "" : ": " + h.detail())
                + (h.bytesReclaimed() > 0 ? "; " + org.mstore.console.Format.bytes(h.bytesReclaimed()) + " reclaimed" : "");
        String why = e.reason() != null ? queued(e, zone) + (forcedSince(e)
                ? "; forced by an administrator" : "") : e.forced() ? "Forced by an administrator" : "-";
        return new EntryDetail(e, why, e.queuedBy() == null ? "-" : (requested(e) ? "requested by an administrator in " : "queued by ")
                + process(e.queuedBy()), null, "-", "left the queue",
                e.attempts() == 0 ? "none failed" : e.attempts() + " failed", e.lastError() == null ? "-" : e.lastError(), how);
    }

    private static String trim(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }
}
