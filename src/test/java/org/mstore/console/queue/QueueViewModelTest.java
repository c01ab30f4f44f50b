package org.mstore.console.queue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.Action;
import org.mstore.api.DaemonMode;
import org.mstore.api.HistoryEntry;
import org.mstore.api.OpenOptions;
import org.mstore.api.Outcome;
import org.mstore.api.QueueEntry;
import org.mstore.api.QueueQuery;
import org.mstore.api.Setting;
import org.mstore.console.CurrentThreadTaskExecutor;
import org.mstore.console.StepTaskExecutor;
import org.mstore.engine.Engine;
import org.mstore.purge.PurgeDaemon;
import org.mstore.testing.TestStore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mstore.console.queue.QueueFixtures.all;
import static org.mstore.console.queue.QueueFixtures.enqueue;
import static org.mstore.console.queue.QueueFixtures.fill;

/** The live queue table's state, on a real store: counts, filter, live events, run now and remove. */
class QueueViewModelTest {
    static final String BOX = "user/alice";
    @TempDir
    Path tmp;
    TestStore s;
    QueueViewModel vm;

    @BeforeEach
    void setUp() throws Exception {
        s = TestStore.create(tmp);
        vm = new QueueViewModel(s.engine, new CurrentThreadTaskExecutor(), false);
    }

    @AfterEach
    void tearDown() {
        s.close();
    }

    private List<QueueEntry> db(QueueQuery q) {
        return s.engine.queue().page(q, 0, 10_000);
    }

    private long count(Action a) {
        return vm.countProperty(a).get();
    }

    @Test
    void load_counts_the_pending_entries_of_each_action() {
        fill(s.engine, 203);
        vm.load();

        Map<Action, Long> expected = s.engine.queue().countsByAction();
        for (Action a : Action.values()) {
            assertThat(count(a)).as(a.label()).isEqualTo(expected.get(a)).isPositive();
        }
        assertThat(vm.totalProperty().get()).isEqualTo(203);
        assertThat(vm.rows().size()).isEqualTo(203);
    }

    @Test
    void unticking_an_action_shows_exactly_the_entries_of_the_others() {
        fill(s.engine, 200);
        vm.load();

        vm.shownProperty(Action.CLEAN).set(false);
        vm.shownProperty(Action.REMOVE).set(false);

        assertThat(all(vm.rows())).isEqualTo(db(QueueQuery.all().withActions(EnumSet.of(Action.PURGE, Action.REPAIR))))
                .hasSize(100).allSatisfy(e -> assertThat(e.action()).isIn(Action.PURGE, Action.REPAIR));
        // the counts are of the whole queue, not of what is shown
        assertThat(vm.totalProperty().get()).isEqualTo(200);
    }

    @Test
    void unticking_every_action_shows_nothing() {
        fill(s.engine, 40);
        vm.load();

        for (Action a : Action.values()) {
            vm.shownProperty(a).set(false);
        }

        assertThat(vm.rows()).isEmpty();
    }

    @Test
    void typed_mailbox_text_shows_exactly_the_matching_entries_once_applied() {
        fill(s.engine, 500);
        vm.load();

        vm.mailboxFilterProperty().set("U001");
        assertThat(vm.rows().size()).as("not applied yet").isEqualTo(500);
        vm.applyFilter();

        assertThat(all(vm.rows())).isEqualTo(db(QueueQuery.all().withMailboxText("u001")))
                .hasSize(100).allSatisfy(e -> assertThat(e.mailbox()).startsWith("user/u001"));
    }

    @Test
    void a_sort_change_shows_the_database_order() {
        fill(s.engine, 300);
        vm.load();

        vm.sortProperty().set(QueueQuery.Sort.TIMESTAMP);
        vm.ascendingProperty().set(false);

        assertThat(all(vm.rows())).isEqualTo(db(QueueQuery.all().withSort(QueueQuery.Sort.TIMESTAMP, false)));
    }

    @Test
    void new_entries_raise_the_counts_and_join_the_list() {
        fill(s.engine, 20);
        vm.load();
        long before = s.engine.backend().queue().maxRecno();
        enqueue(s.engine, "user/new1", Action.REPAIR, 0);
        enqueue(s.engine, "user/new2", Action.REPAIR, 0);
        enqueue(s.engine, "user/new3", Action.PURGE, 0);

        vm.entriesAdded(s.engine.queue().entriesAfter(before, 100));

        assertThat(count(Action.REPAIR)).isEqualTo(7);
        assertThat(count(Action.PURGE)).isEqualTo(6);
        assertThat(count(Action.CLEAN)).isEqualTo(5);
        assertThat(vm.totalProperty().get()).isEqualTo(23);
        assertThat(all(vm.rows())).isEqualTo(db(QueueQuery.all()));
    }

    @Test
    void finished_entries_lower_the_counts_and_leave_the_list() {
        fill(s.engine, 20);
        vm.load();
        long seq = s.engine.queue().maxHistorySeq();
        List<QueueEntry> cleans = db(QueueQuery.all().withActions(EnumSet.of(Action.CLEAN))).subList(0, 2);
        s.engine.queue().remove(cleans.stream().map(QueueEntry::recno).toList());

        vm.entriesDone(s.engine.queue().historyAfter(seq, 100));

        assertThat(count(Action.CLEAN)).isEqualTo(3);
        assertThat(vm.totalProperty().get()).isEqualTo(18);
        assertThat(all(vm.rows())).isEqualTo(db(QueueQuery.all())).doesNotContainAnyElementsOf(cleans);
    }

    @Test
    void run_now_runs_the_selected_entries_at_once_when_the_daemon_is_stopped() throws Exception {
        s.mailbox(BOX);
        s.append(BOX, 5);
        s.mailbox("user/bob");
        QueueEntry repair = enqueue(s.engine, BOX, Action.REPAIR, s.engine.context().now());
        QueueEntry other = enqueue(s.engine, "user/bob", Action.REPAIR, s.engine.context().now());
        vm.load();
        assertThat(s.info(BOX).lastRepair()).isNull();

        vm.runNow(List.of(repair));

        assertThat(s.engine.queue().get(repair.recno())).isEmpty();
        assertThat(s.info(BOX).lastRepair()).isEqualTo(s.clock.instant());
        assertThat(s.engine.queue().get(other.recno())).as("not selected").isPresent();
        assertThat(s.engine.queue().recentHistory(1)).extracting(HistoryEntry::outcome).containsExactly(Outcome.DONE);
        assertThat(vm.messageProperty().get()).startsWith("Repair user/alice: done in ")
                .endsWith("; nothing reclaimed (rebuilt index and cache: 5 messages)");
    }

    @Test
    void run_now_hands_the_selected_entries_to_a_running_daemon() throws Exception {
        s.mailbox(BOX);
        s.append(BOX, 3);
        s.engine.settings().set(Setting.CLEANUP_AGE, "365d");
        QueueEntry remove = enqueue(s.engine, BOX, Action.REMOVE, s.engine.context().now()); // due only in a year
        s.engine.daemon().start(DaemonMode.daemon());
        vm.load();

        vm.runNow(List.of(remove));

        assertThat(vm.messageProperty().get()).startsWith("Remove user/alice: done in ");
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (s.engine.queue().get(remove.recno()).isPresent()) {
            assertThat(System.nanoTime()).as("waited 10 s for the daemon").isLessThan(deadline);
            Thread.sleep(5);
        }
        assertThat(s.engine.queue().recentHistory(1)).extracting(HistoryEntry::outcome).containsExactly(Outcome.DONE);
    }

    @Test
    void run_now_while_another_impurge_holds_the_lock_says_so() throws Exception {
        s.mailbox(BOX);
        s.engine.settings().set(Setting.CLEANUP_AGE, "365d");
        QueueEntry remove = enqueue(s.engine, BOX, Action.REMOVE, s.engine.context().now()); // not due: the other one waits
        try (Engine other = s.openAgain()) {
            other.daemon().start(DaemonMode.daemon());
            vm.load();

            vm.runNow(List.of(remove));

            assertThat(vm.messageProperty().get()).startsWith("Not run now: mstore test (pid ")
                    .contains("holds the purge session lock (\"Could not get purge session lock. Possibly another impurge is running\")")
                    .endsWith("The entry stays queued and runs when the lock is free.");
            assertThat(s.engine.queue().get(remove.recno())).isPresent();
        }
    }

    @Test
    void remove_takes_the_selected_entries_out_and_the_history_says_removed() {
        fill(s.engine, 10);
        vm.load();
        List<QueueEntry> selected = List.of(vm.rows().get(2), vm.rows().get(5));

        vm.remove(selected);

        assertThat(s.engine.queue().count()).isEqualTo(8);
        selected.forEach(e -> assertThat(s.engine.queue().get(e.recno())).isEmpty());
        assertThat(s.engine.queue().recentHistory(2)).allSatisfy(h -> {
            assertThat(h.outcome()).isEqualTo(Outcome.REMOVED);
            assertThat(h.entry().recno()).isIn(selected.get(0).recno(), selected.get(1).recno());
        });
        assertThat(vm.messageProperty().get()).isEqualTo("Removed 2 entries");
    }

    @Test
    void read_only_refuses_run_now_and_remove() throws Exception {
        s.mailbox(BOX);
        QueueEntry repair = enqueue(s.engine, BOX, Action.REPAIR, s.engine.context().now());
        try (Engine ro = Engine.open(s.root, new OpenOptions(s.clock, "console", false, false, true))) {
            QueueViewModel readOnly = new QueueViewModel(ro, new CurrentThreadTaskExecutor(), true);
            readOnly.load();
            assertThat(readOnly.readOnlyProperty().get()).isTrue();

            readOnly.runNow(List.of(repair));
            readOnly.remove(List.of(repair));

            assertThat(s.engine.queue().get(repair.recno())).isPresent();
            assertThat(s.engine.queue().get(repair.recno()).get().forced()).isFalse();
            assertThat(s.engine.queue().maxHistorySeq()).isZero();
            assertThat(s.info(BOX).lastRepair()).isNull();
        }
    }

    @Test
    void an_empty_table_says_the_queue_is_being_read_until_its_first_page_comes_not_that_it_is_empty() {
        fill(s.engine, 30);
        StepTaskExecutor step = new StepTaskExecutor();
        QueueViewModel live = new QueueViewModel(s.engine, step, false);
        javafx.beans.binding.StringBinding placeholder = live.placeholderText();
        live.load();

        assertThat(live.rows().size()).isZero();
        assertThat(placeholder.get()).isEqualTo("Reading the queue...");
        step.runPending();
        assertThat(live.rows().size()).isEqualTo(30);
        assertThat(placeholder.get()).isNotEqualTo("Reading the queue...");
    }

    @Test
    void an_empty_table_says_the_filter_matches_nothing_when_the_queue_has_entries() {
        fill(s.engine, 30);
        javafx.beans.binding.StringBinding placeholder = vm.placeholderText();
        vm.load();
        vm.mailboxFilterProperty().set("no-such-mailbox");
        vm.applyFilter();

        assertThat(vm.rows().size()).isZero();
        assertThat(placeholder.get()).isEqualTo("No entry matches the filter");
        s.engine.queue().remove(s.engine.queue().page(QueueQuery.all(), 0, 100).stream().map(QueueEntry::recno).toList());
        vm.load();
        assertThat(placeholder.get()).isEqualTo("The maintenance queue is empty");
    }

    @Test
    void a_sort_change_is_shown_even_when_an_entry_arrives_while_the_rows_load() {
        fill(s.engine, 30);
        StepTaskExecutor step = new StepTaskExecutor();
        QueueViewModel live = new QueueViewModel(s.engine, step, false);
        live.load();
        step.runPending();
        long before = s.engine.backend().queue().maxRecno();

        live.ascendingProperty().set(false);            // the rows are read...
        enqueue(s.engine, "user/new", Action.CLEAN, 0);  // ...an entry is queued...
        live.entriesAdded(s.engine.queue().entriesAfter(before, 10)); // ...and its event is handled first
        step.runPending();
        live.reconcile();                                // the periodic check
        step.runPending();

        assertThat(all(live.rows())).isEqualTo(db(QueueQuery.all().withSort(QueueQuery.Sort.RECNO, false)));
        assertThat(live.totalProperty().get()).isEqualTo(31);
    }

    @Test
    void a_remove_is_due_at_its_timestamp_plus_store_cleanupage() {
        s.engine.settings().set(Setting.CLEANUP_AGE, "2h");
        QueueEntry remove = enqueue(s.engine, BOX, Action.REMOVE, s.engine.context().now());
        QueueEntry clean = enqueue(s.engine, BOX, Action.CLEAN, s.engine.context().now());
        vm.load();

        assertThat(vm.due(remove)).isEqualTo(remove.timestamp().plus(Duration.ofHours(2)));
        assertThat(vm.due(clean)).isEqualTo(clean.timestamp());
    }

    @Test
    void shortening_store_cleanupage_moves_a_removes_due_time_at_once() {
        QueueEntry remove = enqueue(s.engine, BOX, Action.REMOVE, s.engine.context().now());
        vm.load();
        s.engine.settings().set(Setting.CLEANUP_AGE, "10m");

        vm.loadSettings();

        assertThat(vm.due(remove)).isEqualTo(remove.timestamp().plus(Duration.ofMinutes(10)));
    }

    @Test
    void the_detail_of_a_clean_names_the_threshold_it_crossed_with_the_figures() throws Exception {
        s.mailbox(BOX);
        s.append(BOX, 150);
        s.expunge(BOX, "1:150"); // Expunged 150 > store.cleanupsize 100: Clean is queued
        QueueEntry clean = s.engine.queue().find(BOX, Action.CLEAN).orElseThrow();
        vm.load();

        vm.showDetail(clean);

        EntryDetail d = vm.detailProperty().get();
        assertThat(d.why()).startsWith("Expunged 150 > store.cleanupsize 100 (queued ")
                .endsWith(" by " + EntryDetail.process(clean.queuedBy()) + ")");
        assertThat(d.who()).isEqualTo("queued by mstore test (pid " + ProcessHandle.current().pid() + ") on "
                + clean.queuedBy().substring(clean.queuedBy().indexOf('@') + 1) + "; not picked yet");
        assertThat(d.state()).isEqualTo("waiting");
        assertThat(d.attempts()).isEqualTo("none failed");
        assertThat(d.dueText()).startsWith("now");
    }

    @Test
    void the_detail_of_an_entry_an_administrator_requested_says_so() throws Exception {
        s.mailbox(BOX);
        long recno = s.engine.queue().request(BOX, Action.PURGE).recno();
        vm.load();

        vm.showDetail(s.engine.queue().get(recno).orElseThrow());

        assertThat(vm.detailProperty().get().why()).startsWith("Purge now by an administrator (queued ");
        assertThat(vm.detailProperty().get().who()).startsWith("requested by an administrator in mstore test (pid ");
    }

    @Test
    void run_now_on_an_entry_the_rules_queued_keeps_the_rule_in_its_detail() throws Exception {
        s.mailbox(BOX);
        s.append(BOX, 150);
        s.expunge(BOX, "1:150"); // Expunged 150 > store.cleanupsize 100: Clean is queued
        s.engine.daemon().stop();
        long recno = s.engine.queue().find(BOX, Action.CLEAN).orElseThrow().recno();
        s.engine.queue().request(BOX, Action.CLEAN); // what Run now does to a waiting entry: forces it
        vm.load();

        vm.showDetail(s.engine.queue().get(recno).orElseThrow());

        EntryDetail d = vm.detailProperty().get();
        assertThat(d.entry().forced()).isTrue();
        assertThat(d.why()).startsWith("Expunged 150 > store.cleanupsize 100 (queued ")
                .endsWith("; forced by an administrator: it runs at once, past the threshold checks");
        assertThat(d.who()).endsWith("; forced by an administrator since; not picked yet");
    }

    @Test
    void the_detail_of_a_parked_entry_shows_its_attempts_and_last_error() {
        QueueEntry remove = enqueue(s.engine, BOX, Action.REMOVE, s.engine.context().now());
        org.mstore.console.Parking.park(s.engine, remove.recno(), "cannot delete 3.msg");
        vm.load();

        vm.showDetail(remove);

        EntryDetail d = vm.detailProperty().get();
        assertThat(d.state()).startsWith("failed 5 times: parked");
        assertThat(d.attempts()).isEqualTo("5 failed");
        assertThat(d.lastError()).isEqualTo("cannot delete 3.msg");
        assertThat(d.dueText()).isEqualTo("not until it is retried");
    }

    @Test
    void the_detail_of_an_entry_that_left_the_queue_says_how_it_ended() {
        QueueEntry clean = enqueue(s.engine, "user/nobody", Action.CLEAN, s.engine.context().now());
        vm.load();
        s.engine.daemon().drain();

        vm.showDetail(clean);

        assertThat(vm.detailProperty().get().finished()).startsWith("dropped at ").endsWith(": mailbox no longer exists");
    }

    @Test
    void a_parked_entry_leaves_the_table_and_a_retried_one_comes_back() {
        fill(s.engine, 10);
        vm.load();
        QueueEntry first = vm.rows().get(0);

        QueueEntry parked = org.mstore.console.Parking.park(s.engine, first.recno(), "boom");
        vm.entriesChanged(List.of(parked));

        assertThat(all(vm.rows())).extracting(QueueEntry::recno).doesNotContain(first.recno()).hasSize(9);
        assertThat(vm.totalProperty().get()).isEqualTo(9);

        List<QueueEntry> back = s.engine.queue().retry(List.of(first.recno()));
        vm.entriesChanged(back);

        assertThat(all(vm.rows())).isEqualTo(db(QueueQuery.all())).hasSize(10);
        assertThat(vm.totalProperty().get()).isEqualTo(10);
    }

    @Test
    void while_paused_the_rows_hold_still_and_resuming_shows_what_changed() {
        fill(s.engine, 20);
        vm.load();
        List<QueueEntry> before = all(vm.rows());
        vm.pausedProperty().set(true);

        QueueEntry added = enqueue(s.engine, "user/new", Action.CLEAN, s.engine.context().now());
        vm.entriesAdded(List.of(added));
        s.engine.queue().remove(List.of(before.get(0).recno()));
        vm.entriesDone(s.engine.queue().recentHistory(1));

        assertThat(all(vm.rows())).isEqualTo(before);
        assertThat(vm.totalProperty().get()).as("still counted").isEqualTo(20);

        vm.pausedProperty().set(false);

        assertThat(all(vm.rows())).isEqualTo(db(QueueQuery.all())).contains(added).doesNotContain(before.get(0));
    }

    @Test
    void a_bulk_remove_over_a_filter_removes_exactly_the_matching_entries() {
        fill(s.engine, 1_000);
        vm.load();
        vm.mailboxFilterProperty().set("u001");
        vm.applyFilter();
        List<Long> matching = db(QueueQuery.all().withMailboxText("u001")).stream().map(QueueEntry::recno).toList();
        long[] counted = {-1};
        vm.countMatching(n -> counted[0] = n);
        assertThat(counted[0]).isEqualTo(matching.size()).isGreaterThan(QueuePage.PAGE_SIZE / 10);

        vm.removeAllMatching();

        assertThat(db(QueueQuery.all())).hasSize(1_000 - matching.size())
                .noneSatisfy(e -> assertThat(e.mailbox()).contains("u001"));
        assertThat(vm.messageProperty().get()).isEqualTo("Removed " + matching.size() + " matching entries");
        assertThat(vm.rows()).isEmpty();
    }

    @Test
    void a_count_that_saw_an_entry_before_its_event_came_settles_to_the_database_once_the_queue_is_still() {
        fill(s.engine, 20);
        vm.load();
        long before = s.engine.backend().queue().maxRecno();
        enqueue(s.engine, "user/late", Action.REPAIR, 0);
        vm.refreshCounts(); // a periodic count, read after the commit ...
        vm.entriesAdded(s.engine.queue().entriesAfter(before, 100)); // ... and the entry's event, arriving after it
        assertThat(vm.totalProperty().get()).as("counted twice until the queue settles").isEqualTo(22);

        vm.settle(System.nanoTime());
        assertThat(vm.totalProperty().get()).as("not yet: entries came a moment ago").isEqualTo(22);
        vm.settle(System.nanoTime() + QueueViewModel.SETTLE_NANOS);

        assertThat(vm.totalProperty().get()).isEqualTo(21).isEqualTo(s.engine.queue().count());
        assertThat(vm.rows().totalProperty().get()).isEqualTo(21);
    }
}
