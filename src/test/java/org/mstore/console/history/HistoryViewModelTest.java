package org.mstore.console.history;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.Action;
import org.mstore.api.HistoryEntry;
import org.mstore.api.Outcome;
import org.mstore.api.QueueEntry;
import org.mstore.api.QueueQuery;
import org.mstore.console.Parking;
import org.mstore.console.UiQueueTaskExecutor;
import org.mstore.purge.TaskRunner;
import org.mstore.testing.TestStore;

import static org.assertj.core.api.Assertions.assertThat;

/** Done, Dropped and Failed on a real store: what left the queue and how, parked entries, Retry and Discard. */
class HistoryViewModelTest {
    static final String BOX = "user/alice";
    @TempDir
    Path tmp;
    TestStore s;
    UiQueueTaskExecutor ui;
    HistoryViewModel vm;
    AutoCloseable events;
    /** The console's own engine, which hears what the test's engine (another process, as it were) does. */
    org.mstore.engine.Engine console;

    @BeforeEach
    void setUp() throws Exception {
        s = TestStore.create(tmp);
        s.mailbox(BOX);
        s.append(BOX, 10);
        s.expunge(BOX, "1:5");
        s.requestAndDrain(BOX, Action.CLEAN); // queues the Remove of five files, due in an hour
        ui = new UiQueueTaskExecutor();
        console = org.mstore.engine.Engine.open(s.root, new org.mstore.api.OpenOptions(s.clock, "console", false, true));
        vm = new HistoryViewModel(console, ui, false);
        events = console.subscribe(e -> ui.runOnUi(() -> {
            if (e instanceof org.mstore.api.StoreEvent.EntriesDone d) {
                vm.entriesDone(d.entries());
            } else if (e instanceof org.mstore.api.StoreEvent.EntriesChanged c) {
                vm.entriesChanged(c.entries());
            }
        }));
    }

    @AfterEach
    void tearDown() throws Exception {
        events.close();
        console.close();
        s.close();
    }

    /** The Remove waiting in the queue, parked as its fifth failure leaves it. */
    private QueueEntry parkTheRemove() {
        QueueEntry remove = s.queue().get(0);
        assertThat(remove.action()).isEqualTo(Action.REMOVE);
        return Parking.park(s.engine, remove.recno(), "user/alice: cannot delete 3.msg");
    }

    private void events() {
        console.pollChanges();
        ui.runUi();
    }

    @Test
    void load_lists_done_and_dropped_entries_newest_first_with_their_counts() throws Exception {
        s.mailbox("user/gone");
        s.engine.queue().request("user/gone", Action.PURGE);
        s.engine.mailboxes().delete("user/gone");

        vm.load();

        assertThat(vm.done()).extracting(h -> h.entry().action()).containsExactly(Action.CLEAN);
        assertThat(vm.doneCountProperty().get()).isEqualTo(1);
        assertThat(vm.dropped()).singleElement().satisfies(h -> {
            assertThat(h.outcome()).isEqualTo(Outcome.DROPPED);
            assertThat(HistoryViewModel.reason(h)).isEqualTo("dropped: mailbox deleted");
        });
        assertThat(vm.droppedCountProperty().get()).isEqualTo(1);
    }

    @Test
    void a_task_that_keeps_failing_appears_in_the_failed_list_with_its_last_error() {
        vm.load();
        assertThat(vm.failed()).isEmpty();

        QueueEntry parked = parkTheRemove();
        events();

        assertThat(vm.failed()).singleElement().satisfies(e -> {
            assertThat(e.recno()).isEqualTo(parked.recno());
            assertThat(e.attempts()).isEqualTo(TaskRunner.MAX_ATTEMPTS);
            assertThat(e.lastError()).contains("3.msg");
        });
        assertThat(vm.failedCountProperty().get()).isEqualTo(1);
    }

    @Test
    void retry_brings_a_parked_entry_back_to_waiting() throws Exception {
        QueueEntry parked = parkTheRemove();
        vm.load();

        vm.retry(List.copyOf(vm.failed()));
        events();

        assertThat(vm.failed()).isEmpty();
        assertThat(vm.failedCountProperty().get()).isZero();
        assertThat(s.engine.queue().get(parked.recno()).orElseThrow()).extracting(QueueEntry::state, QueueEntry::attempts)
                .containsExactly(QueueEntry.State.WAITING, 0);
        assertThat(vm.messageProperty().get()).isEqualTo("Retried 1 entry: waiting again in the queue");
    }

    @Test
    void discard_moves_a_parked_entry_to_the_dropped_list() throws Exception {
        QueueEntry parked = parkTheRemove();
        vm.load();

        vm.discard(List.copyOf(vm.failed()));
        events();

        assertThat(vm.failed()).isEmpty();
        assertThat(vm.dropped()).first().satisfies(h -> {
            assertThat(h.entry().recno()).isEqualTo(parked.recno());
            assertThat(h.outcome()).isEqualTo(Outcome.DISCARDED);
        });
        assertThat(vm.droppedCountProperty().get()).isEqualTo(1);
        assertThat(s.engine.queue().get(parked.recno())).isEmpty();
    }

    @Test
    void an_entry_that_finishes_goes_to_the_top_of_its_list_once() throws Exception {
        vm.load();
        s.engine.queue().request(BOX, Action.REPAIR);
        s.engine.daemon().drain();

        events();
        events();
        vm.entriesDone(s.engine.queue().recentHistory(1)); // the same entry told again

        assertThat(vm.done()).extracting(h -> h.entry().action()).containsExactly(Action.REPAIR, Action.CLEAN);
        assertThat(vm.doneCountProperty().get()).isEqualTo(2);
    }

    @Test
    void older_pages_of_the_dropped_list_follow_the_first() {
        List<org.mstore.api.QueueRequest> gone = new java.util.ArrayList<>();
        for (int i = 0; i < HistoryViewModel.PAGE + 10; i++) {
            gone.add(new org.mstore.api.QueueRequest("user/gone" + i, Action.CLEAN, 0, false));
        }
        s.engine.queue().requestAll(gone);
        s.engine.daemon().drain();
        vm.load();
        assertThat(vm.dropped()).hasSize(HistoryViewModel.PAGE);
        assertThat(vm.droppedCountProperty().get()).isEqualTo(HistoryViewModel.PAGE + 10);

        vm.loadMore(false);

        assertThat(vm.dropped()).hasSize(HistoryViewModel.PAGE + 10);
        assertThat(vm.dropped()).extracting(HistoryEntry::seq).isSortedAccordingTo((a, b) -> Long.compare(b, a)).doesNotHaveDuplicates();
    }
}
