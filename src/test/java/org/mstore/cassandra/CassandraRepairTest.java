package org.mstore.cassandra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.Action;
import org.mstore.api.Outcome;
import org.mstore.api.QueueEntry;
import org.mstore.api.RepairRequestedException;
import org.mstore.api.TaskResult;

/**
 * Self-healing on the Cassandra store: damaged metadata is detected when a mailbox is used, logged with the seed's
 * lines, queued once for Repair; Repair re-derives counts, size and UIDNEXT, drops records whose blob is missing,
 * quarantines altered bytes (never served), deletes blobs no record points to; a mailbox repaired after the request
 * is skipped.
 */
@ExtendWith(CassandraFixture.class)
class CassandraRepairTest {
    static final String BOX = "user/bob";
    static String prefix;
    @TempDir
    Path tmp;
    CassandraTestStore s;
    UUID id;

    @BeforeAll
    static void keyspaces() {
        prefix = CassandraFixture.newPrefix("repair");
    }

    @BeforeEach
    void setUp() throws Exception {
        s = CassandraTestStore.create(tmp, prefix);
        s.mailbox(BOX);
        s.append(BOX, 20);
        id = s.backend.mailboxIdForTests(BOX);
    }

    @AfterEach
    void tearDown() throws Exception {
        s.engine.mailboxes().delete(BOX);
        s.close();
    }

    private UUID blobOf(int uid) {
        return s.backend.uuidForTests("SELECT blob_id FROM {mbox}.messages WHERE mailbox_id = ? AND bucket = 0 AND uid = ?", id, (long) uid);
    }

    private List<String> log() throws Exception {
        return java.nio.file.Files.readAllLines(s.engine.log().file());
    }

    @Test
    void damaged_counts_are_found_reported_queued_once_and_re_derived() throws Exception {
        s.backend.cqlForTests("UPDATE {mbox}.mailbox_storage SET messages = 999, bytes = -5 WHERE user = 'bob' AND name = ?", BOX);
        assertThatThrownBy(() -> s.engine.mailboxes().fetch(BOX, 1)).isInstanceOf(RepairRequestedException.class)
                .hasMessageContaining("Mailbox has an invalid format; repair requested");
        assertThatThrownBy(() -> s.engine.mailboxes().fetch(BOX, 2)).isInstanceOf(RepairRequestedException.class);
        assertThat(s.queue()).extracting(QueueEntry::action).containsExactly(Action.REPAIR); // once
        assertThat(log()).anySatisfy(l -> assertThat(l).endsWith("Store Error: user/bob: Mailbox has an invalid format; repair requested"));

        List<TaskResult> r = s.engine.daemon().drain();
        assertThat(r).extracting(TaskResult::outcome).containsExactly(Outcome.DONE);
        assertThat(log()).anySatisfy(l -> assertThat(l).contains(" impurge[").endsWith("General Notice: repairing user/bob"));
        var info = s.engine.mailboxes().get(BOX);
        assertThat(info.messageCount()).isEqualTo(20);
        assertThat(info.nextUid()).isEqualTo(21);
        assertThat(info.lastRepair()).isNotNull();
        assertThat(new String(s.engine.mailboxes().fetch(BOX, 1))).contains("Body 0");
        assertThat(s.engine.maintenance().inspect(BOX).problems()).isEmpty();
    }

    @Test
    void a_lost_storage_header_is_rebuilt_from_the_message_rows() throws Exception {
        s.backend.cqlForTests("DELETE FROM {mbox}.mailbox_storage WHERE user = 'bob' AND name = ?", BOX);
        assertThatThrownBy(() -> s.engine.mailboxes().messages(BOX, 0, 10)).hasMessageContaining("repair requested");
        assertThat(log()).anySatisfy(l -> assertThat(l).contains("Store Critical: Unable to open mailbox user/bob: Mailbox does not exist"));
        s.engine.daemon().drain();
        assertThat(s.engine.mailboxes().messages(BOX, 0, 100)).hasSize(20);
        assertThat(s.append(BOX, 1)).containsExactly(21); // UIDNEXT re-derived: no UID is given twice
    }

    @Test
    void a_record_whose_blob_is_missing_is_dropped_and_the_rest_kept() throws Exception {
        s.backend.cqlForTests("DELETE FROM {msg}.blobs WHERE blob_id = ?", blobOf(3));
        assertThatThrownBy(() -> s.engine.mailboxes().fetch(BOX, 3)).hasMessageContaining("repair requested")
                .hasMessageContaining("its blob is missing");
        List<TaskResult> r = s.engine.daemon().drain();
        assertThat(r.get(0).detail()).contains("19 messages").contains("1 indexed messages had no file");
        assertThat(s.engine.mailboxes().get(BOX).messageCount()).isEqualTo(19);
        assertThat(s.engine.mailboxes().snapshot(BOX).records()).extracting(x -> x.uid()).doesNotContain(3).contains(2, 4);
        assertThat(s.rows("SELECT uid FROM {msg}.blob_refs WHERE mailbox_id = ? AND bucket = 0", id)).isEqualTo(19);
    }

    @Test
    void altered_bytes_are_never_served_and_are_quarantined() throws Exception {
        s.backend.cqlForTests("UPDATE {msg}.blobs SET data = ? WHERE blob_id = ? AND chunk = 0",
                ByteBuffer.wrap("From: x\r\n\r\naltered".getBytes()), blobOf(5));
        assertThatThrownBy(() -> s.engine.mailboxes().fetch(BOX, 5)).hasMessageContaining("repair requested");
        s.engine.daemon().drain();
        var d = s.engine.mailboxes().details(BOX);
        assertThat(d.quarantined()).extracting(q -> q.uid()).containsExactly(5);
        assertThat(s.engine.mailboxes().get(BOX).messageCount()).isEqualTo(19);
        assertThatThrownBy(() -> s.engine.mailboxes().fetch(BOX, 5)).isInstanceOf(org.mstore.api.NoSuchMessageException.class);
    }

    @Test
    void blobs_no_record_points_to_are_deleted_by_repair() throws Exception {
        UUID orphan = UUID.randomUUID();
        s.backend.cqlForTests("INSERT INTO {msg}.blob_refs (mailbox_id, bucket, uid, blob_id, size, written_at) VALUES (?, 0, 21, ?, 4, 0)", id, orphan);
        s.backend.cqlForTests("INSERT INTO {msg}.blobs (blob_id, chunk, data, size, crc32c, chunks) VALUES (?, 0, ?, 4, 0, 1)", orphan,
                ByteBuffer.wrap("junk".getBytes()));
        assertThat(s.engine.maintenance().inspect(BOX).problems()).anySatisfy(p -> assertThat(p).contains("belongs to no message"));
        String detail = s.engine.maintenance().reconstruct(BOX);
        assertThat(detail).contains("20 messages");
        assertThat(s.rows("SELECT chunk FROM {msg}.blobs WHERE blob_id = ?", orphan)).isZero();
        assertThat(s.engine.maintenance().inspect(BOX).problems()).isEmpty();
        assertThat(s.append(BOX, 1)).containsExactly(22); // the orphan's UID is not given again
    }

    @Test
    void an_operation_cut_short_is_detected_by_the_next_writer_and_repaired() throws Exception {
        // a writer died between its intent and its end: its intent stays on the header
        s.backend.cqlForTests("UPDATE {mbox}.mailbox_storage SET pending_op = 'expunge' WHERE user = 'bob' AND name = ?", BOX);
        assertThatThrownBy(() -> s.append(BOX, 1)).hasMessageContaining("an interrupted expunge");
        s.engine.daemon().drain();
        assertThat(s.append(BOX, 1)).containsExactly(21);
    }

    @Test
    void repair_is_skipped_when_mailbox_was_repaired_after_enqueue() throws Exception {
        s.engine.queue().request(BOX, Action.REPAIR);
        // the request is forced (an administrator's); a corruption report is not
        s.engine.queue().remove(s.queue().stream().map(QueueEntry::recno).toList());
        s.engine.context().queue().enqueue(BOX, Action.REPAIR, s.clock.millis(), false);
        s.clock.advance(Duration.ofSeconds(5));
        s.engine.maintenance().reconstruct(BOX);
        List<TaskResult> r = s.engine.daemon().drain();
        assertThat(r).extracting(TaskResult::outcome).containsExactly(Outcome.SKIPPED);
        assertThat(r.get(0).detail()).contains("after the request");
    }
}
