package org.mstore.purge;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;

import org.mstore.api.Action;
import org.mstore.api.LogLevel;
import org.mstore.api.MailboxFormatException;
import org.mstore.api.MailboxInfo;
import org.mstore.api.Outcome;
import org.mstore.api.QueueEntry;
import org.mstore.api.TaskResult;
import org.mstore.config.StoreSettings;
import org.mstore.mailbox.MailboxService;
import org.mstore.mailbox.StoreContext;
import org.mstore.store.ExpungeFile;
import org.mstore.store.Mailbox;
import org.mstore.store.MailboxLocks;

/**
 * The four task handlers (SPEC §4). Each re-checks whether its task is still required (unless the entry
 * was forced by an administrator), acts, and completes the entry in the same transaction that records the
 * effect in the mboxlist, after the effect on disk is durable. Every handler is idempotent: a re-run after a
 * crash finds the work done, or finishes it.
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
            StoreSettings.Snapshot s = ctx.settings().snapshot();
            return switch (e.action()) {
                case CLEAN -> clean(e, info.get(), s);
                case REMOVE -> remove(e, info.get(), s);
                case PURGE -> purge(e, info.get(), s);
                case REPAIR -> repair(e, info.get());
            };
        } catch (MailboxFormatException ex) {
            // logged and a Repair queued (by open(), or here when the task met it later), which runs first; retry after it
            MailboxFormatException reported = e.action() == Action.REPAIR ? ex : mailboxes.reported(e.mailbox(), ex);
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
        long now = ctx.now();
        boolean done = ctx.db().inTransaction(c -> ctx.queue().complete(c, e, outcome, detail, bytes, now));
        notifyQueue();
        return done ? new TaskResult(e, outcome, detail, bytes) : new TaskResult(e, null, "claim lost", 0);
    }

    private TaskResult clean(QueueEntry e, MailboxInfo info, StoreSettings.Snapshot s) throws IOException {
        if (!e.forced() && !s.cleanupDue(info.expunged())) {
            return finish(e, Outcome.SKIPPED, "Expunged " + info.expunged() + " does not exceed store.cleanupsize " + s.cleanupSize(), 0);
        }
        try (Mailbox mb = mailboxes.open(e.mailbox())) {
            long now = ctx.now();
            String used = mb.clean(ctx.stamp(now));
            // every renamed list waits for a Remove, also one renamed by an earlier run that crashed before queueing it
            java.util.List<String> waiting = mb.cleanupStamps();
            long pending = mb.pendingExpunged();
            String detail = used == null ? "nothing to clean" : "store.exp renamed to store.exp." + used
                    + "; files queued for Remove after store.cleanupage " + org.mstore.api.Setting.Durations.format(s.cleanupAge());
            ctx.db().inTransaction(c -> {
                MailboxInfo cur = ctx.mboxlist().get(c, e.mailbox()).orElseThrow();
                ctx.mboxlist().update(c, cur.edit().expunged(pending).lastCleanup(Instant.ofEpochMilli(now)).build(), now);
                ctx.queue().complete(c, e, Outcome.DONE, detail, 0, now);
                if (!waiting.isEmpty()) {
                    ctx.queue().enqueue(c, e.mailbox(), Action.REMOVE, ctx.stampInstant(waiting.get(0)).toEpochMilli(), false);
                }
                return null;
            });
            notifyQueue();
            ctx.log().log(PROCESS, "General", LogLevel.NOTICE, "cleaning up " + e.mailbox() + ": " + detail);
            return new TaskResult(e, Outcome.DONE, detail, 0);
        }
    }

    private TaskResult remove(QueueEntry e, MailboxInfo info, StoreSettings.Snapshot s) throws IOException {
        long now = ctx.now();
        long age = s.cleanupAge().toMillis();
        try (Mailbox mb = mailboxes.open(e.mailbox())) {
            Mailbox.RemoveResult r = mb.remove(stamp -> e.forced() || ctx.stampInstant(stamp).toEpochMilli() + age <= now);
            String detail = "removed " + r.files() + " message files (" + r.bytes() + " bytes) from "
                    + (r.removedStamps().isEmpty() ? "no due expunge list" : "store.exp." + String.join(", store.exp.", r.removedStamps()));
            ctx.db().inTransaction(c -> {
                MailboxInfo cur = ctx.mboxlist().get(c, e.mailbox()).orElseThrow();
                ctx.mboxlist().update(c, cur.edit().cache(r.counts().records(), r.counts().expunged()).build(), now);
                ctx.queue().complete(c, e, Outcome.DONE, detail, r.bytes(), now);
                if (!r.remainingStamps().isEmpty()) {
                    long ts = ctx.stampInstant(r.remainingStamps().get(0)).toEpochMilli();
                    ctx.queue().enqueue(c, e.mailbox(), Action.REMOVE, ts, false);
                }
                if (s.purgeDue(r.counts().records(), r.counts().expunged())) {
                    ctx.queue().enqueue(c, e.mailbox(), Action.PURGE, now, false);
                }
                return null;
            });
            notifyQueue();
            ctx.log().log(PROCESS, "General", LogLevel.NOTICE, "removing obsolete files of " + e.mailbox() + ": " + detail);
            return new TaskResult(e, Outcome.DONE, detail, r.bytes());
        }
    }

    private TaskResult purge(QueueEntry e, MailboxInfo info, StoreSettings.Snapshot s) throws IOException {
        if (!e.forced() && !s.purgeDue(info.cacheRecords(), info.cacheExpunged())) {
            return finish(e, Outcome.SKIPPED, String.format(java.util.Locale.ROOT,
                    "%d expunged cache records (%.1f%%) do not exceed store.purge.count %d and store.purge.percentage %s%%",
                    info.cacheExpunged(), info.cacheExpungedPercent(), s.purgeCount(), trim(s.purgePercentage())), 0);
        }
        try (Mailbox mb = mailboxes.open(e.mailbox())) {
            Mailbox.PurgeResult r = mb.purge();
            long now = ctx.now();
            String detail = "cache rewritten: " + r.recordsBefore() + " -> " + r.recordsAfter() + " records, "
                    + r.bytesBefore() + " -> " + r.bytesAfter() + " bytes";
            ctx.db().inTransaction(c -> {
                MailboxInfo cur = ctx.mboxlist().get(c, e.mailbox()).orElseThrow();
                ctx.mboxlist().update(c, cur.edit().cache(r.recordsAfter(), 0).lastPurge(Instant.ofEpochMilli(now)).build(), now);
                ctx.queue().complete(c, e, Outcome.DONE, detail, r.bytesReclaimed(), now);
                return null;
            });
            notifyQueue();
            ctx.log().log(PROCESS, "General", LogLevel.NOTICE, "purging " + e.mailbox() + ": " + detail);
            return new TaskResult(e, Outcome.DONE, detail, r.bytesReclaimed());
        }
    }

    private TaskResult repair(QueueEntry e, MailboxInfo info) throws IOException {
        if (!e.forced() && info.lastRepair() != null && info.lastRepair().isAfter(e.timestamp())) {
            return finish(e, Outcome.SKIPPED, "already repaired at " + info.lastRepair() + ", after the request", 0);
        }
        String detail = rebuild(info, PROCESS, e);
        notifyQueue();
        return new TaskResult(e, Outcome.DONE, detail, 0);
    }

    /**
     * Repairs a mailbox now, outside the queue ({@code reconstruct}): the same rebuild as a queued Repair,
     * under the same mailbox lock. A pending Repair entry is then skipped, having been repaired after it.
     */
    public String repairNow(String mailbox, String process) throws IOException {
        return rebuild(mailboxes.info(mailbox), process, null);
    }

    private String rebuild(MailboxInfo info, String process, QueueEntry entry) throws IOException {
        ctx.log().log(process, "General", LogLevel.NOTICE, "repairing " + info.name());
        Path dir = mailboxes.directory(info);
        Mailbox.RepairResult r;
        long pending;
        try (MailboxLocks.Lock lock = Mailbox.lockForRepair(dir)) {
            r = Mailbox.rebuild(dir, (int) info.uidValidity(), (int) Math.min(Integer.MAX_VALUE, info.nextUid()), ctx.now());
            pending = ExpungeFile.count(dir.resolve(ExpungeFile.FILE));
        }
        for (String note : r.notes()) {
            ctx.log().log(process, "Store", LogLevel.WARNING, info.name() + ": " + note);
        }
        long now = ctx.now();
        String detail = "rebuilt index and cache: " + r.messages() + " messages"
                + (r.damaged() > 0 ? ", " + r.damaged() + " damaged files left out" : "")
                + (r.lostFromIndex() > 0 ? ", " + r.lostFromIndex() + " indexed messages had no file" : "");
        ctx.db().inTransaction(c -> {
            MailboxInfo cur = ctx.mboxlist().get(c, info.name()).orElseThrow();
            ctx.mboxlist().update(c, cur.edit().nextUid(r.nextUid()).messages(r.messages(), r.bytes()).expunged(pending)
                    .cache(r.messages(), 0).lastRepair(Instant.ofEpochMilli(now)).build(), now);
            if (entry != null) {
                ctx.queue().complete(c, entry, Outcome.DONE, detail, 0, now);
            }
            return null;
        });
        return detail;
    }

    private void notifyQueue() {
        ctx.queue().notifyChanged();
    }

    private static String trim(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }
}
