package org.mstore.purge;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
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
import org.mstore.fs.CrashPoint;
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
    /** Failed attempts after which an entry is parked (failed) instead of retried: it waits for an administrator. */
    public static final int MAX_ATTEMPTS = 5;

    private final StoreContext ctx;
    private final MailboxService mailboxes;

    public TaskRunner(StoreContext ctx, MailboxService mailboxes) {
        this.ctx = ctx;
        this.mailboxes = mailboxes;
    }

    /** Runs a claimed entry to its end: completed with an outcome, released for a retry, or parked. */
    public TaskResult run(QueueEntry e) {
        try {
            Optional<MailboxInfo> info = ctx.mboxlist().get(e.mailbox());
            SettingsSnapshot s = ctx.settings().snapshot();
            Quick quick = quick(e, info, s);
            if (quick != null) {
                return finish(e, quick.outcome(), quick.detail(), 0);
            }
            return switch (e.action()) {
                case CLEAN -> clean(e, info.get(), s);
                case REMOVE -> remove(e, s);
                case PURGE -> purge(e, info.get(), s);
                case REPAIR -> repair(e, info.get());
            };
        } catch (MailboxFormatException ex) {
            if (e.action() != Action.REPAIR) {
                // logged and a Repair queued (by open(), or here when the task met it later), which runs first: this task
                // waits for it, without counting a failed attempt of its own, and is retried a second after the Repair is due
                MailboxFormatException reported = mailboxes.corrupt(e.mailbox(), ex);
                Optional<QueueEntry> repair = ctx.queue().find(e.mailbox(), Action.REPAIR);
                if (repair.isPresent()) {
                    long repairDue = repair.get().notBefore() == null ? 0 : repair.get().notBefore().toEpochMilli();
                    ctx.queue().postpone(e, reported.getMessage(), Math.max(ctx.now(), repairDue) + 1000);
                    return new TaskResult(e, null, reported.getMessage(), 0);
                }
                // the Repair itself is parked: this task's attempts count, so that it is parked too, not retried for ever
                return failed(e, reported.getMessage(), backoff(e));
            }
            ctx.log().log(PROCESS, "General", LogLevel.ERROR, "Repair of " + e.mailbox() + " failed: " + ex.getMessage());
            return failed(e, ex.getMessage(), backoff(e));
        } catch (IOException | RuntimeException ex) {
            if (ctx.backend().unreachable(ex)) {
                // not the task's failure, and nothing can be written now: the entry stays claimed until its lease runs
                // out or the daemon gives it back (PurgeDaemon waits the outage out); no attempt is counted
                throw ex instanceof RuntimeException re ? re : new java.io.UncheckedIOException((IOException) ex);
            }
            String msg = ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage();
            ctx.log().log(PROCESS, "General", LogLevel.ERROR, e.action().label() + " of " + e.mailbox() + " failed: " + msg);
            return failed(e, msg, backoff(e));
        }
    }

    /** 10 s after the first failure, doubling with each one after it, at most an hour. */
    private static long backoff(QueueEntry e) {
        return Math.min(3_600_000L, 10_000L << Math.min(e.attempts(), 12));
    }

    /**
     * A failed attempt: back to the queue, due again after {@code backoffMillis}; or, at the {@link #MAX_ATTEMPTS}th
     * failure, parked (failed) with its error until an administrator retries or discards it.
     */
    private TaskResult failed(QueueEntry e, String error, long backoffMillis) {
        int attempts = e.attempts() + 1;
        if (attempts >= MAX_ATTEMPTS) {
            ctx.queue().park(e, error);
            ctx.log().log(PROCESS, "General", LogLevel.ERROR, e.action().label() + " of " + e.mailbox() + " (RecNo " + e.recno()
                    + ") failed " + attempts + " times; parked until an administrator retries or discards it: " + error);
            return new TaskResult(after(e, attempts, null, error, QueueEntry.State.FAILED), null, error, 0);
        }
        long notBefore = ctx.now() + backoffMillis;
        ctx.queue().release(e, error, notBefore);
        return new TaskResult(after(e, attempts, Instant.ofEpochMilli(notBefore), error, QueueEntry.State.WAITING), null, error, 0);
    }

    /** The entry as a failed attempt left it (what the result reports). */
    private static QueueEntry after(QueueEntry e, int attempts, Instant notBefore, String error, QueueEntry.State state) {
        return new QueueEntry(e.recno(), e.mailbox(), e.action(), e.timestamp(), e.forced(), e.version() + 1, null, notBefore, attempts,
                error, state, e.reason(), e.queuedBy(), e.queuedAt());
    }

    /** An outcome found without touching the mailbox: dropped (it is gone) or skipped (no longer required). */
    private record Quick(Outcome outcome, String detail) {
    }

    /**
     * The re-check every task makes first (SPEC §4), from the mailbox list alone: dropped when the mailbox no longer
     * exists; unless forced, a Clean skipped when Expunged no longer exceeds {@code store.cleanupsize}, a Purge when the
     * thresholds are no longer met, a Repair when the mailbox was repaired after the request. Null: the task must run.
     */
    private Quick quick(QueueEntry e, Optional<MailboxInfo> info, SettingsSnapshot s) {
        if (info.isEmpty()) {
            return new Quick(Outcome.DROPPED, "mailbox no longer exists");
        }
        if (e.forced()) {
            return null;
        }
        MailboxInfo m = info.get();
        return switch (e.action()) {
            case CLEAN -> s.cleanupDue(m.expunged()) ? null
                    : new Quick(Outcome.SKIPPED, "Expunged " + m.expunged() + " does not exceed store.cleanupsize " + s.cleanupSize());
            // without a cleanup step (SPEC §12) a Purge is due while Expunged exceeds store.cleanupsize
            case PURGE -> !ctx.backend().features().cleanupStep()
                    ? (s.cleanupDue(m.expunged()) ? null
                            : new Quick(Outcome.SKIPPED, "Expunged " + m.expunged() + " does not exceed store.cleanupsize " + s.cleanupSize()))
                    : s.purgeDue(m.cacheRecords(), m.cacheExpunged()) ? null : new Quick(Outcome.SKIPPED, String.format(Locale.ROOT,
                    "%d expunged cache records (%.1f%%) do not exceed store.purge.count %d and store.purge.percentage %s%%",
                    m.cacheExpunged(), m.cacheExpungedPercent(), s.purgeCount(), trim(s.purgePercentage())));
            case REPAIR -> m.lastRepair() != null && m.lastRepair().isAfter(e.timestamp())
                    ? new Quick(Outcome.SKIPPED, "already repaired at " + m.lastRepair() + ", after the request") : null;
            case REMOVE -> null;
        };
    }

    /** What {@link #triage} came to: the entries it finished, and those whose task must run. */
    public record Triage(List<TaskResult> finished, List<QueueEntry> work) {
    }

    /**
     * Settles a batch of claimed entries in one transaction: each is re-checked against the mailbox list as it is in
     * that transaction, and those that are only dropped or skipped are completed there, all at once. The others are
     * returned to be {@link #run} one by one. If the transaction fails, every entry is returned to run on its own.
     */
    public Triage triage(List<QueueEntry> claimed) {
        if (claimed.isEmpty()) {
            return new Triage(List.of(), List.of());
        }
        SettingsSnapshot s = ctx.settings().snapshot();
        try {
            return ctx.meta().transact(tx -> {
                List<TaskResult> finished = new ArrayList<>();
                List<QueueEntry> work = new ArrayList<>();
                for (QueueEntry e : claimed) {
                    Quick q = quick(e, tx.mailbox(e.mailbox()), s);
                    if (q == null) {
                        work.add(e);
                    } else if (tx.complete(e, q.outcome(), q.detail(), 0)) {
                        finished.add(new TaskResult(e, q.outcome(), q.detail(), 0));
                    } else {
                        finished.add(new TaskResult(e, null, "claim lost", 0));
                    }
                }
                return new Triage(finished, work);
            });
        } catch (RuntimeException ex) {
            if (ctx.backend().unreachable(ex)) {
                throw ex; // none of them can run now (see run)
            }
            return new Triage(List.of(), claimed);
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
        try (MailboxHandle mb = mailboxes.openForChange(e.mailbox())) {
            long now = ctx.now();
            String used = mb.clean(ctx.stamp(now));
            // every renamed list waits for a Remove, also one renamed by an earlier run that crashed before queueing it
            List<String> waiting = mb.cleanupStamps();
            long pending = mb.pendingExpunged();
            String detail = used == null ? "nothing to clean" : "store.exp renamed to store.exp." + used
                    + "; files queued for Remove after store.cleanupage " + Setting.Durations.format(s.cleanupAge());
            CrashPoint.hit("task-clean.after-storage");
            ctx.meta().transact(tx -> {
                MailboxInfo cur = current(tx, e.mailbox());
                tx.update(cur.edit().expunged(pending).lastCleanup(Instant.ofEpochMilli(now)).build());
                tx.complete(e, Outcome.DONE, detail, 0);
                if (!waiting.isEmpty()) {
                    tx.enqueue(e.mailbox(), Action.REMOVE, ctx.stampInstant(waiting.get(0)).toEpochMilli(), false,
                            "a Clean renamed store.exp to store.exp." + waiting.get(0), ctx.queuedBy());
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
                    + (r.removedStamps().isEmpty() ? "no due expunge list" : "store.exp." + String.join(", store.exp.", r.removedStamps()))
                    + (r.earlierFiles() == 0 ? "" : "; " + r.earlierFiles() + " more (" + r.earlierBytes()
                    + " bytes) an earlier run of this Remove had deleted before it stopped");
            CrashPoint.hit("task-remove.after-storage");
            ctx.meta().transact(tx -> {
                MailboxInfo cur = current(tx, e.mailbox());
                tx.update(cur.edit().cache(r.counts().records(), r.counts().expunged()).build());
                tx.complete(e, Outcome.DONE, detail, r.bytesReclaimed());
                if (!r.remainingStamps().isEmpty()) {
                    tx.enqueue(e.mailbox(), Action.REMOVE, ctx.stampInstant(r.remainingStamps().get(0)).toEpochMilli(), false,
                            "a Clean renamed store.exp to store.exp." + r.remainingStamps().get(0) + " (left by a Remove: not store.cleanupage "
                                    + "old then)", ctx.queuedBy());
                }
                if (s.purgeDue(r.counts().records(), r.counts().expunged())) {
                    tx.enqueue(e.mailbox(), Action.PURGE, now, false, org.mstore.api.QueueRequest.purgeReason(r.counts().records(),
                            r.counts().expunged(), s.purgeCount(), s.purgePercentage()) + " (after a Remove)", ctx.queuedBy());
                }
                return null;
            });
            ctx.log().log(PROCESS, "General", LogLevel.NOTICE, "removing obsolete files of " + e.mailbox() + ": " + detail);
            return new TaskResult(e, Outcome.DONE, detail, r.bytesReclaimed());
        }
    }

    private TaskResult purge(QueueEntry e, MailboxInfo info, SettingsSnapshot s) throws IOException {
        if (!ctx.backend().features().cleanupStep()) {
            return purgeExpunged(e, info, s);
        }
        try (MailboxHandle mb = mailboxes.open(e.mailbox())) {
            PurgeResult r = mb.purge();
            long now = ctx.now();
            String detail = "cache rewritten: " + r.recordsBefore() + " -> " + r.recordsAfter() + " records, "
                    + r.bytesBefore() + " -> " + r.bytesAfter() + " bytes";
            CrashPoint.hit("task-purge.after-storage");
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
            String waiting = pending > 0 ? pending + " expunged less than store.cleanupage " + Setting.Durations.format(s.cleanupAge()) + " ago wait" : "";
            // nothing purged (all recovered by an unexpunge, or purged by another run, since the Purge was queued or
            // checked; or none due yet): a task with nothing to do is SKIPPED, as the re-check's are, with the reason
            Outcome outcome = purged > 0 || r.bytesReclaimed() > 0 ? Outcome.DONE : Outcome.SKIPPED;
            String detail = outcome == Outcome.DONE
                    ? "purged " + purged + " expunged messages (" + r.bytesReclaimed() + " bytes)" + (waiting.isEmpty() ? "" : "; " + waiting)
                    : pending == 0 ? "nothing to purge: no expunged message is left (recovered or purged since the Purge was queued)"
                    : "nothing to purge yet: " + waiting;
            ctx.meta().transact(tx -> {
                MailboxInfo cur = current(tx, e.mailbox());
                MailboxInfo.Builder b = cur.edit().expunged(pending).cache(r.recordsAfter(), pending);
                tx.update((outcome == Outcome.DONE ? b.lastPurge(Instant.ofEpochMilli(now)) : b).build());
                if (oldest.isPresent() && s.cleanupDue(pending)) {
                    tx.enqueue(e.mailbox(), Action.PURGE, oldest.getAsLong(), false, org.mstore.api.QueueRequest.cleanupReason(pending,
                            s.cleanupSize()) + " (left by a Purge: not store.cleanupage old then)", ctx.queuedBy());
                }
                tx.complete(e, outcome, detail, r.bytesReclaimed());
                return null;
            });
            ctx.log().log(PROCESS, "General", LogLevel.NOTICE, "purging " + e.mailbox() + ": " + detail);
            return new TaskResult(e, outcome, detail, r.bytesReclaimed());
        }
    }

    private TaskResult repair(QueueEntry e, MailboxInfo info) throws IOException {
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
                    + (r.damaged() > 0 ? ", " + r.damaged() + " damaged message files quarantined" : "")
                    + (r.lost() > 0 ? ", " + r.lost() + " indexed messages had no file" : "")
                    + (r.orphans() > 0 ? ", " + r.orphans() + " files of expunged messages queued for removal" : "")
                    + (r.held() > 0 ? ", " + r.held() + " messages held as recoverable, not served (nothing left told whether they "
                            + "were expunged: unexpunge --list)" : "");
            List<String> awaitingRemove = ctx.storage().details(info).awaitingRemove();
            CrashPoint.hit("task-repair.after-storage");
            ctx.meta().transact(tx -> {
                MailboxInfo cur = current(tx, info.name());
                tx.update(cur.edit().nextUid(r.nextUid()).messages(r.messages(), r.bytes()).expunged(r.pendingExpunged())
                        .cache(r.messages(), 0).lastRepair(Instant.ofEpochMilli(started)).build());
                if (entry != null) {
                    tx.complete(entry, Outcome.DONE, detail, 0);
                }
                if (!awaitingRemove.isEmpty()) {
                    // files set aside for removal (a cleanup, or orphans the repair found) must not wait for ever
                    tx.enqueue(info.name(), Action.REMOVE, ctx.stampInstant(awaitingRemove.get(0)).toEpochMilli(), false,
                            "a Repair found files set aside in store.exp." + awaitingRemove.get(0), ctx.queuedBy());
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
