package org.mstore.store;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.Action;
import org.mstore.api.HistoryEntry;
import org.mstore.api.MailboxFormatException;
import org.mstore.api.NoSuchMessageException;
import org.mstore.api.Outcome;
import org.mstore.api.QueueEntry;
import org.mstore.api.TaskResult;
import org.mstore.testing.Disk;
import org.mstore.testing.TestStore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * SPEC §1, §3, §4: every change leaves the mailbox consistent if the process dies at any point; an interrupted
 * rewrite is completed or rolled back on the next open; an entry leaves the queue only when its effect is durable.
 */
class CrashSafetyTest {
    static final String BOX = "user/alice";
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

    private Path f(String name) {
        return dir.resolve(name);
    }

    private void assertAllFetchable(int from, int to) throws Exception {
        for (int uid = from; uid <= to; uid++) {
            assertThat(new String(s.engine.mailboxes().fetch(BOX, uid), StandardCharsets.UTF_8)).contains("Body " + (uid - 1));
        }
    }

    /** The files of a purge: before (index, cache) and after (index, cache). */
    private record PurgeFiles(byte[] idx0, byte[] cache0, byte[] idx1, byte[] cache1) {
    }

    private PurgeFiles purgeOnce() throws Exception {
        s.expunge(BOX, "1:5");
        s.requestAndDrain(BOX, Action.CLEAN);
        s.requestAndDrain(BOX, Action.REMOVE);
        byte[] idx0 = Files.readAllBytes(f("store.idx"));
        byte[] cache0 = Files.readAllBytes(f("store.cache"));
        assertThat(s.requestAndDrain(BOX, Action.PURGE)).extracting(TaskResult::outcome).containsExactly(Outcome.DONE);
        PurgeFiles p = new PurgeFiles(idx0, cache0, Files.readAllBytes(f("store.idx")), Files.readAllBytes(f("store.cache")));
        assertThat(p.cache1().length).isLessThan(p.cache0().length);
        return p;
    }

    private void assertNoLeftovers() {
        assertThat(f("store.idx.new")).doesNotExist();
        assertThat(f("store.cache.new")).doesNotExist();
        assertThat(f("store.idx.tmp")).doesNotExist();
    }

    @Test
    void an_interrupted_purge_whose_new_files_are_durable_is_completed_on_the_next_open() throws Exception {
        PurgeFiles p = purgeOnce();
        // the crash: both new files written and forced, neither renamed
        Files.write(f("store.idx"), p.idx0());
        Files.write(f("store.cache"), p.cache0());
        Files.write(f("store.idx.new"), p.idx1());
        Files.write(f("store.cache.new"), p.cache1());
        assertAllFetchable(6, 10);
        assertNoLeftovers();
        assertThat(Files.readAllBytes(f("store.idx"))).isEqualTo(p.idx1());
        assertThat(Files.readAllBytes(f("store.cache"))).isEqualTo(p.cache1());
    }

    @Test
    void an_interrupted_purge_after_the_cache_rename_is_completed_on_the_next_open() throws Exception {
        PurgeFiles p = purgeOnce();
        // the crash: the new cache is in place, the new index not yet
        Files.write(f("store.idx"), p.idx0());
        Files.write(f("store.idx.new"), p.idx1());
        assertAllFetchable(6, 10);
        assertNoLeftovers();
        assertThat(Files.readAllBytes(f("store.idx"))).isEqualTo(p.idx1());
        try (Mailbox mb = s.open(BOX)) {
            assertThat(mb.verify()).isEmpty();
        }
    }

    @Test
    void an_interrupted_purge_with_an_incomplete_new_index_is_rolled_back_and_runs_again() throws Exception {
        PurgeFiles p = purgeOnce();
        // the crash: the new cache is written, the new index only half
        Files.write(f("store.idx"), p.idx0());
        Files.write(f("store.cache"), p.cache0());
        Files.write(f("store.cache.new"), p.cache1());
        Files.write(f("store.idx.new"), Arrays.copyOf(p.idx1(), p.idx1().length / 2));
        assertAllFetchable(6, 10);
        assertNoLeftovers();
        assertThat(Files.readAllBytes(f("store.idx"))).isEqualTo(p.idx0());
        assertThat(Files.readAllBytes(f("store.cache"))).isEqualTo(p.cache0());
        // the re-run (the entry would still be queued) produces the same result
        assertThat(s.requestAndDrain(BOX, Action.PURGE)).extracting(TaskResult::outcome).containsExactly(Outcome.DONE);
        assertThat(Files.readAllBytes(f("store.idx"))).isEqualTo(p.idx1());
        assertThat(Files.readAllBytes(f("store.cache"))).isEqualTo(p.cache1());
        assertAllFetchable(6, 10);
    }

    @Test
    void an_interrupted_repair_is_rolled_back_and_the_repair_runs_again() throws Exception {
        byte[] cache = Files.readAllBytes(f("store.cache"));
        Files.delete(f("store.idx"));
        // the crash: Repair was writing its new cache
        Files.write(f("store.cache.new"), Arrays.copyOf(cache, cache.length / 2));
        assertThatThrownBy(() -> s.engine.mailboxes().fetch(BOX, 1)).isInstanceOf(MailboxFormatException.class);
        assertThat(s.queue()).extracting(QueueEntry::action).containsExactly(Action.REPAIR);
        assertThat(s.engine.daemon().drain()).extracting(TaskResult::outcome).containsExactly(Outcome.DONE);
        assertNoLeftovers();
        assertAllFetchable(1, 10);
    }

    @Test
    void an_interrupted_append_is_ignored_and_overwritten_by_the_next_append() throws Exception {
        byte[] header = Arrays.copyOf(Files.readAllBytes(f("store.idx")), MailboxIndex.HEADER_SIZE);
        long cacheEnd;
        try (Mailbox mb = s.open(BOX)) {
            cacheEnd = mb.index().header().cacheEnd();
        }
        try (Mailbox mb = s.open(BOX)) { // the store layer alone: the crash comes before the mailbox list hears of it
            mb.append(List.of(new Mailbox.NewMessage(TestStore.message("Lost", "never committed\r\n"), s.clock.millis(), 0)), true);
        }
        // the crash: message file, cache record and index record written, the header that counts them not
        Disk.overwriteStart(f("store.idx"), header);
        Disk.appendBytes(f("store.cache"), new byte[] {'L', 0, 0, 0, 0, 0, 0, 11}); // and a torn record after it
        try (Mailbox mb = s.open(BOX)) {
            assertThat(mb.index().size()).isEqualTo(10);
            assertThat(mb.index().uncommittedBytes()).isEqualTo(MailboxIndex.RECORD_SIZE);
            assertThat(mb.cacheCounts().records()).isEqualTo(10);
            assertThatThrownBy(() -> mb.fetch(11)).isInstanceOf(NoSuchMessageException.class);
        }
        int[] uids = s.append(BOX, List.of(TestStore.message("Kept", "committed\r\n")), 0);
        assertThat(uids).containsExactly(11);
        assertThat(new String(s.engine.mailboxes().fetch(BOX, 11), StandardCharsets.UTF_8)).contains("Subject: Kept").contains("committed")
                .doesNotContain("never");
        try (Mailbox mb = s.open(BOX)) {
            assertThat(mb.verify()).isEmpty();
            assertThat(Files.size(f("store.idx"))).isEqualTo(MailboxIndex.HEADER_SIZE + 11L * MailboxIndex.RECORD_SIZE);
            assertThat(Files.size(f("store.cache"))).isEqualTo(mb.index().header().cacheEnd()).isGreaterThan(cacheEnd);
            assertThat(mb.cacheCounts().records()).isEqualTo(11);
        }
        assertAllFetchable(1, 10);
    }

    @Test
    void a_remove_rerun_after_a_crash_is_idempotent() throws Exception {
        s.expunge(BOX, "1:5");
        s.requestAndDrain(BOX, Action.CLEAN);
        QueueEntry remove = s.queue().get(0);
        assertThat(remove.action()).isEqualTo(Action.REMOVE);
        // the crash: Remove did its work on disk, the mboxlist and the queue never heard of it
        try (Mailbox mb = s.open(BOX)) {
            Mailbox.RemoveResult r = mb.remove(stamp -> true);
            assertThat(r.files()).isEqualTo(5);
        }
        assertThat(s.queue()).extracting(QueueEntry::recno).containsExactly(remove.recno());
        s.clock.advance(Duration.ofHours(1));
        List<TaskResult> rerun = s.engine.daemon().drain();
        assertThat(rerun).extracting(TaskResult::outcome).containsExactly(Outcome.DONE);
        assertThat(rerun.get(0).detail()).startsWith("removed 0 message files");
        assertThat(s.info(BOX).cacheRecords()).isEqualTo(10);
        assertThat(s.info(BOX).cacheExpunged()).isEqualTo(5);
        // and once more, forced: nothing changes, nothing fails
        assertThat(s.requestAndDrain(BOX, Action.REMOVE)).extracting(TaskResult::outcome).containsExactly(Outcome.DONE);
        assertThat(s.info(BOX).cacheExpunged()).isEqualTo(5);
        try (Mailbox mb = s.open(BOX)) {
            assertThat(mb.cacheCounts().expunged()).isEqualTo(5);
            assertThat(mb.verify()).isEmpty();
        }
        assertAllFetchable(6, 10);
    }

    @Test
    void a_partly_done_remove_finishes_the_rest_when_run_again_and_counts_what_the_first_run_deleted() throws Exception {
        s.expunge(BOX, "1:5");
        s.requestAndDrain(BOX, Action.CLEAN);
        long total = 0;
        for (int uid = 1; uid <= 5; uid++) {
            total += Files.size(Mailbox.messageFile(dir, uid));
        }
        Files.delete(Mailbox.messageFile(dir, 1)); // the crash came after two files were deleted
        Files.delete(Mailbox.messageFile(dir, 2));
        s.clock.advance(Duration.ofHours(1));
        List<TaskResult> r = s.engine.daemon().drain();
        assertThat(r).extracting(TaskResult::outcome).containsExactly(Outcome.DONE);
        assertThat(r.get(0).detail()).startsWith("removed 3 message files").contains("; 2 more (");
        assertThat(r.get(0).bytesReclaimed()).isEqualTo(total); // the two deleted before the crash too
        for (int uid = 1; uid <= 5; uid++) {
            assertThat(Mailbox.messageFile(dir, uid)).doesNotExist();
        }
        assertThat(s.info(BOX).cacheExpunged()).isEqualTo(5);
    }

    /** Runs chattr on a file (Linux, root, a file system with attributes); false where that cannot be done. */
    private static boolean chattr(String flag, Path file) {
        try {
            Process p = new ProcessBuilder("chattr", flag, file.toString()).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor() == 0;
        } catch (java.io.IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Test
    void an_entry_leaves_the_queue_only_when_its_effect_is_durable() throws Exception {
        s.expunge(BOX, "1:5");
        s.requestAndDrain(BOX, Action.CLEAN);
        QueueEntry remove = s.queue().get(0);
        String stamp = s.engine.context().stamp(s.clock.millis());
        // a message file that cannot be deleted (immutable: even root cannot): Remove fails half-way, an I/O error
        // that is no damage of the store
        Path m3 = Mailbox.messageFile(dir, 3);
        org.junit.jupiter.api.Assumptions.assumeTrue(chattr("+i", m3), "needs chattr +i (Linux, root, ext4 or alike)");
        try {
            s.clock.advance(Duration.ofHours(1));
            long historyBefore = s.engine.queue().maxHistorySeq();

            List<TaskResult> failed = s.engine.daemon().drain();
            assertThat(failed).hasSize(1);
            assertThat(failed.get(0).finished()).isFalse();
            QueueEntry after = s.engine.queue().get(remove.recno()).orElseThrow();
            assertThat(after.inProgress()).isFalse();
            assertThat(after.attempts()).isEqualTo(1);
            assertThat(after.lastError()).contains("3.msg");
            assertThat(after.notBefore()).isEqualTo(s.clock.instant().plusSeconds(10));
            assertThat(s.engine.queue().maxHistorySeq()).isEqualTo(historyBefore);
            assertThat(f("store.exp." + stamp)).exists();
            assertThat(s.info(BOX).cacheExpunged()).isZero();
            assertThat(s.logLines()).anySatisfy(l -> assertThat(l).contains(" impurge[").contains("General Error: Remove of user/alice failed: "));

            // in back-off: not retried before its time; the back-off doubles
            assertThat(s.engine.daemon().drain()).isEmpty();
            s.clock.advance(Duration.ofSeconds(10));
            assertThat(s.engine.daemon().drain()).extracting(TaskResult::finished).containsExactly(false);
            assertThat(s.engine.queue().get(remove.recno()).orElseThrow().notBefore()).isEqualTo(s.clock.instant().plusSeconds(20));

            // the obstacle goes: the retry finishes the work and only then leaves the queue
            assertThat(chattr("-i", m3)).isTrue();
            s.clock.advance(Duration.ofSeconds(20));
            List<TaskResult> done = s.engine.daemon().drain();
            assertThat(done).extracting(TaskResult::outcome).containsExactly(Outcome.DONE);
            assertThat(s.queue()).isEmpty();
            assertThat(f("store.exp." + stamp)).doesNotExist();
            assertThat(s.info(BOX).cacheExpunged()).isEqualTo(5);
            List<HistoryEntry> h = s.engine.queue().historyAfter(historyBefore, 10);
            assertThat(h).extracting(x -> x.entry().recno()).containsExactly(remove.recno());
        } finally {
            chattr("-i", m3);
        }
    }

    @Test
    void a_directory_in_the_way_of_a_remove_is_damage_that_repair_moves_aside_before_the_remove_finishes() throws Exception {
        s.expunge(BOX, "1:5");
        s.requestAndDrain(BOX, Action.CLEAN);
        QueueEntry remove = s.queue().get(0);
        String stamp = s.engine.context().stamp(s.clock.millis());
        Path m3 = Mailbox.messageFile(dir, 3);
        Files.delete(m3);
        Files.createDirectories(m3.resolve("in-the-way"));
        s.clock.advance(Duration.ofHours(1));

        // Remove meets it: a format error naming the file, reported once, a Repair queued and run first
        List<TaskResult> first = s.engine.daemon().drain();
        assertThat(first).extracting(r -> r.entry().action(), TaskResult::outcome)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(Action.REMOVE, null), org.assertj.core.groups.Tuple.tuple(Action.REPAIR, Outcome.DONE));
        assertThat(s.engine.queue().get(remove.recno()).orElseThrow().lastError())
                .endsWith("(message file of UID 3 is not a regular file but a directory)");
        assertThat(s.logLines()).anySatisfy(l -> assertThat(l).endsWith(
                "Store Critical: Unable to open mailbox user/alice: message file of UID 3 is not a regular file but a directory"));
        assertThat(m3).doesNotExist();
        assertThat(Mailbox.messageFile(dir, 3).resolveSibling("3.msg.damaged-1").resolve("in-the-way")).isDirectory();

        // the retry finishes the work and only then leaves the queue
        s.clock.advance(Duration.ofSeconds(1));
        List<TaskResult> done = s.engine.daemon().drain();
        assertThat(done).extracting(TaskResult::outcome).containsExactly(Outcome.DONE);
        assertThat(done.get(0).detail()).startsWith("removed 4 message files");
        assertThat(s.queue()).isEmpty();
        assertThat(f("store.exp." + stamp)).doesNotExist();
        assertAllFetchable(6, 10);
        try (Mailbox mb = Mailbox.open(dir, org.mstore.api.MailboxName.parse(BOX))) {
            assertThat(mb.verify()).isEmpty();
        }
    }

    @Test
    void an_interrupted_expunge_never_costs_a_live_message_its_file() throws Exception {
        // the crash: UID 3 was listed in store.exp, the index that drops it was never written
        byte[] idx = Files.readAllBytes(f(MailboxIndex.FILE));
        try (Mailbox mb = Mailbox.open(dir, org.mstore.api.MailboxName.parse(BOX))) {
            assertThat(mb.expunge(r -> r.uid() == 3, s.clock.millis()).messages()).isEqualTo(1);
        }
        Files.write(f(MailboxIndex.FILE), idx);
        assertThat(ExpungeFile.count(f(ExpungeFile.FILE))).isEqualTo(1);
        assertThat(s.requestAndDrain(BOX, Action.CLEAN)).extracting(TaskResult::outcome).containsExactly(Outcome.DONE);
        List<TaskResult> r = s.requestAndDrain(BOX, Action.REMOVE);
        assertThat(r).extracting(TaskResult::outcome).containsExactly(Outcome.DONE);
        assertThat(r.get(0).detail()).startsWith("removed 0 message files");
        assertThat(Mailbox.messageFile(dir, 3)).exists();
        assertAllFetchable(1, 10);
        try (Mailbox mb = s.open(BOX)) {
            assertThat(mb.cacheCounts().expunged()).isZero();
        }
    }

    @Test
    void a_clean_rerun_after_a_crash_still_queues_the_remove() throws Exception {
        s.engine.settings().set(org.mstore.api.Setting.CLEANUP_SIZE, "2");
        s.expunge(BOX, "1:3");
        QueueEntry clean = s.queue().get(0);
        assertThat(clean.action()).isEqualTo(Action.CLEAN);
        // the crash: Clean renamed store.exp, the mboxlist and the queue never heard of it
        String stamp = s.engine.context().stamp(s.clock.millis());
        Files.move(f(ExpungeFile.FILE), f("store.exp." + stamp));
        s.clock.advance(Duration.ofMinutes(1));
        assertThat(s.engine.daemon().drain()).extracting(r -> r.entry().recno(), TaskResult::outcome)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(clean.recno(), Outcome.DONE));
        assertThat(s.info(BOX).expunged()).isZero();
        assertThat(s.queue()).extracting(QueueEntry::action, QueueEntry::timestamp)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(Action.REMOVE, s.engine.context().stampInstant(stamp)));
        s.clock.advance(Duration.ofHours(1));
        assertThat(s.engine.daemon().drain()).extracting(TaskResult::outcome).containsExactly(Outcome.DONE);
        assertThat(Mailbox.messageFile(dir, 1)).doesNotExist();
        assertThat(f("store.exp." + stamp)).doesNotExist();
    }

    @Test
    void an_expunge_interrupted_before_the_mboxlist_heard_of_it_is_still_counted() throws Exception {
        s.engine.settings().set(org.mstore.api.Setting.CLEANUP_SIZE, "3");
        // the crash: three messages left the index for store.exp, the mboxlist's Expunged was never raised
        try (Mailbox mb = s.open(BOX)) {
            assertThat(mb.expunge(r -> r.uid() <= 3, s.clock.millis()).messages()).isEqualTo(3);
        }
        assertThat(s.info(BOX).expunged()).isZero();
        s.expunge(BOX, "4");
        assertThat(s.info(BOX).expunged()).isEqualTo(4); // what store.exp holds since the last cleanup
        assertThat(s.queue()).extracting(QueueEntry::action).containsExactly(Action.CLEAN);
    }

    @Test
    void an_entry_claimed_by_an_impurge_that_crashed_runs_again() throws Exception {
        long recno = s.engine.queue().request(BOX, Action.REPAIR).recno();
        // the crash: another impurge claimed it and died
        assertThat(s.engine.backend().queue().pickNext(s.clock.millis(), 0, "impurge@99999")).map(QueueEntry::recno).contains(recno);
        assertThat(s.engine.queue().get(recno).orElseThrow().inProgress()).isTrue();
        assertThat(s.engine.daemon().drain()).extracting(r -> r.entry().recno(), TaskResult::outcome)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(recno, Outcome.DONE));
        assertThat(s.queue()).isEmpty();
    }
}
