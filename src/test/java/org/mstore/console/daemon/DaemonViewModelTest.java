package org.mstore.console.daemon;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.Action;
import org.mstore.api.DaemonMode;
import org.mstore.api.DaemonState;
import org.mstore.api.DaemonStatus;
import org.mstore.api.OpenOptions;
import org.mstore.api.Setting;
import org.mstore.console.CurrentThreadTaskExecutor;
import org.mstore.engine.Engine;
import org.mstore.purge.PurgeDaemon;
import org.mstore.purge.SessionLock;
import org.mstore.testing.TestStore;

import static org.assertj.core.api.Assertions.assertThat;

/** The purge daemon's controls on a real store: start/stop, the session lock, the off-peak window, the state in words. */
class DaemonViewModelTest {
    @TempDir
    Path tmp;
    TestStore s;
    DaemonViewModel vm;

    @BeforeEach
    void setUp() throws Exception {
        s = TestStore.create(tmp);
        vm = new DaemonViewModel(s.engine, new CurrentThreadTaskExecutor(), false);
        vm.load();
    }

    @AfterEach
    void tearDown() {
        s.close();
    }

    /** Waits, up to a deadline, for something another thread does. */
    private static void await(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waited 10 s").isLessThan(deadline);
            Thread.onSpinWait();
            Thread.sleep(5);
        }
    }

    private static DaemonStatus status(DaemonState state, String mailbox, Action action, String message) {
        return new DaemonStatus(state, mailbox, action, 3, 4096, Instant.EPOCH, message);
    }

    @Test
    void load_shows_a_stopped_daemon_and_no_window() {
        assertThat(vm.runningProperty().get()).isFalse();
        assertThat(vm.stateProperty().get()).isEqualTo(DaemonState.STOPPED);
        assertThat(vm.stateTextProperty().get()).isEqualTo("stopped");
        assertThat(vm.useWindowProperty().get()).isFalse();
        assertThat(vm.errorProperty().get()).isEmpty();
        assertThat(vm.otherHolderProperty().get()).isEmpty();
    }

    @Test
    void load_reads_the_stored_window() {
        s.engine.settings().apply(Map.of(Setting.PURGE_WINDOW, "23:30-04:15", Setting.PURGE_EXIT_WHEN_EMPTY, "true"));

        vm.load();

        assertThat(vm.useWindowProperty().get()).isTrue();
        assertThat(vm.windowStartProperty().get()).isEqualTo("23:30");
        assertThat(vm.windowEndProperty().get()).isEqualTo("04:15");
        assertThat(vm.exitWhenEmptyProperty().get()).isTrue();
    }

    @Test
    void start_runs_the_daemon_and_stop_stops_it() throws Exception {
        vm.start();

        assertThat(vm.runningProperty().get()).isTrue();
        assertThat(s.engine.daemon().running()).isTrue();
        assertThat(vm.errorProperty().get()).isEmpty();
        assertThat(vm.messageProperty().get()).isEqualTo("impurge started");
        assertThat(SessionLock.holder(s.root)).isPresent();

        vm.stop();

        await(() -> !s.engine.daemon().running());
        assertThat(vm.runningProperty().get()).isFalse();
        assertThat(vm.messageProperty().get()).isEqualTo("impurge stopped");
        assertThat(SessionLock.holder(s.root)).isEmpty();
    }

    @Test
    void start_while_another_impurge_holds_the_lock_shows_the_seed_error_and_stays_stopped() throws Exception {
        try (Engine other = s.openAgain()) {
            other.daemon().start(DaemonMode.daemon());

            vm.start();

            assertThat(vm.errorProperty().get()).startsWith("General Error: ")
                    .contains("Could not get purge session lock. Possibly another impurge is running");
            assertThat(vm.runningProperty().get()).isFalse();
            assertThat(s.engine.daemon().running()).isFalse();
            assertThat(other.daemon().running()).as("the holder is left alone").isTrue();
            assertThat(vm.errorProperty().get()).endsWith("(held by mstore test (pid " + ProcessHandle.current().pid() + "))");
            assertThat(vm.otherHolderProperty().get()).as("the lock error is said once").isEmpty();
        }
    }

    @Test
    void probe_lock_names_the_other_holder_and_clears_once_it_lets_go() throws Exception {
        try (Engine other = s.openAgain()) {
            other.daemon().start(DaemonMode.daemon());

            vm.probeLock();
            assertThat(vm.otherHolderProperty().get())
                    .isEqualTo("mstore test (pid " + ProcessHandle.current().pid() + ") holds the purge session lock");

            other.daemon().stop();
            vm.probeLock();
            assertThat(vm.otherHolderProperty().get()).isEmpty();
        }
    }

    @Test
    void the_off_peak_fields_start_empty_not_with_values_that_look_real() {
        assertThat(vm.windowStartProperty().get()).isEmpty();
        assertThat(vm.windowEndProperty().get()).isEmpty();
    }

    @Test
    void a_console_holding_the_lock_is_named_as_a_console() {
        assertThat(org.mstore.console.Holders.describe("console[6701]")).isEqualTo("another mstore console (pid 6701)");
        assertThat(org.mstore.console.Holders.describe("impurge[17986]")).isEqualTo("a command-line impurge (pid 17986)");
    }

    @Test
    void probe_lock_does_not_report_our_own_daemon() {
        vm.start();

        vm.probeLock();

        assertThat(vm.otherHolderProperty().get()).isEmpty();
    }

    @Test
    void apply_window_saves_the_window_and_exit_when_empty_for_every_engine() throws Exception {
        vm.useWindowProperty().set(true);
        vm.windowStartProperty().set("1:00");
        vm.windowEndProperty().set("05:30");
        vm.exitWhenEmptyProperty().set(true);

        vm.applyWindow();

        try (Engine other = s.openAgain()) {
            assertThat(other.settings().get(Setting.PURGE_WINDOW)).isEqualTo("01:00-05:30");
            assertThat(other.settings().get(Setting.PURGE_EXIT_WHEN_EMPTY)).isEqualTo("true");
        }
        assertThat(vm.windowErrorProperty().get()).isEmpty();
        assertThat(vm.messageProperty().get()).isEqualTo("Off-peak window 01:00-05:30, stopping when the queue is empty");
    }

    @Test
    void apply_window_without_a_window_saves_daemon_mode() {
        s.engine.settings().set(Setting.PURGE_WINDOW, "01:00-05:00");
        vm.load();
        vm.useWindowProperty().set(false);

        vm.applyWindow();

        assertThat(s.engine.settings().get(Setting.PURGE_WINDOW)).isEmpty();
        assertThat(vm.messageProperty().get()).isEqualTo("Daemon mode: impurge works whenever entries are due");
    }

    @Test
    void a_window_with_an_impossible_time_is_refused_and_nothing_is_saved() {
        vm.useWindowProperty().set(true);
        vm.windowStartProperty().set("25:00");
        vm.windowEndProperty().set("26:00");
        vm.exitWhenEmptyProperty().set(true);

        assertThat(vm.windowErrorProperty().get()).contains("store.purge.window").contains("empty or HH:MM-HH:MM");
        vm.applyWindow();

        assertThat(s.engine.settings().get(Setting.PURGE_WINDOW)).isEmpty();
        assertThat(s.engine.settings().get(Setting.PURGE_EXIT_WHEN_EMPTY)).isEqualTo("false");
        assertThat(vm.messageProperty().get()).startsWith("Not saved: store.purge.window");
    }

    @Test
    void a_window_that_starts_where_it_ends_is_refused() {
        vm.useWindowProperty().set(true);
        vm.windowStartProperty().set("02:00");
        vm.windowEndProperty().set("02:00");

        vm.applyWindow();

        assertThat(vm.windowErrorProperty().get()).contains("starts and ends at the same time");
        assertThat(s.engine.settings().get(Setting.PURGE_WINDOW)).isEmpty();
    }

    @Test
    void tasks_run_now_finished_while_no_daemon_ran_are_not_shown_as_the_daemons() throws Exception {
        s.mailbox("user/alice");
        long recno = s.engine.queue().request("user/alice", Action.CLEAN).recno();
        s.engine.daemon().runNow(java.util.List.of(recno));
        vm.statusChanged(s.engine.daemon().status());
        assertThat(vm.tasksTextProperty().get())
                .isEqualTo("0 by the daemon since the store was opened here (done, skipped or dropped); 1 by Run now while it was stopped");
    }

    @Test
    void status_changes_are_shown_in_words() {
        vm.statusChanged(status(DaemonState.WORKING, "user/alice", Action.REPAIR, ""));
        assertThat(vm.stateProperty().get()).isEqualTo(DaemonState.WORKING);
        assertThat(vm.stateTextProperty().get()).isEqualTo("working: Repair user/alice");
        assertThat(vm.workingProperty().get()).isEqualTo("Repair user/alice");
        assertThat(vm.tasksDoneProperty().get()).isEqualTo(3);
        assertThat(vm.bytesReclaimedProperty().get()).isEqualTo(4096);

        vm.statusChanged(status(DaemonState.WAITING, null, null, "next entry due 2026-03-02T11:00"));
        assertThat(vm.stateTextProperty().get()).isEqualTo("waiting for entries (next entry due 2026-03-02T11:00)");
        assertThat(vm.workingProperty().get()).isEmpty();

        vm.statusChanged(status(DaemonState.OUTSIDE_WINDOW, null, null, "window 01:00-05:00 opens at 01:00"));
        assertThat(vm.stateTextProperty().get()).isEqualTo("outside its window (window 01:00-05:00 opens at 01:00)");

        vm.statusChanged(status(DaemonState.WINDOW_DONE, null, null, ""));
        assertThat(vm.stateTextProperty().get()).isEqualTo("queue empty; done for this window");

        vm.statusChanged(status(DaemonState.STOPPED, null, null, ""));
        assertThat(vm.stateTextProperty().get()).isEqualTo("stopped");
        assertThat(vm.errorProperty().get()).isEmpty();
    }

    @Test
    void a_locked_out_status_shows_the_seed_error_with_the_holder() {
        vm.statusChanged(status(DaemonState.LOCKED_OUT, null, null, "held by impurge[42]"));

        assertThat(vm.errorProperty().get())
                .isEqualTo("General Error: Could not get purge session lock. Possibly another impurge is running (held by impurge[42])");
        assertThat(vm.stateTextProperty().get()).isEqualTo("another impurge holds the session lock (held by impurge[42])");
    }

    @Test
    void the_lock_error_goes_once_the_daemon_has_the_lock() {
        vm.statusChanged(status(DaemonState.LOCKED_OUT, null, null, "held by impurge[42]"));

        // the other impurge exited; ours took the lock at its next try and works
        vm.statusChanged(status(DaemonState.WORKING, "user/alice", Action.CLEAN, ""));

        assertThat(vm.errorProperty().get()).isEmpty();
    }

    @Test
    void read_only_does_not_start_the_daemon_nor_save_a_window() throws Exception {
        try (Engine ro = Engine.open(s.root, new OpenOptions(s.clock, "console", false, false, true))) {
            DaemonViewModel readOnly = new DaemonViewModel(ro, new CurrentThreadTaskExecutor(), true);
            readOnly.load();
            readOnly.useWindowProperty().set(true);

            readOnly.start();
            readOnly.applyWindow();

            assertThat(ro.daemon().running()).isFalse();
            assertThat(readOnly.runningProperty().get()).isFalse();
            assertThat(SessionLock.holder(s.root)).isEmpty();
            assertThat(s.engine.settings().get(Setting.PURGE_WINDOW)).isEmpty();
        }
    }

    @Test
    void the_workers_table_shows_the_session_lock_holder_on_the_classic_store() throws Exception {
        vm.refreshWorkers();
        assertThat(vm.workers()).isEmpty();
        s.engine.daemon().start(DaemonMode.daemon());
        try {
            vm.refreshWorkers();
            assertThat(vm.workers()).hasSize(1);
            assertThat(vm.workers().get(0).pid()).isEqualTo(ProcessHandle.current().pid());
            assertThat(vm.workers().get(0).name()).contains("[" + ProcessHandle.current().pid() + "]");
        } finally {
            s.engine.daemon().stop();
        }
    }

    @Test
    void pausing_an_action_saves_it_for_every_impurge_and_shows_it_in_its_row() throws Exception {
        s.mailbox("user/alice");
        s.engine.queue().request("user/alice", Action.REPAIR);

        vm.setPaused(Action.PURGE, true);

        assertThat(s.engine.settings().get(Setting.PURGE_PAUSED)).isEqualTo("Purge");
        assertThat(vm.action(Action.PURGE).pausedProperty().get()).isTrue();
        assertThat(vm.action(Action.REPAIR).pausedProperty().get()).isFalse();
        assertThat(vm.action(Action.REPAIR).inQueueProperty().get()).isEqualTo("1");
        assertThat(vm.messageProperty().get()).startsWith("Purge paused");

        vm.setPaused(Action.PURGE, false);
        assertThat(s.engine.settings().get(Setting.PURGE_PAUSED)).isEmpty();
        assertThat(vm.action(Action.PURGE).pausedProperty().get()).isFalse();
    }

    @Test
    void an_action_paused_by_another_process_shows_as_paused_at_the_next_refresh() {
        s.engine.settings().apply(Map.of(Setting.PURGE_PAUSED, "remove, repair"));
        s.clock.advance(Duration.ofMinutes(3));

        vm.refreshFigures();

        assertThat(vm.action(Action.REMOVE).pausedProperty().get()).isTrue();
        assertThat(vm.action(Action.REPAIR).pausedProperty().get()).isTrue();
        assertThat(vm.action(Action.CLEAN).pausedProperty().get()).isFalse();
        assertThat(vm.action(Action.CLEAN).oldestProperty().get()).isEqualTo("-");
        assertThat(vm.actionsOverProperty().get()).endsWith("over the last 15 min");
    }
}
