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

    // ---------------------------------------------------------------- lanes: the order of picks

    private List<Long> claimed(long now, Duration cleanupAge, int max) {
        return q().claimDue(now, cleanupAge.toMillis(), "probe", max).stream().map(QueueEntry::recno).toList();
    }

    @Test
    void picks_take_repair_first_then_recno_order_with_removes_once_due() {
        long oldRemove = q().enqueue("user/alice", Action.REMOVE, now() - Duration.ofHours(2).toMillis(), false).recno();
        long clean = q().enqueue("user/bob", Action.CLEAN, now(), false).recno();
        long newRemove = q().enqueue("user/carol", Action.REMOVE, now(), false).recno(); // due in an hour
        long purge = q().enqueue("user/dave", Action.PURGE, now(), false).recno();
        long repair = q().enqueue("user/carol", Action.REPAIR, now(), false).recno();
        long forcedRemove = s.engine.queue().request("user/dave", Action.REMOVE).recno(); // forced: due at once, by RecNo
        assertThat(claimed(now(), Duration.ofHours(1), 10)).containsExactly(repair, oldRemove, clean, purge, forcedRemove);
        assertThat(q().get(newRemove).orElseThrow().state()).isEqualTo(QueueEntry.State.WAITING);
        s.clock.advance(Duration.ofHours(1));
        assertThat(claimed(now(), Duration.ofHours(1), 10)).containsExactly(newRemove);
    }

    @Test
    void a_pick_claims_one_entry_at_a_time_in_the_same_order() {
        long clean = q().enqueue("user/alice", Action.CLEAN, now(), false).recno();
        long repair = q().enqueue("user/bob", Action.REPAIR, now(), false).recno();
        assertThat(q().pickNext(now(), 0, "probe")).map(QueueEntry::recno).contains(repair);
        assertThat(q().pickNext(now(), 0, "probe")).map(QueueEntry::recno).contains(clean);
        assertThat(q().pickNext(now(), 0, "probe")).isEmpty();
        assertThat(q().get(clean).orElseThrow()).extracting(QueueEntry::state, QueueEntry::pickedBy)
                .containsExactly(QueueEntry.State.RUNNING, "probe");
    }

    @Test
    void an_entry_in_back_off_waits_until_it_is_due_and_then_keeps_its_place() {
        long first = q().enqueue("user/alice", Action.CLEAN, now(), false).recno();
        long second = q().enqueue("user/bob", Action.CLEAN, now(), false).recno();
        QueueEntry failed = q().pickNext(now(), 0, "probe").orElseThrow();
        assertThat(failed.recno()).isEqualTo(first);
        q().release(failed, "disk full", now() + 10_000);
        QueueEntry waiting = q().get(first).orElseThrow();
        assertThat(waiting).extracting(QueueEntry::state, QueueEntry::attempts, QueueEntry::lastError, QueueEntry::notBefore)
                .containsExactly(QueueEntry.State.WAITING, 1, "disk full", s.clock.instant().plusSeconds(10));
        assertThat(q().nextDueTime(now(), 0)).contains(s.clock.instant().plusSeconds(10));
        assertThat(claimed(now(), Duration.ZERO, 10)).containsExactly(second);
        s.clock.advance(Duration.ofSeconds(10));
        long third = q().enqueue("user/carol", Action.CLEAN, now(), false).recno();
        assertThat(claimed(now(), Duration.ZERO, 10)).containsExactly(first, third);
    }

    @Test
    void a_claim_made_on_an_entry_that_changed_since_it_was_read_fails() {
        long recno = q().enqueue("user/alice", Action.REPAIR, now(), false).recno();
        QueueEntry read = q().get(recno).orElseThrow();
        s.clock.advance(Duration.ofMinutes(1));
        q().enqueue("user/alice", Action.REPAIR, now(), false); // a later request moves the timestamp: version + 1
        QueueEntry claimed = q().pickNext(now(), 0, "probe").orElseThrow();
        assertThat(claimed.version()).isEqualTo(read.version() + 2);
        assertThat(claimed.timestamp()).isEqualTo(s.clock.instant());
        boolean completedWithOldVersion = s.engine.context().meta().transact(tx -> tx.complete(read, Outcome.DONE, "stale", 0));
        assertThat(completedWithOldVersion).isFalse();
        assertThat(q().get(recno)).isPresent();
    }

    // ---------------------------------------------------------------- uniqueness covers waiting entries only

    @Test
    void a_request_for_a_running_repair_runs_again() {
        long first = q().enqueue("user/alice", Action.REPAIR, now(), false).recno();
        QueueEntry running = q().pickNext(now(), 0, "impurge").orElseThrow();
        // the Repair runs; meanwhile a client meets a corruption the repair does not cover and asks again
        s.clock.advance(Duration.ofSeconds(5));
        org.mstore.api.Enqueued again = q().enqueue("user/alice", Action.REPAIR, now(), false);
        assertThat(again.added()).isTrue();
        assertThat(again.recno()).isNotEqualTo(first);
        assertThat(q().find("user/alice", Action.REPAIR)).map(QueueEntry::recno).contains(again.recno());
        // a third request while one waits adds nothing
        assertThat(q().enqueue("user/alice", Action.REPAIR, now(), false).added()).isFalse();
        // the first one ends; the second still runs, after it
        s.engine.context().meta().transact(tx -> tx.complete(running, Outcome.DONE, "rebuilt", 0));
        assertThat(s.engine.daemon().drain()).extracting(r -> r.entry().recno(), TaskResult::outcome)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(again.recno(), Outcome.DONE));
    }

    @Test
    void a_failed_task_queued_again_while_it_ran_is_folded_into_the_new_entry() {
        long first = q().enqueue("user/alice", Action.CLEAN, now(), false).recno();
        QueueEntry running = q().pickNext(now(), 0, "impurge").orElseThrow();
        long second = q().enqueue("user/alice", Action.CLEAN, now(), false).recno();
        q().release(running, "disk full", now() + 10_000);
        // one task, one entry: the new one carries the attempt and waits out the back-off
        assertThat(q().get(first)).isEmpty();
        assertThat(q().get(second).orElseThrow()).extracting(QueueEntry::attempts, QueueEntry::lastError, QueueEntry::notBefore)
                .containsExactly(1, "disk full", s.clock.instant().plusSeconds(10));
        assertThat(q().finished(first).orElseThrow()).extracting(HistoryEntry::outcome).isEqualTo(Outcome.SKIPPED);
        assertThat(q().finished(first).orElseThrow().detail()).contains("RecNo " + second);
    }

    // ---------------------------------------------------------------- parked entries and the history

    private QueueEntry parked(String mailbox, Action action, String error) {
        q().enqueue(mailbox, action, now(), false);
        QueueEntry e = q().claimDue(now(), 0, "probe", 1).get(0);
        q().park(e, error);
        return q().get(e.recno()).orElseThrow();
    }

    @Test
    void a_parked_entry_is_not_picked_and_not_counted_in_the_queue() {
        QueueEntry p = parked("user/alice", Action.CLEAN, "disk on fire");
        assertThat(p).extracting(QueueEntry::state, QueueEntry::attempts, QueueEntry::lastError)
                .containsExactly(QueueEntry.State.FAILED, 1, "disk on fire");
        s.clock.advance(Duration.ofDays(1));
        assertThat(q().pickNext(now(), 0, "probe")).isEmpty();
        assertThat(q().nextDueTime(now(), 0)).isEmpty();
        assertThat(q().count()).isZero();
        assertThat(q().countsByAction()).containsEntry(Action.CLEAN, 0L);
        assertThat(s.queue()).isEmpty();
        assertThat(q().count(org.mstore.api.QueueQuery.failed())).isEqualTo(1);
        assertThat(q().page(org.mstore.api.QueueQuery.failed(), 0, 10)).extracting(QueueEntry::recno).containsExactly(p.recno());
        List<QueueEntry> streamed = new ArrayList<>();
        s.engine.queue().forEach(org.mstore.api.QueueQuery.failed(), streamed::add);
        assertThat(streamed).extracting(QueueEntry::recno).containsExactly(p.recno());
    }

    @Test
    void a_request_for_a_parked_task_waits_for_the_administrator_unless_forced() {
        QueueEntry p = parked("user/alice", Action.REPAIR, "cannot read the partition");
        org.mstore.api.Enqueued again = q().enqueue("user/alice", Action.REPAIR, now(), false);
        assertThat(again).isEqualTo(new org.mstore.api.Enqueued(p.recno(), false));
        assertThat(q().enqueueAll(List.of(new org.mstore.api.QueueRequest("user/alice", Action.REPAIR, now(), false)))).isZero();
        assertThat(q().get(p.recno()).orElseThrow().state()).isEqualTo(QueueEntry.State.FAILED);
        assertThat(q().count()).isZero();
        org.mstore.api.Enqueued forced = s.engine.queue().request("user/alice", Action.REPAIR);
        assertThat(forced).isEqualTo(new org.mstore.api.Enqueued(p.recno(), false));
        assertThat(q().get(p.recno()).orElseThrow()).extracting(QueueEntry::state, QueueEntry::forced, QueueEntry::attempts)
                .containsExactly(QueueEntry.State.WAITING, true, 0);
    }

    @Test
    void retry_brings_a_parked_entry_back() {
        QueueEntry p = parked("user/alice", Action.CLEAN, "disk on fire");
        List<QueueEntry> back = s.engine.queue().retry(List.of(p.recno(), 9999L));
        assertThat(back).extracting(QueueEntry::recno, QueueEntry::state, QueueEntry::attempts)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(p.recno(), QueueEntry.State.WAITING, 0));
        assertThat(q().get(p.recno()).orElseThrow().lastError()).isEqualTo("disk on fire"); // still there to read
        assertThat(q().pickNext(now(), 0, "probe")).map(QueueEntry::recno).contains(p.recno());
    }

    @Test
    void retrying_a_parked_entry_whose_task_waits_again_folds_it_into_that_one() {
        q().enqueue("user/alice", Action.CLEAN, now(), false);
        QueueEntry running = q().pickNext(now(), 0, "probe").orElseThrow();
        long twin = q().enqueue("user/alice", Action.CLEAN, now(), false).recno(); // queued again while it ran
        q().park(running, "disk on fire"); // then it failed for the last time
        assertThat(s.engine.queue().retry(List.of(running.recno()))).extracting(QueueEntry::recno).containsExactly(twin);
        assertThat(q().get(running.recno())).isEmpty();
        assertThat(q().finished(running.recno()).orElseThrow().outcome()).isEqualTo(Outcome.SKIPPED);
        assertThat(q().count()).isEqualTo(1);
    }

    @Test
    void discard_records_the_entry_in_the_history() {
        QueueEntry p = parked("user/alice", Action.PURGE, "cache unreadable");
        long waiting = q().enqueue("user/bob", Action.CLEAN, now(), false).recno();
        assertThat(s.engine.queue().discard(List.of(p.recno(), waiting))).extracting(QueueEntry::recno).containsExactly(p.recno());
        assertThat(q().get(p.recno())).isEmpty();
        assertThat(q().get(waiting)).isPresent(); // only parked entries are discarded
        HistoryEntry h = s.engine.queue().finished(p.recno()).orElseThrow();
        assertThat(h).extracting(HistoryEntry::outcome, HistoryEntry::detail).containsExactly(Outcome.DISCARDED, "discarded by an administrator");
        assertThat(h.entry()).extracting(QueueEntry::attempts, QueueEntry::lastError).containsExactly(1, "cache unreadable");
        assertThat(s.engine.queue().history(java.util.EnumSet.of(Outcome.DISCARDED), Long.MAX_VALUE, 10))
                .extracting(x -> x.entry().recno()).containsExactly(p.recno());
    }

    @Test
    void retry_all_and_discard_all_take_every_parked_entry() {
        parked("user/alice", Action.CLEAN, "e1");
        parked("user/bob", Action.CLEAN, "e2");
        QueueEntry third = parked("user/carol", Action.PURGE, "e3");
        assertThat(s.engine.queue().retryAll()).isEqualTo(3);
        assertThat(q().count()).isEqualTo(3);
        q().park(q().claim(third.recno(), now(), "probe").orElseThrow(), "e3 again");
        assertThat(s.engine.queue().discardAll()).isEqualTo(1);
        assertThat(q().count(org.mstore.api.QueueQuery.failed())).isZero();
    }

    @Test
    void the_history_pages_newest_first_filtered_by_outcome() {
        s.engine.queue().remove(List.of(q().enqueue("user/alice", Action.CLEAN, now(), false).recno()));
        List<Long> dropped = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            dropped.add(q().enqueue("user/ghost" + i, Action.PURGE, now(), false).recno());
        }
        s.engine.daemon().drain();
        java.util.Set<Outcome> only = java.util.EnumSet.of(Outcome.DROPPED);
        assertThat(s.engine.queue().historyCount(only)).isEqualTo(5);
        List<HistoryEntry> page1 = s.engine.queue().history(only, Long.MAX_VALUE, 3);
        assertThat(page1).extracting(h -> h.entry().recno()).containsExactly(dropped.get(4), dropped.get(3), dropped.get(2));
        List<HistoryEntry> page2 = s.engine.queue().history(only, page1.get(2).seq(), 3);
        assertThat(page2).extracting(h -> h.entry().recno()).containsExactly(dropped.get(1), dropped.get(0));
        assertThat(s.engine.queue().history(java.util.EnumSet.of(Outcome.REMOVED, Outcome.DROPPED), Long.MAX_VALUE, 100)).hasSize(6);
        assertThat(s.engine.queue().historyCount(java.util.EnumSet.of(Outcome.DONE))).isZero();
    }

    @Test
    void a_paused_action_is_left_waiting_while_the_others_are_claimed_in_their_order() {
        long purge = q().enqueue("user/alice", Action.PURGE, now(), false).recno();
        long clean = q().enqueue("user/bob", Action.CLEAN, now(), false).recno();
        long forcedRemove = s.engine.queue().request("user/dave", Action.REMOVE).recno();
        long repair = q().enqueue("user/carol", Action.REPAIR, now(), false).recno();
        assertThat(q().claimDue(now(), 0, "probe", 10, java.util.EnumSet.of(Action.PURGE, Action.REPAIR)))
                .extracting(QueueEntry::recno).containsExactly(clean, forcedRemove);
        assertThat(q().get(purge).orElseThrow().state()).isEqualTo(QueueEntry.State.WAITING);
        assertThat(q().get(repair).orElseThrow().state()).isEqualTo(QueueEntry.State.WAITING);
        // resumed: they come in their usual order
        assertThat(q().claimDue(now(), 0, "probe", 10, java.util.Set.of())).extracting(QueueEntry::recno).containsExactly(repair, purge);
    }

    @Test
    void a_paused_remove_sets_no_time_to_wake_up_at() {
        q().enqueue("user/alice", Action.REMOVE, now(), false);
        assertThat(q().nextDueTime(now(), Duration.ofHours(1).toMillis(), java.util.Set.of()))
                .contains(s.clock.instant().plus(Duration.ofHours(1)));
        assertThat(q().nextDueTime(now(), Duration.ofHours(1).toMillis(), java.util.EnumSet.of(Action.REMOVE))).isEmpty();
    }

    @Test
    void the_entry_due_the_longest_ago_of_each_action_is_found_at_the_head_of_its_lanes() {
        Instant t0 = s.clock.instant();
        q().enqueue("user/alice", Action.CLEAN, now(), false);
        q().enqueue("user/alice", Action.REMOVE, now() - Duration.ofHours(2).toMillis(), false);
        s.clock.advance(Duration.ofMinutes(5));
        q().enqueue("user/bob", Action.CLEAN, now(), false);
        s.engine.queue().request("user/bob", Action.REMOVE); // forced, in a lane of its own, newer
        q().enqueue("user/carol", Action.PURGE, now(), false);
        long age = Duration.ofMinutes(30).toMillis(); // the Remove queued 2 h ago was due 1.5 h ago
        assertThat(q().oldestDue(s.engine.info().features(), Duration.ofMillis(age))).containsOnly(Map.entry(Action.CLEAN, t0), Map.entry(Action.REMOVE, t0.minus(Duration.ofMinutes(90))),
                Map.entry(Action.PURGE, s.clock.instant()));
        // a running entry no longer waits: the next one is the oldest
        assertThat(q().claimDue(now(), 0, "probe", 1, java.util.EnumSet.of(Action.REMOVE, Action.PURGE))).extracting(QueueEntry::mailbox)
                .containsExactly("user/alice");
        assertThat(q().oldestDue(s.engine.info().features(), Duration.ofMillis(age))).containsEntry(Action.CLEAN, s.clock.instant());
    }

    @Test
    void a_remove_waits_from_its_timestamp_plus_the_cleanup_age_and_a_forced_one_from_its_timestamp() {
        q().enqueue("user/alice", Action.REMOVE, now(), false);
        long age = Duration.ofHours(1).toMillis();
        assertThat(q().oldestDue(s.engine.info().features(), Duration.ofMillis(age))).containsEntry(Action.REMOVE, s.clock.instant().plusMillis(age)); // not due yet
        s.clock.advance(Duration.ofMinutes(5));
        s.engine.queue().request("user/bob", Action.REMOVE); // forced: due at once, before alice's
        assertThat(q().oldestDue(s.engine.info().features(), Duration.ofMillis(age))).containsEntry(Action.REMOVE, s.clock.instant());
    }
}
