package org.mstore.mailbox;

import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Predicate;

import org.mstore.api.Action;
import org.mstore.api.AppendResult;
import org.mstore.api.CheckReport;
import org.mstore.api.Enqueued;
import org.mstore.api.ExpungeResult;
import org.mstore.api.FlagMode;
import org.mstore.api.LogLevel;
import org.mstore.api.MailboxDetails;
import org.mstore.api.MailboxFormatException;
import org.mstore.api.MailboxInfo;
import org.mstore.api.MailboxName;
import org.mstore.api.MailboxSnapshot;
import org.mstore.api.MessageRecord;
import org.mstore.api.MessageView;
import org.mstore.api.NewMessage;
import org.mstore.api.NoSuchMailboxException;
import org.mstore.api.ReadOnlyStoreException;
import org.mstore.api.RepairRequestedException;
import org.mstore.api.StoreEvent;
import org.mstore.api.UidSet;
import org.mstore.backend.FlagChange;
import org.mstore.backend.MailboxHandle;
import org.mstore.fs.CrashPoint;

/**
 * Mailboxes as the mail server's processes see them: create and delete, the user actions of the removal lifecycle
 * (append, flag, expunge, expire), reading, and the self-healing open that turns a failed sanity check into the seed's
 * log lines and a queued Repair. Written once against the backend SPI; every change of a mailbox and its row in the
 * mailbox list happens under the mailbox's lock.
 */
public final class MailboxService {
    private final StoreContext ctx;
    private volatile Consumer<StoreEvent.MessagesChanged> messageListener = e -> { };

    public MailboxService(StoreContext ctx) {
        this.ctx = ctx;
    }

    public StoreContext context() {
        return ctx;
    }

    /** Hears every flag change and expunge made in this process (sessions with the mailbox open want them at once). */
    public void onMessagesChanged(Consumer<StoreEvent.MessagesChanged> l) {
        messageListener = l == null ? e -> { } : l;
    }

    private void requireWritable(String what) {
        if (ctx.readOnly()) {
            throw new ReadOnlyStoreException(what);
        }
    }

    public MailboxInfo info(String name) {
        MailboxName.parse(name);
        return ctx.mboxlist().get(name).orElseThrow(() -> new NoSuchMailboxException(name));
    }

    // ---------------------------------------------------------------- create / delete

    /** Creates a mailbox; a folder needs its user's INBOX to exist. */
    public MailboxInfo create(String name, String partition) throws IOException {
        requireWritable("create a mailbox");
        MailboxName mn = MailboxName.parse(name);
        ctx.storage().validatePartition(partition);
        List<String> partitions = ctx.storage().partitions();
        if (!partitions.contains(partition)) {
            throw new IllegalArgumentException("no partition '" + partition + "' in this store (partitions: " + String.join(", ", partitions)
                    + ")");
        }
        if (ctx.mboxlist().exists(mn.toString())) {
            throw new IllegalArgumentException("mailbox already exists: " + mn);
        }
        if (!mn.isInbox() && !ctx.mboxlist().exists(mn.inbox().toString())) {
            throw new IllegalArgumentException("cannot create " + mn + ": its user's INBOX " + mn.inbox() + " does not exist");
        }
        Instant now = ctx.instant();
        long uidValidity = issueUidValidity(now);
        MailboxInfo info = MailboxInfo.created(mn.toString(), partition, uidValidity, now);
        if (ctx.storage().holds(info)) {
            throw new IllegalArgumentException("cannot create " + mn + ": storage already holds a mailbox of that name that is not in "
                    + "the mailbox list; run 'reconstruct --mboxlist' to list it");
        }
        try (MailboxHandle ignored = ctx.storage().create(info, now.toEpochMilli())) {
            CrashPoint.hit("mailbox-create.after-storage");
            try {
                ctx.meta().transact(tx -> {
                    tx.insert(info);
                    return null;
                });
            } catch (RuntimeException e) {
                // the mailbox list refused the row (a full disk): storage keeps nothing that 'reconstruct --mboxlist'
                // would list as a mailbox nobody made
                ctx.storage().discardNew(info, e);
                throw e;
            }
            return info;
        }
    }

    /** The greatest UIDVALIDITY: RFC 3501's nz-number is 32-bit unsigned. */
    public static final long MAX_UID_VALIDITY = 0xffffffffL;

    /**
     * A new mailbox's UIDVALIDITY: the time of its creation in seconds, unless the store has issued that or a greater
     * value already (a mailbox deleted or renamed away and created again within the same second, many mailboxes
     * created in one second, the clock set back); then the last value issued + 1. The store keeps the last value
     * issued ({@link org.mstore.backend.Metadata#issueUidValidity}), for every process of it: a (UIDVALIDITY, UID) pair
     * never names two different messages (RFC 3501 §2.3.1.1).
     */
    private long issueUidValidity(Instant now) {
        long v = ctx.meta().issueUidValidity(Math.max(1, now.getEpochSecond() & 0x7fffffff));
        if (v < 1 || v > MAX_UID_VALIDITY) {
            throw new IllegalStateException("no UIDVALIDITY left to issue: the store issued " + v + ", past RFC 3501's greatest ("
                    + MAX_UID_VALIDITY + ")");
        }
        return v;
    }

    /**
     * Deletes a mailbox and every mailbox below it; returns their names. Pending queue entries go too. Every mailbox of
     * the subtree is locked first, as {@link #rename} locks them (in the same order): a change under way in one of them
     * finishes before its directory goes.
     */
    public List<String> delete(String name) throws IOException {
        requireWritable("delete a mailbox");
        MailboxInfo info = info(name);
        List<AutoCloseable> locks = new java.util.ArrayList<>();
        try {
            for (MailboxInfo m : ctx.mboxlist().subtree(name)) {
                locks.add(ctx.storage().lock(m));
            }
            // storage first: a crash before the rows go leaves rows of a mailbox that no longer exists (the open says so
            // and its Repair makes it empty; reconstruct --mboxlist drops them), never a tree that reconstruct --mboxlist
            // would list again with the messages of a mailbox the user deleted
            ctx.storage().deleteTree(info);
            CrashPoint.hit("mailbox-delete.after-storage");
            return ctx.meta().transact(tx -> {
                List<String> sub = tx.subtree(name);
                for (String n : sub) {
                    tx.delete(n);
                }
                tx.dropEntries(sub);
                return sub;
            });
        } finally {
            for (int i = locks.size() - 1; i >= 0; i--) {
                try {
                    locks.get(i).close();
                } catch (Exception ignored) {
                    // releasing a lock cannot fail in a way worth reporting over the delete's own outcome
                }
            }
        }
    }

    /**
     * Renames a mailbox and its subtree within one user (see {@link org.mstore.api.Mailboxes#rename}): every mailbox of
     * the subtree is locked, storage moves, then the rows of the mailbox list (and pending queue entries) are renamed in
     * one transaction; if that fails, storage moves back.
     */
    public List<String> rename(String from, String to) throws IOException {
        requireWritable("rename a mailbox");
        MailboxName src = MailboxName.parse(from);
        MailboxName dst = MailboxName.parse(to);
        if (src.isInbox()) {
            throw new IllegalArgumentException("cannot rename an INBOX (" + src + "); move its messages instead");
        }
        if (dst.isInbox() || !src.user().equals(dst.user())) {
            throw new IllegalArgumentException("cannot rename " + src + " to " + dst + ": a folder stays a folder of the same user");
        }
        if (to.startsWith(from + "/") || to.equals(from)) {
            throw new IllegalArgumentException("cannot rename " + src + " to " + dst + ": it would be inside itself");
        }
        MailboxInfo info = info(from);
        if (ctx.mboxlist().exists(to)) {
            throw new IllegalArgumentException("mailbox already exists: " + to);
        }
        List<MailboxInfo> tree = ctx.mboxlist().subtree(from);
        for (MailboxInfo m : tree) {
            if (!m.partition().equals(info.partition())) {
                throw new IllegalArgumentException("cannot rename " + from + ": " + m.name() + " below it is in another partition ("
                        + m.partition() + ")");
            }
        }
        List<AutoCloseable> locks = new java.util.ArrayList<>();
        try {
            for (MailboxInfo m : tree) {
                locks.add(ctx.storage().lock(m));
            }
            MailboxInfo target = new MailboxInfo(to, info.partition(), info.uidValidity(), info.nextUid(), info.messageCount(),
                    info.sizeBytes(), info.expunged(), info.cacheRecords(), info.cacheExpunged(), info.created(), info.lastExpunge(),
                    info.lastCleanup(), info.lastPurge(), info.lastRepair());
            ctx.storage().rename(info, target);
            CrashPoint.hit("mailbox-rename.after-storage");
            try {
                ctx.meta().transact(tx -> {
                    tx.rename(from, to);
                    return null;
                });
            } catch (RuntimeException e) {
                ctx.storage().rename(target, info);
                throw e;
            }
            return tree.stream().map(m -> to + m.name().substring(from.length())).toList();
        } catch (MailboxFormatException e) {
            throw corrupt(from, e);
        } finally {
            for (int i = locks.size() - 1; i >= 0; i--) {
                try {
                    locks.get(i).close();
                } catch (Exception ignored) {
                    // releasing a lock cannot fail in a way worth reporting over the rename's own outcome
                }
            }
        }
    }

    /** The most bytes one copy takes at once (all of it is appended in one step, or none). */
    public static final long MAX_COPY_BYTES = 256L << 20;

    /** Copies messages to another mailbox, keeping flags and internal dates; one append, forced to disk. */
    public org.mstore.api.CopyResult copy(String from, UidSet uids, String to) throws IOException {
        requireWritable("copy messages");
        info(to);
        List<NewMessage> news = new java.util.ArrayList<>();
        List<Integer> sources = new java.util.ArrayList<>();
        long[] total = {0};
        read(from, uids, (r, content) -> {
            total[0] += content.length;
            if (total[0] > MAX_COPY_BYTES) {
                throw new IllegalArgumentException("cannot copy more than " + (MAX_COPY_BYTES >> 20) + " MB at once; copy fewer messages");
            }
            news.add(new NewMessage(content, r.internalDate(), r.flags()));
            sources.add(r.uid());
        });
        if (news.isEmpty()) {
            return new org.mstore.api.CopyResult(info(to).uidValidity(), new int[0], new int[0]);
        }
        AppendResult a = append(to, news, true);
        return new org.mstore.api.CopyResult(a.uidValidity(), sources.stream().mapToInt(Integer::intValue).toArray(), a.uids());
    }

    /** Reads the messages of a UID set in UID order with one opening of the mailbox. */
    public void read(String name, UidSet uids, org.mstore.api.Mailboxes.MessageReader reader) throws IOException {
        try (MailboxHandle mb = open(name)) {
            try {
                for (MessageRecord r : mb.records(uids)) {
                    reader.read(r, mb.fetch(r.uid()));
                }
            } catch (MailboxFormatException e) {
                throw corrupt(name, e);
            }
        }
    }

    // ---------------------------------------------------------------- opening with self-healing

    /**
     * Opens a mailbox for reading or writing. If a sanity check fails, logs the seed's two lines, queues a Repair, and
     * throws a {@link RepairRequestedException} that says so (read-only: nothing is logged or queued).
     */
    public MailboxHandle open(String name) throws IOException {
        MailboxInfo info = info(name);
        MailboxHandle mb;
        try {
            mb = ctx.storage().open(info, ctx.readOnly());
        } catch (MailboxFormatException e) {
            throw corrupt(name, e);
        }
        String behind = behindTheList(info, mb);
        if (behind != null) {
            closeQuietly(mb);
            throw corrupt(name, new MailboxFormatException(behind));
        }
        return mb;
    }

    /**
     * What is wrong when the mailbox's index is behind the mailbox list: its next UID lower than the list's, which only
     * an index put back from an older copy makes (storage is written before the list, never after). Served as it is, it
     * would bring back what was expunged since that copy and give the next message a UID a newer one has, over its
     * file. Its Repair rebuilds it from the message files, with the list's next UID as a floor. Null when it is not.
     */
    private static String behindTheList(MailboxInfo info, MailboxHandle mb) {
        if (mb.nextUid() >= info.nextUid()) {
            return null;
        }
        return "the mailbox's index is older than the mailbox list (its next UID is " + mb.nextUid() + ", the list's "
                + info.nextUid() + "): a copy put back from before the newest messages?";
    }

    /**
     * Opens a mailbox to change it. A mailbox still in an earlier version of the store's formats is first brought to the
     * current one, which its first change does anyway ({@link MailboxHandle#upgrade}): the classic store's upgrade drops
     * the expunged cache records as a Purge does, so the mailbox list's cache counts are set from what it left, and a
     * line says so. Without that, the list would go on counting expunged records that are gone (and a Purge would be
     * due, and reclaim nothing).
     */
    public MailboxHandle openForChange(String name) throws IOException {
        MailboxHandle mb = open(name);
        try {
            java.util.Optional<org.mstore.backend.PurgeResult> up = mb.upgrade();
            if (up.isPresent()) {
                org.mstore.backend.PurgeResult r = up.get();
                ctx.meta().transact(tx -> {
                    MailboxInfo info = tx.mailbox(name).orElseThrow(() -> new NoSuchMailboxException(name));
                    tx.update(info.edit().cache(r.recordsAfter(), 0).build());
                    return null;
                });
                ctx.log().log(ctx.processName(), "Store", LogLevel.NOTICE, name + ": rewritten in the current store format, its cache "
                        + "without the expunged records: " + r.recordsBefore() + " -> " + r.recordsAfter() + " records, "
                        + r.bytesBefore() + " -> " + r.bytesAfter() + " bytes");
            }
            return mb;
        } catch (MailboxFormatException e) {
            closeQuietly(mb);
            throw corrupt(name, e);
        } catch (IOException | RuntimeException e) {
            closeQuietly(mb);
            throw e;
        }
    }

    private static void closeQuietly(MailboxHandle mb) {
        try {
            mb.close();
        } catch (IOException | RuntimeException e) {
            // the first failure is the one to report
        }
    }

    /** Logs a failed sanity check, queues Repair, and returns the exception to throw to the caller. */
    public MailboxFormatException corrupt(String name, MailboxFormatException e) {
        if (e instanceof RepairRequestedException) {
            return e;
        }
        String detail = e.indexMissing() ? "Mailbox does not exist" : e.getMessage();
        if (ctx.readOnly()) {
            return new MailboxFormatException(name + ": Mailbox has an invalid format (" + detail + "); read-only, so no repair was "
                    + "requested", e.indexMissing());
        }
        ctx.log().log(ctx.processName(), "Store", LogLevel.CRITICAL, "Unable to open mailbox " + name + ": " + detail);
        ctx.log().log(ctx.processName(), "Store", LogLevel.ERROR, name + ": Mailbox has an invalid format; repair requested");
        ctx.queue().enqueue(name, Action.REPAIR, ctx.now(), false, "Mailbox has an invalid format: " + detail, ctx.queuedBy());
        return new RepairRequestedException(name + ": Mailbox has an invalid format; repair requested (" + detail + ")", e.indexMissing());
    }

    // ---------------------------------------------------------------- user actions

    /** Appends messages; returns the mailbox's UID validity and their UIDs. */
    public AppendResult append(String name, List<NewMessage> msgs, boolean sync) throws IOException {
        requireWritable("append messages");
        MessageCheck.check(msgs, maxMessageSize());
        try (MailboxHandle mb = openForChange(name)) {
            int[] uids;
            try {
                uids = mb.append(msgs, sync);
            } catch (MailboxFormatException e) {
                throw corrupt(name, e);
            }
            long messages = mb.messageCount();
            long size = mb.totalSize();
            long next = mb.nextUid();
            CrashPoint.hit("mailbox-append.after-storage");
            ctx.meta().transact(tx -> {
                MailboxInfo info = tx.mailbox(name).orElseThrow(() -> new NoSuchMailboxException(name));
                tx.update(info.edit().nextUid(next).messages(messages, size)
                        .cache(info.cacheRecords() + uids.length, info.cacheExpunged()).build());
                return null;
            });
            return new AppendResult(mb.uidValidity(), uids);
        }
    }

    /** Why {@code m} would be refused, or null. */
    public String checkMessage(byte[] m) {
        return MessageCheck.problem(m, maxMessageSize());
    }

    /** {@code store.message.maxsize} in bytes. */
    public long maxMessageSize() {
        return org.mstore.api.Setting.Sizes.parse(ctx.settings().all().get(org.mstore.api.Setting.MESSAGE_MAX_SIZE));
    }

    /** Applies a flag change; returns the records that changed, with their new flags. */
    public List<MessageRecord> setFlags(String name, UidSet uids, int flags, FlagMode mode) throws IOException {
        requireWritable("change flags");
        try (MailboxHandle mb = openForChange(name)) {
            FlagChange change;
            try {
                change = mb.setFlags(uids, flags, mode);
            } catch (MailboxFormatException e) {
                throw corrupt(name, e);
            }
            List<MessageRecord> changed = change.after();
            if (!changed.isEmpty()) {
                try {
                    ctx.meta().transact(tx -> {
                        tx.touch(name);
                        return null;
                    });
                } catch (RuntimeException e) {
                    // other processes learn of a flag change from this record (a full disk refused it): the change is
                    // undone, so that the command's failure is the truth and no session keeps flags that differ
                    putBackFlags(mb, change, e);
                    throw e;
                }
                messageListener.accept(new StoreEvent.MessagesChanged(name, changed, new int[0]));
            }
            return changed;
        }
    }

    /** Gives the messages of {@code change} back the flags they had before it; a failure is added to {@code cause}. */
    private static void putBackFlags(MailboxHandle mb, FlagChange change, RuntimeException cause) {
        java.util.Map<Integer, java.util.List<Integer>> byFlags = new java.util.HashMap<>();
        for (MessageRecord r : change.before()) {
            byFlags.computeIfAbsent(r.flags(), k -> new java.util.ArrayList<>()).add(r.uid());
        }
        try {
            for (var e : byFlags.entrySet()) {
                mb.setFlags(UidSet.of(e.getValue().stream().mapToInt(Integer::intValue).toArray()), e.getKey(), FlagMode.REPLACE);
            }
        } catch (IOException | RuntimeException e) {
            cause.addSuppressed(e);
        }
    }

    /** Expunges the {@code \Deleted} messages. */
    public ExpungeResult expunge(String name) throws IOException {
        return expunge(name, MessageRecord::deleted);
    }

    /**
     * Removes the matching messages from the mailbox (expunge or expire), grows the mailbox's Expunged count, and past
     * {@code store.cleanupsize} queues the next step: Clean on the classic store, Purge where there is no cleanup step.
     */
    public ExpungeResult expunge(String name, Predicate<MessageRecord> which) throws IOException {
        requireWritable("expunge");
        try (MailboxHandle mb = openForChange(name)) {
            long now = ctx.now();
            ExpungeResult r = mb.expunge(which, now);
            if (r.messages() == 0) {
                return r;
            }
            long messages = mb.messageCount();
            long size = mb.totalSize();
            long pending = mb.pendingExpunged();
            long cleanupSize = ctx.settings().snapshot().cleanupSize();
            Action next = ctx.backend().features().cleanupStep() ? Action.CLEAN : Action.PURGE;
            CrashPoint.hit("mailbox-expunge.after-storage");
            ctx.meta().transact(tx -> {
                MailboxInfo info = tx.mailbox(name).orElseThrow(() -> new NoSuchMailboxException(name));
                // storage also counts an expunge that crashed before its update here
                long expunged = Math.max(info.expunged() + r.messages(), pending);
                tx.update(info.edit().messages(messages, size).expunged(expunged).lastExpunge(Instant.ofEpochMilli(now)).build());
                if (expunged > cleanupSize && pending > 0) {
                    tx.enqueue(name, next, now, false, org.mstore.api.QueueRequest.cleanupReason(expunged, cleanupSize), ctx.queuedBy());
                }
                return null;
            });
            messageListener.accept(new StoreEvent.MessagesChanged(name, List.of(), r.uids()));
            return r;
        } catch (MailboxFormatException e) {
            throw corrupt(name, e); // a damaged expunge list
        }
    }

    /** The expunged messages the mailbox still knows of, with whether each can be recovered. */
    public List<org.mstore.api.ExpungedMessage> expunged(String name) throws IOException {
        try (MailboxHandle mb = open(name)) {
            try {
                return mb.expunged(true);
            } catch (MailboxFormatException e) {
                throw corrupt(name, e);
            }
        }
    }

    /**
     * Recovers the expunged messages of {@code uids} as new messages (see {@link org.mstore.api.Mailboxes#unexpunge}):
     * storage first (the copies appended, then the recoveries recorded), then, still under the mailbox's lock, the
     * mailbox list's counts and next UID as an append updates them, and Expunged as storage now counts it (it goes
     * down by the recovered messages that were waiting for their Clean).
     */
    public org.mstore.api.UnexpungeResult unexpunge(String name, UidSet uids) throws IOException {
        requireWritable("recover expunged messages");
        try (MailboxHandle mb = openForChange(name)) {
            List<org.mstore.api.ExpungedMessage> all = mb.expunged(false); // UIDs only: no file is read for this
            int max = all.isEmpty() ? 0 : all.get(all.size() - 1).uid();
            List<org.mstore.api.ExpungedMessage> chosen = all.stream().filter(x -> uids.contains(x.uid(), max)).toList();
            int[] old;
            if (chosen.isEmpty()) {
                long[][] ranges = uids.resolve(Integer.MAX_VALUE);
                if (ranges.length == 1 && ranges[0][0] == ranges[0][1]) {
                    old = new int[] {(int) ranges[0][0]}; // one UID: storage says why it cannot be recovered
                } else {
                    throw new IllegalArgumentException("no expunged message of " + name + " in UID set " + uids
                            + (all.isEmpty() ? ": it has none" : ""));
                }
            } else {
                old = chosen.stream().mapToInt(org.mstore.api.ExpungedMessage::uid).toArray();
            }
            long now = ctx.now();
            int[] fresh = mb.unexpunge(old, now);
            long messages = mb.messageCount();
            long size = mb.totalSize();
            long next = mb.nextUid();
            long pending = mb.pendingExpunged();
            // a cache file gains the copies' records and keeps the old ones until its Purge; a store without one (Cassandra)
            // moved the records, and counts them itself cheaply
            org.mstore.backend.CacheCounts counts = ctx.backend().features().cleanupStep() ? null : mb.cacheCounts();
            CrashPoint.hit("mailbox-unexpunge.after-storage");
            ctx.meta().transact(tx -> {
                MailboxInfo info = tx.mailbox(name).orElseThrow(() -> new NoSuchMailboxException(name));
                tx.update(info.edit().nextUid(next).messages(messages, size).expunged(Math.min(info.expunged(), pending))
                        .cache(counts == null ? info.cacheRecords() + fresh.length : counts.records(),
                                counts == null ? info.cacheExpunged() : counts.expunged()).build());
                return null;
            });
            return new org.mstore.api.UnexpungeResult(mb.uidValidity(), old, fresh);
        } catch (MailboxFormatException e) {
            throw corrupt(name, e);
        }
    }

    /** A message's bytes. A missing or damaged message file is a format error: repair requested. */
    public byte[] fetch(String name, int uid) throws IOException {
        try (MailboxHandle mb = open(name)) {
            try {
                return mb.fetch(uid);
            } catch (MailboxFormatException e) {
                throw corrupt(name, e);
            }
        }
    }

    /** The live messages with their summaries, at most {@code limit} from {@code offset}. */
    public List<MessageView> messages(String name, int offset, int limit) throws IOException {
        try (MailboxHandle mb = open(name)) {
            try {
                return mb.views(offset, limit);
            } catch (MailboxFormatException e) {
                throw corrupt(name, e);
            }
        }
    }

    public MailboxSnapshot snapshot(String name) throws IOException {
        try (MailboxHandle mb = open(name)) {
            try {
                return new MailboxSnapshot(name, mb.uidValidity(), mb.nextUid(), mb.records());
            } catch (MailboxFormatException e) {
                throw corrupt(name, e);
            }
        }
    }

    public List<MessageRecord> records(String name, UidSet uids) throws IOException {
        try (MailboxHandle mb = open(name)) {
            try {
                return mb.records(uids);
            } catch (MailboxFormatException e) {
                throw corrupt(name, e);
            }
        }
    }

    public MailboxDetails details(String name) throws IOException {
        return ctx.storage().details(info(name));
    }

    /**
     * The full sanity check. Problems are logged and a Repair is queued, as when a client meets them, unless
     * {@code queueRepair} is false or the store is read-only ({@code reconstruct -n}: look, change nothing).
     */
    public CheckReport check(String name, boolean queueRepair) throws IOException {
        MailboxInfo info = info(name);
        List<String> problems;
        try (MailboxHandle mb = ctx.storage().open(info, !queueRepair || ctx.readOnly())) {
            problems = mb.verify();
            String behind = behindTheList(info, mb);
            if (behind != null) {
                problems = new java.util.ArrayList<>(problems);
                problems.add(0, behind);
            }
        } catch (MailboxFormatException e) {
            problems = List.of(e.indexMissing() ? "Mailbox does not exist (its index is missing)" : e.getMessage());
        }
        boolean queue = !problems.isEmpty() && queueRepair && !ctx.readOnly();
        if (queue) {
            corrupt(name, new MailboxFormatException(problems.get(0)));
        }
        return new CheckReport(name, problems, queue);
    }

    // ---------------------------------------------------------------- manual requests

    /** Queues a forced task for a mailbox ("Repair now", "Clean now", "Purge now"). */
    public Enqueued request(String name, Action action) {
        requireWritable("queue " + action);
        info(name);
        if (action.cleanupStep() && !ctx.backend().features().cleanupStep()) {
            throw new IllegalArgumentException(action + " does not exist on the " + ctx.backend().kind() + " store: it has no cleanup step");
        }
        return ctx.queue().enqueue(name, action, ctx.now(), true, org.mstore.api.QueueRequest.adminReason(action), ctx.queuedBy());
    }
}
