package org.mstore.mailbox;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.Action;
import org.mstore.api.CheckReport;
import org.mstore.api.FlagMode;
import org.mstore.api.Flags;
import org.mstore.api.MailboxFormatException;
import org.mstore.api.MailboxInfo;
import org.mstore.api.Outcome;
import org.mstore.api.QueueEntry;
import org.mstore.api.TaskResult;
import org.mstore.api.UidSet;
import org.mstore.engine.Engine;
import org.mstore.store.CacheFile;
import org.mstore.store.ExpungeFile;
import org.mstore.store.IndexRecord;
import org.mstore.store.Mailbox;
import org.mstore.store.MailboxIndex;
import org.mstore.testing.Disk;
import org.mstore.testing.TestStore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.groups.Tuple.tuple;

/** SPEC §4 "Self-healing" and the seed's "Mailbox Self Healing (Auto Repair)". */
class SelfHealingTest {
    static final String BOX = "user/alice";
    static final String REPAIR_REQUESTED = "Store Error: user/alice: Mailbox has an invalid format; repair requested";
    @TempDir
    Path tmp;
    TestStore s;
    Path dir;

    @BeforeEach
    void setUp() throws Exception {
        s = TestStore.create(tmp);
        s.mailbox(BOX);
        s.append(BOX, 10);
        dir = s.dir(BOX);
    }

    @AfterEach
    void tearDown() {
        s.close();
    }

    private String body(int uid) throws Exception {
        return new String(s.engine.mailboxes().fetch(BOX, uid), StandardCharsets.UTF_8);
    }

    private List<String> messageLines() throws Exception {
        return s.logLines().stream().map(l -> l.substring(l.indexOf("]: ") + 3)).toList();
    }

    private IndexRecord record(int uid) throws Exception {
        try (Mailbox mb = s.open(BOX)) {
            return mb.index().get(mb.index().find(uid));
        }
    }

    private List<Integer> uids() throws Exception {
        return s.engine.mailboxes().messages(BOX, 0, 1000).stream().map(m -> m.record().uid()).toList();
    }

    @Test
    void a_corrupt_mailbox_met_read_only_queues_no_repair_and_writes_nothing() throws Exception {
        Disk.flipByte(dir.resolve(MailboxIndex.FILE), MailboxIndex.HEADER_SIZE + MailboxIndex.RECORD_SIZE + 5);
        List<String> logBefore = s.logLines();
        try (Engine ro = Engine.open(s.root, TestStore.options(s.clock).withReadOnly(true))) {
            assertThatThrownBy(() -> ro.mailboxes().fetch(BOX, 1)).isInstanceOf(MailboxFormatException.class)
                    .isNotInstanceOf(org.mstore.api.RepairRequestedException.class)
                    .hasMessageContaining("read-only, so no repair was requested");
            assertThat(ro.maintenance().check(BOX).repairQueued()).isFalse();
            assertThatThrownBy(() -> ro.queue().request(BOX, org.mstore.api.Action.REPAIR))
                    .isInstanceOf(org.mstore.api.ReadOnlyStoreException.class);
        }
        assertThat(s.queue()).isEmpty();
        assertThat(s.logLines()).isEqualTo(logBefore);
    }

    @Test
    void a_read_only_process_does_not_finish_an_interrupted_rewrite() throws Exception {
        // a Purge that stopped after writing a complete new index: the next process that may write moves it in place
        java.nio.file.Path idxNew = dir.resolve(MailboxIndex.FILE + ".new");
        java.nio.file.Files.copy(dir.resolve(MailboxIndex.FILE), idxNew);
        java.util.Map<String, Long> before = modified(dir);
        try (Engine ro = Engine.open(s.root, TestStore.options(s.clock).withReadOnly(true))) {
            assertThatThrownBy(() -> ro.mailboxes().fetch(BOX, 1)).isInstanceOf(java.io.IOException.class)
                    .hasMessageContaining("interrupted rewrite").hasMessageContaining("nothing was changed");
        }
        assertThat(modified(dir)).isEqualTo(before);
        // a process that may write finishes it, and the mailbox reads
        assertThat(s.engine.mailboxes().fetch(BOX, 1)).isNotEmpty();
        assertThat(idxNew).doesNotExist();
    }

    private static java.util.Map<String, Long> modified(java.nio.file.Path d) throws java.io.IOException {
        java.util.Map<String, Long> m = new java.util.TreeMap<>();
        try (var files = java.nio.file.Files.list(d)) {
            for (java.nio.file.Path p : (Iterable<java.nio.file.Path>) files::iterator) {
                m.put(p.getFileName().toString(), java.nio.file.Files.getLastModifiedTime(p).toMillis() * 31 + java.nio.file.Files.size(p));
            }
        }
        return m;
    }

    @Test
    void opening_a_corrupt_mailbox_returns_an_error_logs_it_and_queues_repair() throws Exception {
        Disk.flipByte(dir.resolve(MailboxIndex.FILE), MailboxIndex.HEADER_SIZE + MailboxIndex.RECORD_SIZE + 5);
        assertThatThrownBy(() -> s.append(BOX, List.of(TestStore.message("x", "y")), 0))
                .isInstanceOf(MailboxFormatException.class)
                .hasMessage("user/alice: Mailbox has an invalid format; repair requested (store.idx record 2 has a bad checksum)");
        assertThat(messageLines()).containsExactly(
                "Store Critical: Unable to open mailbox user/alice: store.idx record 2 has a bad checksum",
                REPAIR_REQUESTED);
        assertThat(s.logLines()).allSatisfy(l -> assertThat(l).contains(" test[" + ProcessHandle.current().pid() + "]: "));
        assertThat(s.queue()).extracting(QueueEntry::mailbox, QueueEntry::action, QueueEntry::timestamp, QueueEntry::forced)
                .containsExactly(tuple(BOX, Action.REPAIR, s.clock.instant(), false));
        // every client that meets it gets the error; the repair is queued once
        assertThatThrownBy(() -> body(1)).isInstanceOf(MailboxFormatException.class);
        assertThatThrownBy(() -> s.engine.mailboxes().setDeleted(BOX, UidSet.parse("1"), true)).isInstanceOf(MailboxFormatException.class);
        assertThat(s.queue()).hasSize(1);
    }

    @Test
    void a_missing_index_is_reported_as_mailbox_does_not_exist() throws Exception {
        Files.delete(dir.resolve(MailboxIndex.FILE));
        assertThatThrownBy(() -> body(1)).isInstanceOf(MailboxFormatException.class);
        assertThat(messageLines()).containsExactly("Store Critical: Unable to open mailbox user/alice: Mailbox does not exist", REPAIR_REQUESTED);
        assertThat(s.queue()).extracting(QueueEntry::action).containsExactly(Action.REPAIR);
    }

    @Test
    void damaged_cache_data_met_by_a_client_queues_repair() throws Exception {
        Disk.flipByte(dir.resolve(CacheFile.FILE), record(6).cacheOffset() + 30);
        assertThatThrownBy(() -> s.engine.mailboxes().messages(BOX, 0, 100)).isInstanceOf(MailboxFormatException.class)
                .hasMessageContaining("repair requested");
        assertThat(messageLines()).containsExactly(
                "Store Critical: Unable to open mailbox user/alice: store.cache record at " + record(6).cacheOffset() + " (UID 6) has a bad checksum",
                REPAIR_REQUESTED);
        assertThat(s.queue()).extracting(QueueEntry::action).containsExactly(Action.REPAIR);
    }

    @Test
    void a_missing_message_file_met_by_a_client_queues_repair() throws Exception {
        Files.delete(Mailbox.messageFile(dir, 7));
        assertThatThrownBy(() -> body(7)).isInstanceOf(MailboxFormatException.class).hasMessageContaining("repair requested");
        assertThat(messageLines()).containsExactly("Store Critical: Unable to open mailbox user/alice: message file of UID 7 is missing",
                REPAIR_REQUESTED);
        assertThat(s.engine.daemon().drain()).extracting(TaskResult::outcome).containsExactly(Outcome.DONE);
        assertThat(uids()).containsExactly(1, 2, 3, 4, 5, 6, 8, 9, 10);
        assertThat(messageLines()).contains("Store Warning: user/alice: UID 7: in the index but its message file is gone; left out (its record is kept in "
                + "quarantine/7.missing: if the file is put back, the next Repair takes it in)");
    }

    @Test
    void check_runs_the_full_sanity_check_and_queues_repair_while_check_only_changes_nothing() throws Exception {
        Disk.truncate(Mailbox.messageFile(dir, 3), 5);
        CheckReport dry = s.engine.maintenance().inspect(BOX);
        assertThat(dry.healthy()).isFalse();
        assertThat(dry.problems()).containsExactly("message file of UID 3 has 5 bytes, the index says " + record(3).size());
        assertThat(s.queue()).isEmpty();
        assertThat(s.logLines()).isEmpty();
        CheckReport real = s.engine.maintenance().check(BOX);
        assertThat(real.repairQueued()).isTrue();
        assertThat(s.queue()).extracting(QueueEntry::action).containsExactly(Action.REPAIR);
        assertThat(messageLines()).endsWith(REPAIR_REQUESTED);
    }

    @Test
    void repair_rebuilds_index_and_cache_keeping_flags_of_the_records_that_check_out() throws Exception {
        s.engine.mailboxes().setFlags(BOX, UidSet.parse("2"), Flags.SEEN, FlagMode.ADD).size();
        s.engine.mailboxes().setFlags(BOX, UidSet.parse("3"), Flags.FLAGGED, FlagMode.ADD).size();
        s.engine.mailboxes().setFlags(BOX, UidSet.parse("4"), Flags.DELETED, FlagMode.ADD).size();
        s.engine.mailboxes().setFlags(BOX, UidSet.parse("5"), Flags.SEEN, FlagMode.ADD).size();
        long date5 = record(5).internalDate();
        // UID 5's index record and the cache header are damaged
        Disk.flipByte(dir.resolve(MailboxIndex.FILE), MailboxIndex.HEADER_SIZE + 4L * MailboxIndex.RECORD_SIZE + 6);
        Disk.flipByte(dir.resolve(CacheFile.FILE), 3);
        assertThatThrownBy(() -> body(1)).isInstanceOf(MailboxFormatException.class);
        assertThat(s.engine.daemon().drain()).extracting(TaskResult::outcome).containsExactly(Outcome.DONE);

        assertThat(s.engine.mailboxes().messages(BOX, 0, 100)).extracting(m -> m.record().uid(), m -> m.record().flags())
                .containsExactly(tuple(1, 0), tuple(2, Flags.SEEN), tuple(3, Flags.FLAGGED), tuple(4, Flags.DELETED), tuple(5, 0),
                        tuple(6, 0), tuple(7, 0), tuple(8, 0), tuple(9, 0), tuple(10, 0));
        assertThat(record(5).internalDate()).isEqualTo(date5); // from the file's time
        for (int uid = 1; uid <= 10; uid++) {
            assertThat(body(uid)).contains("Body " + (uid - 1));
        }
        try (Mailbox mb = s.open(BOX)) {
            assertThat(mb.verify()).isEmpty();
            assertThat(mb.summary(mb.index().get(0)).subject()).isEqualTo("Message 0 to user/alice");
        }
        assertThat(s.logLines()).anySatisfy(l -> assertThat(l).contains(" impurge[").endsWith("General Notice: repairing user/alice"));
    }

    @Test
    void repair_leaves_out_a_truncated_message_file() throws Exception {
        int size7 = record(7).size();
        Disk.truncate(Mailbox.messageFile(dir, 7), size7 / 2);
        Disk.flipByte(dir.resolve(CacheFile.FILE), 0);
        assertThatThrownBy(() -> body(1)).isInstanceOf(MailboxFormatException.class);
        List<TaskResult> r = s.engine.daemon().drain();
        assertThat(r).extracting(TaskResult::outcome).containsExactly(Outcome.DONE);
        assertThat(r.get(0).detail()).contains("1 damaged message files quarantined");
        assertThat(uids()).containsExactly(1, 2, 3, 4, 5, 6, 8, 9, 10);
        assertThat(messageLines()).contains("Store Warning: user/alice: UID 7: message file damaged (size does not match the index); left out");
        MailboxInfo info = s.info(BOX);
        assertThat(info.messageCount()).isEqualTo(9);
        assertThat(info.nextUid()).isEqualTo(11);
    }

    @Test
    void repair_does_not_resurrect_expunged_messages() throws Exception {
        s.expunge(BOX, "1:2");
        s.requestAndDrain(BOX, Action.CLEAN); // 1 and 2 now wait in store.exp.<stamp> for Remove
        s.expunge(BOX, "3"); // 3 waits in store.exp
        Files.delete(dir.resolve(MailboxIndex.FILE));
        assertThatThrownBy(() -> body(4)).isInstanceOf(MailboxFormatException.class);
        List<TaskResult> r = s.engine.daemon().drain();
        assertThat(r).extracting(x -> x.entry().action(), TaskResult::outcome).containsExactly(tuple(Action.REPAIR, Outcome.DONE));
        assertThat(uids()).containsExactly(4, 5, 6, 7, 8, 9, 10);
        assertThat(s.info(BOX).expunged()).isEqualTo(1);
        assertThat(Mailbox.messageFile(dir, 1)).exists(); // still Remove's to delete
        s.clock.advance(Duration.ofHours(1));
        assertThat(s.engine.daemon().drain()).extracting(x -> x.entry().action(), TaskResult::outcome)
                .containsExactly(tuple(Action.REMOVE, Outcome.DONE));
        assertThat(Mailbox.messageFile(dir, 1)).doesNotExist();
        assertThat(Mailbox.messageFile(dir, 3)).exists();
        assertThat(uids()).containsExactly(4, 5, 6, 7, 8, 9, 10);
    }

    @Test
    void repair_records_the_repair_time_and_the_rebuilt_counts() throws Exception {
        MailboxInfo before = s.info(BOX);
        s.clock.advance(Duration.ofMinutes(7));
        Files.delete(dir.resolve(MailboxIndex.FILE));
        Files.delete(dir.resolve(CacheFile.FILE));
        assertThatThrownBy(() -> body(4)).isInstanceOf(MailboxFormatException.class);
        s.clock.advance(Duration.ofSeconds(1));
        assertThat(s.engine.daemon().drain()).extracting(TaskResult::outcome).containsExactly(Outcome.DONE);
        MailboxInfo after = s.info(BOX);
        assertThat(after.lastRepair()).isEqualTo(s.clock.instant());
        assertThat(after.messageCount()).isEqualTo(10);
        assertThat(after.sizeBytes()).isEqualTo(before.sizeBytes());
        assertThat(after.cacheRecords()).isEqualTo(10);
        assertThat(after.uidValidity()).isEqualTo(before.uidValidity());
        assertThat(after.nextUid()).isEqualTo(11);
    }

    @Test
    void repair_never_reuses_a_uid() throws Exception {
        s.expunge(BOX, "9:10");
        s.requestAndDrain(BOX, Action.CLEAN);
        s.requestAndDrain(BOX, Action.REMOVE); // 9 and 10 are gone for good: no file, no expunge list
        Files.delete(dir.resolve(MailboxIndex.FILE));
        assertThat(s.engine.maintenance().reconstruct(BOX)).contains("8 messages");
        assertThat(s.info(BOX).nextUid()).isEqualTo(11);
        assertThat(s.append(BOX, 1)).containsExactly(11);
        try (Mailbox mb = s.open(BOX)) {
            assertThat(mb.index().header().uidValidity()).isEqualTo((int) s.info(BOX).uidValidity());
        }
    }

    @Test
    void a_format_error_met_by_a_task_queues_repair_which_runs_first() throws Exception {
        // a cache record whose status byte is damaged: the mailbox opens, but Purge cannot copy the cache
        Disk.flipByte(dir.resolve(CacheFile.FILE), record(3).cacheOffset());
        long purge = s.engine.queue().request(BOX, Action.PURGE).recno();
        List<TaskResult> r = s.engine.daemon().drain();
        assertThat(r).extracting(x -> x.entry().action(), TaskResult::outcome)
                .containsExactly(tuple(Action.PURGE, null), tuple(Action.REPAIR, Outcome.DONE));
        assertThat(messageLines()).contains(REPAIR_REQUESTED);
        assertThat(s.engine.queue().get(purge)).isPresent();
        s.clock.advance(Duration.ofSeconds(1));
        assertThat(s.engine.daemon().drain()).extracting(x -> x.entry().action(), TaskResult::outcome)
                .containsExactly(tuple(Action.PURGE, Outcome.DONE));
        assertThat(uids()).hasSize(10);
    }

    @Test
    void a_damaged_expunge_list_queues_repair_and_repair_mends_it() throws Exception {
        s.expunge(BOX, "1:3");
        Disk.flipByte(dir.resolve(ExpungeFile.FILE), 1); // its header
        assertThatThrownBy(() -> s.expunge(BOX, "4")).isInstanceOf(MailboxFormatException.class)
                .hasMessageContaining("repair requested");
        assertThat(messageLines()).contains(REPAIR_REQUESTED);
        assertThat(s.engine.daemon().drain()).extracting(x -> x.entry().action(), TaskResult::outcome)
                .containsExactly(tuple(Action.REPAIR, Outcome.DONE));
        assertThat(ExpungeFile.read(dir.resolve(ExpungeFile.FILE))).extracting(ExpungeFile.Entry::uid).containsExactly(1, 2, 3);
        s.expunge(BOX, "4");
        assertThat(uids()).containsExactly(5, 6, 7, 8, 9, 10);
        assertThat(s.info(BOX).expunged()).isEqualTo(4);
    }

    @Test
    void a_damaged_cleaned_expunge_list_met_by_remove_is_mended_by_repair_and_nothing_comes_back() throws Exception {
        s.expunge(BOX, "1:3");
        s.requestAndDrain(BOX, Action.CLEAN);
        String list = "store.exp." + s.engine.context().stamp(s.clock.millis());
        Disk.flipByte(dir.resolve(list), ExpungeFile.HEADER_SIZE + ExpungeFile.RECORD_SIZE + 2); // record 2, UID 2
        s.clock.advance(Duration.ofHours(1));
        List<TaskResult> r = s.engine.daemon().drain();
        assertThat(r).extracting(x -> x.entry().action(), TaskResult::outcome)
                .containsExactly(tuple(Action.REMOVE, null), tuple(Action.REPAIR, Outcome.DONE));
        assertThat(messageLines()).contains("Store Critical: Unable to open mailbox user/alice: " + list + " record 2 has a bad checksum",
                REPAIR_REQUESTED);
        assertThat(uids()).containsExactly(4, 5, 6, 7, 8, 9, 10); // UID 2 lost its expunge record, yet stays expunged
        s.clock.advance(Duration.ofSeconds(1));
        assertThat(s.engine.daemon().drain()).extracting(x -> x.entry().action(), TaskResult::outcome)
                .containsExactly(tuple(Action.REMOVE, Outcome.DONE));
        assertThat(Mailbox.messageFile(dir, 1)).doesNotExist();
        assertThat(Mailbox.messageFile(dir, 3)).doesNotExist();
        assertThat(dir.resolve(list)).doesNotExist();
        assertThat(s.queue()).isEmpty();
        try (Mailbox mb = s.open(BOX)) {
            assertThat(mb.verify()).isEmpty();
        }
    }

    @Test
    void repair_with_an_intact_index_does_not_resurrect_a_message_whose_expunge_record_is_lost() throws Exception {
        s.expunge(BOX, "2");
        Files.delete(dir.resolve(ExpungeFile.FILE)); // the only record that UID 2 was expunged
        assertThat(s.requestAndDrain(BOX, Action.REPAIR)).extracting(TaskResult::outcome).containsExactly(Outcome.DONE);
        assertThat(uids()).containsExactly(1, 3, 4, 5, 6, 7, 8, 9, 10);
    }
}
