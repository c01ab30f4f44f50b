package org.mstore.console.dashboard;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.Action;
import org.mstore.api.HistoryEntry;
import org.mstore.api.Outcome;
import org.mstore.api.Setting;
import org.mstore.api.TaskResult;
import org.mstore.api.UidSet;
import org.mstore.console.CurrentThreadTaskExecutor;
import org.mstore.testing.TestStore;

import static org.assertj.core.api.Assertions.assertThat;

/** The dashboard's series on a real store: tasks done per minute from the history and from events, queue depth. */
class DashboardViewModelTest {
    @TempDir
    Path tmp;
    TestStore s;
    DashboardViewModel vm;
    long seq;

    @BeforeEach
    void setUp() throws Exception {
        s = TestStore.create(tmp);
        for (String b : List.of("user/a", "user/b", "user/c", "user/d")) {
            s.mailbox(b);
        }
        vm = new DashboardViewModel(s.engine, new CurrentThreadTaskExecutor());
    }

    @AfterEach
    void tearDown() {
        s.close();
    }

    private static long minute(Instant t) {
        return t.toEpochMilli() / 60_000 * 60_000;
    }

    /** Runs a forced Repair of each mailbox now (each is done) and returns what the history recorded. */
    private List<HistoryEntry> repair(String... mailboxes) {
        for (String m : mailboxes) {
            s.engine.queue().request(m, Action.REPAIR);
        }
        List<TaskResult> ran = s.engine.daemon().drain();
        assertThat(ran).hasSize(mailboxes.length).allSatisfy(r -> assertThat(r.outcome()).isEqualTo(Outcome.DONE));
        return newHistory();
    }

    private List<HistoryEntry> newHistory() {
        List<HistoryEntry> h = s.engine.queue().historyAfter(seq, 10_000);
        seq = s.engine.queue().maxHistorySeq();
        return h;
    }

    /** Cleans, then (after store.cleanupage) removes and purges a mailbox: tasks that reclaim bytes. */
    private List<HistoryEntry> reclaim(String box) throws Exception {
        s.engine.settings().apply(Map.of(Setting.CLEANUP_SIZE, "5", Setting.PURGE_COUNT, "5", Setting.PURGE_PERCENTAGE, "10"));
        s.append(box, 40);
        s.engine.mailboxes().setDeleted(box, UidSet.parse("1:20"), true);
        s.engine.mailboxes().expunge(box);
        s.engine.daemon().drain();
        s.clock.advance(Duration.ofMinutes(61));
        s.engine.daemon().drain();
        List<HistoryEntry> h = newHistory();
        assertThat(h).extracting(x -> x.entry().action()).containsExactly(Action.CLEAN, Action.REMOVE, Action.PURGE);
        assertThat(h.stream().mapToLong(HistoryEntry::bytesReclaimed).sum()).isPositive();
        return h;
    }

    private static Map<Action, Long> depth(long clean, long purge, long repair, long remove) {
        Map<Action, Long> m = new EnumMap<>(Action.class);
        m.put(Action.CLEAN, clean);
        m.put(Action.PURGE, purge);
        m.put(Action.REPAIR, repair);
        m.put(Action.REMOVE, remove);
        return m;
    }

    @Test
    void load_counts_the_tasks_done_per_minute_in_the_last_hour_from_the_history() {
        repair("user/a");                                   // 10:00, more than an hour before the load
        s.clock.advance(Duration.ofMinutes(61));
        Instant first = s.clock.instant();
        repair("user/a", "user/b", "user/c");               // 11:01
        s.clock.advance(Duration.ofMinutes(2));
        repair("user/a", "user/b");                         // 11:03
        s.engine.backend().queue().enqueue("user/d", Action.CLEAN, 0, false);
        s.engine.queue().remove(List.of(s.engine.backend().queue().maxRecno())); // removed, not done

        vm.load();

        assertThat(vm.perMinute()).containsExactly(
                new DashboardViewModel.MinuteCount(minute(first), 3),
                new DashboardViewModel.MinuteCount(minute(first) + 120_000, 2));
        assertThat(vm.doneLastHourProperty().get()).isEqualTo(5);
        assertThat(vm.bytesLastHourProperty().get()).isZero();
    }

    @Test
    void finished_entries_add_to_their_minute_and_start_the_next() {
        repair("user/a");
        vm.load();

        vm.entriesDone(repair("user/b", "user/c"));
        assertThat(vm.perMinute()).containsExactly(new DashboardViewModel.MinuteCount(minute(s.clock.instant()), 3));

        s.clock.advance(Duration.ofSeconds(75));
        vm.entriesDone(repair("user/d"));

        assertThat(vm.perMinute()).extracting(DashboardViewModel.MinuteCount::done).containsExactly(3L, 1L);
        assertThat(vm.perMinute().get(1).minute()).isEqualTo(minute(s.clock.instant()));
        assertThat(vm.doneLastHourProperty().get()).isEqualTo(4);
    }

    @Test
    void skipped_tasks_count_as_finished_as_the_daemon_counts_them_and_removed_entries_do_not() {
        repair("user/a");
        vm.load();
        s.engine.backend().queue().enqueue("user/b", Action.CLEAN, 0, false);
        s.engine.backend().queue().enqueue("user/c", Action.PURGE, 0, false);
        s.engine.daemon().drain(); // both skipped: below the thresholds
        s.engine.backend().queue().enqueue("user/d", Action.CLEAN, 0, false);
        s.engine.queue().remove(List.of(s.engine.backend().queue().maxRecno()));
        List<HistoryEntry> h = newHistory();
        assertThat(h).extracting(HistoryEntry::outcome).containsExactly(Outcome.SKIPPED, Outcome.SKIPPED, Outcome.REMOVED);

        vm.entriesDone(h);

        assertThat(vm.perMinute()).extracting(DashboardViewModel.MinuteCount::done).containsExactly(3L);
        assertThat(vm.doneLastHourProperty().get()).isEqualTo(3);
    }

    @Test
    void dropped_and_skipped_entries_count_as_finished_tasks_on_the_dashboard() throws Exception {
        s.mailbox("user/gone");
        s.engine.queue().request("user/gone", Action.PURGE);
        s.engine.mailboxes().delete("user/gone");
        s.engine.backend().queue().enqueue("user/b", Action.CLEAN, 0, false);
        s.engine.daemon().drain();

        vm.load();

        assertThat(newHistory()).extracting(HistoryEntry::outcome).contains(Outcome.DROPPED, Outcome.SKIPPED);
        assertThat(vm.doneLastHourProperty().get()).isEqualTo(s.engine.queue().historyCount(DashboardViewModel.FINISHED)).isEqualTo(2);
    }

    @Test
    void bytes_reclaimed_come_from_finished_entries_and_from_the_history() throws Exception {
        vm.load();
        assertThat(vm.bytesLastHourProperty().get()).isZero();

        List<HistoryEntry> h = reclaim("user/a");
        vm.entriesDone(h);

        long bytes = h.stream().mapToLong(HistoryEntry::bytesReclaimed).sum();
        assertThat(vm.bytesLastHourProperty().get()).isEqualTo(bytes).isPositive();
        DashboardViewModel fresh = new DashboardViewModel(s.engine, new CurrentThreadTaskExecutor());
        fresh.load();
        assertThat(fresh.bytesLastHourProperty().get()).isEqualTo(bytes);
        assertThat(fresh.doneLastHourProperty().get()).isEqualTo(vm.doneLastHourProperty().get()).isEqualTo(2);
    }

    @Test
    void depth_samples_older_than_an_hour_are_dropped() {
        Instant t0 = s.clock.instant();
        vm.sample(depth(1, 2, 3, 4));
        s.clock.advance(Duration.ofMinutes(30));
        vm.sample(depth(5, 6, 7, 8));
        s.clock.advance(Duration.ofMinutes(30));
        vm.sample(depth(9, 9, 9, 9));
        assertThat(vm.depth()).hasSize(3);

        s.clock.advance(Duration.ofSeconds(1));
        vm.sample(depth(0, 0, 0, 0));

        assertThat(vm.depth()).extracting(DashboardViewModel.DepthSample::time).containsExactly(
                t0.plusSeconds(1800).toEpochMilli(), t0.plusSeconds(3600).toEpochMilli(), t0.plusSeconds(3601).toEpochMilli());
        assertThat(vm.depth().get(0).depth()).isEqualTo(depth(5, 6, 7, 8));
    }

    @Test
    void a_sample_keeps_its_own_copy_of_the_counts() {
        Map<Action, Long> counts = depth(1, 1, 1, 1);
        vm.sample(counts);
        counts.put(Action.CLEAN, 99L);

        assertThat(vm.depth().get(0).depth().get(Action.CLEAN)).isEqualTo(1);
    }

    @Test
    void tasks_done_over_an_hour_ago_stop_counting_even_when_nothing_else_finishes() {
        repair("user/a", "user/b", "user/c");
        vm.load();
        assertThat(vm.doneLastHourProperty().get()).isEqualTo(3);

        s.clock.advance(Duration.ofHours(2));
        vm.sample(depth(0, 0, 0, 0)); // the dashboard's periodic tick

        assertThat(vm.doneLastHourProperty().get()).isZero();
        assertThat(vm.perMinute()).isEmpty();
    }

    @Test
    void bytes_reclaimed_over_an_hour_ago_stop_counting() throws Exception {
        reclaim("user/a");
        vm.load();
        assertThat(vm.bytesLastHourProperty().get()).isPositive();

        s.clock.advance(Duration.ofHours(2));
        vm.entriesDone(repair("user/b")); // reclaims nothing

        assertThat(vm.bytesLastHourProperty().get()).isZero();
        assertThat(vm.doneLastHourProperty().get()).isEqualTo(1);
        assertThat(vm.perMinute()).containsExactly(new DashboardViewModel.MinuteCount(minute(s.clock.instant()), 1));
    }
}
