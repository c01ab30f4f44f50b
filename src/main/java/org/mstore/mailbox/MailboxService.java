package org.mstore.mailbox;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

import org.mstore.api.Action;
import org.mstore.api.Flags;
import org.mstore.api.LogLevel;
import org.mstore.api.MailboxFormatException;
import org.mstore.api.MailboxInfo;
import org.mstore.api.MailboxName;
import org.mstore.api.MessageSummary;
import org.mstore.api.NoSuchMailboxException;
import org.mstore.api.UidSet;
import org.mstore.queue.MaintenanceQueue;
import org.mstore.store.ClassicStore;
import org.mstore.store.IndexRecord;
import org.mstore.store.Mailbox;
import org.mstore.store.MailboxIndex;

/**
 * Mailboxes as the mail server's processes see them: create and delete, the user actions of the removal
 * lifecycle (append, delete, expunge, expire), reading, and the self-healing open that turns a failed
 * sanity check into the seed's log lines and a queued Repair.
 */
public final class MailboxService {
    private final StoreContext ctx;

    public MailboxService(StoreContext ctx) {
        this.ctx = ctx;
    }

    public StoreContext context() {
        return ctx;
    }

    public MailboxInfo info(String name) {
        MailboxName.parse(name);
        return ctx.mboxlist().get(name).orElseThrow(() -> new NoSuchMailboxException(name));
    }

    public Path directory(MailboxInfo info) {
        return ctx.layout().mailboxDir(info.partition(), MailboxName.parse(info.name()));
    }

    // ---------------------------------------------------------------- create / delete

    /** Creates a mailbox; a folder needs its user's INBOX to exist. */
    public MailboxInfo create(String name, String partition) throws IOException {
        MailboxName mn = MailboxName.parse(name);
        ClassicStore.validatePartition(partition);
        if (ctx.mboxlist().exists(mn.toString())) {
            throw new IllegalArgumentException("mailbox already exists: " + mn);
        }
        if (!mn.isInbox() && !ctx.mboxlist().exists(mn.inbox().toString())) {
            throw new IllegalArgumentException("cannot create " + mn + ": its user's INBOX " + mn.inbox() + " does not exist");
        }
        Path dir = ctx.layout().mailboxDir(partition, mn);
        if (Files.exists(dir.resolve(MailboxIndex.FILE))) {
            throw new IllegalArgumentException("cannot create " + mn + ": " + dir + " already holds a mailbox that is not in the "
                    + "mboxlist; run 'reconstruct --mboxlist' to list it");
        }
        Instant now = ctx.instant();
        int uidValidity = (int) Math.max(1, now.getEpochSecond() & 0x7fffffff);
        try (Mailbox ignored = Mailbox.create(dir, mn, uidValidity, now.toEpochMilli())) {
            MailboxInfo info = MailboxInfo.created(mn.toString(), partition, uidValidity, now);
            ctx.db().inTransaction(c -> {
                ctx.mboxlist().insert(c, info);
                return null;
            });
            return info;
        }
    }

    /** Deletes a mailbox and every mailbox below it; returns their names. Pending queue entries go too. */
    public List<String> delete(String name) throws IOException {
        MailboxInfo info = info(name);
        Path dir = directory(info);
        List<String> names;
        try (var lock = Mailbox.lockForRepair(dir)) {
            long now = ctx.now();
            names = ctx.db().inTransaction(c -> {
                List<String> sub = ctx.mboxlist().subtree(c, name);
                for (String n : sub) {
                    ctx.mboxlist().delete(c, n, now);
                }
                ctx.queue().dropMailboxes(c, sub, now);
                return sub;
            });
        }
        ctx.layout().deleteTree(dir);
        return names;
    }

    // ---------------------------------------------------------------- opening with self-healing

    /**
     * Opens a mailbox for reading or writing. If a sanity check fails, logs the seed's two lines, queues a
     * Repair, and throws a {@link MailboxFormatException} that says so.
     */
    public Mailbox open(String name) throws IOException {
        MailboxInfo info = info(name);
        try {
            return Mailbox.open(directory(info), MailboxName.parse(name));
        } catch (MailboxFormatException e) {
            throw corrupt(name, e);
        }
    }

    /** Logs a failed sanity check, queues Repair, and returns the exception to throw to the caller. */
    public MailboxFormatException corrupt(String name, MailboxFormatException e) {
        String detail = e.indexMissing() ? "Mailbox does not exist" : e.getMessage();
        ctx.log().log(ctx.processName(), "Store", LogLevel.CRITICAL, "Unable to open mailbox " + name + ": " + detail);
        ctx.log().log(ctx.processName(), "Store", LogLevel.ERROR, name + ": Mailbox has an invalid format; repair requested");
        ctx.queue().enqueue(name, Action.REPAIR, ctx.now(), false);
        return new RepairRequestedException(name + ": Mailbox has an invalid format; repair requested (" + detail + ")", e.indexMissing());
    }

    /** A format error that {@link #corrupt} has logged and queued a Repair for. */
    public static final class RepairRequestedException extends MailboxFormatException {
        RepairRequestedException(String message, boolean missing) {
            super(message, missing);
        }
    }

    /**
     * A format error met after the open (in store.exp, in the cache, by a task) as the caller should see it:
     * logged with a Repair queued, once.
     */
    public MailboxFormatException reported(String name, MailboxFormatException e) {
        return e instanceof RepairRequestedException ? e : corrupt(name, e);
    }

    // ---------------------------------------------------------------- user actions

    /** Appends messages (each with the given flags, arriving now); returns their UIDs. */
    public int[] append(String name, List<byte[]> messages, int flags) throws IOException {
        return append(name, messages, flags, ctx.now(), true);
    }

    /** Appends with an explicit arrival time; {@code sync} forces each message file (off for bulk generation). */
    public int[] append(String name, List<byte[]> messages, int flags, long internalDate, boolean sync) throws IOException {
        List<Mailbox.NewMessage> msgs = new ArrayList<>(messages.size());
        for (byte[] m : messages) {
            msgs.add(new Mailbox.NewMessage(m, internalDate, flags));
        }
        return appendMessages(name, msgs, sync);
    }

    public int[] appendMessages(String name, List<Mailbox.NewMessage> msgs, boolean sync) throws IOException {
        try (Mailbox mb = open(name)) {
            int[] uids = mb.append(msgs, sync);
            MailboxIndex.Header h = mb.index().header();
            long now = ctx.now();
            ctx.db().inTransaction(c -> {
                MailboxInfo info = ctx.mboxlist().get(c, name).orElseThrow(() -> new NoSuchMailboxException(name));
                ctx.mboxlist().update(c, info.edit().nextUid(h.nextUid()).messages(h.recordCount(), h.totalSize())
                        .cache(info.cacheRecords() + uids.length, info.cacheExpunged()).build(), now);
                return null;
            });
            return uids;
        }
    }

    /** Sets ({@code on}) or clears {@code \Deleted} on the messages of a UID set; returns how many changed. */
    public int setDeleted(String name, UidSet uids, boolean on) throws IOException {
        return setFlag(name, uids, Flags.DELETED, on);
    }

    public int setFlag(String name, UidSet uids, int flag, boolean on) throws IOException {
        try (Mailbox mb = open(name)) {
            int n = mb.setFlag(mb.index().positions(uids), flag, on);
            if (n > 0) {
                long now = ctx.now();
                ctx.db().inTransaction(c -> {
                    ctx.mboxlist().touch(c, name, now);
                    return null;
                });
            }
            return n;
        }
    }

    /** Expunges the {@code \Deleted} messages. */
    public Mailbox.ExpungeResult expunge(String name) throws IOException {
        return expunge(name, IndexRecord::deleted);
    }

    /**
     * Removes the matching messages from the index (expunge or expire), grows the mailbox's Expunged count,
     * and queues Clean when it exceeds {@code store.cleanupsize}.
     */
    public Mailbox.ExpungeResult expunge(String name, Predicate<IndexRecord> which) throws IOException {
        try (Mailbox mb = open(name)) {
            long now = ctx.now();
            Mailbox.ExpungeResult r = mb.expunge(which, now);
            if (r.messages() == 0) {
                return r;
            }
            MailboxIndex.Header h = mb.index().header();
            long pending = mb.pendingExpunged();
            long cleanupSize = ctx.settings().snapshot().cleanupSize();
            ctx.db().inTransaction(c -> {
                MailboxInfo info = ctx.mboxlist().get(c, name).orElseThrow(() -> new NoSuchMailboxException(name));
                // store.exp also counts an expunge that crashed before its update here
                long expunged = Math.max(info.expunged() + r.messages(), pending);
                ctx.mboxlist().update(c, info.edit().messages(h.recordCount(), h.totalSize()).expunged(expunged)
                        .lastExpunge(Instant.ofEpochMilli(now)).build(), now);
                if (expunged > cleanupSize && pending > 0) {
                    ctx.queue().enqueue(c, name, Action.CLEAN, now, false);
                }
                return null;
            });
            return r;
        } catch (MailboxFormatException e) {
            throw reported(name, e); // a damaged store.exp
        }
    }

    /** A message's bytes. A missing or damaged message file is a format error: repair requested. */
    public byte[] fetch(String name, int uid) throws IOException {
        try (Mailbox mb = open(name)) {
            try {
                return mb.fetch(uid);
            } catch (MailboxFormatException e) {
                throw corrupt(name, e);
            }
        }
    }

    /** A message as listed by {@code imcheck -m}. */
    public record MessageView(IndexRecord record, MessageSummary summary) {
    }

    /** The live messages with their cache summaries, at most {@code limit} from {@code offset}. */
    public List<MessageView> messages(String name, int offset, int limit) throws IOException {
        try (Mailbox mb = open(name)) {
            List<MessageView> out = new ArrayList<>();
            List<IndexRecord> records = mb.index().records();
            try {
                for (int i = offset; i < records.size() && out.size() < limit; i++) {
                    out.add(new MessageView(records.get(i), mb.summary(records.get(i))));
                }
            } catch (MailboxFormatException e) {
                throw corrupt(name, e);
            }
            return out;
        }
    }

    /** The result of a full check. */
    public record CheckReport(String mailbox, List<String> problems, boolean repairQueued) {
        public boolean healthy() {
            return problems.isEmpty();
        }
    }

    /**
     * The full sanity check. Problems are logged and a Repair is queued, as when a client meets them, unless
     * {@code queueRepair} is false ({@code reconstruct -n}: look, change nothing).
     */
    public CheckReport check(String name, boolean queueRepair) throws IOException {
        MailboxInfo info = info(name);
        List<String> problems;
        try (Mailbox mb = Mailbox.open(directory(info), MailboxName.parse(name))) {
            problems = mb.verify();
        } catch (MailboxFormatException e) {
            problems = List.of(e.indexMissing() ? "Mailbox does not exist (store.idx is missing)" : e.getMessage());
        }
        if (!problems.isEmpty() && queueRepair) {
            corrupt(name, new MailboxFormatException(problems.get(0)));
        }
        return new CheckReport(name, problems, !problems.isEmpty() && queueRepair);
    }

    // ---------------------------------------------------------------- manual requests

    /** Queues a forced task for a mailbox ("Repair now", "Clean now", "Purge now"). */
    public MaintenanceQueue.Enqueued request(String name, Action action) {
        info(name);
        return ctx.queue().enqueue(name, action, ctx.now(), true);
    }
}
