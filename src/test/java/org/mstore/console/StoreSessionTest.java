package org.mstore.console;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.Action;
import org.mstore.api.DaemonState;
import org.mstore.api.OpenOptions;
import org.mstore.api.QueueEntry;
import org.mstore.api.QueueQuery;
import org.mstore.api.Setting;
import org.mstore.engine.Engine;
import org.mstore.purge.PurgeDaemon;
import org.mstore.queue.MaintenanceQueue;
import org.mstore.testing.TestStore;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The console's session on a real store, fed by the engine's own change events: what another process (here
 * a second engine on the same store) does reaches every view-model without a reload.
 */
class StoreSessionTest {
    static final String ALICE = "user/alice";
    @TempDir
    Path tmp;
    TestStore s;
    UiQueueTaskExecutor ui;
    StoreSession session;

    @BeforeEach
    void setUp() throws Exception {
        s = TestStore.create(tmp);
        s.mailbox(ALICE);
        ui = new UiQueueTaskExecutor();
        Engine watched = Engine.open(s.root, new OpenOptions(s.clock, "console", false, true));
        session = new StoreSession(watched, ui);
        session.start();
    }

    @AfterEach
    void tearDown() {
        session.close();
        s.close();
    }

    /** Publishes every change made so far and hands the events to the view-models. */
    private void events() {
        session.engine().pollChanges();
        ui.runUi();
    }

    private List<QueueEntry> shown() {
        List<QueueEntry> out = new java.util.ArrayList<>();
        for (int i = 0; i < session.queue().rows().size(); i++) {
            out.add(session.queue().rows().get(i));
        }
        return out;
    }

    @Test
    void entries_queued_and_finished_by_another_process_reach_the_queue_view() {
        MaintenanceQueue other = (MaintenanceQueue) s.engine.backend().queue();
        other.enqueueAll(List.of(new org.mstore.api.QueueRequest(ALICE, Action.REPAIR, 0, false),
                new org.mstore.api.QueueRequest("user/bob", Action.CLEAN, 0, false),
                new org.mstore.api.QueueRequest("user/carol", Action.CLEAN, 0, false)));
        events();

        assertThat(session.queue().countProperty(Action.CLEAN).get()).isEqualTo(2);
        assertThat(session.queue().countProperty(Action.REPAIR).get()).isEqualTo(1);
        assertThat(shown()).isEqualTo(other.page(QueueQuery.all(), 0, 100));

        s.engine.daemon().drain(); // Repair done, bob and carol dropped (no such mailboxes)
        events();

        assertThat(session.queue().totalProperty().get()).isZero();
        assertThat(session.queue().rows()).isEmpty();
        assertThat(session.dashboard().doneLastHourProperty().get()).as("finished: one done, two dropped").isEqualTo(3);
        assertThat(session.history().doneCountProperty().get()).isEqualTo(1);
        assertThat(session.history().droppedCountProperty().get()).isEqualTo(2);
    }

    @Test
    void a_mailbox_changed_by_another_process_is_refreshed() throws Exception {
        session.mailboxes().select(ALICE);
        s.append(ALICE, 4);
        events();

        assertThat(session.mailboxes().selectedProperty().get().messageCount()).isEqualTo(4);
    }

    @Test
    void a_setting_changed_by_another_process_reaches_the_editors_and_the_thresholds() {
        s.engine.settings().apply(Map.of(Setting.CLEANUP_SIZE, "42"));
        events();

        assertThat(session.settings().field(Setting.CLEANUP_SIZE).valueProperty().get()).isEqualTo("42");
        assertThat(session.mailboxes().thresholdsProperty().get().cleanupSize()).isEqualTo(42);
    }

    @Test
    void the_daemon_state_reaches_the_daemon_view() throws Exception {
        session.daemon().start();

        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (session.daemon().stateProperty().get() != DaemonState.WAITING) {
            assertThat(System.nanoTime()).as("waited 10 s for the daemon to wait").isLessThan(deadline);
            Thread.sleep(5);
            ui.runUi();
        }
        assertThat(session.daemon().runningProperty().get()).isTrue();
        assertThat(session.daemon().stateTextProperty().get()).startsWith("waiting for entries");
    }

    private long reads(String title) {
        return ui.titles.stream().filter(title::equals).count();
    }

    @Test
    void figures_per_action_and_sessions_are_read_only_while_their_view_is_shown() {
        String figures = "Reading the figures per action";
        String sessions = "Reading the sessions";
        ui.titles.clear();
        for (int i = 0; i < 30; i++) {
            session.tick();
        }
        assertThat(reads(figures)).as("figures with the Purge daemon view hidden").isZero();
        assertThat(reads(sessions)).as("sessions with the Sessions view hidden").isZero();

        session.viewsShown(true, false);
        assertThat(reads(figures)).as("read at once when the view comes to the front").isEqualTo(1);
        for (int i = 0; i < 30; i++) {
            session.tick();
        }
        assertThat(reads(figures)).as("every 5 s while shown").isEqualTo(7);
        assertThat(reads(sessions)).isZero();

        session.viewsShown(false, true);
        assertThat(reads(sessions)).isEqualTo(1);
        for (int i = 0; i < 30; i++) {
            session.tick();
        }
        assertThat(reads(figures)).as("not read once the view is hidden again").isEqualTo(7);
        assertThat(reads(sessions)).as("every 3 s while shown").isEqualTo(11);
    }

    @Test
    void the_dashboards_disk_line_is_read_again_when_the_disk_fills_or_has_room_again() {
        ui.runUi();
        var before = session.dashboard().spaceProperty().get();
        assertThat(before).isNotNull();

        session.health().diskFullProperty().set(true); // as checkDisk() finds it on a full disk (DiskFullBadgeTest)
        ui.runUi();

        assertThat(session.dashboard().spaceProperty().get()).as("read again").isNotSameAs(before);
    }
}
