package org.mstore.purge;

import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import org.mstore.api.Action;
import org.mstore.api.LogLevel;
import org.mstore.api.MailboxFormatException;
import org.mstore.api.MailboxInfo;
import org.mstore.api.NoSuchMailboxException;
import org.mstore.api.Outcome;
import org.mstore.api.QueueEntry;
import org.mstore.api.Setting;
import org.mstore.api.SettingsSnapshot;
import org.mstore.api.TaskResult;
import org.mstore.backend.MailboxHandle;
import org.mstore.backend.PurgeResult;
import org.mstore.backend.RemoveResult;
import org.mstore.backend.RepairResult;
import org.mstore.mailbox.MailboxService;
import org.mstore.mailbox.StoreContext;

/**
 * The four task handlers (SPEC §4). Each re-checks whether its task is still required (unless the entry was forced by
 * an administrator), acts, and completes the entry in the same transaction that records the effect in the mailbox
 * list, after the effect in storage is durable and while the mailbox is still locked. Every handler is idempotent: a
 * re-run after a crash finds the work done, or finishes it.
 */
public final class TaskRunner {
    static final String PROCESS = "impurge";

    private final StoreContext ctx;
    private final MailboxService mailboxes;

    public TaskRunner(StoreContext ctx, MailboxService mailboxes) {
        this.ctx = ctx;
        this.mailboxes = mailboxes;
    }

    /** Runs a claimed entry to its end: completed with an outcome, or released for a retry. */
    public TaskResult run(QueueEntry e) {
        try {
            Optional<MailboxInfo> info = ctx.mboxlist().get(e.mailbox());
            if (info.isEmpty()) {
                return finish(e, Outcome.DROPPED, "mailbox no longer exists", 0);
            }
            SettingsSnapshot s = ctx.settings().snapshot();
            return switch (e.action()) {
                case CLEAN -> clean(e, info.get(), s);
                case REMOVE -> remove(e, s);
                case PURGE -> purge(e, info.get(), s);
                case REPAIR -> repair(e, info.get());
            };
        } catch (MailboxFormatException ex) {
            // logged and a Repair queued (by open(), or here when the task met it later), which runs first; retry after it
            MailboxFormatException reported = e.action() == Action.REPAIR ? ex : mailboxes.corrupt(e.mailbox(), ex);
            ctx.queue().release(e, reported.getMessage(), ctx.now() + 1000);
            return new TaskResult(e, null, reported.getMessage(), 0);
        } catch (IOException | RuntimeException ex) {
            String msg = ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage();
            ctx.log().log(PROCESS, "General", LogLevel.ERROR, e.action().label() + " of " + e.mailbox() + " failed: " + msg);
            long backoff = Math.min(3_600_000L, 10_000L << Math.min(e.attempts(), 12));
            ctx.queue().release(e, msg, ctx.now() + backoff);
            return new TaskResult(e, null, msg, 0);
        }
    }

    private TaskResult finish(QueueEntry e, Outcome outcome, String detail, long bytes) {
        boolean done = ctx.meta().transact(tx -> tx.complete(e, outcome, detail, bytes));
        return done ? new TaskResult(e, outcome, detail, bytes) : new TaskResult(e, null, "claim lost", 0);
    }

    private static MailboxInfo current(org.mstore.backend.MetaTx tx, String name) {
        return tx.mailbox(name).orElseThrow(() -> new NoSuchMailboxException(name));
    }

    private TaskResult clean(QueueEntry e, MailboxInfo info, SettingsSnapshot s) throws IOException {
        if (!e.forced() && !s.cleanupDue(info.expunged())) {
            return finish(e, Outcome.SKIPPED, "Expunged " + info.expunged() + " does not exceed store.cleanupsize " + s.cleanupSize(), 0);
        }
        try (MailboxHandle mb = mailboxes.open(e.mailbox())) {
            long now = ctx.now();
            String used = mb.clean(ctx.stamp(now));
            // every renamed list waits for a Remove, also one renamed by an earlier run that crashed before queueing it
            List<String> waiting = mb.cleanupStamps();
            long pending = mb.pendingExpunged();
            String detail = used == null ? "nothing to clean" : "store.exp renamed to store.exp." + used
                    + "; files queued for Remove after store.cleanupage " + Setting.Durations.format(s.cleanupAge());
            ctx.meta().transact(tx -> {
                MailboxInfo cur = current(tx, e.mailbox());
                tx.update(cur.edit().expunged(pending).lastCleanup(Instant.ofEpochMilli(now)).build());
                tx.complete(e, Outcome.DONE, detail, 0);
                if (!waiting.isEmpty()) {
                    tx.enqueue(e.mailbox(), Action.REMOVE, ctx.stampInstant(waiting.get(0)).toEpochMilli(), false);
                }
                return null;
            });
            ctx.log().log(PROCESS, "General", LogLevel.NOTICE, "cleaning up " + e.mailbox() + ": " + detail);
            return new TaskResult(e, Outcome.DONE, detail, 0);
        }
    }

    private TaskResult remove(QueueEntry e, SettingsSnapshot s) throws IOException {
        long now = ctx.now();
        long age = s.cleanupAge().toMillis();
        try (MailboxHandle mb = mailboxes.open(e.mailbox())) {
            RemoveResult r = mb.remove(stamp -> e.forced() || ctx.stampInstant(stamp).toEpochMilli() + age <= now);
            String detail = "removed " + r.files() + " message files (" + r.bytes() + " bytes) from "
                    + (r.removedStamps().isEmpty() ? "no due expunge list" : "store.exp." + String.join(", store.exp.", r.removedStamps()));
            ctx.meta().transact(tx -> {
                MailboxInfo cur = current(tx, e.mailbox());
                tx.update(cur.edit().cache(r.counts().records(), r.counts().expunged()).build());
                tx.complete(e, Outcome.DONE, detail, r.bytes());
                if (!r.remainingStamps().isEmpty()) {
                    tx.enqueue(e.mailbox(), Action.REMOVE, ctx.stampInstant(r.remainingStamps().get(0)).toEpochMilli(), false);
                }
                if (s.purgeDue(r.counts().records(), r.counts().expunged())) {
                    tx.enqueue(e.mailbox(), Action.PURGE, now, false);
                }
                return null;
            });
            ctx.log().log(PROCESS, "General", LogLevel.NOTICE, "removing obsolete files of " + e.mailbox() + ": " + detail);
            return new TaskResult(e, Outcome.DONE, detail, r.bytes());
        }
    }

    private TaskResult purge(QueueEntry e, MailboxInfo info, SettingsSnapshot s) throws IOException {
        if (!ctx.backend().features().cleanupStep()) {
            return purgeExpunged(e, info, s);
        }
        if (!e.forced() && !s.purgeDue(info.cacheRecords(), info.cacheExpunged())) {
            return finish(e, Outcome.SKIPPED, String.format(Locale.ROOT,
                    "%d expunged cache records (%.1f%%) do not exceed store.purge.count %d and store.purge.percentage %s%%",
                    info.cacheExpunged(), info.cacheExpungedPercent(), s.purgeCount(), trim(s.purgePercentage())), 0);
        }
        try (MailboxHandle mb = mailboxes.open(e.mailbox())) {
            PurgeResult r = mb.purge();
            long now = ctx.now();
            String detail = "cache rewritten: " + r.recordsBefore() + " -> " + r.recordsAfter() + " records, "
                    + r.bytesBefore() + " -> " + r.bytesAfter() + " bytes";
            ctx.meta().transact(tx -> {
                MailboxInfo cur = current(tx, e.mailbox());
                tx.update(cur.edit().cache(r.recordsAfter(), 0).lastPurge(Instant.ofEpochMilli(now)).build());
                tx.complete(e, Outcome.DONE, detail, r.bytesReclaimed());
                return null;
            });
            ctx.log().log(PROCESS, "General", LogLevel.NOTICE, "purging " + e.mailbox() + ": " + detail);
            return new TaskResult(e, Outcome.DONE, detail, r.bytesReclaimed());
        }
    }

    /**
     * Purge on a store without a cleanup step (SPEC §12: past {@code store.cleanupsize} the mailbox goes straight to
     * Purge, always deferred): skipped if Expunged no longer exceeds {@code store.cleanupsize}; deletes the records and
     * bytes of the messages expunged at least {@code store.cleanupage} ago (all of them if forced); the others, if they
     * still exceed {@code store.cleanupsize}, get a Purge due when the oldest of them is. The follow-up is queued before
     * this entry completes, so that a crash between the two loses nothing.
     */
    private TaskResult purgeExpunged(QueueEntry e, MailboxInfo info, SettingsSnapshot s) throws IOException {
        if (!e.forced() && !s.cleanupDue(info.expunged())) {
            return finish(e, Outcome.SKIPPED, "Expunged " + info.expunged() + " does not exceed store.cleanupsize " + s.cleanupSize(), 0);
        }
        try (MailboxHandle mb = mailboxes.open(e.mailbox())) {
            long now = ctx.now();
            PurgeResult r = mb.purgeExpunged(e.forced() ? Long.MAX_VALUE : now - s.cleanupAge().toMillis());
            long pending = mb.pendingExpunged();
            java.util.OptionalLong oldest = pending > 0 ? mb.oldestExpunged() : java.util.OptionalLong.empty();
            long purged = r.recordsBefore() - r.recordsAfter();
            String detail = "purged " + purged + " expunged messages (" + r.bytesReclaimed() + " bytes)"
                    + (pending > 0 ? "; " + pending + " expunged less than store.cleanupage " + Setting.Durations.format(s.cleanupAge()) + " ago wait" : "");
            ctx.meta().transact(tx -> {
                MailboxInfo cur = current(tx, e.mailbox());
                tx.update(cur.edit().expunged(pending).cache(r.recordsAfter(), pending).lastPurge(Instant.ofEpochMilli(now)).build());
                if (oldest.isPresent() && s.cleanupDue(pending)) {
                    tx.enqueue(e.mailbox(), Action.PURGE, oldest.getAsLong(), false);
                }
                tx.complete(e, Outcome.DONE, detail, r.bytesReclaimed());
                return null;
            });
            ctx.log().log(PROCESS, "General", LogLevel.NOTICE, "purging " + e.mailbox() + ": " + detail);
            return new TaskResult(e, Outcome.DONE, detail, r.bytesReclaimed());
        }
    }

    private TaskResult repair(QueueEntry e, MailboxInfo info) throws IOException {
        if (!e.forced() && info.lastRepair() != null && info.lastRepair().isAfter(e.timestamp())) {
            return finish(e, Outcome.SKIPPED, "already repaired at " + info.lastRepair() + ", after the request", 0);
        }
        String detail = rebuild(info, PROCESS, e);
        return new TaskResult(e, Outcome.DONE, detail, 0);
    }

    /**
     * Repairs a mailbox now, outside the queue ({@code reconstruct}): the same rebuild as a queued Repair, under the same
     * mailbox lock. A waiting Repair entry is then skipped, having been repaired after it.
     */
    public String repairNow(String mailbox, String process) throws IOException {
        return rebuild(mailboxes.info(mailbox), process, null);
    }

    /**
     * Rebuilds under the mailbox lock and records the result in the mailbox list before letting go of the lock, so that
     * an append waiting for the lock updates the new counts, not the old ones. The repair time recorded is when the
     * rebuild began: a corruption reported after that is newer than this repair and runs again.
     */
    private String rebuild(MailboxInfo info, String process, QueueEntry entry) throws IOException {
        ctx.log().log(process, "General", LogLevel.NOTICE, "repairing " + info.name());
        try (AutoCloseable lock = ctx.storage().lock(info)) {
            long started = ctx.now();
            RepairResult r = ctx.storage().rebuild(info, started);
            for (String note : r.notes()) {
                ctx.log().log(process, "Store", LogLevel.WARNING, info.name() + ": " + note);
            }
            String detail = "rebuilt index and cache: " + r.messages() + " messages"
                    + (r.damaged() > 0 ? ", " + r.damaged() + " damaged files left out" : "")
                    + (r.lost() > 0 ? ", " + r.lost() + " indexed messages had no file" : "")
                    + (r.orphans() > 0 ? ", " + r.orphans() + " files of expunged messages queued for removal" : "");
            List<String> awaitingRemove = ctx.storage().details(info).awaitingRemove();
            ctx.meta().transact(tx -> {
                MailboxInfo cur = current(tx, info.name());
                tx.update(cur.edit().nextUid(r.nextUid()).messages(r.messages(), r.bytes()).expunged(r.pendingExpunged())
                        .cache(r.messages(), 0).lastRepair(Instant.ofEpochMilli(started)).build());
                if (entry != null) {
                    tx.complete(entry, Outcome.DONE, detail, 0);
                }
                if (!awaitingRemove.isEmpty()) {
                    // files set aside for removal (a cleanup, or orphans the repair found) must not wait for ever
                    tx.enqueue(info.name(), Action.REMOVE, ctx.stampInstant(awaitingRemove.get(0)).toEpochMilli(), false);
                }
                return null;
            });
            return detail;
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException(e);
        }
    }

    private static String trim(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }
}
