package org.mstore.cassandra;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import org.mstore.api.MailboxInfo;
import org.mstore.backend.RepairResult;

import com.datastax.oss.driver.api.core.cql.Row;

/**
 * Repair of a Cassandra mailbox (the caller holds its lock): re-derives everything from the message rows and their
 * blobs. A live message whose blob is missing is dropped (lost); one whose bytes no longer match their checksum is
 * quarantined (kept aside, never served); an expunged message stays expunged and on the purge's list; a purge that a
 * crash cut short is finished; a blob that no record points to is deleted; a missing summary is rebuilt from the
 * bytes; the header's counts and next UID are written anew and its interrupted operation cleared.
 */
final class Repair {
    private final CassandraStorage s;
    private final MailboxInfo info;
    private final long now;
    private final List<String> notes = new ArrayList<>();

    Repair(CassandraStorage s, MailboxInfo info, long now) {
        this.s = s;
        this.info = info;
        this.now = now;
    }

    /**
     * An unexpunge cut short (its header says "unexpunge:OLD>NEW,..."): a copy whose record was written (a record is
     * written last, after its bytes and summary) is the recovered message, and the old one goes; where it was not, the
     * copy's leftovers are swept below as blobs without a record and the old message stays expunged.
     */
    private void finishUnexpunge(UUID id, String op) throws IOException {
        Window w = new Window(32);
        int done = 0;
        int undone = 0;
        for (String pair : op.substring("unexpunge:".length()).split(",")) {
            int gt = pair.indexOf('>');
            if (gt < 0) {
                continue;
            }
            long oldUid = Long.parseLong(pair.substring(0, gt));
            long newUid = Long.parseLong(pair.substring(gt + 1));
            CassandraStorage.Msg copy = s.message(id, newUid);
            CassandraStorage.Msg old = s.message(id, oldUid);
            if (copy != null && copy.expungedAt() == null) {
                done++;
                if (old != null) {
                    s.deleteMessage(w, id, oldUid, old.blobId());
                }
            } else {
                undone++;
            }
        }
        w.await();
        notes.add("an interrupted unexpunge was finished: " + done + " recovered, " + undone + " left expunged (recover them again)");
    }

    RepairResult run() throws IOException {
        CassandraStorage.Header h = s.header(info.name());
        UUID id = h != null && h.id() != null ? h.id() : CassandraStorage.mailboxId(info.name(), info.uidValidity());
        long uidValidity = h != null ? h.uidValidity() : info.uidValidity();
        long nextUid = Math.max(h != null ? h.nextUid() : 1, info.nextUid());
        long created = h != null ? h.created() : info.created() == null ? now : info.created().toEpochMilli();
        if (h == null) {
            notes.add("its storage header was missing; rebuilt from its message rows");
        }
        if (h != null && h.pendingOp() != null && h.pendingOp().startsWith("unexpunge:")) {
            finishUnexpunge(id, h.pendingOp());
        }
        long live = 0;
        long bytes = 0;
        long expunged = 0;
        long maxUid = 0;
        int damaged = 0;
        int lost = 0;
        int orphans = 0;
        Window w = new Window(32);
        Set<Long> inQuarantine = new HashSet<>();
        for (Row r : s.cql.execute("SELECT uid FROM {mbox}.quarantine WHERE mailbox_id = ?", id)) {
            inQuarantine.add(r.getLong(0));
        }
        // read on past the next UID until an empty bucket: rows a crash wrote beyond it count too
        for (int b = 0; b <= CassandraStorage.lastBucket(nextUid) || !s.bucket(id, b).isEmpty(); b++) {
            int bucket = b;
            Map<Long, Row> sums = s.summaries(id, b);
            Map<Long, Row> toPurge = new HashMap<>();
            for (Row r : s.cql.execute("SELECT uid, blob_id, size, expunged_at FROM {mbox}.expunged WHERE mailbox_id = ? AND bucket = ?", id, b)) {
                toPurge.put(r.getLong("uid"), r);
            }
            Set<Long> quarantined = new HashSet<>();
            Set<Long> seen = new HashSet<>();
            for (CassandraStorage.Msg m : s.bucket(id, b)) {
                seen.add(m.uid());
                maxUid = Math.max(maxUid, m.uid());
                if (m.expungedAt() != null) {
                    expunged++;
                    if (!toPurge.containsKey(m.uid())) {
                        w.submit(() -> s.cql.executeAsync(s.cql.bind("INSERT INTO {mbox}.expunged (mailbox_id, bucket, uid, blob_id, size, expunged_at) "
                                + "VALUES (?, ?, ?, ?, ?, ?)", id, bucket, m.uid(), m.blobId(), m.size(), m.expungedAt())));
                    }
                    continue;
                }
                Blobs.Read read = s.blobs.read(m.blobId(), m.size(), m.crc());
                if (read.problem() != null && read.problem().contains("missing")) {
                    lost++;
                    notes.add("message UID " + m.uid() + " was lost: " + read.problem());
                    s.deleteMessage(w, id, m.uid(), m.blobId());
                } else if (read.problem() != null) {
                    damaged++;
                    quarantined.add(m.uid());
                    notes.add("message UID " + m.uid() + " quarantined: " + read.problem());
                    var q = s.cql.bind("INSERT INTO {mbox}.quarantine (mailbox_id, uid, blob_id, size, at, reason) VALUES (?, ?, ?, ?, ?, ?)", id,
                            m.uid(), m.blobId(), m.size(), now, read.problem());
                    var rec = s.cql.bind("DELETE FROM {mbox}.messages WHERE mailbox_id = ? AND bucket = ? AND uid = ?", id, bucket, m.uid());
                    var sum = s.cql.bind("DELETE FROM {cache}.summaries WHERE mailbox_id = ? AND bucket = ? AND uid = ?", id, bucket, m.uid());
                    w.submit(() -> s.cql.executeAsync(q).thenCompose(x -> s.cql.executeAsync(rec)).thenCompose(x -> s.cql.executeAsync(sum)));
                } else {
                    live++;
                    bytes += m.size();
                    if (!sums.containsKey(m.uid())) {
                        w.submit(() -> s.cql.executeAsync(s.summaryInsert(id, m.uid(), read.bytes(), m.internalDate())));
                    }
                }
            }
            // a purge cut short: the record is gone, its to-do row is not
            for (Row r : toPurge.values()) {
                if (!seen.contains(r.getLong("uid"))) {
                    s.deleteMessage(w, id, r.getLong("uid"), r.getUuid("blob_id"));
                }
            }
            quarantined.addAll(inQuarantine);
            for (Row r : s.cql.execute("SELECT uid, blob_id FROM {msg}.blob_refs WHERE mailbox_id = ? AND bucket = ?", id, b)) {
                long uid = r.getLong("uid");
                if (!seen.contains(uid) && !toPurge.containsKey(uid) && !quarantined.contains(uid)) {
                    orphans++;
                    maxUid = Math.max(maxUid, uid);
                    s.deleteMessage(w, id, uid, r.getUuid("blob_id"));
                }
            }
        }
        w.await();
        if (orphans > 0) {
            notes.add(orphans + " blobs that no message record pointed to were deleted");
        }
        long next = Math.max(nextUid, maxUid + 1);
        // through Paxos, like every other change of the header (a plain write could lose to an earlier one's timestamp)
        boolean written = h != null
                ? s.cql.lwt("UPDATE {mbox}.mailbox_storage SET mailbox_id = ?, uidvalidity = ?, next_uid = ?, messages = ?, bytes = ?, expunged = ?, "
                        + "created = ?, pending_op = null WHERE user = ? AND name = ? IF EXISTS", id, uidValidity, next, live, bytes, expunged, created,
                        Schema.user(info.name()), info.name())
                : s.cql.lwt("INSERT INTO {mbox}.mailbox_storage (user, name, mailbox_id, uidvalidity, next_uid, messages, bytes, expunged, created) "
                        + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) IF NOT EXISTS", Schema.user(info.name()), info.name(), id, uidValidity, next, live, bytes,
                        expunged, created);
        if (!written) {
            throw new IOException(info.name() + ": its storage header changed during the repair; the repair will run again");
        }
        return new RepairResult((int) live, bytes, next, expunged, damaged, lost, 0, orphans, notes, 0);
    }
}
