package org.mstore.queue;

import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.Action;
import org.mstore.api.HistoryEntry;
import org.mstore.api.Outcome;
import org.mstore.api.QueueEntry;
import org.mstore.api.TaskResult;
import org.mstore.engine.Engine;
import org.mstore.testing.TestStore;

import static org.assertj.core.api.Assertions.assertThat;

/** SPEC §4: the maintenance queue — RecNo, de-duplication, persistence, the three queues, administrators' actions. */
class MaintenanceQueueTest {
    @TempDir
    Path tmp;
    TestStore s;

    @BeforeEach
    void setUp() throws Exception {
        s = TestStore.create(tmp);
        for (String m : List.of("user/alice", "user/bob", "user/carol", "user/dave")) {
            s.mailbox(m);
        }
    }

    @AfterEach
    void tearDown() {
        s.close();
    }

    private MaintenanceQueue q() {
        return (MaintenanceQueue) s.engine.backend().queue();
    }

    private long now() {
        return s.clock.millis();
    }

    @Test
    void an_entry_is_recno_mailbox_action_and_timestamp() {
        org.mstore.api.Enqueued e = q().enqueue("user/alice", Action.CLEAN, now(), false);
        QueueEntry got = q().get(e.recno()).orElseThrow();
        assertThat(got.recno()).isEqualTo(e.recno());
        assertThat(got.mailbox()).isEqualTo("user/alice");
        assertThat(got.action()).isEqualTo(Action.CLEAN);
        assertThat(got.timestamp()).isEqualTo(s.clock.instant());
        assertThat(got.forced()).isFalse();
    }

    @Test
    void recno_is_unique_and_increasing_even_after_entries_leave_and_the_store_reopens() throws Exception {
        List<Long> recnos = new ArrayList<>();
        for (String m : List.of("user/alice", "user/bob", "user/carol")) {
            for (Action a : Action.values()) {
                recnos.add(q().enqueue(m, a, now(), false).recno());
            }
        }
        assertThat(recnos).doesNotHaveDuplicates().isSorted();
        long max = recnos.get(recnos.size() - 1);
        s.engine.queue().remove(recnos);
        assertThat(q().count()).isZero();
        long next = q().enqueue("user/alice", Action.CLEAN, now(), false).recno();
        assertThat(next).isGreaterThan(max);
        s.engine.close();
        try (Engine again = s.openAgain()) {
            long afterReopen = again.backend().queue().enqueue("user/bob", Action.CLEAN, now(), false).recno();
            assertThat(afterReopen).isGreaterThan(next);
        }
    }

    @Test
    void enqueueing_a_pending_mailbox_action_pair_adds_no_second_entry() {
        org.mstore.api.Enqueued first = q().enqueue("user/alice", Action.CLEAN, now(), false);
        s.clock.advance(Duration.ofMinutes(5));
        org.mstore.api.Enqueued second = q().enqueue("user/alice", Action.CLEAN, now(), false);
        assertThat(first.added()).isTrue();
        assertThat(second.added()).isFalse();
        assertThat(second.recno()).isEqualTo(first.recno());
        // the first request's timestamp stands
        assertThat(q().get(first.recno()).orElseThrow().timestamp()).isEqualTo(s.clock.instant().minus(Duration.ofMinutes(5)));
        // another action or another mailbox is another entry
        assertThat(q().enqueue("user/alice", Action.PURGE, now(), false).added()).isTrue();
        assertThat(q().enqueue("user/bob", Action.CLEAN, now(), false).added()).isTrue();
        // and a batch skips pending pairs too
        int added = q().enqueueAll(List.of(new org.mstore.api.QueueRequest("user/alice", Action.CLEAN, now(), false),
                new org.mstore.api.QueueRequest("user/carol", Action.CLEAN, now(), false),
                new org.mstore.api.QueueRequest("user/carol", Action.CLEAN, now(), false)));
        assertThat(added).isEqualTo(1);
        assertThat(q().count()).isEqualTo(4);
    }

    @Test
    void the_queue_persists_across_a_restart() throws Exception {
        q().enqueue("user/alice", Action.CLEAN, now(), false);
        q().enqueue("user/bob", Action.REPAIR, now(), true);
        q().enqueue("user/carol", Action.REMOVE, now() - 1000, false);
        List<QueueEntry> before = s.queue();
        s.engine.close();
        try (Engine again = s.openAgain()) {
            List<QueueEntry> after = again.queue().entriesAfter(0, 100);
            assertThat(after).usingRecursiveFieldByFieldElementComparatorIgnoringFields("version").isEqualTo(before);
            assertThat(after).extracting(QueueEntry::forced).containsExactly(false, true, false);
        }
    }

    @Test
    void the_three_queues_are_shown_merged_by_recno() {
        q().enqueue("user/alice", Action.REMOVE, now(), false);
        q().enqueue("user/bob", Action.CLEAN, now(), false);
        q().enqueue("user/carol", Action.REPAIR, now(), false);
        q().enqueue("user/dave", Action.PURGE, now(), false);
        q().enqueue("user/alice", Action.REPAIR, now(), false);
        List<QueueEntry> all = s.queue();
        assertThat(all).extracting(QueueEntry::recno).isSorted();
        assertThat(all).extracting(QueueEntry::action)
                .containsExactly(Action.REMOVE, Action.CLEAN, Action.REPAIR, Action.PURGE, Action.REPAIR);
        // each entry lives in its classic-store queue: cleanup (Clean, Purge), repair, removal
        List<String> queues = ((org.mstore.classic.ClassicBackend) s.engine.backend()).database().read(c -> {
            List<String> out = new ArrayList<>();
            try (PreparedStatement p = c.prepareStatement("SELECT queue_name FROM maintenance_queue ORDER BY recno");
                 ResultSet rs = p.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
            return out;
        });
        assertThat(queues).containsExactly("removal", "cleanup", "repair", "cleanup", "repair");
        assertThat(q().countsByAction()).isEqualTo(Map.of(Action.CLEAN, 1L, Action.PURGE, 1L, Action.REPAIR, 2L, Action.REMOVE, 1L));
    }

    @Test
    void repair_runs_before_other_pending_work() {
        long clean = s.engine.queue().request("user/alice", Action.CLEAN).recno();
        long purge = s.engine.queue().request("user/bob", Action.PURGE).recno();
        long repair = s.engine.queue().request("user/carol", Action.REPAIR).recno();
        List<TaskResult> ran = s.engine.daemon().drain();
        assertThat(ran).extracting(r -> r.entry().recno()).containsExactly(repair, clean, purge);
    }

    @Test
    void remove_entries_takes_them_out_and_records_them_as_removed() {
        long a = q().enqueue("user/alice", Action.CLEAN, now(), false).recno();
        long b = q().enqueue("user/bob", Action.PURGE, now(), false).recno();
        long c = q().enqueue("user/carol", Action.REPAIR, now(), false).recno();
        long seq = q().maxHistorySeq();
        List<QueueEntry> removed = s.engine.queue().remove(List.of(a, c, 9999L));
        assertThat(removed).extracting(QueueEntry::recno).containsExactly(a, c);
        assertThat(s.queue()).extracting(QueueEntry::recno).containsExactly(b);
        assertThat(q().historyAfter(seq, 10)).extracting(h -> h.entry().recno(), HistoryEntry::outcome, HistoryEntry::detail)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(a, Outcome.REMOVED, "removed by an administrator"),
                        org.assertj.core.groups.Tuple.tuple(c, Outcome.REMOVED, "removed by an administrator"));
    }

    @Test
    void run_now_runs_the_selected_entries_at_once_as_forced() throws Exception {
        s.append("user/alice", 5);
        s.expunge("user/alice", "1:3"); // Expunged 3: not above store.cleanupsize 100
        long clean = q().enqueue("user/alice", Action.CLEAN, now(), false).recno();
        long other = q().enqueue("user/bob", Action.CLEAN, now(), false).recno();
        List<TaskResult> r = s.engine.daemon().runNow(List.of(clean));
        assertThat(r).extracting(x -> x.entry().recno(), TaskResult::outcome)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(clean, Outcome.DONE));
        assertThat(r.get(0).entry().forced()).isTrue();
        assertThat(s.info("user/alice").expunged()).isZero();
        assertThat(s.queue()).extracting(QueueEntry::recno, QueueEntry::action)
                .contains(org.assertj.core.groups.Tuple.tuple(other, Action.CLEAN));
        assertThat(q().find("user/alice", Action.REMOVE)).isPresent();
    }

    @Test
    void deleting_a_mailbox_drops_its_entries() throws Exception {
        s.mailbox("user/alice/Trash");
        q().enqueue("user/alice", Action.CLEAN, now(), false);
        q().enqueue("user/alice/Trash", Action.REPAIR, now(), false);
        long keep = q().enqueue("user/bob", Action.CLEAN, now(), false).recno();
        long seq = q().maxHistorySeq();
        assertThat(s.engine.mailboxes().delete("user/alice")).containsExactly("user/alice", "user/alice/Trash");
        assertThat(s.queue()).extracting(QueueEntry::recno).containsExactly(keep);
        assertThat(q().historyAfter(seq, 10)).extracting(HistoryEntry::outcome).containsOnly(Outcome.DROPPED).hasSize(2);
        assertThat(s.engine.context().mboxlist().exists("user/alice")).isFalse();
    }

    @Test
    void an_entry_for_a_mailbox_that_no_longer_exists_is_dropped_when_its_turn_comes() {
        long e = q().enqueue("user/ghost", Action.PURGE, now(), false).recno();
        assertThat(s.engine.daemon().drain()).extracting(r -> r.entry().recno(), TaskResult::outcome)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(e, Outcome.DROPPED));
        assertThat(q().count()).isZero();
    }

    @Test
    void a_forced_request_upgrades_a_pending_entry_and_makes_it_due_at_once() {
        long ts = now() - 60_000;
        long recno = q().enqueue("user/alice", Action.REMOVE, ts, false).recno();
        assertThat(q().pickNext(now(), Duration.ofHours(1).toMillis(), "probe")).isEmpty(); // not due for another 59 minutes
        org.mstore.api.Enqueued forced = s.engine.queue().request("user/alice", Action.REMOVE);
        assertThat(forced.added()).isFalse();
        assertThat(forced.recno()).isEqualTo(recno);
        QueueEntry e = q().get(recno).orElseThrow();
        assertThat(e.forced()).isTrue();
        assertThat(e.timestamp()).isEqualTo(Instant.ofEpochMilli(ts));
        assertThat(q().count()).isEqualTo(1);
        assertThat(q().pickNext(now(), Duration.ofHours(1).toMillis(), "probe")).map(QueueEntry::recno).contains(recno);
    }
}
