package org.mstore.purge;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.Action;
import org.mstore.api.FlagMode;
import org.mstore.api.Flags;
import org.mstore.api.MailboxInfo;
import org.mstore.api.NoSuchMessageException;
import org.mstore.api.Outcome;
import org.mstore.api.QueueEntry;
import org.mstore.api.Setting;
import org.mstore.api.TaskResult;
import org.mstore.api.UidSet;
import org.mstore.mailbox.MailboxService;
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

/** SPEC §3 and §4: the seed's removal steps and the re-checks impurge makes before each task. */
class TaskRulesTest {
    static final String BOX = "user/alice";
    @TempDir
    Path tmp;
    TestStore s;
    Path dir;

    @BeforeEach
    void setUp() throws Exception {
        s = TestStore.create(tmp);
        s.mailbox(BOX);
        dir = s.dir(BOX);
    }

    @AfterEach
    void tearDown() {
        s.close();
    }

    private void set(Setting k, String v) {
        s.engine.settings().set(k, v);
    }

    private List<TaskResult> drain() {
        return s.engine.daemon().drain();
    }

    private String body(int uid) throws Exception {
        return new String(s.engine.mailboxes().fetch(BOX, uid), StandardCharsets.UTF_8);
    }

    // ---------------------------------------------------------------- 1. delete

    @Test
    void delete_sets_the_deleted_flag_and_the_message_stays_visible() throws Exception {
        s.append(BOX, 5);
        byte[] idxBefore = Files.readAllBytes(dir.resolve(MailboxIndex.FILE));
        assertThat(s.engine.mailboxes().setDeleted(BOX, UidSet.parse("2,4"), true)).isEqualTo(2);
        assertThat(s.engine.mailboxes().messages(BOX, 0, 10)).extracting(m -> m.record().uid(), m -> m.record().deleted())
                .containsExactly(tuple(1, false), tuple(2, true), tuple(3, false), tuple(4, true), tuple(5, false));
        assertThat(Files.size(dir.resolve(MailboxIndex.FILE))).isEqualTo(idxBefore.length); // a flag change in place
        assertThat(s.info(BOX).messageCount()).isEqualTo(5);
        assertThat(s.info(BOX).expunged()).isZero();
        assertThat(body(2)).contains("Body 1");
        // a second client may undo it before the expunge
        assertThat(s.engine.mailboxes().setDeleted(BOX, UidSet.parse("2"), false)).isEqualTo(1);
        assertThat(s.engine.mailboxes().setDeleted(BOX, UidSet.parse("4"), true)).isZero(); // already set
        assertThat(s.engine.mailboxes().messages(BOX, 0, 10)).filteredOn(m -> Flags.has(m.record().flags(), Flags.DELETED))
                .extracting(m -> m.record().uid()).containsExactly(4);
    }

    // ---------------------------------------------------------------- 2. expunge

    @Test
    void expunge_moves_deleted_records_to_store_exp_and_grows_expunged() throws Exception {
        int[] uids = s.append(BOX, 8);
        long sizeBefore = s.info(BOX).sizeBytes();
        s.clock.advance(Duration.ofMinutes(3));
        s.engine.mailboxes().setDeleted(BOX, UidSet.parse("2,5:6"), true);
        org.mstore.api.ExpungeResult r = s.engine.mailboxes().expunge(BOX);
        assertThat(r.messages()).isEqualTo(3);
        assertThat(r.uids()).containsExactly(2, 5, 6);
        // gone from the index, listed in store.exp, counted as Expunged
        assertThat(s.engine.mailboxes().messages(BOX, 0, 10)).extracting(m -> m.record().uid()).containsExactly(1, 3, 4, 7, 8);
        assertThat(ExpungeFile.read(dir.resolve(ExpungeFile.FILE))).extracting(ExpungeFile.Entry::uid, ExpungeFile.Entry::expungedAt)
                .containsExactly(tuple(2, s.clock.millis()), tuple(5, s.clock.millis()), tuple(6, s.clock.millis()));
        MailboxInfo info = s.info(BOX);
        assertThat(info.expunged()).isEqualTo(3);
        assertThat(info.messageCount()).isEqualTo(5);
        assertThat(info.sizeBytes()).isEqualTo(sizeBefore - r.bytes());
        assertThat(info.lastExpunge()).isEqualTo(s.clock.instant());
        // clients can no longer see them; the files stay on disk
        assertThatThrownBy(() -> s.engine.mailboxes().fetch(BOX, 5)).isInstanceOf(NoSuchMessageException.class);
        for (int uid : new int[] {2, 5, 6}) {
            assertThat(Mailbox.messageFile(dir, uid)).exists();
        }
        // a second expunge adds to the count
        s.expunge(BOX, "1");
        assertThat(s.info(BOX).expunged()).isEqualTo(4);
        assertThat(ExpungeFile.count(dir.resolve(ExpungeFile.FILE))).isEqualTo(4);
        assertThat(uids).hasSize(8);
    }

    // ---------------------------------------------------------------- 3. cleanup

    @Test
    void clean_is_enqueued_only_when_expunged_exceeds_cleanupsize() throws Exception {
        set(Setting.CLEANUP_SIZE, "5");
        s.append(BOX, 12);
        s.expunge(BOX, "1:3");
        s.expunge(BOX, "4:5");
        assertThat(s.info(BOX).expunged()).isEqualTo(5); // equal is not above
        assertThat(s.queue()).isEmpty();
        s.expunge(BOX, "6");
        assertThat(s.queue()).extracting(QueueEntry::mailbox, QueueEntry::action, QueueEntry::timestamp, QueueEntry::forced)
                .containsExactly(tuple(BOX, Action.CLEAN, s.clock.instant(), false));
        s.expunge(BOX, "7");
        assertThat(s.queue()).hasSize(1);
    }

    @Test
    void clean_renames_store_exp_with_a_timestamp_and_queues_its_files_for_remove() throws Exception {
        set(Setting.CLEANUP_SIZE, "2");
        s.append(BOX, 6);
        s.expunge(BOX, "1:3");
        byte[] exp = Files.readAllBytes(dir.resolve(ExpungeFile.FILE));
        s.clock.set(Instant.parse("2026-03-02T14:05:09Z"));
        List<TaskResult> r = drain();
        assertThat(r).extracting(x -> x.entry().action(), TaskResult::outcome).containsExactly(tuple(Action.CLEAN, Outcome.DONE));
        assertThat(dir.resolve("store.exp")).doesNotExist();
        assertThat(Files.readAllBytes(dir.resolve("store.exp.20260302140509"))).isEqualTo(exp);
        assertThat(s.queue()).extracting(QueueEntry::action, QueueEntry::timestamp)
                .containsExactly(tuple(Action.REMOVE, Instant.parse("2026-03-02T14:05:09Z")));
        MailboxInfo info = s.info(BOX);
        assertThat(info.expunged()).isZero();
        assertThat(info.lastCleanup()).isEqualTo(s.clock.instant());
        for (int uid = 1; uid <= 3; uid++) {
            assertThat(Mailbox.messageFile(dir, uid)).exists(); // not yet: the grace period
        }
        // a new expunge starts a new store.exp
        s.expunge(BOX, "4");
        assertThat(ExpungeFile.count(dir.resolve(ExpungeFile.FILE))).isEqualTo(1);
        assertThat(s.info(BOX).expunged()).isEqualTo(1);
    }

    @Test
    void clean_is_skipped_when_expunged_no_longer_exceeds_cleanupsize() throws Exception {
        set(Setting.CLEANUP_SIZE, "2");
        s.append(BOX, 6);
        s.expunge(BOX, "1:3");
        assertThat(s.queue()).extracting(QueueEntry::action).containsExactly(Action.CLEAN);
        set(Setting.CLEANUP_SIZE, "3");
        List<TaskResult> r = drain();
        assertThat(r).extracting(TaskResult::outcome).containsExactly(Outcome.SKIPPED);
        assertThat(r.get(0).detail()).isEqualTo("Expunged 3 does not exceed store.cleanupsize 3");
        assertThat(dir.resolve("store.exp")).exists();
        assertThat(s.info(BOX).expunged()).isEqualTo(3);
        assertThat(s.queue()).isEmpty();
    }

    @Test
    void remove_waits_for_cleanupage_and_a_shorter_setting_takes_effect_at_once() throws Exception {
        s.append(BOX, 6);
        s.expunge(BOX, "1:3");
        s.requestAndDrain(BOX, Action.CLEAN);
        assertThat(s.queue()).extracting(QueueEntry::action).containsExactly(Action.REMOVE);
        s.clock.advance(Duration.ofMinutes(30));
        assertThat(drain()).isEmpty(); // store.cleanupage is 1h
        assertThat(Mailbox.messageFile(dir, 1)).exists();
        set(Setting.CLEANUP_AGE, "20m");
        assertThat(drain()).extracting(x -> x.entry().action(), TaskResult::outcome).containsExactly(tuple(Action.REMOVE, Outcome.DONE));
        assertThat(Mailbox.messageFile(dir, 1)).doesNotExist();
        assertThat(s.queue()).isEmpty();
    }

    @Test
    void a_longer_cleanupage_delays_an_already_queued_remove() throws Exception {
        s.append(BOX, 6);
        s.expunge(BOX, "1:3");
        s.requestAndDrain(BOX, Action.CLEAN);
        set(Setting.CLEANUP_AGE, "2h");
        s.clock.advance(Duration.ofMinutes(90));
        assertThat(drain()).isEmpty();
        assertThat(s.engine.backend().queue().nextDueTime(s.clock.millis(), Duration.ofHours(2).toMillis()))
                .contains(s.clock.instant().plus(Duration.ofMinutes(30)));
        s.clock.advance(Duration.ofMinutes(30));
        assertThat(drain()).extracting(TaskResult::outcome).containsExactly(Outcome.DONE);
    }

    @Test
    void remove_deletes_the_files_and_marks_their_cache_records_expunged() throws Exception {
        s.append(BOX, 10);
        s.expunge(BOX, "2:4");
        s.requestAndDrain(BOX, Action.CLEAN);
        String stamp = s.engine.context().stamp(s.clock.millis());
        s.clock.advance(Duration.ofHours(1));
        List<TaskResult> r = drain();
        assertThat(r).extracting(x -> x.entry().action(), TaskResult::outcome).containsExactly(tuple(Action.REMOVE, Outcome.DONE));
        for (int uid = 1; uid <= 10; uid++) {
            assertThat(Files.exists(Mailbox.messageFile(dir, uid))).as("UID %d", uid).isEqualTo(uid < 2 || uid > 4);
        }
        assertThat(dir.resolve("store.exp." + stamp)).doesNotExist();
        assertThat(r.get(0).bytesReclaimed()).isPositive();
        List<Integer> expungedInCache = new java.util.ArrayList<>();
        try (Mailbox mb = s.open(BOX)) {
            CacheFile.Counts c = mb.cacheCounts();
            assertThat(c.records()).isEqualTo(10);
            assertThat(c.expunged()).isEqualTo(3);
            assertThat(mb.verify()).isEmpty();
        }
        try (CacheFile cache = CacheFile.open(dir.resolve(CacheFile.FILE), false);
             Mailbox mb = s.open(BOX)) {
            cache.walk(mb.index().header().cacheEnd(), true, (off, uid, len, expunged) -> {
                if (expunged) {
                    expungedInCache.add(uid);
                }
                return false;
            });
        }
        assertThat(expungedInCache).containsExactly(2, 3, 4);
        assertThat(s.info(BOX).cacheRecords()).isEqualTo(10);
        assertThat(s.info(BOX).cacheExpunged()).isEqualTo(3);
        for (int uid : new int[] {1, 5, 10}) {
            assertThat(body(uid)).contains("Body " + (uid - 1));
        }
    }

    @Test
    void remove_of_two_cleanups_removes_each_when_its_own_age_has_passed() throws Exception {
        s.append(BOX, 10);
        s.expunge(BOX, "1:2");
        s.requestAndDrain(BOX, Action.CLEAN);
        Instant first = s.clock.instant();
        s.clock.advance(Duration.ofMinutes(40));
        s.expunge(BOX, "3:4");
        s.requestAndDrain(BOX, Action.CLEAN);
        Instant second = s.clock.instant();
        assertThat(s.queue()).extracting(QueueEntry::action, QueueEntry::timestamp).containsExactly(tuple(Action.REMOVE, first));
        s.clock.advance(Duration.ofMinutes(20)); // the first is due, the second not
        assertThat(drain()).extracting(TaskResult::outcome).containsExactly(Outcome.DONE);
        assertThat(Mailbox.messageFile(dir, 1)).doesNotExist();
        assertThat(Mailbox.messageFile(dir, 3)).exists();
        assertThat(s.queue()).extracting(QueueEntry::action, QueueEntry::timestamp).containsExactly(tuple(Action.REMOVE, second));
        s.clock.advance(Duration.ofMinutes(40));
        assertThat(drain()).extracting(TaskResult::outcome).containsExactly(Outcome.DONE);
        assertThat(Mailbox.messageFile(dir, 3)).doesNotExist();
        assertThat(s.info(BOX).cacheExpunged()).isEqualTo(4);
    }

    // ---------------------------------------------------------------- 4. purge

    /** 20 messages, 10 expunged and removed: 10 of 20 cache records (50%) expunged. Returns whether Purge was queued. */
    private boolean purgeQueuedAfterRemove(String box, String count, String percentage) throws Exception {
        s.mailbox(box);
        s.append(box, 20);
        s.expunge(box, "1:10");
        s.requestAndDrain(box, Action.CLEAN);
        s.engine.settings().apply(Map.of(Setting.PURGE_COUNT, count, Setting.PURGE_PERCENTAGE, percentage));
        QueueEntry remove = s.engine.queue().find(box, Action.REMOVE).orElseThrow();
        assertThat(s.engine.daemon().runNow(List.of(remove.recno()))).extracting(TaskResult::outcome).containsExactly(Outcome.DONE);
        assertThat(s.info(box).cacheExpunged()).isEqualTo(10);
        return s.engine.queue().find(box, Action.PURGE).isPresent();
    }

    @Test
    void purge_is_enqueued_only_when_expunged_cache_records_exceed_both_count_and_percentage() throws Exception {
        assertThat(purgeQueuedAfterRemove("user/count-equal", "10", "5")).isFalse(); // 10 is not above 10
        assertThat(purgeQueuedAfterRemove("user/share-equal", "9", "50")).isFalse(); // 50% is not above 50%
        assertThat(purgeQueuedAfterRemove("user/share-short", "0", "60")).isFalse(); // count yes, share no
        assertThat(purgeQueuedAfterRemove("user/count-short", "500", "1")).isFalse(); // share yes, count no (the defaults' count)
        assertThat(purgeQueuedAfterRemove("user/both", "9", "49.5")).isTrue();
        assertThat(s.engine.queue().find("user/both", Action.PURGE).orElseThrow().forced()).isFalse();
    }

    @Test
    void purge_rewrites_the_cache_without_expunged_records_and_fixes_index_offsets() throws Exception {
        s.engine.settings().apply(Map.of(Setting.PURGE_COUNT, "3", Setting.PURGE_PERCENTAGE, "10"));
        s.append(BOX, 12);
        s.engine.mailboxes().setFlags(BOX, UidSet.parse("9"), Flags.SEEN, FlagMode.ADD).size();
        s.expunge(BOX, "1:2,5,7");
        s.requestAndDrain(BOX, Action.CLEAN);
        long cacheBefore = Files.size(dir.resolve(CacheFile.FILE));
        List<IndexRecord> before;
        try (Mailbox mb = s.open(BOX)) {
            before = List.copyOf(mb.index().records());
        }
        s.clock.advance(Duration.ofHours(1));
        List<TaskResult> r = drain();
        assertThat(r).extracting(x -> x.entry().action(), TaskResult::outcome)
                .containsExactly(tuple(Action.REMOVE, Outcome.DONE), tuple(Action.PURGE, Outcome.DONE));
        assertThat(r.get(1).bytesReclaimed()).isEqualTo(cacheBefore - Files.size(dir.resolve(CacheFile.FILE))).isPositive();
        try (Mailbox mb = s.open(BOX)) {
            CacheFile.Counts c = mb.cacheCounts();
            assertThat(c.records()).isEqualTo(8);
            assertThat(c.expunged()).isZero();
            assertThat(mb.cacheGeneration()).isEqualTo(2);
            assertThat(mb.verify()).isEmpty();
            List<IndexRecord> after = mb.index().records();
            assertThat(after).extracting(IndexRecord::uid).containsExactly(3, 4, 6, 8, 9, 10, 11, 12);
            assertThat(after).extracting(IndexRecord::flags).containsExactlyElementsOf(before.stream().map(IndexRecord::flags).toList());
            assertThat(after.get(0).cacheOffset()).isEqualTo(CacheFile.HEADER_SIZE); // moved to the front
            for (IndexRecord x : after) {
                assertThat(mb.summary(x).subject()).isEqualTo("Message " + (x.uid() - 1) + " to " + BOX);
            }
        }
        MailboxInfo info = s.info(BOX);
        assertThat(info.cacheRecords()).isEqualTo(8);
        assertThat(info.cacheExpunged()).isZero();
        assertThat(info.lastPurge()).isEqualTo(s.clock.instant());
        for (int uid : new int[] {3, 4, 6, 8, 9, 10, 11, 12}) {
            assertThat(body(uid)).contains("Body " + (uid - 1));
        }
        // and the mailbox keeps working: a new message goes after the rewritten records
        s.append(BOX, 1);
        assertThat(body(13)).contains("Body 0");
    }

    @Test
    void purge_is_skipped_when_the_thresholds_are_no_longer_met() throws Exception {
        assertThat(purgeQueuedAfterRemove(BOX.replace("alice", "pat"), "5", "10")).isTrue();
        byte[] cache = Files.readAllBytes(s.dir("user/pat").resolve(CacheFile.FILE));
        set(Setting.PURGE_COUNT, "10");
        List<TaskResult> r = drain();
        assertThat(r).extracting(x -> x.entry().action(), TaskResult::outcome).containsExactly(tuple(Action.PURGE, Outcome.SKIPPED));
        assertThat(r.get(0).detail()).isEqualTo("10 expunged cache records (50.0%) do not exceed store.purge.count 10 and store.purge.percentage 10%");
        assertThat(Files.readAllBytes(s.dir("user/pat").resolve(CacheFile.FILE))).isEqualTo(cache);
        assertThat(s.info("user/pat").lastPurge()).isNull();
    }

    // ---------------------------------------------------------------- re-checks and forced entries

    @Test
    void repair_is_skipped_when_mailbox_was_repaired_after_enqueue() throws Exception {
        s.append(BOX, 4);
        Disk.flipByte(dir.resolve(MailboxIndex.FILE), 20);
        assertThatThrownBy(() -> body(1)).hasMessageContaining("repair requested");
        QueueEntry repair = s.queue().get(0);
        assertThat(repair.action()).isEqualTo(Action.REPAIR);
        s.clock.advance(Duration.ofMinutes(1));
        s.engine.maintenance().reconstruct(BOX); // an administrator got there first
        List<TaskResult> r = drain();
        assertThat(r).extracting(TaskResult::outcome).containsExactly(Outcome.SKIPPED);
        assertThat(r.get(0).detail()).startsWith("already repaired at " + s.clock.instant());
        assertThat(s.info(BOX).lastRepair()).isEqualTo(s.clock.instant());

        // a new corruption after that repair is repaired again
        s.clock.advance(Duration.ofMinutes(1));
        Files.delete(dir.resolve(MailboxIndex.FILE));
        assertThatThrownBy(() -> body(1)).hasMessageContaining("repair requested");
        s.clock.advance(Duration.ofMinutes(1));
        assertThat(drain()).extracting(TaskResult::outcome).containsExactly(Outcome.DONE);
        assertThat(s.info(BOX).lastRepair()).isEqualTo(s.clock.instant());
        assertThat(body(4)).contains("Body 3");
    }

    @Test
    void forced_entries_skip_the_checks() throws Exception {
        s.append(BOX, 10);
        s.expunge(BOX, "1:3"); // Expunged 3, store.cleanupsize 100
        assertThat(s.requestAndDrain(BOX, Action.CLEAN)).extracting(TaskResult::outcome).containsExactly(Outcome.DONE);
        assertThat(s.info(BOX).expunged()).isZero();
        assertThat(s.requestAndDrain(BOX, Action.REMOVE)).extracting(TaskResult::outcome).containsExactly(Outcome.DONE); // not yet due
        assertThat(Mailbox.messageFile(dir, 1)).doesNotExist();
        // 3 of 10 expunged cache records: far below store.purge.count 500
        assertThat(s.engine.queue().find(BOX, Action.PURGE)).isEmpty();
        assertThat(s.requestAndDrain(BOX, Action.PURGE)).extracting(TaskResult::outcome).containsExactly(Outcome.DONE);
        assertThat(s.info(BOX).cacheRecords()).isEqualTo(7);
        // a forced Repair whose request predates the last repair still runs
        long ts = s.clock.millis();
        s.clock.advance(Duration.ofMinutes(1));
        s.engine.maintenance().reconstruct(BOX);
        s.engine.backend().queue().enqueue(BOX, Action.REPAIR, ts, true);
        s.clock.advance(Duration.ofMinutes(1));
        assertThat(drain()).extracting(TaskResult::outcome).containsExactly(Outcome.DONE);
        assertThat(s.info(BOX).lastRepair()).isEqualTo(s.clock.instant());
    }

    @Test
    void a_forced_request_upgrades_a_pending_entry_so_it_skips_the_checks() throws Exception {
        set(Setting.CLEANUP_SIZE, "2");
        s.append(BOX, 6);
        s.expunge(BOX, "1:3");
        long recno = s.queue().get(0).recno();
        set(Setting.CLEANUP_SIZE, "50"); // the re-check would now skip it
        assertThat(s.engine.queue().request(BOX, Action.CLEAN).recno()).isEqualTo(recno);
        List<TaskResult> r = drain();
        assertThat(r).extracting(x -> x.entry().recno(), TaskResult::outcome).containsExactly(tuple(recno, Outcome.DONE));
        assertThat(dir.resolve("store.exp")).doesNotExist();
    }

    @Test
    void every_task_is_idempotent_when_forced_again() throws Exception {
        s.append(BOX, 6);
        s.expunge(BOX, "1:2");
        for (Action a : List.of(Action.CLEAN, Action.CLEAN, Action.REMOVE, Action.REMOVE, Action.PURGE, Action.PURGE,
                Action.REPAIR, Action.REPAIR)) {
            List<TaskResult> r = s.requestAndDrain(BOX, a);
            assertThat(r).as(a.label()).extracting(TaskResult::outcome).containsOnly(Outcome.DONE);
        }
        assertThat(s.engine.mailboxes().messages(BOX, 0, 10)).extracting(v -> v.record().uid()).containsExactly(3, 4, 5, 6);
        try (Mailbox mb = s.open(BOX)) {
            assertThat(mb.verify()).isEmpty();
        }
        MailboxInfo info = s.info(BOX);
        assertThat(info.messageCount()).isEqualTo(4);
        assertThat(info.cacheRecords()).isEqualTo(4);
        assertThat(info.cacheExpunged()).isZero();
        assertThat(info.expunged()).isZero();
    }
}
