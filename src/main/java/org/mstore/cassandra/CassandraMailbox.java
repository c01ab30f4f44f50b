package org.mstore.cassandra;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.function.Predicate;

import org.mstore.api.ExpungeResult;
import org.mstore.api.ExpungedMessage;
import org.mstore.api.FlagMode;
import org.mstore.api.Flags;
import org.mstore.api.MailboxFormatException;
import org.mstore.api.MailboxName;
import org.mstore.api.MessageRecord;
import org.mstore.api.MessageView;
import org.mstore.api.NewMessage;
import org.mstore.api.NoSuchMessageException;
import org.mstore.api.UidSet;
import org.mstore.backend.CacheCounts;
import org.mstore.backend.FlagChange;
import org.mstore.backend.MailboxHandle;
import org.mstore.backend.PurgeResult;
import org.mstore.backend.RemoveResult;
import org.mstore.backend.RestoredMessage;

import com.datastax.oss.driver.api.core.cql.Row;

/**
 * One Cassandra mailbox, open. Reads need no lock; the first change takes the mailbox's lock (across hosts) and reads
 * the header again under it. Every change follows one protocol: the header is moved to the change's intent
 * ({@code pending_op}) with a lightweight transaction that also checks the next UID (the UIDs a change assigns, and a
 * fence against a writer whose lock expired), the rows are written, and a second lightweight transaction records the
 * new counts and clears the intent. A writer that dies half-way leaves the intent: the next writer finds it, the
 * mailbox is reported damaged and a Repair re-derives it from its rows.
 */
final class CassandraMailbox implements MailboxHandle {
    private final CassandraStorage s;
    private CassandraStorage.Header h;
    private MailboxLocks.Held lock;

    CassandraMailbox(CassandraStorage s, CassandraStorage.Header h) {
        this.s = s;
        this.h = h;
    }

    @Override
    public MailboxName name() {
        return MailboxName.parse(h.name());
    }

    @Override
    public long uidValidity() {
        return h.uidValidity();
    }

    @Override
    public long nextUid() {
        return h.nextUid();
    }

    @Override
    public int messageCount() {
        return (int) h.messages();
    }

    @Override
    public long totalSize() {
        return h.bytes();
    }

    // ---------------------------------------------------------------- locking and the header

    private void writable() throws IOException {
        if (lock == null) {
            lock = s.locks.acquire(h.name());
            CassandraStorage.Header fresh = s.header(h.name());
            if (fresh == null) {
                throw new MailboxFormatException(h.name() + ": its storage header is missing", true);
            }
            CassandraStorage.check(fresh);
            if (fresh.pendingOp() != null) {
                throw new MailboxFormatException(h.name() + ": an interrupted " + operation(fresh.pendingOp()) + " left it inconsistent");
            }
            h = fresh;
        }
        if (lock.lost) {
            throw new IOException("lost the lock on " + h.name() + " (its lease expired); nothing more was changed");
        }
    }

    /** Moves the header on with a lightweight transaction that fences on the next UID; throws if another writer got in. */
    private void setHeader(long nextUid, long messages, long bytes, long expunged, String pendingOp) throws IOException {
        if (!s.cql.lwt("UPDATE {mbox}.mailbox_storage SET next_uid = ?, messages = ?, bytes = ?, expunged = ?, pending_op = ? "
                + "WHERE user = ? AND name = ? IF next_uid = ? AND mailbox_id = ?", nextUid, messages, bytes, expunged, pendingOp,
                Schema.user(h.name()), h.name(), h.nextUid(), h.id())) {
            throw new IOException(h.name() + " changed under its lock (another writer after our lease expired?); nothing more was changed");
        }
        h = new CassandraStorage.Header(h.name(), h.id(), h.uidValidity(), nextUid, messages, bytes, expunged, h.created(), pendingOp);
    }

    // ---------------------------------------------------------------- reading

    private List<CassandraStorage.Msg> all() {
        List<CassandraStorage.Msg> out = new ArrayList<>();
        for (int b = 0; b <= CassandraStorage.lastBucket(h.nextUid()); b++) {
            out.addAll(s.bucket(h.id(), b));
        }
        return out;
    }

    private List<CassandraStorage.Msg> live() {
        return all().stream().filter(m -> m.expungedAt() == null).toList();
    }

    private static MessageRecord record(CassandraStorage.Msg m) {
        return new MessageRecord((int) m.uid(), m.flags(), m.internalDate(), (int) m.size());
    }

    @Override
    public List<MessageRecord> records() {
        return live().stream().map(CassandraMailbox::record).toList();
    }

    /** The highest live UID (0 if none) and the records of the bucket it is in (-1 and none if none). */
    private record Top(int maxUid, int bucket, List<CassandraStorage.Msg> rows) {
    }

    /** The largest live UID: the last buckets, read from the top down. */
    private Top top() {
        for (int b = CassandraStorage.lastBucket(h.nextUid()); b >= 0; b--) {
            List<CassandraStorage.Msg> rows = s.bucket(h.id(), b);
            long max = -1;
            for (CassandraStorage.Msg m : rows) {
                if (m.expungedAt() == null) {
                    max = Math.max(max, m.uid());
                }
            }
            if (max > 0) {
                return new Top((int) max, b, rows);
            }
        }
        return new Top(0, -1, List.of());
    }

    /**
     * The live messages of a UID set. The bucket of the highest live UID (what {@code *} stands for, and where every
     * range is cut) is read first and not again: a UID set on a mailbox of one bucket, the usual IMAP STORE, is one read.
     */
    private List<CassandraStorage.Msg> live(UidSet uids) {
        Top top = top();
        int max = top.maxUid();
        List<CassandraStorage.Msg> out = new ArrayList<>();
        int lastRead = -1;
        for (long[] r : uids.resolve(max)) {
            for (int b = Math.max(lastRead + 1, Schema.uidBucket(r[0])); b <= Schema.uidBucket(r[1]); b++) {
                lastRead = b;
                for (CassandraStorage.Msg m : b == top.bucket() ? top.rows() : s.bucket(h.id(), b)) {
                    if (m.expungedAt() == null && uids.contains((int) m.uid(), max)) {
                        out.add(m);
                    }
                }
            }
        }
        return out;
    }

    @Override
    public List<MessageRecord> records(UidSet uids) {
        return live(uids).stream().map(CassandraMailbox::record).toList();
    }

    @Override
    public List<MessageView> views(int offset, int limit) {
        List<MessageView> out = new ArrayList<>();
        int seen = 0;
        for (int b = 0; b <= CassandraStorage.lastBucket(h.nextUid()) && out.size() < limit; b++) {
            List<CassandraStorage.Msg> live = s.bucket(h.id(), b).stream().filter(m -> m.expungedAt() == null).toList();
            if (seen + live.size() <= offset) {
                seen += live.size();
                continue;
            }
            Map<Long, Row> sums = s.summaries(h.id(), b);
            for (CassandraStorage.Msg m : live) {
                if (seen++ >= offset && out.size() < limit) {
                    out.add(new MessageView(record(m), s.summary(sums.get(m.uid()), m)));
                }
            }
        }
        return out;
    }

    @Override
    public byte[] fetch(int uid) throws IOException {
        CassandraStorage.Msg m = s.message(h.id(), uid);
        if (m == null || m.expungedAt() != null) {
            throw new NoSuchMessageException(name(), uid);
        }
        Blobs.Read r = s.blobs.read(m.blobId(), m.size(), m.crc());
        if (r.problem() != null) {
            throw new MailboxFormatException(h.name() + ": message UID " + uid + ": " + r.problem());
        }
        return r.bytes();
    }

    // ---------------------------------------------------------------- changing

    @Override
    public int[] append(List<NewMessage> messages, boolean sync) throws IOException {
        writable();
        if (messages.isEmpty()) {
            return new int[0];
        }
        long first = h.nextUid();
        long bytes = 0;
        for (NewMessage m : messages) {
            bytes += m.content().length;
        }
        long messagesBefore = h.messages();
        long bytesBefore = h.bytes();
        setHeader(first + messages.size(), messagesBefore, bytesBefore, h.expunged(), "append");
        Window w = new Window(32);
        int[] uids = new int[messages.size()];
        for (int i = 0; i < messages.size(); i++) {
            NewMessage m = messages.get(i);
            uids[i] = (int) (first + i);
            s.writeMessage(w, h.id(), first + i, m.content(), m.internalDate(), m.flags() & Flags.ALL);
        }
        w.await();
        setHeader(h.nextUid(), messagesBefore + messages.size(), bytesBefore + bytes, h.expunged(), null);
        return uids;
    }

    @Override
    public void restore(List<RestoredMessage> messages, long nextUid) throws IOException {
        writable();
        long max = h.nextUid() - 1;
        long bytes = 0;
        for (RestoredMessage m : messages) {
            if (m.uid() < h.nextUid()) {
                throw new IllegalArgumentException(h.name() + ": UID " + m.uid() + " is below the next UID " + h.nextUid());
            }
            max = Math.max(max, m.uid());
            bytes += m.content().length;
        }
        long next = Math.max(nextUid, max + 1);
        long messagesBefore = h.messages();
        long bytesBefore = h.bytes();
        long expungedBefore = h.expunged();
        setHeader(next, messagesBefore, bytesBefore, expungedBefore, "restore");
        Window w = new Window(32);
        long expunged = 0;
        for (RestoredMessage m : messages) {
            s.writeMessage(w, h.id(), m.uid(), m.content(), m.internalDate(), m.flags() & Flags.ALL, m.expungedAt());
            if (m.expunged()) {
                expunged++;
                bytes -= m.content().length;
            }
        }
        w.await();
        setHeader(next, messagesBefore + messages.size() - expunged, bytesBefore + bytes, expungedBefore + expunged, null);
    }

    @Override
    public FlagChange setFlags(UidSet uids, int flags, FlagMode mode) throws IOException {
        writable();
        int f = flags & Flags.ALL;
        List<MessageRecord> was = new ArrayList<>();
        List<MessageRecord> changed = new ArrayList<>();
        Window w = new Window(64);
        for (CassandraStorage.Msg m : live(uids)) {
            int next = switch (mode) {
                case ADD -> m.flags() | f;
                case REMOVE -> m.flags() & ~f;
                case REPLACE -> f;
            };
            if (next != m.flags()) {
                var st = s.cql.bind("UPDATE {mbox}.messages SET flags = ? WHERE mailbox_id = ? AND bucket = ? AND uid = ?", next, h.id(),
                        Schema.uidBucket(m.uid()), m.uid());
                w.submit(() -> s.cql.executeAsync(st));
                was.add(record(m));
                changed.add(new MessageRecord((int) m.uid(), next, m.internalDate(), (int) m.size()));
            }
        }
        w.await();
        return new FlagChange(was, changed);
    }

    @Override
    public ExpungeResult expunge(Predicate<MessageRecord> which, long now) throws IOException {
        writable();
        List<CassandraStorage.Msg> gone = live().stream().filter(m -> which.test(record(m))).toList();
        if (gone.isEmpty()) {
            return ExpungeResult.NONE;
        }
        long bytes = gone.stream().mapToLong(CassandraStorage.Msg::size).sum();
        long messagesBefore = h.messages();
        long bytesBefore = h.bytes();
        long expungedBefore = h.expunged();
        setHeader(h.nextUid(), messagesBefore, bytesBefore, expungedBefore, "expunge");
        Window w = new Window(64);
        int[] uids = new int[gone.size()];
        for (int i = 0; i < gone.size(); i++) {
            CassandraStorage.Msg m = gone.get(i);
            uids[i] = (int) m.uid();
            int b = Schema.uidBucket(m.uid());
            // the purge's to-do row first, then the record leaves the live messages
            var todo = s.cql.bind("INSERT INTO {mbox}.expunged (mailbox_id, bucket, uid, blob_id, size, expunged_at) VALUES (?, ?, ?, ?, ?, ?)",
                    h.id(), b, m.uid(), m.blobId(), m.size(), now);
            var mark = s.cql.bind("UPDATE {mbox}.messages SET expunged_at = ? WHERE mailbox_id = ? AND bucket = ? AND uid = ?", now, h.id(), b,
                    m.uid());
            w.submit(() -> s.cql.executeAsync(todo).thenCompose(x -> s.cql.executeAsync(mark)));
        }
        w.await();
        setHeader(h.nextUid(), messagesBefore - gone.size(), bytesBefore - bytes, expungedBefore + gone.size(), null);
        return new ExpungeResult(gone.size(), bytes, uids);
    }

    @Override
    public long pendingExpunged() {
        return h.expunged();
    }

    @Override
    public String clean(String stamp) {
        throw new UnsupportedOperationException("the cassandra store has no cleanup step: past store.cleanupsize it purges");
    }

    @Override
    public List<String> cleanupStamps() {
        return List.of();
    }

    @Override
    public RemoveResult remove(Predicate<String> isDue) {
        throw new UnsupportedOperationException("the cassandra store has no cleanup step: past store.cleanupsize it purges");
    }

    private List<Row> expungedRows() {
        List<Row> out = new ArrayList<>();
        for (int b = 0; b <= CassandraStorage.lastBucket(h.nextUid()); b++) {
            for (Row r : s.cql.execute("SELECT uid, blob_id, size, expunged_at FROM {mbox}.expunged WHERE mailbox_id = ? AND bucket = ?", h.id(), b)) {
                out.add(r);
            }
        }
        return out;
    }

    @Override
    public PurgeResult purge() throws IOException {
        return purgeExpunged(Long.MAX_VALUE);
    }

    @Override
    public PurgeResult purgeExpunged(long expungedBy) throws IOException {
        writable();
        List<Row> rows = expungedRows();
        List<Row> due = rows.stream().filter(r -> r.getLong("expunged_at") <= expungedBy).toList();
        long expungedBytes = rows.stream().mapToLong(r -> r.getLong("size")).sum();
        long dueBytes = due.stream().mapToLong(r -> r.getLong("size")).sum();
        long recordsBefore = h.messages() + rows.size();
        long bytesBefore = h.bytes() + expungedBytes;
        if (due.isEmpty()) {
            return new PurgeResult(recordsBefore, recordsBefore, bytesBefore, bytesBefore);
        }
        long messages = h.messages();
        long bytes = h.bytes();
        long expunged = h.expunged();
        setHeader(h.nextUid(), messages, bytes, expunged, "purge");
        Window w = new Window(64);
        for (Row r : due) {
            s.deleteMessage(w, h.id(), r.getLong("uid"), r.getUuid("blob_id"));
        }
        w.await();
        setHeader(h.nextUid(), messages, bytes, Math.max(0, expunged - due.size()), null);
        return new PurgeResult(recordsBefore, recordsBefore - due.size(), bytesBefore, bytesBefore - dueBytes);
    }

    /** The name of the operation a header's {@code pending_op} says was interrupted ("unexpunge:12>31,..." is an unexpunge). */
    static String operation(String pendingOp) {
        int colon = pendingOp.indexOf(':');
        return colon < 0 ? pendingOp : pendingOp.substring(0, colon);
    }

    /**
     * The expunged messages not purged yet, in UID order: every one can be recovered (a recovered one is gone from this
     * list: its record and bytes go with the recovery). With {@code headers}, Date, From and Subject from the summaries.
     */
    @Override
    public List<ExpungedMessage> expunged(boolean headers) {
        List<ExpungedMessage> out = new ArrayList<>();
        for (int b = 0; b <= CassandraStorage.lastBucket(h.nextUid()); b++) {
            List<CassandraStorage.Msg> gone = s.bucket(h.id(), b).stream().filter(m -> m.expungedAt() != null).toList();
            if (gone.isEmpty()) {
                continue;
            }
            Map<Long, Row> sums = headers ? s.summaries(h.id(), b) : Map.of();
            for (CassandraStorage.Msg m : gone) {
                org.mstore.api.MessageSummary sum = headers ? s.summary(sums.get(m.uid()), m) : null;
                out.add(new ExpungedMessage((int) m.uid(), m.size(), Instant.ofEpochMilli(m.expungedAt()), Instant.ofEpochMilli(m.internalDate()),
                        sum == null ? "" : sum.date(), sum == null ? "" : sum.from(), sum == null ? "" : sum.subject(),
                        ExpungedMessage.State.RECOVERABLE, 0, null));
            }
        }
        return out;
    }

    /**
     * Recovers expunged messages as new ones (new UIDs, their bytes, internal dates and flags less {@code \Deleted}),
     * all or none: every UID must be an expunged message not purged yet whose bytes still match their checksum. In
     * batches of {@value #RECOVER_BATCH}, each under a header whose {@code pending_op} names the old and new UIDs
     * ("unexpunge:OLD>NEW,..."): the copies are written, then the old records, bytes and purge to-do rows deleted. A
     * batch a crash cuts short is finished by Repair ({@link Repair}): where a copy's record was written the old message
     * goes, otherwise the copy's leftovers go and the old message stays expunged and recoverable, so nothing is
     * recovered twice and nothing is lost.
     */
    @Override
    public int[] unexpunge(int[] oldUids, long now) throws IOException {
        writable();
        Map<Long, CassandraStorage.Msg> gone = new java.util.HashMap<>();
        for (int b = 0; b <= CassandraStorage.lastBucket(h.nextUid()); b++) {
            for (CassandraStorage.Msg m : s.bucket(h.id(), b)) {
                if (m.expungedAt() != null) {
                    gone.put(m.uid(), m);
                }
            }
        }
        java.util.Set<Integer> asked = new java.util.HashSet<>();
        for (int u : oldUids) {
            CassandraStorage.Msg m = gone.get((long) u);
            if (m == null) {
                throw new IllegalArgumentException(h.name() + ": UID " + u + " is not an expunged message that can be recovered"
                        + " (never expunged, purged already, or recovered already)");
            }
            if (!asked.add(u)) {
                throw new IllegalArgumentException(h.name() + ": UID " + u + " is named twice");
            }
            Blobs.Read r = s.blobs.read(m.blobId(), m.size(), m.crc());
            if (r.problem() != null) {
                throw new IllegalArgumentException(h.name() + ": expunged UID " + u + " cannot be recovered: " + r.problem());
            }
        }
        int[] fresh = new int[oldUids.length];
        for (int from = 0; from < oldUids.length; from += RECOVER_BATCH) {
            int to = Math.min(oldUids.length, from + RECOVER_BATCH);
            long first = h.nextUid();
            StringBuilder op = new StringBuilder("unexpunge:");
            for (int i = from; i < to; i++) {
                op.append(i > from ? "," : "").append(oldUids[i]).append('>').append(first + i - from);
            }
            long messages = h.messages();
            long bytes = h.bytes();
            long expunged = h.expunged();
            setHeader(first + (to - from), messages, bytes, expunged, op.toString());
            org.mstore.fs.CrashPoint.hit("cassandra-unexpunge.after-intent");
            Window w = new Window(32);
            long added = 0;
            for (int i = from; i < to; i++) {
                CassandraStorage.Msg m = gone.get((long) oldUids[i]);
                Blobs.Read r = s.blobs.read(m.blobId(), m.size(), m.crc());
                if (r.problem() != null) {
                    w.await();
                    throw new IOException(h.name() + ": expunged UID " + oldUids[i] + " could not be read again (" + r.problem()
                            + "); the recovery stopped, a Repair finishes what it did");
                }
                fresh[i] = (int) (first + i - from);
                s.writeMessage(w, h.id(), fresh[i], r.bytes(), m.internalDate(), m.flags() & Flags.ALL & ~Flags.DELETED);
                added += m.size();
            }
            w.await();
            org.mstore.fs.CrashPoint.hit("cassandra-unexpunge.after-copies");
            Window d = new Window(32);
            for (int i = from; i < to; i++) {
                CassandraStorage.Msg m = gone.get((long) oldUids[i]);
                s.deleteMessage(d, h.id(), m.uid(), m.blobId());
            }
            d.await();
            setHeader(h.nextUid(), messages + (to - from), bytes + added, Math.max(0, expunged - (to - from)), null);
        }
        return fresh;
    }

    /** Messages recovered under one header transaction (its {@code pending_op} lists them). */
    static final int RECOVER_BATCH = 500;

    @Override
    public OptionalLong oldestExpunged() {
        return expungedRows().stream().mapToLong(r -> r.getLong("expunged_at")).min();
    }

    @Override
    public CacheCounts cacheCounts() {
        return new CacheCounts(h.messages() + h.expunged(), h.expunged());
    }

    @Override
    public List<String> verify() {
        List<String> problems = new ArrayList<>();
        if (h.pendingOp() != null && lock == null
                && s.cql.one("SELECT owner FROM {mbox}.mailbox_locks WHERE name = ?", h.name()) == null) {
            problems.add("an interrupted " + operation(h.pendingOp()) + " left it inconsistent");
        }
        long live = 0;
        long bytes = 0;
        long expunged = 0;
        long maxUid = 0;
        java.util.Set<Long> uids = new java.util.HashSet<>();
        for (int b = 0; b <= CassandraStorage.lastBucket(h.nextUid()) + 1; b++) {
            Map<Long, Row> sums = s.summaries(h.id(), b);
            java.util.Set<Long> exp = new java.util.HashSet<>();
            for (Row r : s.cql.execute("SELECT uid FROM {mbox}.expunged WHERE mailbox_id = ? AND bucket = ?", h.id(), b)) {
                exp.add(r.getLong(0));
            }
            for (CassandraStorage.Msg m : s.bucket(h.id(), b)) {
                uids.add(m.uid());
                maxUid = Math.max(maxUid, m.uid());
                if (m.expungedAt() != null) {
                    expunged++;
                    if (!exp.contains(m.uid())) {
                        problems.add("expunged message UID " + m.uid() + " is not on the purge's list");
                    }
                    continue;
                }
                live++;
                bytes += m.size();
                Blobs.Head head = s.blobs.head(m.blobId());
                if (head == null) {
                    problems.add("message UID " + m.uid() + ": its blob is missing");
                } else if (head.size() != m.size() || head.crc() != m.crc()) {
                    problems.add("message UID " + m.uid() + ": its blob's size or checksum differs from its record");
                }
                if (!sums.containsKey(m.uid())) {
                    problems.add("message UID " + m.uid() + ": its summary is missing from the cache");
                }
            }
            for (Row r : s.cql.execute("SELECT uid FROM {msg}.blob_refs WHERE mailbox_id = ? AND bucket = ?", h.id(), b)) {
                if (!uids.contains(r.getLong(0)) && !exp.contains(r.getLong(0))) {
                    problems.add("a blob (UID " + r.getLong(0) + ") belongs to no message");
                }
            }
        }
        if (live != h.messages() || bytes != h.bytes()) {
            problems.add("the header counts " + h.messages() + " messages of " + h.bytes() + " bytes; the records hold " + live + " of " + bytes);
        }
        if (expunged != h.expunged()) {
            problems.add("the header counts " + h.expunged() + " expunged messages; the records hold " + expunged);
        }
        if (maxUid >= h.nextUid()) {
            problems.add("UID " + maxUid + " is not below the next UID " + h.nextUid());
        }
        return problems;
    }

    @Override
    public void close() {
        if (lock != null) {
            lock.close();
            lock = null;
        }
    }
}
