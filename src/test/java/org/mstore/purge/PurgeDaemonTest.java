package org.mstore.purge;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.Action;
import org.mstore.api.DaemonMode;
import org.mstore.api.DaemonState;
import org.mstore.api.DaemonStatus;
import org.mstore.api.HistoryEntry;
import org.mstore.api.Outcome;
import org.mstore.api.QueueEntry;
import org.mstore.api.Setting;
import org.mstore.api.StoreEvent;
import org.mstore.api.TaskResult;
import org.mstore.engine.Engine;
import org.mstore.testing.Await;
import org.mstore.testing.TestStore;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * SPEC §5 and the seed: impurge runs as a daemon by default, handling entries as they come, or in an off-peak
 * window, exiting when the queue is empty or when its end time passes.
 */
class PurgeDaemonTest {
    static final String BOX = "user/alice";
    static final Duration WAIT = Duration.ofSeconds(15);
    @TempDir
    Path tmp;
    TestStore s;
    final List<DaemonStatus> statuses = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        s = TestStore.create(tmp);
        s.mailbox(BOX);
        s.append(BOX, 6);
        s.expunge(BOX, "1:2");
        s.engine.subscribe(e -> {
            if (e instanceof StoreEvent.DaemonChanged d) {
                statuses.add(d.status());
            }
        });
    }

    @AfterEach
    void tearDown() {
        s.close();
    }

    private PurgeDaemon daemon() {
        return s.engine.purgeDaemon();
    }

    private List<HistoryEntry> history() {
        return s.engine.queue().historyAfter(0, 100);
    }

    /** Waits until the daemon publishes {@code state} after the {@code after}-th status it published. */
    private void awaitStateAfter(int after, DaemonState state) {
        Await.until(WAIT, "daemon state " + state, () -> statuses.stream().skip(after).anyMatch(x -> x.state() == state));
    }

    @Test
    void the_daemon_handles_entries_as_they_come() throws Exception {
        daemon().start(DaemonMode.daemon());
        Await.until(WAIT, "the daemon to wait", () -> daemon().status().state() == DaemonState.WAITING);
        s.engine.queue().request(BOX, Action.CLEAN);
        Await.until(WAIT, "Clean to be done", () -> history().stream().anyMatch(h -> h.entry().action() == Action.CLEAN));
        Await.until(WAIT, "Remove to be queued", () -> s.engine.queue().find(BOX, Action.REMOVE).isPresent());
        assertThat(daemon().running()).isTrue();
        // the Remove becomes due when the clock passes store.cleanupage
        s.clock.advance(Duration.ofHours(1));
        daemon().wake();
        Await.until(WAIT, "Remove to be done", () -> s.engine.queue().count() == 0);
        assertThat(history()).extracting(h -> h.entry().action(), HistoryEntry::outcome)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(Action.CLEAN, Outcome.DONE),
                        org.assertj.core.groups.Tuple.tuple(Action.REMOVE, Outcome.DONE));
        Await.until(WAIT, "the status to count both tasks", () -> daemon().status().tasksDone() == 2);
        daemon().stop(WAIT);
        assertThat(daemon().running()).isFalse();
        assertThat(daemon().status().state()).isEqualTo(DaemonState.STOPPED);
    }

    @Test
    void the_daemon_sees_entries_queued_by_another_process() throws Exception {
        daemon().start(DaemonMode.daemon());
        try (Engine cli = s.openAgain()) {
            cli.queue().request(BOX, Action.REPAIR); // no wake-up reaches this daemon: it must poll
        }
        Await.until(WAIT, "the Repair to be done", () -> !history().isEmpty());
        assertThat(history()).extracting(h -> h.entry().action(), HistoryEntry::outcome)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(Action.REPAIR, Outcome.DONE));
    }

    @Test
    void outside_its_window_the_daemon_runs_nothing() throws Exception {
        s.engine.settings().set(Setting.PURGE_WINDOW, "01:00-05:00"); // the clock says 10:00
        daemon().start(DaemonMode.daemon());
        Await.until(WAIT, "outside the window", () -> daemon().status().state() == DaemonState.OUTSIDE_WINDOW);
        assertThat(daemon().status().message()).contains("opens at 01:00");
        assertThat(SessionLock.holder(s.root)).isEmpty(); // it does not even hold the session lock
        int seen = statuses.size();
        long recno = s.engine.queue().request(BOX, Action.CLEAN).recno();
        awaitStateAfter(seen, DaemonState.OUTSIDE_WINDOW); // woken by the request, it looked and stayed idle
        assertThat(s.engine.queue().get(recno)).isPresent();
        assertThat(history()).isEmpty();

        s.clock.set(Instant.parse("2026-03-03T01:00:00Z"));
        daemon().wake();
        Await.until(WAIT, "the Clean to run in the window", () -> !history().isEmpty());
        assertThat(history()).extracting(h -> h.entry().recno()).containsExactly(recno);
    }

    @Test
    void a_window_set_while_the_daemon_runs_takes_effect_without_a_restart() throws Exception {
        daemon().start(DaemonMode.daemon());
        Await.until(WAIT, "the daemon to wait", () -> daemon().status().state() == DaemonState.WAITING);
        s.engine.settings().set(Setting.PURGE_WINDOW, "22:00-04:00");
        daemon().wake();
        Await.until(WAIT, "outside the window", () -> daemon().status().state() == DaemonState.OUTSIDE_WINDOW);
        s.clock.set(Instant.parse("2026-03-02T23:30:00Z"));
        long recno = s.engine.queue().request(BOX, Action.CLEAN).recno();
        Await.until(WAIT, "the Clean to run in the window", () -> s.engine.queue().get(recno).isEmpty());
    }

    @Test
    void with_exitwhenempty_the_daemon_stops_for_the_rest_of_the_window_once_the_queue_is_empty() throws Exception {
        s.engine.settings().apply(java.util.Map.of(Setting.PURGE_WINDOW, "09:00-11:00", Setting.PURGE_EXIT_WHEN_EMPTY, "true"));
        s.engine.queue().request(BOX, Action.CLEAN);
        daemon().start(DaemonMode.daemon());
        Await.until(WAIT, "done for this window", () -> daemon().status().state() == DaemonState.WINDOW_DONE);
        assertThat(history()).extracting(h -> h.entry().action()).containsExactly(Action.CLEAN);
        assertThat(SessionLock.holder(s.root)).isEmpty(); // as if it had exited: a CLI impurge may run
        int seen = statuses.size();
        long recno = s.engine.queue().request(BOX, Action.PURGE).recno();
        awaitStateAfter(seen, DaemonState.WINDOW_DONE);
        assertThat(s.engine.queue().get(recno)).isPresent();
        // the next day's window works again (even when the daemon never saw the time in between)
        s.clock.set(Instant.parse("2026-03-03T09:30:00Z"));
        daemon().wake();
        Await.until(WAIT, "the Purge to run in the next window", () -> s.engine.queue().get(recno).isEmpty());
    }

    @Test
    void drain_and_exit_mode_exits_when_nothing_is_due() throws Exception {
        s.engine.queue().request(BOX, Action.CLEAN);
        daemon().start(DaemonMode.drainAndExit());
        Await.until(WAIT, "the daemon to exit", () -> !daemon().running());
        // the Clean ran; the Remove it queued is not due for another hour and does not keep it running
        assertThat(history()).extracting(h -> h.entry().action()).containsExactly(Action.CLEAN);
        assertThat(s.queue()).extracting(QueueEntry::action).containsExactly(Action.REMOVE);
        assertThat(daemon().status().state()).isEqualTo(DaemonState.STOPPED);
        assertThat(SessionLock.holder(s.root)).isEmpty();
        // and drain() steps the same way
        assertThat(daemon().drain()).isEmpty();
        s.clock.advance(Duration.ofHours(1));
        assertThat(daemon().drain()).extracting(r -> r.entry().action()).containsExactly(Action.REMOVE);
    }

    @Test
    void a_scheduled_run_exits_when_its_end_time_passes() throws Exception {
        daemon().start(DaemonMode.until(LocalTime.of(10, 30), false));
        Await.until(WAIT, "the daemon to wait", () -> daemon().status().state() == DaemonState.WAITING);
        s.clock.advance(Duration.ofMinutes(20));
        daemon().wake();
        Await.until(WAIT, "the daemon to wait again", () -> statuses.stream().filter(x -> x.state() == DaemonState.WAITING).count() > 1);
        assertThat(daemon().running()).isTrue();
        s.clock.advance(Duration.ofMinutes(11));
        daemon().wake();
        Await.until(WAIT, "the daemon to exit at 10:30", () -> !daemon().running());
        assertThat(daemon().status().state()).isEqualTo(DaemonState.STOPPED);
    }

    @Test
    void purge_enable_starts_the_daemon_with_the_engine() throws Exception {
        try (Engine console = Engine.open(s.root, TestStore.options(s.clock).withStartDaemon(true))) {
            assertThat(console.daemon().running()).isTrue();
        }
        s.engine.settings().set(Setting.PURGE_ENABLE, "false");
        try (Engine console = Engine.open(s.root, TestStore.options(s.clock).withStartDaemon(true))) {
            assertThat(console.daemon().running()).isFalse();
            assertThat(console.daemon().status().state()).isEqualTo(DaemonState.STOPPED);
        }
    }

    @Test
    void writers_and_the_daemon_serialise_per_mailbox() throws Exception {
        s.engine.settings().apply(java.util.Map.of(Setting.CLEANUP_SIZE, "2", Setting.CLEANUP_AGE, "0s", Setting.PURGE_COUNT, "2",
                Setting.PURGE_PERCENTAGE, "10"));
        daemon().start(DaemonMode.daemon());
        int rounds = 30;
        for (int i = 0; i < rounds; i++) { // a busy client while impurge cleans, removes and purges the same mailbox
            int[] u = s.append(BOX, 3);
            s.engine.mailboxes().setDeleted(BOX, org.mstore.api.UidSet.parse(u[0] + ":" + u[1]), true);
            s.engine.mailboxes().expunge(BOX);
        }
        try {
            Await.until(Duration.ofSeconds(60), "the queue to empty", () -> s.engine.queue().count() == 0);
        } catch (AssertionError e) {
            // what was left, and why (a failed attempt waits for its back-off on the test's clock, which does not move)
            throw new AssertionError(e.getMessage() + "; daemon: " + daemon().status() + "; left: " + s.engine.queue().entriesAfter(0, 20), e);
        }
        daemon().stop(WAIT);
        assertThat(history()).extracting(HistoryEntry::outcome).doesNotContainNull();
        assertThat(history()).extracting(h -> h.entry().action()).contains(Action.CLEAN, Action.REMOVE, Action.PURGE);
        var info = s.info(BOX);
        try (org.mstore.store.Mailbox mb = s.open(BOX)) {
            assertThat(mb.verify()).isEmpty();
            assertThat(info.messageCount()).isEqualTo(mb.index().size());
            assertThat(info.sizeBytes()).isEqualTo(mb.index().header().totalSize());
            assertThat(info.nextUid()).isEqualTo(mb.index().header().nextUid());
            var counts = mb.cacheCounts();
            assertThat(info.cacheRecords()).isEqualTo(counts.records());
            assertThat(info.cacheExpunged()).isEqualTo(counts.expunged());
            for (org.mstore.store.IndexRecord r : mb.index().records()) {
                assertThat(mb.fetch(r.uid())).hasSize(r.size());
            }
        }
        assertThat(info.messageCount()).isEqualTo(4 + rounds);
    }

    @Test
    void run_now_hands_the_entries_to_the_running_daemon() throws Exception {
        s.engine.queue().request(BOX, Action.CLEAN);
        daemon().start(DaemonMode.daemon());
        Await.until(WAIT, "the Remove to be queued", () -> s.engine.queue().find(BOX, Action.REMOVE).isPresent());
        long remove = s.engine.queue().find(BOX, Action.REMOVE).orElseThrow().recno(); // due in an hour
        // run by the daemon, which holds the session lock, at once (the Remove is not due for an hour), and its result returned
        assertThat(s.engine.daemon().runNow(List.of(remove))).extracting(TaskResult::outcome).containsExactly(Outcome.DONE);
        assertThat(s.engine.queue().get(remove)).isEmpty();
        assertThat(daemon().running()).isTrue();
        assertThat(history()).filteredOn(h -> h.entry().recno() == remove).extracting(HistoryEntry::outcome, h -> h.entry().forced())
                .containsExactly(org.assertj.core.groups.Tuple.tuple(Outcome.DONE, true));
    }

    @Test
    void run_now_runs_at_once_while_the_daemon_is_outside_its_window() throws Exception {
        s.engine.settings().set(Setting.PURGE_WINDOW, "01:00-05:00"); // the clock says 10:00
        daemon().start(DaemonMode.daemon());
        Await.until(WAIT, "outside the window", () -> daemon().status().state() == DaemonState.OUTSIDE_WINDOW);
        long recno = s.engine.queue().request(BOX, Action.CLEAN).recno();
        List<TaskResult> r = s.engine.daemon().runNow(List.of(recno));
        assertThat(r).extracting(TaskResult::outcome).containsExactly(Outcome.DONE);
        assertThat(s.engine.queue().get(recno)).isEmpty();
        // and it went back to waiting for its window, letting go of the session lock it took for the run
        Await.until(WAIT, "outside the window again", () -> daemon().status().state() == DaemonState.OUTSIDE_WINDOW
                && SessionLock.holder(s.root).isEmpty());
    }

    @Test
    void run_now_without_a_daemon_runs_the_entries_and_lets_go_of_the_lock_before_it_returns() throws Exception {
        long recno = s.engine.queue().request(BOX, Action.CLEAN).recno();
        assertThat(s.engine.daemon().runNow(List.of(recno))).extracting(TaskResult::outcome).containsExactly(Outcome.DONE);
        assertThat(SessionLock.holder(s.root)).isEmpty();
        assertThat(daemon().running()).isFalse();
        assertThat(s.engine.daemon().drain()).isNotNull(); // the lock is free for the next impurge at once
    }

    @Test
    void run_now_with_no_daemon_running_is_counted_apart_from_the_daemons_tasks() throws Exception {
        long recno = s.engine.queue().request(BOX, Action.CLEAN).recno();
        assertThat(s.engine.daemon().runNow(List.of(recno))).extracting(TaskResult::outcome).containsExactly(Outcome.DONE);
        // the daemon never started: the task is Run now's, not the daemon's
        assertThat(daemon().status().tasksDone()).isZero();
        assertThat(daemon().status().runNowTasks()).isEqualTo(1);
        // once started, the daemon's own tasks count as its own, and Run now's stay as they were
        s.engine.queue().request(BOX, Action.CLEAN);
        daemon().start(DaemonMode.daemon());
        Await.until(WAIT, "the daemon's Clean", () -> daemon().status().tasksDone() >= 1);
        assertThat(daemon().status().runNowTasks()).isEqualTo(1);
    }

    @Test
    void a_locked_out_daemon_logs_the_seed_error_once_not_at_every_retry() throws Exception {
        daemon().retryAfterLockOut(Duration.ofMillis(20));
        s.engine.settings().set(Setting.PURGE_WINDOW, "22:00-23:30"); // the clock says 10:00
        daemon().start(DaemonMode.daemon()); // outside its window: it does not take the lock yet
        Await.until(WAIT, "outside the window", () -> daemon().status().state() == DaemonState.OUTSIDE_WINDOW);
        try (Engine other = s.openAgain()) {
            other.daemon().start(DaemonMode.until(LocalTime.of(23, 59), false)); // another impurge takes the lock
            int seen = statuses.size();
            s.clock.set(Instant.parse("2026-03-02T23:00:00Z")); // the window opens (the other holds the lock until 23:59)
            daemon().wake();
            awaitStateAfter(seen, DaemonState.LOCKED_OUT);
            Thread.sleep(300); // a dozen retries
            assertThat(s.logLines()).filteredOn(l -> l.contains("Could not get purge session lock")).hasSize(1);
            other.daemon().stop();
            Await.until(WAIT, "the lock to be taken once it is free", () -> daemon().status().state() != DaemonState.LOCKED_OUT
                    && SessionLock.holder(s.root).map(h -> h.startsWith("test[")).orElse(false));
        }
    }

    @Test
    void impurge_leaves_a_paused_actions_entries_waiting_and_runs_them_once_it_is_resumed() throws Exception {
        s.engine.daemon().setPaused(Action.CLEAN, true);
        long clean = s.engine.queue().request(BOX, Action.CLEAN).recno();
        long repair = s.engine.queue().request("user/alice", Action.REPAIR).recno();
        assertThat(s.engine.daemon().drain()).extracting(r -> r.entry().recno()).containsExactly(repair);
        assertThat(s.engine.queue().get(clean)).map(QueueEntry::state).contains(QueueEntry.State.WAITING);
        assertThat(s.engine.settings().get(Setting.PURGE_PAUSED)).isEqualTo("Clean");

        assertThat(s.engine.daemon().setPaused(Action.CLEAN, false)).isEmpty();
        assertThat(s.engine.daemon().drain()).extracting(r -> r.entry().recno()).containsExactly(clean);
    }

    @Test
    void a_paused_action_is_said_in_the_waiting_daemons_status() throws Exception {
        s.engine.daemon().setPaused(Action.PURGE, true);
        s.engine.daemon().setPaused(Action.REMOVE, true);
        s.engine.queue().request(BOX, Action.PURGE);
        daemon().start(DaemonMode.daemon());
        Await.until(WAIT, "the daemon to wait with Purge and Remove paused", () -> daemon().status().state() == DaemonState.WAITING
                && daemon().status().message().contains("Purge,Remove paused"));
        assertThat(s.engine.queue().find(BOX, Action.PURGE)).map(QueueEntry::state).contains(QueueEntry.State.WAITING);
        // resumed while it waits: it runs the Purge without a restart
        s.engine.daemon().setPaused(Action.PURGE, false);
        Await.until(WAIT, "the Purge to run", () -> s.engine.queue().find(BOX, Action.PURGE).isEmpty());
    }

    @Test
    void run_now_runs_an_entry_of_a_paused_action() throws Exception {
        s.engine.daemon().setPaused(Action.CLEAN, true);
        long recno = s.engine.queue().request(BOX, Action.CLEAN).recno();
        assertThat(s.engine.daemon().runNow(List.of(recno))).extracting(TaskResult::outcome).containsExactly(Outcome.DONE);
    }

    @Test
    void the_figures_per_action_count_finished_entries_and_the_median_wait_from_when_each_was_due() throws Exception {
        s.mailbox("user/bob");
        s.mailbox("user/carol");
        s.engine.queue().request(BOX, Action.REPAIR);
        s.engine.queue().request("user/bob", Action.REPAIR);
        s.engine.queue().request("user/carol", Action.REPAIR);
        s.clock.advance(Duration.ofSeconds(30));
        s.engine.daemon().drain(); // the three waited 30 s each
        s.engine.daemon().setPaused(Action.PURGE, true);
        s.engine.queue().request(BOX, Action.PURGE);
        s.clock.advance(Duration.ofMinutes(2));

        Map<Action, org.mstore.api.ActionFigures> f = new java.util.EnumMap<>(Action.class);
        s.engine.queue().figures().forEach(x -> f.put(x.action(), x));
        assertThat(f.keySet()).containsExactly(Action.values());
        org.mstore.api.ActionFigures repair = f.get(Action.REPAIR);
        assertThat(repair.finished()).isEqualTo(3);
        assertThat(repair.medianWait()).contains(Duration.ofSeconds(30));
        assertThat(repair.perMinute()).isEqualTo(3 / 15.0); // over the last 15 minutes
        assertThat(repair.inQueue()).isZero();
        assertThat(repair.paused()).isFalse();
        org.mstore.api.ActionFigures purge = f.get(Action.PURGE);
        assertThat(purge.paused()).isTrue();
        assertThat(purge.inQueue()).isEqualTo(1);
        assertThat(purge.oldestAge(s.clock.instant())).contains(Duration.ofMinutes(2));
        assertThat(purge.finished()).isZero();
        assertThat(purge.medianWait()).isEmpty();
    }

    @Test
    void a_remove_within_the_cleanup_age_is_not_counted_as_waiting_in_the_figures() throws Exception {
        s.engine.settings().set(Setting.CLEANUP_AGE, "1h");
        s.engine.context().queue().enqueue(BOX, Action.REMOVE, s.engine.context().now(), false);
        s.clock.advance(Duration.ofMinutes(20));

        org.mstore.api.ActionFigures remove = s.engine.queue().figures().stream().filter(x -> x.action() == Action.REMOVE).findFirst().orElseThrow();

        assertThat(remove.inQueue()).isEqualTo(1);
        assertThat(remove.oldestAge(s.clock.instant())).isEmpty(); // due in 40 min
        s.clock.advance(Duration.ofMinutes(45));
        remove = s.engine.queue().figures().stream().filter(x -> x.action() == Action.REMOVE).findFirst().orElseThrow();
        assertThat(remove.oldestAge(s.clock.instant())).contains(Duration.ofMinutes(5));
    }

    @Test
    void a_waiting_daemon_with_nothing_paused_says_when_the_next_entry_is_due_and_nothing_more() throws Exception {
        s.engine.queue().request(BOX, Action.CLEAN);
        daemon().start(DaemonMode.daemon());
        Await.until(WAIT, "the Clean to run and the daemon to wait for its Remove", () -> daemon().status().state() == DaemonState.WAITING
                && daemon().status().message().startsWith("next entry due"));
        assertThat(daemon().status().message()).matches("next entry due at \\d\\d:\\d\\d(:\\d\\d)?");
    }
}
