package org.mstore.cassandra;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import org.mstore.api.MailboxDetails;
import org.mstore.api.MailboxFormatException;
import org.mstore.api.MailboxInfo;
import org.mstore.api.MessageSummary;
import org.mstore.backend.MailboxHandle;
import org.mstore.backend.MessageStorage;
import org.mstore.backend.RepairResult;
import org.mstore.store.MessageHeaders;
import org.mstore.store.SummaryCodec;

import com.datastax.oss.driver.api.core.cql.Row;

/**
 * The Cassandra store's mailboxes. A mailbox's storage header ({@code mailbox_storage}: its id, UID validity, next UID,
 * counts, and the operation in progress) is what {@code store.idx}'s header is to the classic store; its messages are
 * rows of {@code messages} bucketed by UID, their bytes blobs in {@code <prefix>msg}, their envelope summaries in
 * {@code <prefix>cache}. Writers hold the mailbox's lock ({@link MailboxLocks}).
 */
final class CassandraStorage implements MessageStorage {
    static final String PARTITION = "primary";

    final Cql cql;
    final Blobs blobs;
    final MailboxLocks locks;

    CassandraStorage(Cql cql, MailboxLocks locks) {
        this.cql = cql;
        this.blobs = new Blobs(cql);
        this.locks = locks;
    }

    /** A mailbox's storage header. */
    record Header(String name, UUID id, long uidValidity, long nextUid, long messages, long bytes, long expunged, long created,
                  String pendingOp) {
    }

    /** A message row: live when {@code expungedAt} is null. */
    record Msg(long uid, UUID blobId, long size, int crc, long internalDate, int flags, Long expungedAt) {
    }

    /** The mailbox's id: from its name and UID validity, so that a lost header can be found again, and a new mailbox of an old name starts clean. */
    static UUID mailboxId(String name, long uidValidity) {
        return UUID.nameUUIDFromBytes(("mstore:" + name + ":" + uidValidity).getBytes(StandardCharsets.UTF_8));
    }

    Header header(String name) {
        Row r = cql.one("SELECT name, mailbox_id, uidvalidity, next_uid, messages, bytes, expunged, created, pending_op "
                + "FROM {mbox}.mailbox_storage WHERE user = ? AND name = ?", Schema.user(name), name);
        return r == null ? null : header(r);
    }

    static Header header(Row r) {
        return new Header(r.getString("name"), r.getUuid("mailbox_id"), r.getLong("uidvalidity"), r.getLong("next_uid"), r.getLong("messages"),
                r.getLong("bytes"), r.getLong("expunged"), r.getLong("created"), r.getString("pending_op"));
    }

    // ---------------------------------------------------------------- message rows

    static Msg msg(Row r) {
        return new Msg(r.getLong("uid"), r.getUuid("blob_id"), r.getLong("size"), r.getInt("crc32c"), r.getLong("internal_date"),
                r.getInt("flags"), r.isNull("expunged_at") ? null : r.getLong("expunged_at"));
    }

    List<Msg> bucket(UUID id, int bucket) {
        List<Msg> out = new ArrayList<>();
        for (Row r : cql.execute("SELECT uid, blob_id, size, crc32c, internal_date, flags, expunged_at FROM {mbox}.messages "
                + "WHERE mailbox_id = ? AND bucket = ?", id, bucket)) {
            if (!r.isNull("blob_id")) {
                out.add(msg(r));
            }
        }
        return out;
    }

    Msg message(UUID id, long uid) {
        Row r = cql.one("SELECT uid, blob_id, size, crc32c, internal_date, flags, expunged_at FROM {mbox}.messages "
                + "WHERE mailbox_id = ? AND bucket = ? AND uid = ?", id, Schema.uidBucket(uid), uid);
        return r == null || r.isNull("blob_id") ? null : msg(r);
    }

    /** The buckets a mailbox's UIDs below {@code nextUid} fall in. */
    static int lastBucket(long nextUid) {
        return Schema.uidBucket(Math.max(0, nextUid - 1));
    }

    MessageSummary summary(Row r, Msg m) {
        if (r == null) {
            return new MessageSummary(m.internalDate(), (int) m.size(), "", "", "", "", "", "", "", "");
        }
        return new MessageSummary(m.internalDate(), (int) m.size(), nz(r.getString("date")), nz(r.getString("from_")), nz(r.getString("to_")),
                nz(r.getString("cc")), nz(r.getString("subject")), nz(r.getString("message_id")), nz(r.getString("in_reply_to")),
                nz(r.getString("content_type")));
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }

    Map<Long, Row> summaries(UUID id, int bucket) {
        Map<Long, Row> out = new HashMap<>();
        for (Row r : cql.execute("SELECT uid, date, from_, to_, cc, subject, message_id, in_reply_to, content_type FROM {cache}.summaries "
                + "WHERE mailbox_id = ? AND bucket = ?", id, bucket)) {
            out.put(r.getLong("uid"), r);
        }
        return out;
    }

    com.datastax.oss.driver.api.core.cql.BoundStatement summaryInsert(UUID id, long uid, byte[] content, long internalDate) {
        int head = MessageHeaders.headerEnd(content, content.length);
        MessageSummary s = SummaryCodec.parse(content, head, internalDate, content.length);
        return cql.bind("INSERT INTO {cache}.summaries (mailbox_id, bucket, uid, date, from_, to_, cc, subject, message_id, in_reply_to, "
                + "content_type) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", id, Schema.uidBucket(uid), uid, cut(s.date()), cut(s.from()),
                cut(s.to()), cut(s.cc()), cut(s.subject()), cut(s.messageId()), cut(s.inReplyTo()), cut(s.contentType()));
    }

    private static String cut(String s) {
        return s.length() > 1000 ? s.substring(0, 1000) : s;
    }

    /** Writes one message: its blob reference first (so that a blob is never unaccounted for), its bytes, its summary, then its record. */
    void writeMessage(Window w, UUID id, long uid, byte[] content, long internalDate, int flags) {
        writeMessage(w, id, uid, content, internalDate, flags, 0);
    }

    /**
     * {@link #writeMessage(Window, UUID, long, byte[], long, int)}; with {@code expungedAt} above 0 the message is written
     * expunged at that time (a migration's copy of an expunged message still recoverable at its source): its Purge
     * to-do row before its record, as an expunge writes them, and the record with its {@code expunged_at}.
     */
    void writeMessage(Window w, UUID id, long uid, byte[] content, long internalDate, int flags, long expungedAt) {
        UUID blobId = UUID.randomUUID();
        int crc = Blobs.crc32c(content);
        int b = Schema.uidBucket(uid);
        // every statement is bound here: a driver thread must not prepare
        var ref = cql.bind("INSERT INTO {msg}.blob_refs (mailbox_id, bucket, uid, blob_id, size, written_at) VALUES (?, ?, ?, ?, ?, ?)", id, b,
                uid, blobId, (long) content.length, System.currentTimeMillis());
        var blob = blobs.writeStatement(blobId, content, crc, id, uid);
        var summary = summaryInsert(id, uid, content, internalDate);
        var record = cql.bind("INSERT INTO {mbox}.messages (mailbox_id, bucket, uid, blob_id, size, crc32c, internal_date, flags) "
                + "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", id, b, uid, blobId, (long) content.length, crc, internalDate, flags);
        if (expungedAt > 0) {
            var todo = cql.bind("INSERT INTO {mbox}.expunged (mailbox_id, bucket, uid, blob_id, size, expunged_at) VALUES (?, ?, ?, ?, ?, ?)",
                    id, b, uid, blobId, (long) content.length, expungedAt);
            var expunged = cql.bind("INSERT INTO {mbox}.messages (mailbox_id, bucket, uid, blob_id, size, crc32c, internal_date, flags, "
                    + "expunged_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", id, b, uid, blobId, (long) content.length, crc, internalDate, flags,
                    expungedAt);
            w.submit(() -> cql.executeAsync(ref).thenCompose(x -> cql.executeAsync(blob)).thenCompose(x -> cql.executeAsync(summary))
                    .thenCompose(x -> cql.executeAsync(todo)).thenCompose(x -> cql.executeAsync(expunged)));
            return;
        }
        w.submit(() -> cql.executeAsync(ref).thenCompose(x -> cql.executeAsync(blob)).thenCompose(x -> cql.executeAsync(summary))
                .thenCompose(x -> cql.executeAsync(record)));
    }

    /** Deletes everything of one message: record, summary, bytes, blob reference, expunge row (that last, it is the purge's to-do). */
    void deleteMessage(Window w, UUID id, long uid, UUID blobId) {
        int b = Schema.uidBucket(uid);
        var record = cql.bind("DELETE FROM {mbox}.messages WHERE mailbox_id = ? AND bucket = ? AND uid = ?", id, b, uid);
        var summary = cql.bind("DELETE FROM {cache}.summaries WHERE mailbox_id = ? AND bucket = ? AND uid = ?", id, b, uid);
        var blob = blobId == null ? null : blobs.deleteStatement(blobId);
        var ref = cql.bind("DELETE FROM {msg}.blob_refs WHERE mailbox_id = ? AND bucket = ? AND uid = ?", id, b, uid);
        var todo = cql.bind("DELETE FROM {mbox}.expunged WHERE mailbox_id = ? AND bucket = ? AND uid = ?", id, b, uid);
        w.submit(() -> cql.executeAsync(record).thenCompose(x -> cql.executeAsync(summary))
                .thenCompose(x -> blob == null ? java.util.concurrent.CompletableFuture.completedFuture(null) : cql.executeAsync(blob))
                .thenCompose(x -> cql.executeAsync(ref)).thenCompose(x -> cql.executeAsync(todo)));
    }

    // ---------------------------------------------------------------- MessageStorage

    @Override
    public void validatePartition(String partition) {
        if (!PARTITION.equals(partition)) {
            throw new IllegalArgumentException("the cassandra store has one partition, '" + PARTITION + "' (not '" + partition + "')");
        }
    }

    @Override
    public List<String> partitions() {
        return List.of(PARTITION);
    }

    @Override
    public boolean holds(MailboxInfo info) {
        return header(info.name()) != null;
    }

    @Override
    public MailboxHandle create(MailboxInfo info, long now) throws IOException {
        UUID id = mailboxId(info.name(), info.uidValidity());
        if (!cql.lwt("INSERT INTO {mbox}.mailbox_storage (user, name, mailbox_id, uidvalidity, next_uid, messages, bytes, expunged, created) "
                + "VALUES (?, ?, ?, ?, 1, 0, 0, 0, ?) IF NOT EXISTS", Schema.user(info.name()), info.name(), id, info.uidValidity(), now)) {
            throw new IllegalArgumentException("cannot create " + info.name() + ": storage already holds a mailbox of that name");
        }
        return new CassandraMailbox(this, header(info.name()));
    }

    @Override
    public MailboxHandle open(MailboxInfo info, boolean readOnly) throws IOException {
        Header h = header(info.name());
        if (h == null) {
            throw new MailboxFormatException(info.name() + ": its storage header is missing", true);
        }
        check(h);
        return new CassandraMailbox(this, h);
    }

    /** The sanity checks of an open: a header whose numbers cannot be is a format error (a Repair re-derives them). */
    static void check(Header h) throws MailboxFormatException {
        if (h.id() == null || h.nextUid() < 1 || h.messages() < 0 || h.bytes() < 0 || h.expunged() < 0 || h.messages() >= h.nextUid()) {
            throw new MailboxFormatException(h.name() + ": its storage header is inconsistent (next UID " + h.nextUid() + ", " + h.messages()
                    + " messages, " + h.bytes() + " bytes, " + h.expunged() + " expunged)");
        }
    }

    @Override
    public AutoCloseable lock(MailboxInfo info) throws IOException {
        return locks.acquire(info.name());
    }

    /**
     * Not on this store: a mailbox's rows are keyed by an id made from its name, so a rename is a copy of every row
     * (SPEC §12 leaves it out). Refused before anything changes; IMAP answers {@code NO [CANNOT]}.
     */
    @Override
    public void rename(MailboxInfo from, MailboxInfo to) {
        throw new UnsupportedOperationException("renaming a mailbox is not supported on a cassandra store");
    }

    @Override
    public void deleteTree(MailboxInfo info) throws IOException {
        List<Header> all = new ArrayList<>();
        Header top = header(info.name());
        if (top != null) {
            all.add(top);
        }
        for (Row r : cql.execute("SELECT name, mailbox_id, uidvalidity, next_uid, messages, bytes, expunged, created, pending_op "
                + "FROM {mbox}.mailbox_storage WHERE user = ? AND name > ? AND name < ?", Schema.user(info.name()), info.name() + "/",
                info.name() + "0")) {
            all.add(header(r));
        }
        for (Header h : all) {
            // the intent first: a deletion cut short is finished by the next one that opens the store
            cql.execute("INSERT INTO {mbox}.deleted_mailboxes (shard, mailbox_id, name, next_uid, at) VALUES (0, ?, ?, ?, ?)", h.id(), h.name(),
                    h.nextUid(), System.currentTimeMillis());
            // through Paxos like every other change of a header (a plain delete could lose to a header write's ballot timestamp)
            cql.lwt("DELETE FROM {mbox}.mailbox_storage WHERE user = ? AND name = ? IF EXISTS", Schema.user(h.name()), h.name());
            purgeAll(h.id(), h.nextUid());
            cql.execute("DELETE FROM {mbox}.deleted_mailboxes WHERE shard = 0 AND mailbox_id = ?", h.id());
        }
    }

    /** Finishes deletions that a crash cut short (nothing of a deleted mailbox is left behind). */
    int finishDeletions() throws IOException {
        int n = 0;
        for (Row r : cql.execute("SELECT mailbox_id, next_uid, at FROM {mbox}.deleted_mailboxes WHERE shard = 0").all()) {
            if (System.currentTimeMillis() - r.getLong("at") < 600_000) {
                continue; // maybe still running elsewhere
            }
            purgeAll(r.getUuid("mailbox_id"), r.getLong("next_uid"));
            cql.execute("DELETE FROM {mbox}.deleted_mailboxes WHERE shard = 0 AND mailbox_id = ?", r.getUuid("mailbox_id"));
            n++;
        }
        return n;
    }

    /** Deletes every row of a mailbox: its messages' blobs (live, expunged, quarantined, and any a crash left), then its partitions. */
    private void purgeAll(UUID id, long nextUid) throws IOException {
        Window w = new Window(64);
        Set<UUID> blobIds = new HashSet<>();
        int last = lastBucket(nextUid) + 1; // one more: a crash may have written past the header's next UID
        for (int b = 0; b <= last; b++) {
            for (Msg m : bucket(id, b)) {
                blobIds.add(m.blobId());
            }
            for (Row r : cql.execute("SELECT blob_id FROM {msg}.blob_refs WHERE mailbox_id = ? AND bucket = ?", id, b)) {
                blobIds.add(r.getUuid(0));
            }
            for (Row r : cql.execute("SELECT blob_id FROM {mbox}.expunged WHERE mailbox_id = ? AND bucket = ?", id, b)) {
                blobIds.add(r.getUuid(0));
            }
        }
        for (Row r : cql.execute("SELECT blob_id FROM {mbox}.quarantine WHERE mailbox_id = ?", id)) {
            blobIds.add(r.getUuid(0));
        }
        for (UUID blob : blobIds) {
            if (blob != null) {
                w.submit(() -> blobs.delete(blob));
            }
        }
        w.await();
        for (int b = 0; b <= last; b++) {
            int bb = b;
            w.submit(() -> cql.executeAsync(cql.bind("DELETE FROM {mbox}.messages WHERE mailbox_id = ? AND bucket = ?", id, bb)));
            w.submit(() -> cql.executeAsync(cql.bind("DELETE FROM {mbox}.expunged WHERE mailbox_id = ? AND bucket = ?", id, bb)));
            w.submit(() -> cql.executeAsync(cql.bind("DELETE FROM {cache}.summaries WHERE mailbox_id = ? AND bucket = ?", id, bb)));
            w.submit(() -> cql.executeAsync(cql.bind("DELETE FROM {msg}.blob_refs WHERE mailbox_id = ? AND bucket = ?", id, bb)));
        }
        w.submit(() -> cql.executeAsync(cql.bind("DELETE FROM {mbox}.quarantine WHERE mailbox_id = ?", id)));
        w.await();
    }

    @Override
    public RepairResult rebuild(MailboxInfo info, long now) throws IOException {
        return new Repair(this, info, now).run();
    }

    @Override
    public MailboxDetails details(MailboxInfo info) {
        Header h = header(info.name());
        List<MailboxDetails.Quarantined> q = new ArrayList<>();
        if (h != null) {
            for (Row r : cql.execute("SELECT uid, size, at, reason FROM {mbox}.quarantine WHERE mailbox_id = ?", h.id())) {
                q.add(new MailboxDetails.Quarantined((int) r.getLong("uid"), r.getLong("size"), Instant.ofEpochMilli(r.getLong("at")),
                        r.getString("reason")));
            }
        }
        return new MailboxDetails(info, List.of(), q);
    }

    @Override
    public List<Found> scan(long now) {
        List<Found> out = new ArrayList<>();
        for (Row r : cql.execute("SELECT name, mailbox_id, uidvalidity, next_uid, messages, bytes, expunged, created, pending_op "
                + "FROM {mbox}.mailbox_storage")) {
            Header h = header(r);
            MailboxInfo info = MailboxInfo.created(h.name(), PARTITION, h.uidValidity(), Instant.ofEpochMilli(h.created())).edit()
                    .nextUid(h.nextUid()).messages(h.messages(), h.bytes()).expunged(h.expunged()).cache(h.messages() + h.expunged(), h.expunged())
                    .build();
            boolean broken;
            try {
                check(h);
                broken = h.pendingOp() != null;
            } catch (MailboxFormatException e) {
                broken = true;
            }
            out.add(new Found(info, broken, List.of()));
        }
        out.sort(java.util.Comparator.comparing(f -> f.info().name()));
        return out;
    }
}
